"""Counts the kettles of a task: natively (native.py) and as written for pubtools (pluggy_hooks.py)."""
