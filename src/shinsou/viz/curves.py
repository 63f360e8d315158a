"""Learning curves: loss, accuracy and learning rate per epoch, train beside validation."""

from __future__ import annotations

from pathlib import Path

from ._mpl import pyplot, save

__all__ = ["plot_learning_curves"]


def _x(entry: dict) -> float:
    return entry.get("epoch_detail", entry["epoch"])


def plot_learning_curves(log: list[dict], path, title: str | None = None) -> Path:
    """Draw the metrics of a training log (``trainer.log`` or ``read_log("log.jsonl")``) as
    one PNG with a panel per kind: loss (log scale), accuracy and learning rate (when
    logged). x is the epoch (``epoch_detail`` where logged, so an entry written mid-epoch, or
    one of several per epoch, sits where it was made: 2.5 is halfway through the third).

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
    kinds = [
        k for k in ("loss", "accuracy") if any(key.endswith("/" + k) for e in log for key in e)
    ]
    has_lr = any("lr" in e for e in log)
    n = len(kinds) + has_lr
    fig, axes = plt.subplots(1, max(n, 1), figsize=(4.5 * max(n, 1), 3.6), squeeze=False)
    axes = list(axes[0])
    for ax, kind in zip(axes, kinds):
        keys = sorted({k for e in log for k in e if k.endswith("/" + kind)})
        for key in keys:
            pts = [(_x(e), e[key]) for e in log if e.get(key) is not None]
            if pts:
                xs, ys = zip(*pts)
                ax.plot(xs, ys, marker="o", markersize=3, label=key.split("/")[0])
        ax.set_xlabel("epoch")
        ax.set_ylabel(kind)
        ax.set_title(kind)
        ax.grid(alpha=0.3)
        ax.legend()
        if kind == "loss":
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
