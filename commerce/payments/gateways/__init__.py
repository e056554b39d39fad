"""One module per payment provider, behind the interface in base.py: services import base.py alone."""
