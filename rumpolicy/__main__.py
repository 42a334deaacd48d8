import sys

from rumpolicy.cli import main

sys.exit(main())
