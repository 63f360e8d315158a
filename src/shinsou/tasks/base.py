"""The Task base class: what recipes of one kind of learning share."""

from __future__ import annotations

__all__ = ["Task"]


class Task:
    """A kind of learning (classification, reconstruction, generation, language modelling,
    translation). It supplies:

    * ``metrics()``: ``{name: fn(y, t)}`` for ``shinsou.training.evaluate`` / ``Evaluate``;
    * pictures and report sections (functions of its module, used by its recipes);
    * ``commands``: the ``shinsou`` commands a finished run of the task answers besides
      ``evaluate`` (``"predict"``: a picture's class; ``"sample"``: new examples), each
      implemented by the recipe as a method of that name.

    ``shinsou recipes`` groups recipes by ``title``.
    """

    name = "task"
    title = "Other"
    commands: tuple[str, ...] = ()

    def metrics(self) -> dict:
        return {}

    def check_command(self, command: str, recipe_name: str) -> None:
        """Raise a ValueError naming what the task offers when ``command`` is not one."""
        if command not in self.commands:
            offered = ", ".join(f"`shinsou {c}`" for c in self.commands) or "no command"
            raise ValueError(
                f"recipe {recipe_name!r} ({self.name}) has no `shinsou {command}`; its runs "
                f"answer `shinsou evaluate` and {offered}"
            )

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"
