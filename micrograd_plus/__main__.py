"""``python -m micrograd_plus``: the command line."""

import sys

from micrograd_plus.cli import main

sys.exit(main())
