"""What translation recipes share: teacher-forced loss on a held-out set, decoding a whole
corpus in batches, BLEU (sacrebleu on the corpus's own tokens), and attention heat maps.

The task class itself (``Translation``: metrics, the ``translate`` command) lives in
``tasks.language`` beside language modelling.
"""

from __future__ import annotations

import math
import time

import numpy as np

__all__ = [
    "evaluate_translation_loss",
    "translate_ids",
    "corpus_bleu",
    "plot_attention",
    "plot_attention_grid",
]


def evaluate_translation_loss(model, loader, pad_index: int = 0, prefix: str = "val",
                              comm=None) -> dict:  # fmt: skip
    """Teacher-forced loss of ``model`` over every batch of ``loader`` (eval mode, no graph).

    With M the target tokens that are not padding, ``loss`` = (1/M) Σ −log p(y_t | y_<t, x)
    (no label smoothing: the model's real likelihood) and ``perplexity`` = exp(loss).

    Args:
        model: ``model(src, src_lengths, tgt_in) -> logits (N, T, V)``.
        loader: batches as made by ``data.TranslationCollate`` (dicts of Tensors).
        pad_index: the padding id of the targets.
        prefix: the split's name in the keys.
        comm: a data-parallel job's communicator (``shinsou.distributed``): rank r of P
            evaluates batches r, r + P, ... and the sums are added over the ranks, so every
            rank gets the numbers of the whole loader.

    Returns:
        ``{prefix + "/loss": float, prefix + "/perplexity": float}``.
    """
    from .. import functional as F
    from ..core.grad_mode import no_grad

    was = model.training
    model.eval()
    total, count = 0.0, 0
    try:
        with no_grad():
            rank, ranks = (comm.rank, comm.size) if comm is not None else (0, 1)
            for i, b in enumerate(loader):
                if i % ranks != rank:
                    continue
                logits = model(b["src"], b["src_lengths"], b["tgt_in"])
                t = b["tgt_out"].reshape(-1)
                n = int((t.numpy() != pad_index).sum())
                loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), t,
                                       ignore_index=pad_index)  # fmt: skip
                total += loss.item() * n
                count += n
    finally:
        model.train(was)
    if comm is not None and comm.size > 1:
        total, count = comm.allreduce(np.array([total, count], np.float64)).tolist()
    if count == 0:
        raise ValueError("evaluate_translation_loss: the loader holds no target tokens")
    loss = total / count
    return {f"{prefix}/loss": loss, f"{prefix}/perplexity": math.exp(min(loss, 50.0))}


def translate_ids(
    model,
    sources,
    *,
    bos: int,
    eos: int,
    pad_index: int = 0,
    beam_size: int = 1,
    alpha: float = 0.0,
    max_len: int = 100,
    batch_size: int = 64,
    device=None,
) -> tuple[list[list[int]], float]:
    """Translate many sources: sorted by length, decoded ``batch_size`` at a time (greedy
    for ``beam_size=1``, else beam search with GNMT's length penalty α), returned in the
    input order.

    Args:
        sources: a list of 1-D int id arrays (each ending in ``<eos>``, as the model was
            trained).
        max_len: the most target tokens per sentence.

    Returns:
        ``(hypotheses, seconds)``: the output ids of each source (without ``<bos>``/
        ``<eos>``) and the wall time spent decoding.
    """
    from ..core.tensor import Tensor
    from ..decoding import beam_search, greedy_decode

    order = np.argsort([len(s) for s in sources], kind="stable")
    out: list[list[int] | None] = [None] * len(sources)
    start = time.perf_counter()
    for s in range(0, len(order), batch_size):
        idx = order[s : s + batch_size]
        lengths = np.asarray([len(sources[i]) for i in idx], np.int64)
        src = np.full((len(idx), lengths.max()), pad_index, np.int64)
        for r, i in enumerate(idx):
            src[r, : lengths[r]] = sources[i]
        src_t, len_t = Tensor(src, device=device), Tensor(lengths, device=device)
        if beam_size == 1:
            toks, _ = greedy_decode(model, src_t, len_t, bos=bos, eos=eos, max_len=max_len)
        else:
            toks, _ = beam_search(model, src_t, len_t, bos=bos, eos=eos, beam_size=beam_size,
                                  max_len=max_len, alpha=alpha)  # fmt: skip
        for r, i in enumerate(idx):
            out[i] = toks[r]
    return out, time.perf_counter() - start


def corpus_bleu(hypotheses, references) -> float:
    """Corpus BLEU (Papineni et al. 2002) of tokenised sentences, by sacrebleu with
    ``tokenize="none"``: the corpus's own tokens are the words (for small_parallel_enja:
    KyTea's Japanese segmentation), 4-gram precisions, brevity penalty, no smoothing.

    Args:
        hypotheses: the system's sentences, each a list of tokens (or a space-joined str).
        references: one reference per sentence, the same form.

    Returns:
        BLEU in [0, 100].

    >>> round(corpus_bleu([["a", "b", "c", "d"]], [["a", "b", "c", "d"]]), 6)
    100.0
    """
    try:
        import sacrebleu
    except ImportError:
        raise ImportError(
            "BLEU needs sacrebleu, an optional dependency: pip install 'shinsou[translate]'"
        ) from None
    if len(hypotheses) != len(references):
        raise ValueError(
            f"corpus_bleu: {len(hypotheses)} hypotheses but {len(references)} references"
        )

    def text(s):
        return s if isinstance(s, str) else " ".join(s)

    hyps = [text(h) for h in hypotheses]
    refs = [text(r) for r in references]
    return float(sacrebleu.corpus_bleu(hyps, [refs], tokenize="none").score)


def _font():
    """A matplotlib font family that has Japanese glyphs, if one is installed (else the
    default: the heat map still draws, the axis labels may show boxes)."""
    from matplotlib import font_manager

    names = {f.name for f in font_manager.fontManager.ttflist}
    for name in ("Noto Sans CJK JP", "Noto Sans JP", "IPAexGothic", "IPAGothic", "TakaoGothic",
                 "VL Gothic", "Droid Sans Fallback"):  # fmt: skip
        if name in names:
            return name
    return None


def _heat(ax, weights, src_tokens, tgt_tokens, title, font):
    ax.imshow(weights, cmap="viridis", vmin=0.0, vmax=max(float(np.max(weights)), 1e-9),
              aspect="auto")  # fmt: skip
    kw = {"fontfamily": font} if font else {}
    ax.set_xticks(range(len(src_tokens)))
    ax.set_xticklabels(src_tokens, rotation=90, fontsize=7, **kw)
    ax.set_yticks(range(len(tgt_tokens)))
    ax.set_yticklabels(tgt_tokens, fontsize=7, **kw)
    ax.set_title(title, fontsize=8)


def plot_attention(path, weights, src_tokens, tgt_tokens, title: str = "") -> None:
    """A heat map of attention weights: row t (an output token) over column s (a source
    token), darker = less weight.

    Args:
        path: the PNG to write.
        weights: (T, S) array, rows summing to 1.
        src_tokens: S labels of the columns; tgt_tokens: T labels of the rows.
    """
    from ..viz._mpl import pyplot, save

    weights = np.asarray(weights, np.float64)
    if weights.shape != (len(tgt_tokens), len(src_tokens)):
        raise ValueError(
            f"plot_attention: weights {weights.shape} do not match {len(tgt_tokens)} output "
            f"and {len(src_tokens)} source tokens"
        )
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(1.2 + 0.3 * len(src_tokens), 1.2 + 0.3 * len(tgt_tokens)))
    _heat(ax, weights, src_tokens, tgt_tokens, title, _font())
    _save_quietly(fig, path, save)


def plot_attention_grid(path, weights, src_tokens, tgt_tokens, title: str = "") -> None:
    """Heat maps of several attention distributions of one sentence, one panel each:
    ``weights`` (L, H, T, S), row l = a layer, column h = a head (the Transformer's
    cross-attention)."""
    from ..viz._mpl import pyplot, save

    weights = np.asarray(weights, np.float64)
    if weights.ndim != 4 or weights.shape[2:] != (len(tgt_tokens), len(src_tokens)):
        raise ValueError(
            f"plot_attention_grid: expected weights (layers, heads, {len(tgt_tokens)}, "
            f"{len(src_tokens)}), got {weights.shape}"
        )
    L, H = weights.shape[:2]
    plt = pyplot()
    w = 1.0 + 0.25 * len(src_tokens)
    h = 1.0 + 0.25 * len(tgt_tokens)
    fig, axes = plt.subplots(L, H, figsize=(w * H, h * L), squeeze=False)
    font = _font()
    for i in range(L):
        for j in range(H):
            _heat(axes[i, j], weights[i, j], src_tokens, tgt_tokens,
                  f"layer {i + 1}, head {j + 1}", font)  # fmt: skip
    if title:
        fig.suptitle(title, fontsize=9)
    _save_quietly(fig, path, save)


def _save_quietly(fig, path, save) -> None:
    # Without a Japanese font matplotlib warns once per missing glyph; the picture is
    # still right (boxes for the labels), so keep the console readable.
    import warnings

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*[Gg]lyph.*missing.*")
        warnings.filterwarnings("ignore", message=".*missing from font.*")
        fig.tight_layout()
        save(fig, path)
