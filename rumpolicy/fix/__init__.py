"""rumpolicy fix (work in progress: see rumpolicy/fix/command.py)."""
