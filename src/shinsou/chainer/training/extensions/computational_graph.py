"""``dump_graph`` (``DumpGraph``): write the backward graph of an observed Variable
(``'main/loss'``) as Graphviz DOT once, at the first iteration."""

from __future__ import annotations

import os
import shutil
import subprocess

from ... import computational_graph, configuration
from ...variable import Variable
from .. import extension

_var_style = {"shape": "octagon", "fillcolor": "#E0E0E0", "style": "filled"}
_func_style = {"shape": "record", "fillcolor": "#6495ED", "style": "filled"}


def is_graphviz_available():
    """Whether Graphviz's ``dot`` command is on the PATH."""
    return shutil.which("dot") is not None


class DumpGraph(extension.Extension):
    """Writes ``out/<filename>`` (``cg.dot``) from ``trainer.observation[root_name]`` at
    the first call (the graph is kept on report until then: ``keep_graph_on_report``), and
    ``cg.png`` too when Graphviz is installed."""

    default_name = "dump_graph"

    def __init__(
        self, root_name, filename=None, variable_style=None, function_style=None, **kwargs
    ):
        out_name = kwargs.pop("out_name", "cg.dot")
        if kwargs:
            raise TypeError(f"dump_graph: unexpected arguments {sorted(kwargs)}")
        self._root_name = root_name
        self._filename = out_name if filename is None else filename
        self._variable_style = _var_style if variable_style is None else variable_style
        self._function_style = _func_style if function_style is None else function_style
        self._original_flag = None
        self._flag_called = False

    def initialize(self, trainer):
        if not self._flag_called:
            self._original_flag = configuration.config.keep_graph_on_report
            configuration.config.keep_graph_on_report = True

    def trigger(self, trainer):
        if self._flag_called:
            return False
        self._flag_called = True
        return True

    def __call__(self, trainer):
        try:
            var = trainer.observation[self._root_name]
            if not isinstance(var, Variable):
                raise TypeError(f"dump_graph: the root value {self._root_name} is not a Variable")
            cg = computational_graph.build_computational_graph(
                [var],
                variable_style=self._variable_style,
                function_style=self._function_style,
            ).dump()
            filename = os.path.join(trainer.out, self._filename)
            with open(filename, "w") as f:
                f.write(cg)
            if is_graphviz_available():
                img = os.path.join(trainer.out, os.path.splitext(self._filename)[0] + ".png")
                subprocess.check_call(["dot", "-Tpng", filename, "-o", img])
        finally:
            configuration.config.keep_graph_on_report = self._original_flag

    def serialize(self, serializer):
        self._original_flag = serializer("_original_flag", self._original_flag)
        self._flag_called = serializer("_flag_called", self._flag_called)
