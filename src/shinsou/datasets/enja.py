"""small_parallel_enja: 50,000 / 500 / 500 English–Japanese sentence pairs from the Tanaka
Corpus (4–16 words each), tokenised by the corpus (English: lower-cased, Stanford tokenizer;
Japanese: KyTea), with the corpus's own 4k vocabularies (github:odashi/small_parallel_enja).

Files ``small_parallel_enja/{train,dev,test}.{en,ja}`` and ``train.{en,ja}.vocab.4k`` are
found in ``data_dir``, ``$SHINSOU_DATA`` or the download cache and checked against their MD5.
"""

from __future__ import annotations

import os

from .files import fetch

__all__ = [
    "load_small_parallel_enja",
    "enja_vocabularies",
    "ENJA_SPLITS",
    "ENJA_URLS",
    "SPECIALS",
    "PAD",
    "UNK",
    "BOS",
    "EOS_TOKEN",
]

PAD, UNK, BOS, EOS_TOKEN = "<pad>", "<unk>", "<bos>", "<eos>"
#: The special tokens of the translation vocabularies, ids 0..3 in this order.
SPECIALS = (PAD, UNK, BOS, EOS_TOKEN)

# Base URLs tried in order (the corpus's repository at the commit the shared copy came from).
ENJA_URLS = [
    "https://raw.githubusercontent.com/odashi/small_parallel_enja/"
    "312408a11c5fbcbc09443bebb18121f7efdcd61e/"
]

# file -> MD5 of the published file
_MD5 = {
    "train.en": "166c88618eefe50ba602e04a425173c0",
    "train.ja": "06d92e85a0d9b4d240d4cf03a1b14e7a",
    "dev.en": "125ec7763e14a4220afe4d2a23602615",
    "dev.ja": "2ced512a58eecd4bb39c6170a897603c",
    "test.en": "95413514d522587c04fa5f4d12358e44",
    "test.ja": "f2f7fa22f22a4487b36adf5e9fa2a5b4",
    "train.en.vocab.4k": "eb86d40d07607696c82bbfc0548f6a5a",
    "train.ja.vocab.4k": "2f2ac2134d6e8be707e15d061e644992",
}
ENJA_SPLITS = ("train", "dev", "test")
_DATASET = "small_parallel_enja"


def _path(name: str, data_dir):
    return fetch(_DATASET, name, md5=_MD5[name], urls=[u + name for u in ENJA_URLS],
                 data_dir=data_dir)  # fmt: skip


def _read(path) -> list[list[str]]:
    with open(path, encoding="utf-8") as f:
        return [line.split() for line in f]


def load_small_parallel_enja(
    split: str = "train", data_dir: str | os.PathLike | None = None
) -> tuple[list[list[str]], list[list[str]]]:
    """The sentence pairs of one split, as token lists (the corpus's own tokenisation).

    Args:
        split: ``"train"`` (50,000 pairs), ``"dev"`` (500) or ``"test"`` (500);
            ``"valid"``/``"val"``/``"validation"`` are aliases of ``"dev"``.
        data_dir: a folder holding ``small_parallel_enja/`` (searched first).

    Returns:
        ``(english, japanese)``: two lists of the same length; sentence i of each is a list
        of str tokens, and the two are translations of each other.

    Example (needs the files)::

        en, ja = load_small_parallel_enja("test")   # 500 pairs
        en[0]   # ['they', 'finally', 'acknowledged', 'it', 'as', 'true', '.']
    """
    split = {"valid": "dev", "val": "dev", "validation": "dev"}.get(split, split)
    if split not in ENJA_SPLITS:
        raise ValueError(
            f"load_small_parallel_enja: split must be one of {', '.join(ENJA_SPLITS)}, "
            f"got {split!r}"
        )
    en = _read(_path(f"{split}.en", data_dir))
    ja = _read(_path(f"{split}.ja", data_dir))
    if len(en) != len(ja):
        raise ValueError(
            f"load_small_parallel_enja: {split}.en has {len(en)} lines but {split}.ja has "
            f"{len(ja)}; the files do not belong together"
        )
    return en, ja


def enja_vocabularies(data_dir: str | os.PathLike | None = None):
    """The English and Japanese vocabularies from the corpus's own ``train.{en,ja}.vocab.4k``
    files: ``<pad>`` 0, ``<unk>`` 1, ``<bos>`` 2, ``<eos>`` 3, then the file's words in its
    order (its ``<s>``/``</s>`` become ``<bos>``/``<eos>``): 4,097 tokens each.

    Returns:
        ``(en_vocab, ja_vocab)``, two ``data.Vocabulary``; words outside them encode to
        ``<unk>``.
    """
    from ..data.vocabulary import Vocabulary

    aliases = {"<s>": BOS, "</s>": EOS_TOKEN}
    return tuple(
        Vocabulary.from_file(_path(f"train.{lang}.vocab.4k", data_dir), SPECIALS, aliases)
        for lang in ("en", "ja")
    )
