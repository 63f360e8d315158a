"""Fill real Chainer's dataset cache (~/.chainer/dataset) from /work/shared/datasets.

Run with the *real* Chainer interpreter (no internet here): it calls Chainer's own
builders, with download.cached_download mapped to the local raw files, so the
cache holds exactly what get_mnist()/get_fashion_mnist()/get_ptb_words() would make.
"""
import os
import sys

import chainer
from chainer.dataset import download

ROOT = os.environ.get('SHINSOU_DATA', '/work/shared/datasets')


def local(url):
    name = url.rsplit('/', 1)[1]
    if 'fashion' in url:
        return os.path.join(ROOT, 'fashion-mnist', name)
    if 'ptb' in url:
        return os.path.join(ROOT, 'ptb', name)
    return os.path.join(ROOT, 'mnist', name)


download.cached_download = local
import chainer.datasets._mnist_helper as h  # noqa
h.download.cached_download = local

chainer.datasets.get_mnist()
chainer.datasets.get_fashion_mnist()
tr, va, te = chainer.datasets.get_ptb_words()
print('ok', chainer.__version__, len(tr), len(va), len(te), file=sys.stderr)
