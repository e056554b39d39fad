"""Dramatiq actors and their schedule, each a thin call into a commerce service.

tasks/apps.py imports the actor modules when Django starts, which declares them on the broker settings chose
and connects them to the domain's signals; `manage.py rundramatiq` workers and `manage.py crontab` (the
scheduler) therefore see the same actors as the web processes that enqueue them.
"""
