# chainer-data: datasets, iterators and the runner (python -m shinsou.chainer SCRIPT.py)
from . import dataset, datasets, iterators  # noqa: E402, F401
