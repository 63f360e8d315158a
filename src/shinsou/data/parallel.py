"""Parallel text for translation: sentence pairs as id arrays, and the padding collate that
turns a list of pairs into ``(N, S)`` / ``(N, T)`` batches with lengths and masks.

Batch sentences of similar source length with ``BucketBatchSampler(dataset.src_lengths,
batch_size)`` (seeded and resumable like every sampler of ``shinsou.data``)::

    ds = ParallelDataset(en, ja, en_vocab, ja_vocab)
    loader = DataLoader(ds, batch_sampler=BucketBatchSampler(ds.src_lengths, 64, seed=0),
                        collate_fn=TranslationCollate(pad_index=0))
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .dataset import Dataset

__all__ = ["ParallelDataset", "TranslationCollate"]


class ParallelDataset(Dataset):
    """Sentence pairs encoded as ids: example i is ``(src_i, tgt_i)``, two int64 arrays,

        src_i = ids of the source tokens, then ``<eos>``            (S_i = |x_i| + 1)
        tgt_i = ``<bos>``, ids of the target tokens, ``<eos>``     (|y_i| + 2)

    so the decoder reads ``tgt_i[:-1]`` and is taught to predict ``tgt_i[1:]``.

    Args:
        src, tgt: lists of sentences (lists of str tokens), the same number of each.
        src_vocab, tgt_vocab: ``data.Vocabulary`` holding ``<bos>``/``<eos>`` (unknown words
            encode to ``<unk>``).
        max_len: drop the pairs where either side has more than ``max_len`` tokens (None:
            keep all). ``kept`` holds the original indices of the pairs kept.

    Attributes:
        src_lengths: (N,) int64 lengths S_i (with ``<eos>``), for ``BucketBatchSampler``.

    >>> from shinsou.data import Vocabulary
    >>> v = Vocabulary(["<pad>", "<unk>", "<bos>", "<eos>", "a", "b"])
    >>> ds = ParallelDataset([["a", "b"], ["b"]], [["b"], ["a", "zz"]], v, v)
    >>> ds[1]
    (array([5, 3]), array([2, 4, 1, 3]))
    >>> ds.src_lengths.tolist(), len(ds)
    ([3, 2], 2)
    """

    def __init__(
        self,
        src: Sequence[Sequence[str]],
        tgt: Sequence[Sequence[str]],
        src_vocab,
        tgt_vocab,
        max_len: int | None = None,
    ):
        if len(src) != len(tgt):
            raise ValueError(
                f"ParallelDataset: {len(src)} source sentences but {len(tgt)} target sentences"
            )
        if max_len is not None and max_len < 1:
            raise ValueError(f"ParallelDataset: max_len must be >= 1 or None, got {max_len}")
        s_eos = src_vocab.index("<eos>")
        t_bos, t_eos = tgt_vocab.index("<bos>"), tgt_vocab.index("<eos>")
        self.src_vocab, self.tgt_vocab = src_vocab, tgt_vocab
        self.src, self.tgt, self.kept = [], [], []
        for i, (x, y) in enumerate(zip(src, tgt)):
            if max_len is not None and (len(x) > max_len or len(y) > max_len):
                continue
            self.src.append(np.asarray(src_vocab.encode(x) + [s_eos], np.int64))
            self.tgt.append(np.asarray([t_bos] + tgt_vocab.encode(y) + [t_eos], np.int64))
            self.kept.append(i)
        self.src_lengths = np.asarray([len(s) for s in self.src], np.int64)

    def __len__(self) -> int:
        return len(self.src)

    def __getitem__(self, i):
        return self.src[i], self.tgt[i]


class TranslationCollate:
    """Pad a list of ``(src, tgt)`` id arrays into one batch (a dict of arrays; the
    DataLoader makes them Tensors):

    ===================  ===========  ==================================================
    key                  shape        meaning
    ===================  ===========  ==================================================
    ``src``              (N, S) i64   source ids, ``pad_index`` after each sentence's end
    ``src_lengths``      (N,) i64     S_n, the real length of each source
    ``src_padding_mask`` (N, S) bool  True at padding (PyTorch's ``key_padding_mask``)
    ``tgt_in``           (N, T) i64   ``tgt[:-1]``: the decoder's input (starts ``<bos>``)
    ``tgt_out``          (N, T) i64   ``tgt[1:]``: what it must predict (ends ``<eos>``)
    ``tgt_lengths``      (N,) i64     T_n = len(tgt) − 1
    ===================  ===========  ==================================================

    S and T are the longest in the batch. Padded places of ``tgt_out`` hold ``pad_index``,
    so ``F.cross_entropy(..., ignore_index=pad_index)`` leaves them out.

    A class (not a closure), so worker processes can receive it.

    >>> c = TranslationCollate(pad_index=0)
    >>> b = c([(np.array([5, 3]), np.array([2, 4, 3])), (np.array([3]), np.array([2, 3]))])
    >>> b["src"].tolist(), b["src_padding_mask"].tolist()
    ([[5, 3], [3, 0]], [[False, False], [False, True]])
    >>> b["tgt_in"].tolist(), b["tgt_out"].tolist(), b["tgt_lengths"].tolist()
    ([[2, 4], [2, 0]], [[4, 3], [3, 0]], [2, 1])
    """

    def __init__(self, pad_index: int = 0):
        self.pad_index = int(pad_index)

    def __call__(self, batch) -> dict:
        if not batch:
            raise ValueError("TranslationCollate: empty batch")
        srcs = [np.asarray(s, np.int64) for s, _ in batch]
        tgts = [np.asarray(t, np.int64) for _, t in batch]
        for i, t in enumerate(tgts):
            if t.ndim != 1 or len(t) < 2:
                raise ValueError(
                    f"TranslationCollate: example {i}'s target must hold at least <bos> and "
                    f"<eos> (1-D, length >= 2), got shape {t.shape}"
                )
        src, src_len = self._pad(srcs)
        tgt, tgt_len = self._pad(tgts)
        tgt_in = tgt[:, :-1].copy()
        # the <eos> of a shorter target is not an input: the decoder stops there
        tgt_in[np.arange(tgt_in.shape[1])[None, :] >= (tgt_len - 1)[:, None]] = self.pad_index
        return {
            "src": src,
            "src_lengths": src_len,
            "src_padding_mask": np.arange(src.shape[1])[None, :] >= src_len[:, None],
            "tgt_in": tgt_in,
            "tgt_out": tgt[:, 1:],
            "tgt_lengths": tgt_len - 1,
        }

    def _pad(self, seqs):
        lengths = np.asarray([len(s) for s in seqs], np.int64)
        out = np.full((len(seqs), int(lengths.max())), self.pad_index, np.int64)
        for i, s in enumerate(seqs):
            out[i, : len(s)] = s
        return out, lengths

    def __repr__(self) -> str:
        return f"TranslationCollate(pad_index={self.pad_index})"
