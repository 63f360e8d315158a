"""Reference data for shinsou.chainer.chainermn, made ONCE with real Chainer 7.8.1 (whose
package ships ChainerMN) on NumPy 1.26, from the repository root:

    /work/chainer-env/bin/python tests/chainer_ref/make_chainermn.py

Writes ``chainermn.json``: for several (n, size, root, shuffle, seed, force_equal_length),
the examples of ``numpy.arange(n)`` that real ``chainermn.scatter_dataset`` gives each rank
and the ``(b, e)`` of real ``chainermn.scatter_index``. The environment has no mpi4py, so the
P ranks are simulated in this one process by a communicator that implements what those two
functions call (``bcast_obj`` from the root, ``send_obj``/``recv_obj`` through a mailbox):
the root rank runs first and posts the messages the others then receive, which is the
order MPI would deliver them in. The arithmetic and the shuffling are Chainer's own code.
"""

import json
import os

import numpy

import chainermn

HERE = os.path.dirname(os.path.abspath(__file__))

# (n, size, root, shuffle, seed, force_equal_length)
CASES = [
    (10, 1, 0, False, None, True),
    (10, 2, 0, False, None, True),
    (10, 3, 0, False, None, True),
    (10, 3, 0, False, None, False),
    (11, 4, 1, False, None, True),
    (11, 4, 1, False, None, False),
    (7, 7, 0, False, None, True),
    (3, 5, 0, False, None, True),
    (3, 5, 2, False, None, False),
    (0, 2, 0, False, None, True),
    (20, 3, 0, True, 0, True),
    (20, 3, 2, True, 7, False),
    (13, 2, 0, True, 123, True),
    (1000, 6, 0, True, 1, True),
]


class SimulatedComm:
    """Rank ``rank`` of ``size``; the root's broadcasts and sends go through ``world``."""

    def __init__(self, rank, size, world):
        self.rank, self.size, self.world = rank, size, world

    def bcast_obj(self, obj, max_buf_len=None, root=0):
        if self.rank == root:
            self.world["bcast"] = obj
        return self.world["bcast"]

    def send_obj(self, obj, dest, tag=0):
        self.world.setdefault(dest, []).append(obj)

    def recv_obj(self, source, status=None, tag=None):
        return self.world[self.rank].pop(0)


def run(n, size, root, shuffle, seed, force):
    world_ds, world_ix = {}, {}
    order = [root] + [r for r in range(size) if r != root]
    pieces, ranges = {}, {}
    for r in order:
        ds = list(range(n)) if r == root else None
        sub = chainermn.scatter_dataset(
            ds,
            SimulatedComm(r, size, world_ds),
            root=root,
            shuffle=shuffle,
            seed=seed,
            force_equal_length=force,
        )
        pieces[r] = [int(v) for v in sub]
        ranges[r] = list(
            chainermn.scatter_index(
                n, SimulatedComm(r, size, world_ix), root=root, force_equal_length=force
            )
        )
    return [pieces[r] for r in range(size)], [ranges[r] for r in range(size)]


def main():
    out = []
    for n, size, root, shuffle, seed, force in CASES:
        pieces, ranges = run(n, size, root, shuffle, seed, force)
        out.append(
            {
                "n": n,
                "size": size,
                "root": root,
                "shuffle": shuffle,
                "seed": seed,
                "force_equal_length": force,
                "pieces": pieces,
                "ranges": ranges,
            }
        )
    with open(os.path.join(HERE, "chainermn.json"), "w") as f:
        json.dump({"chainer": chainermn.__version__, "numpy": numpy.__version__, "scatter": out}, f)
    print(f"wrote chainermn.json: {len(out)} cases")


if __name__ == "__main__":
    main()
