"""``python -m shinsou`` is the ``shinsou`` command."""

import sys

from .cli import main

sys.exit(main())
