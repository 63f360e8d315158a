"""Run the Chainer-style scripts of ``scripts/`` under real Chainer 7.8.1 and write the
numbers each collects in ``results`` to ``scripts.json`` (run once, in the Chainer env)::

    /work/chainer-env/bin/python tests/chainer_ref/make_scripts.py
"""

import json
import os
import warnings

warnings.filterwarnings("ignore")
HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPTS = ["gan", "ptb", "vae"]


def run(name):
    path = os.path.join(HERE, "scripts", f"{name}.py")
    ns = {"__name__": "__main__", "__file__": path}
    with open(path) as f:
        exec(compile(f.read(), path, "exec"), ns)
    return ns["results"]


def main():
    out = {name: run(name) for name in SCRIPTS}
    with open(os.path.join(HERE, "scripts.json"), "w") as f:
        json.dump(out, f, indent=1)
    print({k: len(v) for k, v in out.items()})


if __name__ == "__main__":
    main()
