"""``python -m shinsou.chainer [--check] SCRIPT.py [ARGS...]``: run a Chainer script on shinsou.

Two pieces:

- An import hook (:class:`ChainerAliasFinder`, installed by :func:`install_import_hook`): a
  ``sys.meta_path`` finder placed first, so that ``import chainer`` and every
  ``import chainer.<sub>`` give the very module objects ``shinsou.chainer`` and
  ``shinsou.chainer.<sub>`` (``chainer.functions is shinsou.chainer.functions``), even when the
  real ``chainer`` package is installed too.
- :func:`main`: runs the script as ``python SCRIPT.py ARGS...`` would (``__name__ ==
  "__main__"``, ``sys.argv == [SCRIPT, *ARGS]``, the script's folder first on ``sys.path``, its
  exit status passed through, a traceback that starts in the script), or with ``--check``
  lists the ``chainer.*`` names the script uses that shinsou.chainer does not provide, without
  running it (see :func:`check_script`).
"""

from __future__ import annotations

import ast
import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import io
import os
import sys
import traceback
import types
from dataclasses import dataclass

__all__ = [
    "ALIASES",
    "ChainerAliasFinder",
    "install_import_hook",
    "remove_import_hook",
    "resolve",
    "MissingName",
    "check_source",
    "check_script",
    "main",
]

# Top-level module names the hook redirects, and where to.
ALIASES = {"chainer": "shinsou.chainer", "chainermn": "shinsou.chainer.chainermn"}

USAGE = """usage: python -m shinsou.chainer [--check] SCRIPT.py [ARGS...]

Run a script written for Chainer 7 on shinsou: `chainer` and every `chainer.*` module resolve
to `shinsou.chainer` (and `chainermn` to `shinsou.chainer.chainermn`: run a ChainerMN script
with `mpiexec -n P python -m shinsou.chainer SCRIPT.py`). ARGS are passed to the script as
its sys.argv[1:].

  --check   do not run the script; list the chainer.* names it uses that shinsou.chainer does
            not provide (exit status 1 if there are any, 0 if none)
  -h, --help  show this message
"""


def _target_name(fullname: str) -> str | None:
    """``"chainer.links.model"`` -> ``"shinsou.chainer.links.model"``; None if not aliased."""
    head, dot, rest = fullname.partition(".")
    if head not in ALIASES:
        return None
    return ALIASES[head] + dot + rest


class _AliasLoader(importlib.abc.Loader):
    """Returns the already-imported shinsou module as the module of the alias name."""

    def create_module(self, spec):
        module = importlib.import_module(spec.loader_state)
        self._real_spec = module.__spec__
        return module

    def exec_module(self, module):
        # The import system has just set ``module.__spec__`` to the alias's spec; give the
        # shinsou module its own back, so that reload() and find_spec() keep working.
        module.__spec__ = self._real_spec


class ChainerAliasFinder(importlib.abc.MetaPathFinder):
    """Finds ``chainer`` and ``chainer.*`` as ``shinsou.chainer`` and ``shinsou.chainer.*``.

    A name that shinsou.chainer does not have raises ``ModuleNotFoundError`` saying
    ``shinsou.chainer does not provide chainer.X yet`` (the real package is never used).
    """

    def find_spec(self, fullname, path=None, target=None):
        target_name = _target_name(fullname)
        if target_name is None:
            return self._check_shinsou_submodule(fullname, path, target)
        try:
            found = importlib.util.find_spec(target_name)
        except ModuleNotFoundError:
            found = None
        if found is None:
            # name= is the shinsou module, not ``fullname``: ``from chainer import training``
            # then shows this message rather than "cannot import name 'training'" (the import
            # system silences a ModuleNotFoundError only when its name is the one it tried).
            raise ModuleNotFoundError(
                f"shinsou.chainer does not provide {fullname} yet "
                f"(no module {target_name}; see docs/chainer.md for what is covered)",
                name=target_name,
            )
        return importlib.machinery.ModuleSpec(
            fullname,
            _AliasLoader(),
            loader_state=target_name,
            is_package=found.submodule_search_locations is not None,
        )

    def _check_shinsou_submodule(self, fullname, path, target):
        """``from chainer import training`` looks for ``shinsou.chainer.training`` (the module's
        real name) directly; when no other finder has it, say so clearly here, since the import
        system would otherwise report only "cannot import name 'training'"."""
        # the longest target that matches: shinsou.chainer.chainermn.x is chainermn.x
        alias = max(
            (a for a, t in ALIASES.items() if fullname.startswith(t + ".")),
            key=lambda a: len(ALIASES[a]),
            default=None,
        )
        if alias is None:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            if finder.find_spec(fullname, path, target) is not None:
                return None  # it exists: the normal finders import it
        chainer_name = alias + fullname[len(ALIASES[alias]) :]
        raise ModuleNotFoundError(
            f"shinsou.chainer does not provide {chainer_name} yet "
            f"(no module {fullname}; see docs/chainer.md for what is covered)",
            name=chainer_name,
        )


def install_import_hook() -> ChainerAliasFinder:
    """Put the alias finder first on ``sys.meta_path`` (once) and forget any real ``chainer``
    modules imported before, so that the next ``import chainer`` gives shinsou's.

    Returns:
        The installed finder (pass it to :func:`remove_import_hook` to undo).

    >>> finder = install_import_hook()
    >>> import chainer.datasets, shinsou.chainer.datasets
    >>> chainer.datasets is shinsou.chainer.datasets
    True
    >>> remove_import_hook(finder)
    """
    for finder in sys.meta_path:
        if isinstance(finder, ChainerAliasFinder):
            sys.meta_path.remove(finder)
            sys.meta_path.insert(0, finder)
            return finder
    for name in list(sys.modules):
        if _target_name(name) is not None:
            module = sys.modules[name]
            if not getattr(module, "__name__", "").startswith("shinsou."):
                del sys.modules[name]
    finder = ChainerAliasFinder()
    sys.meta_path.insert(0, finder)
    return finder


def remove_import_hook(finder: ChainerAliasFinder | None = None) -> None:
    """Take the alias finder off ``sys.meta_path`` and drop the ``chainer`` aliases from
    ``sys.modules`` (the ``shinsou.chainer`` modules themselves stay imported)."""
    for f in list(sys.meta_path):
        if f is finder or (finder is None and isinstance(f, ChainerAliasFinder)):
            sys.meta_path.remove(f)
    for name in list(sys.modules):
        if _target_name(name) is not None:
            del sys.modules[name]


# ---------------------------------------------------------------------------------------------
# --check: which chainer.* names does a script use that shinsou.chainer does not provide?


def resolve(dotted: str) -> str | None:
    """Whether ``shinsou.chainer`` provides the Chainer name ``dotted``.

    The name is walked one part at a time from the ``chainer`` package: an attribute of a module
    (what ``from chainer.x import y`` or ``chainer.x.y`` would find), or else its submodule
    (imported). Once the walk reaches something that is not a module (a class, a function, the
    config object), the rest of the name is an attribute of that object and is not checked.

    Args:
        dotted: a Chainer name, e.g. ``"chainer.links.Linear"``.

    Returns:
        None when it is provided, else the first missing prefix (e.g. ``"chainer.training"``).

    >>> resolve("chainer.datasets.TupleDataset") is None
    True
    >>> resolve("chainer.datasets.NotADataset")
    'chainer.datasets.NotADataset'
    """
    parts = dotted.split(".")
    target = _target_name(parts[0])
    if target is None:
        raise ValueError(f"resolve: expected a chainer.* name, got {dotted!r}")
    try:
        obj = importlib.import_module(target)
    except ImportError:
        return parts[0]
    for i, part in enumerate(parts[1:], start=1):
        if not isinstance(obj, types.ModuleType):
            return None
        try:
            obj = getattr(obj, part)
            continue
        except AttributeError:
            pass
        try:
            obj = importlib.import_module(f"{obj.__name__}.{part}")
        except ImportError:
            return ".".join(parts[: i + 1])
    return None


@dataclass(frozen=True)
class MissingName:
    """A ``chainer.*`` name used at ``lineno`` of a script; ``missing`` is its first part that
    shinsou.chainer does not provide (equal to ``name`` or a prefix of it)."""

    name: str
    lineno: int
    missing: str

    def describe(self, filename: str) -> str:
        why = "" if self.missing == self.name else f" ({self.missing} is missing)"
        return f"{filename}:{self.lineno}: {self.name} is not provided by shinsou.chainer{why}"


class _ChainerNames(ast.NodeVisitor):
    """Collects (dotted chainer name, line, is_store) from imports and attribute chains."""

    def __init__(self):
        self.bound: dict[str, str] = {}  # local name -> chainer dotted name it stands for
        self.uses: list[tuple[str, int, bool]] = []

    def visit_Import(self, node):
        for alias in node.names:
            if _target_name(alias.name) is None:
                continue
            self.uses.append((alias.name, node.lineno, False))
            if alias.asname:
                self.bound[alias.asname] = alias.name
            else:
                head = alias.name.split(".")[0]
                self.bound[head] = head

    def visit_ImportFrom(self, node):
        if node.level or not node.module or _target_name(node.module) is None:
            return
        for alias in node.names:
            if alias.name == "*":  # only the module itself is known to be used
                self.uses.append((node.module, node.lineno, False))
                continue
            full = f"{node.module}.{alias.name}"
            self.uses.append((full, node.lineno, False))
            self.bound[alias.asname or alias.name] = full

    def visit_Attribute(self, node):
        chain = []
        cur = node
        while isinstance(cur, ast.Attribute):
            chain.append(cur.attr)
            cur = cur.value
        if isinstance(cur, ast.Name):
            chain.append(cur.id)
            chain.reverse()
            # The whole chain as one use; an assignment target's last part is being set, so
            # only what it is set on must exist.
            store = isinstance(node.ctx, ast.Store | ast.Del)
            self.uses.append(("\0" + ".".join(chain), node.lineno, store))
            return  # the inner Attribute nodes are prefixes of this chain
        self.generic_visit(node)


def check_source(source: str, filename: str = "<script>") -> list[MissingName]:
    """The ``chainer.*`` names that ``source`` uses and shinsou.chainer does not provide.

    Names come from ``import chainer...``, ``from chainer... import ...`` (with ``as``
    aliases: ``import chainer.functions as F`` makes ``F.relu`` mean
    ``chainer.functions.relu``) and attribute chains on those names
    (``chainer.training.extensions.LogReport``). Each missing name is listed once, at its
    first line. "Provided" is what :func:`resolve` finds by importing shinsou.chainer.

    Args:
        source: the script's text.
        filename: used in syntax errors.

    Returns:
        A list of :class:`MissingName`, in order of first use.

    Raises:
        SyntaxError: the script does not parse.

    >>> src = "import chainer.datasets as D\\nD.TupleDataset\\nD.NoSuchThing"
    >>> [m.name for m in check_source(src)]
    ['chainer.datasets.NoSuchThing']
    """
    tree = ast.parse(source, filename=filename)
    visitor = _ChainerNames()
    # Imports first (anywhere in the file), so uses before a nested import are still known.
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            visitor.visit(node)
    uses = [u for u in visitor.uses]
    visitor.uses = []
    visitor.visit(tree)
    for name, lineno, store in visitor.uses:
        if name.startswith("\0"):
            head, *rest = name[1:].split(".")
            if head not in visitor.bound:
                continue
            parts = visitor.bound[head].split(".") + rest
            if store:
                parts = parts[:-1]
            uses.append((".".join(parts), lineno, False))
    missing: dict[str, MissingName] = {}
    for name, lineno, _ in sorted(uses, key=lambda u: u[1]):
        if name in missing:
            continue
        first_missing = resolve(name)
        if first_missing is not None:
            missing[name] = MissingName(name, lineno, first_missing)
    return list(missing.values())


def check_script(path: str, out=None) -> int:
    """Print one line per ``chainer.*`` name that ``path`` uses and shinsou.chainer does not
    provide (``FILE:LINE: NAME is not provided by shinsou.chainer``), then a summary line.

    Returns:
        The exit status: 0 when every name is provided, 1 when some are not, 2 when the
        script cannot be read or parsed.
    """
    out = out or sys.stdout
    try:
        with open(path, encoding="utf-8") as f:
            source = f.read()
        missing = check_source(source, path)
    except (OSError, SyntaxError, ValueError) as e:
        print(f"shinsou.chainer --check: cannot check {path}: {e}", file=sys.stderr)
        return 2
    for m in missing:
        print(m.describe(path), file=out)
    if missing:
        print(f"{path}: {len(missing)} chainer name(s) not provided by shinsou.chainer", file=out)
        return 1
    print(f"{path}: every chainer name it uses is provided by shinsou.chainer", file=out)
    return 0


# ---------------------------------------------------------------------------------------------
# Running a script


def _print_script_traceback(exc: BaseException, script: str) -> None:
    """Print ``exc``'s traceback from the script's first frame on (as ``python SCRIPT`` does),
    leaving out the frames of the runner and of runpy."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename != script:
        tb = tb.tb_next
    if tb is not None:
        exc = exc.with_traceback(tb)
    report = traceback.TracebackException.from_exception(exc)
    # The import hook's own frames (an import of a name that is not provided) say nothing
    # about the script; the import system hides its frames the same way.
    seen = set()
    todo = [report]
    while todo:
        te = todo.pop()
        if id(te) in seen:
            continue
        seen.add(id(te))
        te.stack = traceback.StackSummary.from_list([f for f in te.stack if f.filename != __file__])
        todo.extend(t for t in (te.__cause__, te.__context__) if t is not None)
    print("".join(report.format()), end="", file=sys.stderr)


def _end_distributed_job(exc: BaseException) -> None:
    """In an MPI job of several ranks (a ChainerMN script under ``mpiexec``), end every rank
    now, naming this one, as ``shinsou.distributed``'s excepthook does under ``python
    SCRIPT``: the other ranks must not wait in a collective for a rank that has stopped."""
    comm_module = sys.modules.get("shinsou.distributed.comm")
    if comm_module is None or not comm_module.is_initialized():
        return
    comm = comm_module.get_communicator()
    if comm.size > 1:
        comm.abort(f"uncaught {type(exc).__name__}: {exc}; ending the job")


def run_script(script: str, args: list[str]) -> int:
    """Run ``script`` as ``__main__`` with ``sys.argv = [script, *args]`` under the import hook.

    Returns:
        0 when the script ends normally, 1 when it raises (the traceback is printed, starting at
        the script). ``SystemExit`` from the script propagates (its status is the exit status).
    """
    path = os.path.abspath(script)
    if not os.path.isfile(path):
        print(f"python -m shinsou.chainer: can't open file {script!r}: not found", file=sys.stderr)
        return 2
    install_import_hook()
    sys.argv = [script, *args]
    # ``python SCRIPT`` puts the script's folder first on sys.path (here it was the cwd).
    folder = os.path.dirname(path)
    if sys.path and sys.path[0] in ("", os.getcwd()):
        sys.path[0] = folder
    else:
        sys.path.insert(0, folder)
    # As runpy.run_path, but sys.argv[0] stays as typed (run_path makes it absolute).
    module = types.ModuleType("__main__")
    module.__dict__.update(__file__=path, __cached__=None, __loader__=None, __package__=None)
    module.__spec__ = None
    saved_main = sys.modules.get("__main__")
    sys.modules["__main__"] = module  # so pickle finds the script's classes and functions
    try:
        with io.open_code(path) as f:
            code = compile(f.read(), path, "exec")
        exec(code, module.__dict__)
    except (SystemExit, KeyboardInterrupt):
        raise
    except BaseException as exc:  # noqa: BLE001 - reported like Python would, then status 1
        _print_script_traceback(exc, path)
        _end_distributed_job(exc)
        return 1
    finally:
        if saved_main is not None:
            sys.modules["__main__"] = saved_main
    return 0


def main(argv: list[str] | None = None) -> int:
    """The ``python -m shinsou.chainer`` command; ``argv`` excludes the program name.

    Options come before the script; everything after the script is the script's.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    check = False
    while argv and argv[0].startswith("-"):
        opt = argv.pop(0)
        if opt in ("-h", "--help"):
            print(USAGE, end="")
            return 0
        if opt == "--check":
            check = True
        elif opt == "--":
            break
        else:
            print(f"python -m shinsou.chainer: unknown option {opt!r}\n\n{USAGE}", file=sys.stderr)
            return 2
    if not argv:
        print(USAGE, end="", file=sys.stderr)
        return 2
    script, args = argv[0], argv[1:]
    if check:
        return check_script(script)
    return run_script(script, args)
