"""``python -m shinsou.chainer [--check] SCRIPT.py [ARGS...]``: run a Chainer script on shinsou
(see ``shinsou.chainer._runner``)."""

import sys

from ._runner import main

sys.exit(main())
