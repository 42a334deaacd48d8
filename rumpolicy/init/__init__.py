"""rumpolicy init (work in progress: see rumpolicy/init/command.py)."""
