import sys

try:
    from rumpolicy.cli import main
except KeyboardInterrupt:       # Ctrl-C while the command starts: the same one line and status as later
    sys.stderr.write("rumpolicy: interrupted\n")
    sys.exit(130)

sys.exit(main())
