"""``python -m hilt.cli``."""

import sys

from . import main

sys.exit(main())
