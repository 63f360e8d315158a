"""``chainermn.links``: not provided yet (a clear error for every name)."""


def __getattr__(name):
    if name.startswith("__"):
        raise AttributeError(name)
    raise AttributeError(f"shinsou.chainer does not provide chainermn.links.{name} yet")
