"""Exports of the back office's lists (orders, order lines, products with their variants, customers) as CSV and
Excel: each dataset's columns are declared once (datasets.py, in its own app's `exports` module), and two writers
(writers.py) turn the same rows into either format. Small exports answer the request; large ones are written by a
job and mailed as a signed, expiring link (files.py). The admin's actions and its "export all" buttons (admin.py)
are the way in.
"""
