"""``chainer.datasets.get_ptb_words`` and ``get_ptb_words_vocabulary``, read from shinsou's
Penn Treebank files (``$SHINSOU_DATA``; see ``shinsou.datasets.load_ptb``)."""

from __future__ import annotations

import numpy

from ... import datasets as _shinsou_datasets

__all__ = ["get_ptb_words", "get_ptb_words_vocabulary"]


def get_ptb_words_vocabulary():
    """Chainer's PTB vocabulary: a dict word -> id for the 10,000 words of the training split.

    Ids are given in order of first appearance in the training text read as Chainer reads it
    (each line's words followed by ``'<eos>'``): ``'aer'`` is 0 and ``'<eos>'`` is 24. This is
    not shinsou's ``ptb_vocabulary`` (which orders by frequency).

    Example (needs the files)::

        vocab = get_ptb_words_vocabulary()   # len(vocab) == 10000, vocab['<eos>'] == 24
    """
    vocab: dict[str, int] = {}
    for word in _shinsou_datasets.load_ptb("train"):
        if word not in vocab:
            vocab[word] = len(vocab)
    return vocab


def get_ptb_words():
    """The PTB splits as Chainer gives them: ``(train, valid, test)``, int32 arrays of word ids
    (:func:`get_ptb_words_vocabulary`), every sentence followed by ``'<eos>'``; lengths
    929,589, 73,760 and 82,430.

    Example (needs the files)::

        train, valid, test = get_ptb_words()   # train.dtype == numpy.int32
    """
    vocab = get_ptb_words_vocabulary()
    out = []
    for split in ("train", "valid", "test"):
        words = _shinsou_datasets.load_ptb(split)
        try:
            ids = [vocab[w] for w in words]
        except KeyError as e:  # PTB spells every rare word <unk>, so this means a bad file
            raise ValueError(f"get_ptb_words: {split} word {e} is not in the vocabulary") from e
        out.append(numpy.array(ids, dtype=numpy.int32))
    return tuple(out)
