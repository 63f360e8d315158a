"""``python -m shinsou.chainer [--check] SCRIPT.py [ARGS]``: the import hook that makes
``chainer`` and ``chainer.*`` resolve to ``shinsou.chainer`` (the same module objects, also
when another ``chainer`` package is importable), running a script as ``python SCRIPT.py``
would, and ``--check``. Scripts here use only modules that surely exist (``chainer.datasets``,
``chainer.dataset``, ``chainer.iterators``) and names that surely do not (``NotALink``)."""

import os
import subprocess
import sys
import textwrap

import pytest

import shinsou.chainer
from shinsou.chainer import _runner

SRC = os.path.join(os.path.dirname(__file__), "..", "src")


@pytest.fixture
def hook():
    saved_path = list(sys.path)
    finder = _runner.install_import_hook()
    try:
        yield finder
    finally:
        _runner.remove_import_hook(finder)
        sys.path[:] = saved_path


def test_hook_gives_shinsou_modules(hook):
    import chainer
    import chainer.dataset.convert
    import chainer.datasets as D
    from chainer.iterators import SerialIterator

    assert chainer is shinsou.chainer
    assert D is shinsou.chainer.datasets
    assert chainer.dataset.convert is shinsou.chainer.dataset.convert
    assert SerialIterator is shinsou.chainer.iterators.SerialIterator
    assert sys.modules["chainer.datasets"] is shinsou.chainer.datasets
    # The shinsou modules keep their own identity.
    assert shinsou.chainer.datasets.__spec__.name == "shinsou.chainer.datasets"
    with pytest.raises(ModuleNotFoundError, match="does not provide chainer.no_such_module"):
        import chainer.no_such_module  # noqa: F401
    with pytest.raises(ImportError, match="does not provide chainer.datasets.no_such_thing yet"):
        from chainer.datasets import no_such_thing  # noqa: F401


def test_hook_wins_over_another_chainer(hook, tmp_path):
    # A real `chainer` package importable on sys.path (here a stand-in) is not used.
    fake = tmp_path / "chainer"
    fake.mkdir()
    (fake / "__init__.py").write_text("IMPOSTOR = True\n")
    (fake / "datasets.py").write_text("IMPOSTOR = True\n")
    sys.path.insert(0, str(tmp_path))
    import chainer
    import chainer.datasets

    assert chainer is shinsou.chainer and not hasattr(chainer.datasets, "IMPOSTOR")


def test_remove_hook_forgets_aliases():
    finder = _runner.install_import_hook()
    import chainer  # noqa: F401

    _runner.remove_import_hook(finder)
    assert "chainer" not in sys.modules and finder not in sys.meta_path


def run_module(*args, cwd):
    env = dict(os.environ, PYTHONPATH=os.path.abspath(SRC), SHINSOU_NUM_THREADS="1")
    return subprocess.run(
        [sys.executable, "-m", "shinsou.chainer", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_run_script_like_python(tmp_path):
    scripts = tmp_path / "scripts"
    scripts.mkdir()
    (scripts / "helper.py").write_text("VALUE = 42\n")
    (scripts / "train.py").write_text(
        textwrap.dedent(
            """
            import sys
            import numpy
            import chainer
            from chainer import datasets, iterators
            import helper  # found next to the script: its folder is sys.path[0]

            def main():
                ds = datasets.TupleDataset(numpy.arange(4), numpy.arange(4) * 10)
                it = iterators.SerialIterator(ds, 3, shuffle=False)
                x, t = chainer.dataset.concat_examples(next(it))
                print("argv", sys.argv)
                print("main", __name__, chainer.__name__, helper.VALUE, t.tolist())
                sys.exit(int(sys.argv[-1]))

            if __name__ == "__main__":
                main()
            """
        )
    )
    res = run_module("scripts/train.py", "--epoch", "1", "3", cwd=tmp_path)
    assert res.returncode == 3, res.stderr
    assert "argv ['scripts/train.py', '--epoch', '1', '3']" in res.stdout
    assert "main __main__ shinsou.chainer 42 [0, 10, 20]" in res.stdout


def test_traceback_points_at_script(tmp_path):
    script = tmp_path / "boom.py"
    script.write_text("import chainer\n\n\ndef f():\n    raise KeyError('lost')\n\n\nf()\n")
    res = run_module(str(script), cwd=tmp_path)
    assert res.returncode == 1
    err = res.stderr
    assert err.startswith("Traceback (most recent call last):")
    assert f'File "{script}", line 8, in <module>' in err
    assert f'File "{script}", line 5, in f' in err and "KeyError: 'lost'" in err
    assert "runpy" not in err and "_runner" not in err
    # A syntax error is reported as Python does: where it is, no traceback of the runner.
    script.write_text("import chainer\ndef (:\n")
    res = run_module(str(script), cwd=tmp_path)
    assert res.returncode == 1 and "_runner" not in res.stderr
    assert f'File "{script}", line 2' in res.stderr and "SyntaxError" in res.stderr
    # An import of a name that is not provided: the clear message, and still no runner frames.
    script.write_text("from chainer.datasets import NoSuchThing\n")
    res = run_module(str(script), cwd=tmp_path)
    assert res.returncode == 1 and "_runner" not in res.stderr
    assert f'File "{script}", line 1, in <module>' in res.stderr
    assert res.stderr.rstrip().endswith(
        "ModuleNotFoundError: shinsou.chainer does not provide chainer.datasets.NoSuchThing yet "
        "(no module shinsou.chainer.datasets.NoSuchThing; see docs/chainer.md for what is covered)"
    )


def test_usage_and_bad_options(capsys):
    assert _runner.main(["--help"]) == 0
    assert "--check" in capsys.readouterr().out
    assert _runner.main([]) == 2
    assert _runner.main(["--frobnicate", "x.py"]) == 2
    assert "unknown option" in capsys.readouterr().err
    assert _runner.main(["no_such_script.py"]) == 2


CHECKED = """\
import chainer
import chainer.datasets as D
import chainer.no_such_module
from chainer import iterators as I
from chainer.dataset import concat_examples, no_such_function
from chainer.links import NotALink


def build(data):
    ds = D.TupleDataset(data, data)
    it = I.SerialIterator(ds, 2)
    it2 = I.NoSuchIterator(ds)
    D.cache_note = "set on the module: only chainer.datasets must exist"
    return chainer.datasets.split_dataset_random(ds, 1), chainer.links.NotALink(3), it, it2
"""


def test_check_lists_missing_names(tmp_path, capsys):
    script = tmp_path / "uses.py"
    script.write_text(CHECKED)
    missing = {m.name: m for m in _runner.check_source(CHECKED)}
    assert set(missing) == {
        "chainer.no_such_module",
        "chainer.dataset.no_such_function",
        "chainer.links.NotALink",
        "chainer.iterators.NoSuchIterator",
    }
    assert missing["chainer.links.NotALink"].lineno == 6  # first use
    assert missing["chainer.iterators.NoSuchIterator"].lineno == 12
    assert _runner.main(["--check", str(script)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert (
        f"{script}:12: chainer.iterators.NoSuchIterator is not provided by shinsou.chainer" in out
    )
    assert out[-1] == f"{script}: 4 chainer name(s) not provided by shinsou.chainer"


def test_check_passes_and_does_not_run(tmp_path, capsys):
    script = tmp_path / "fine.py"
    script.write_text(
        "import chainer\nfrom chainer.iterators import SerialIterator\n"
        "raise SystemExit('the script must not run under --check')\n"
        "chainer.datasets.TupleDataset, chainer.dataset.convert.concat_examples\n"
    )
    assert _runner.main(["--check", str(script)]) == 0
    assert "every chainer name it uses is provided" in capsys.readouterr().out
    bad = tmp_path / "bad.py"
    bad.write_text("import chainer\ndef (:\n")
    assert _runner.main(["--check", str(bad)]) == 2


def test_resolve():
    assert _runner.resolve("chainer.iterators.SerialIterator") is None
    assert _runner.resolve("chainer.dataset.convert.to_device") is None  # via a submodule
    assert _runner.resolve("chainer.links.NotALink") in ("chainer.links", "chainer.links.NotALink")
    with pytest.raises(ValueError, match="chainer"):
        _runner.resolve("numpy.zeros")
