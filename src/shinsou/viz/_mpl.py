"""Import matplotlib for writing files (no screen needed), with a clear message if absent."""

from __future__ import annotations


def pyplot():
    """``matplotlib.pyplot`` on the file-only Agg backend."""
    try:
        import matplotlib
    except ImportError:
        raise ImportError(
            "shinsou.viz draws with matplotlib, which is not installed: "
            "pip install matplotlib (or the 'plot' extra: pip install -e '.[plot]')"
        ) from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save(fig, path, dpi: int = 100) -> None:
    """Save a figure atomically as PNG and close it."""
    from ..atomic import atomic_open

    plt = pyplot()
    with atomic_open(path, "wb") as f:
        fig.savefig(f, format="png", dpi=dpi)
    plt.close(fig)
