"""Doctests see ``np``, ``ss`` (shinsou) and ``F`` (shinsou.functional) without importing."""

import numpy as np
import pytest

import shinsou as ss
import shinsou.functional as F


@pytest.fixture(autouse=True)
def _doctest_names(doctest_namespace):
    doctest_namespace.update(np=np, ss=ss, F=F)
