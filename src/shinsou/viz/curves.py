"""Learning curves: loss, accuracy and learning rate per epoch, train beside validation."""

from __future__ import annotations

from pathlib import Path

from ._mpl import pyplot, save

__all__ = ["plot_learning_curves"]


def _x(entry: dict) -> float:
    return entry.get("epoch_detail", entry["epoch"])


def _kind(key: str) -> str:
    """The panel of a log key: ``train/loss_gen`` -> loss, ``val/accuracy`` -> accuracy."""
    name = key.split("/", 1)[1]
    return "loss" if name.startswith("loss_") else name


def plot_learning_curves(log: list[dict], path, title: str | None = None) -> Path:
    """Draw the metrics of a training log (``trainer.log`` or ``read_log("log.jsonl")``) as
    one PNG with a panel per kind: loss (log scale; ``loss_gen``/``loss_dis`` of a GAN share
    it), accuracy, any other metric logged as ``split/name`` (perplexity, ...), and the
    learning rate (when logged). x is the epoch (``epoch_detail`` where logged, so an entry
    written mid-epoch, or one of several per epoch, sits where it was made: 2.5 is halfway
    through the third).

    Args:
        log: entries with ``epoch`` and keys like ``train/loss``, ``val/loss``,
            ``train/accuracy``, ``val/accuracy``, ``lr``.
        path: the PNG to write.
    Returns:
        the path written.
    """
    plt = pyplot()
    if not log:
        raise ValueError("plot_learning_curves: the log is empty")
    found = {_kind(key) for e in log for key in e if "/" in key}
    # loss and accuracy first, then other metrics (perplexity, d_real, ...) by name
    kinds = [k for k in ("loss", "accuracy") if k in found]
    kinds += sorted(found - {"loss", "accuracy"})
    has_lr = any("lr" in e for e in log)
    n = len(kinds) + has_lr
    fig, axes = plt.subplots(1, max(n, 1), figsize=(4.5 * max(n, 1), 3.6), squeeze=False)
    axes = list(axes[0])
    for ax, kind in zip(axes, kinds):
        keys = sorted({k for e in log for k in e if "/" in k and _kind(k) == kind})
        for key in keys:
            pts = [(_x(e), e[key]) for e in log if isinstance(e.get(key), int | float)]
            if pts:
                xs, ys = zip(*pts)
                split, name = key.split("/", 1)
                label = split if name == kind else f"{split} {name.removeprefix(kind + '_')}"
                ax.plot(xs, ys, marker="o", markersize=3, label=label)
        ax.set_xlabel("epoch")
        ax.set_ylabel(kind)
        ax.set_title(kind)
        ax.grid(alpha=0.3)
        ax.legend()
        if kind == "loss" and all(y > 0 for ln in ax.get_lines() for y in ln.get_ydata()):
            ax.set_yscale("log")
    if has_lr:
        ax = axes[len(kinds)]
        pts = [(_x(e), e["lr"]) for e in log if e.get("lr")]
        if pts:
            xs, ys = zip(*pts)
            ax.plot(xs, ys, marker="o", markersize=3, color="tab:green")
            ax.set_ylim(bottom=0)
        ax.set_xlabel("epoch")
        ax.set_title("learning rate (mean over the epoch)")
        ax.grid(alpha=0.3)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    save(fig, path)
    return Path(path)
