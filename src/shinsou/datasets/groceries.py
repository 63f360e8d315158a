"""The Groceries market-basket data (Hahsler et al., the arules R package; the CSV of B.
Lantz's *Machine Learning with R*): 9,835 shopping baskets of one month at a grocery store,
169 distinct items, 43,367 items in all.

The file ``groceries/groceries.csv`` (one basket a line, items comma-separated, no header) is
found in ``data_dir``, ``$SHINSOU_DATA`` or the download cache and checked against its MD5.
"""

from __future__ import annotations

import os

from .files import fetch

__all__ = ["load_groceries", "GROCERIES_URLS"]

# read at call time, so tests can point them at file:// copies
GROCERIES_URLS = [
    "https://raw.githubusercontent.com/stedy/Machine-Learning-with-R-datasets/master/groceries.csv"
]
_MD5 = "0a3d21c692be5c8ce55c93e59543dcbe"


def load_groceries(data_dir: str | os.PathLike | None = None) -> list[list[str]]:
    """The baskets, in file order, each a list of item names in the order written.

    Args:
        data_dir: a folder holding ``groceries/groceries.csv`` (searched first).
    Returns:
        9,835 lists of str (no basket repeats an item).

    Example (needs the file)::

        baskets = load_groceries()   # len(baskets) == 9835
        baskets[2]                   # ['whole milk']
    """
    path = fetch("groceries", "groceries.csv", md5=_MD5, urls=GROCERIES_URLS, data_dir=data_dir)
    baskets = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            items = [s.strip() for s in line.strip().split(",") if s.strip()]
            if items:
                baskets.append(list(dict.fromkeys(items)))
    return baskets
