"""Dramatiq actors and their schedule, each a thin call into a commerce service (from the jobs issue on).

Nothing runs in the background yet: the catalog keeps its derived fields up to date synchronously in
commerce.catalog.services.
"""
