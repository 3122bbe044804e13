"""``python -m contracts.docs``: see contracts/docs/__init__.py."""

import sys

from contracts.docs.cli import main

sys.exit(main())
