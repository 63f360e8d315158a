"""Write initializers.npz under real Chainer 7.8.1 (run once, in the Chainer env)::

    /work/chainer-env/bin/python tests/chainer_ref/make_initializers.py

For each entry of ``INITIALIZERS`` (the name, its keyword arguments and a shape): the array
``chainer.initializers.generate_array`` makes right after ``numpy.random.seed(3)``.
"""

import os
import warnings

import numpy as np

warnings.filterwarnings("ignore")

INITIALIZERS = [
    ("Normal", {}, (3, 4)),
    ("Normal", {"scale": 2.0}, (5,)),
    ("LeCunNormal", {}, (4, 3, 2, 2)),
    ("GlorotNormal", {"scale": 0.5}, (4, 6)),
    ("HeNormal", {}, (4, 6)),
    ("HeNormal", {"fan_option": "fan_out"}, (3, 2, 3, 3)),
    ("Uniform", {}, (3, 4)),
    ("LeCunUniform", {}, (4, 6)),
    ("GlorotUniform", {}, (2, 3, 3, 3)),
    ("HeUniform", {"scale": 2.0}, (4, 6)),
    ("Orthogonal", {}, (3, 5)),
    ("Orthogonal", {"scale": 1.0}, (6, 2)),
    ("Orthogonal", {}, (2, 2, 3)),
    ("Identity", {"scale": 2.0}, (3, 3)),
    ("Constant", {"fill_value": 0.25}, (2, 3)),
    ("Zero", {}, (2,)),
    ("One", {"dtype": np.float64}, (2, 2)),
]


def key(i, name):
    return f"{i}_{name}"


def main():
    import chainer

    data = {}
    for i, (name, kwargs, shape) in enumerate(INITIALIZERS):
        np.random.seed(3)
        init = getattr(chainer.initializers, name)(**kwargs)
        data[key(i, name)] = chainer.initializers.generate_array(init, shape, np)
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "initializers.npz")
    np.savez_compressed(out, **data)
    print(out, os.path.getsize(out))


if __name__ == "__main__":
    main()
