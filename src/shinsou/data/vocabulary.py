"""A vocabulary: the map between tokens (words, shop items) and integer ids.

Ids are given in this order: the special tokens first (``specials``, by default just
``"<unk>"``), then the other tokens by decreasing count, ties broken by first appearance, so a
vocabulary built twice from the same corpus is the same. Tokens not in the vocabulary encode to
``unk_index`` (the id of ``"<unk>"``).
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterable, Sequence

from ..atomic import atomic_write

__all__ = ["Vocabulary"]

_FORMAT = "shinsou.Vocabulary/1"


def _flatten(tokens_or_sentences) -> Iterable[str]:
    # A flat token list, or a list of sentences (lists/tuples of tokens).
    for item in tokens_or_sentences:
        if isinstance(item, str):
            yield item
        elif isinstance(item, (list, tuple)):
            for token in item:
                if not isinstance(token, str):
                    raise TypeError(
                        f"Vocabulary.build: tokens must be str, got {type(token).__name__} "
                        f"({token!r}) inside a sentence"
                    )
                yield token
        else:
            raise TypeError(
                "Vocabulary.build: expected tokens (str) or sentences (lists of str), got "
                f"{type(item).__name__} ({item!r})"
            )


class Vocabulary:
    """Tokens ↔ ids.

    Args:
        itos: the tokens in id order (``itos[i]`` is the token with id ``i``); no duplicates.
        counts: how often each token was seen when the vocabulary was built (specials: 0
            unless they occurred in the corpus).
        unk: the token that unknown tokens map to, or None for a closed vocabulary (then
            encoding an unknown token is a ``KeyError``).

    Attributes:
        itos: list of tokens, id order.
        stoi: dict token → id.
        counts: dict token → count (a ``collections.Counter``).
        unk_index: id of ``unk`` (None when there is none).

    >>> v = Vocabulary.build(["the", "cat", "the", "dog", "the", "cat"])
    >>> v.itos
    ['<unk>', 'the', 'cat', 'dog']
    >>> v.encode(["the", "bird"])
    [1, 0]
    >>> v.decode([2, 3])
    ['cat', 'dog']
    >>> len(v), v.unk_index, v.counts["the"]
    (4, 0, 3)
    """

    def __init__(
        self,
        itos: Sequence[str],
        counts: dict[str, int] | None = None,
        unk: str | None = "<unk>",
    ):
        itos = list(itos)
        stoi: dict[str, int] = {}
        for i, token in enumerate(itos):
            if not isinstance(token, str):
                raise TypeError(f"Vocabulary: tokens must be str, got {token!r} at id {i}")
            if token in stoi:
                raise ValueError(
                    f"Vocabulary: token {token!r} appears twice (ids {stoi[token]}, {i})"
                )
            stoi[token] = i
        if unk is not None and unk not in stoi:
            raise ValueError(f"Vocabulary: the unknown token {unk!r} is not among the tokens")
        self.itos = itos
        self.stoi = stoi
        self.counts = Counter(counts or {})
        self.unk = unk
        self.unk_index = None if unk is None else stoi[unk]

    @classmethod
    def build(
        cls,
        tokens_or_sentences,
        min_count: int = 1,
        max_size: int | None = None,
        specials: Sequence[str] = ("<unk>",),
    ) -> Vocabulary:
        """Count tokens and keep the frequent ones.

        Args:
            tokens_or_sentences: an iterable of tokens (str), or of sentences (lists of str).
            min_count: keep tokens seen at least this often (specials are always kept).
            max_size: at most this many entries in all, specials included (None: no limit).
            specials: tokens put first, in this order; ``"<unk>"``, if among them, is the
                token unknown words map to (without it the vocabulary is closed).

        Returns:
            The Vocabulary, ids ordered specials first, then by decreasing count (ties: first
            appearance).

        >>> Vocabulary.build([["a", "b"], ["b", "c", "c", "c"]], min_count=2).itos
        ['<unk>', 'c', 'b']
        """
        if min_count < 1:
            raise ValueError(f"Vocabulary.build: min_count must be >= 1, got {min_count}")
        specials = list(specials)
        if len(set(specials)) != len(specials):
            raise ValueError(f"Vocabulary.build: specials repeat a token: {specials}")
        if max_size is not None and max_size < len(specials):
            raise ValueError(
                f"Vocabulary.build: max_size ({max_size}) is smaller than the number of "
                f"specials ({len(specials)})"
            )
        counts = Counter(_flatten(tokens_or_sentences))
        # Counter keeps first-appearance order; sorted() is stable, so ties keep it.
        ranked = sorted(
            (t for t, c in counts.items() if c >= min_count and t not in specials),
            key=lambda t: -counts[t],
        )
        itos = specials + ranked
        if max_size is not None:
            itos = itos[:max_size]
        return cls(itos, counts, unk="<unk>" if "<unk>" in specials else None)

    # issue 16: a corpus's own vocabulary file (small_parallel_enja's train.*.vocab.4k)
    @classmethod
    def from_file(
        cls,
        path: str | os.PathLike,
        specials: Sequence[str] = ("<unk>",),
        aliases: dict[str, str] | None = None,
    ) -> Vocabulary:
        """Read a vocabulary file of one token per line (the first whitespace-separated field
        of each line, so ``token count`` lines work too), the corpus's own order kept.

        Args:
            path: the file (UTF-8).
            specials: tokens put first, in this order; a special that the file also holds
                (directly or through ``aliases``) is not repeated.
            aliases: the file's names of specials, mapped to ours, e.g. ``{"<s>": "<bos>",
                "</s>": "<eos>"}``.

        Returns:
            A Vocabulary: ``specials``, then the file's other tokens in file order. Unknown
            tokens map to ``"<unk>"`` when it is among the specials (else it is closed).

        >>> import tempfile, pathlib
        >>> f = pathlib.Path(tempfile.mkdtemp()) / "vocab"
        >>> _ = f.write_text("<unk>\\n<s>\\n</s>\\nthe\\ncat\\n", encoding="utf-8")
        >>> v = Vocabulary.from_file(f, ("<pad>", "<unk>", "<bos>", "<eos>"),
        ...                          {"<s>": "<bos>", "</s>": "<eos>"})
        >>> v.itos
        ['<pad>', '<unk>', '<bos>', '<eos>', 'the', 'cat']
        """
        aliases = dict(aliases or {})
        specials = list(specials)
        if len(set(specials)) != len(specials):
            raise ValueError(f"Vocabulary.from_file: specials repeat a token: {specials}")
        itos = list(specials)
        seen = set(itos)
        with open(path, encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                fields = line.split()
                if not fields:
                    continue
                token = aliases.get(fields[0], fields[0])
                if token in seen:
                    if token in specials:
                        continue
                    raise ValueError(f"Vocabulary.from_file: {path}:{n} repeats token {token!r}")
                seen.add(token)
                itos.append(token)
        return cls(itos, unk="<unk>" if "<unk>" in specials else None)

    def index(self, token: str) -> int:
        """The id of ``token``, which must be in the vocabulary (no ``<unk>`` fallback): for
        special tokens such as ``"<pad>"``, ``"<bos>"``, ``"<eos>"``."""
        if token not in self.stoi:
            raise KeyError(f"Vocabulary: {token!r} is not in the vocabulary ({self!r})")
        return self.stoi[token]

    def __len__(self) -> int:
        return len(self.itos)

    def __contains__(self, token) -> bool:
        return token in self.stoi

    def __getitem__(self, token: str) -> int:
        """The id of ``token`` (``unk_index`` for an unknown token in an open vocabulary)."""
        i = self.stoi.get(token)
        if i is None:
            if self.unk_index is None:
                raise KeyError(f"Vocabulary: unknown token {token!r} and no <unk> to map it to")
            return self.unk_index
        return i

    def encode(self, tokens: Iterable[str]) -> list[int]:
        """Ids of ``tokens``; unknown tokens give ``unk_index``."""
        if isinstance(tokens, str):
            raise TypeError(
                "Vocabulary.encode: expected a sequence of tokens, got a str; split it first "
                "(e.g. text.split())"
            )
        return [self[t] for t in tokens]

    def decode(self, ids: Iterable[int]) -> list[str]:
        """Tokens of ``ids`` (ints or an integer array)."""
        out = []
        n = len(self.itos)
        for i in ids:
            i = int(i)
            if not 0 <= i < n:
                raise IndexError(f"Vocabulary.decode: id {i} is out of range [0, {n})")
            out.append(self.itos[i])
        return out

    def state_dict(self) -> dict:
        """A JSON-ready dict (format tag, tokens, counts, unknown token)."""
        return {
            "format": _FORMAT,
            "itos": list(self.itos),
            "counts": {t: int(c) for t, c in self.counts.items() if t in self.stoi},
            "unk": self.unk,
        }

    @classmethod
    def from_state_dict(cls, state: dict) -> Vocabulary:
        if state.get("format") != _FORMAT:
            raise ValueError(
                f"Vocabulary: not a vocabulary file (format {state.get('format')!r}, "
                f"expected {_FORMAT!r})"
            )
        return cls(state["itos"], state.get("counts"), unk=state.get("unk"))

    def save(self, path: str | os.PathLike) -> None:
        """Write the vocabulary as JSON, atomically (a reader sees the old or the new file).

        Counts are kept only for tokens in the vocabulary."""
        atomic_write(path, json.dumps(self.state_dict(), ensure_ascii=False))

    @classmethod
    def load(cls, path: str | os.PathLike) -> Vocabulary:
        """Read a vocabulary written by :meth:`save`."""
        with open(path, encoding="utf-8") as f:
            return cls.from_state_dict(json.load(f))

    def __eq__(self, other) -> bool:
        return isinstance(other, Vocabulary) and self.itos == other.itos and self.unk == other.unk

    __hash__ = None

    def __repr__(self) -> str:
        head = ", ".join(repr(t) for t in self.itos[:5])
        more = ", ..." if len(self.itos) > 5 else ""
        return f"Vocabulary({len(self)} tokens: [{head}{more}], unk={self.unk!r})"
