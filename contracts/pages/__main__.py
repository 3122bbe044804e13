"""``python -m contracts.pages``: see contracts/pages/__init__.py."""

import sys

from contracts.pages.cli import main

sys.exit(main())
