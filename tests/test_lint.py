"""The code base passes ruff's lint and format checks (configured in pyproject.toml)."""

import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PATHS = ["src", "tests", "benchmarks", "examples", "conftest.py"]


@pytest.mark.parametrize("command", [["check"], ["format", "--check"]])
def test_ruff(command):
    res = subprocess.run(
        [sys.executable, "-m", "ruff", *command, *PATHS],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    what = " ".join(command)
    assert res.returncode == 0, f"ruff {what} found problems:\n{res.stdout}{res.stderr}"
