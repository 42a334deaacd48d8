"""Shared helpers: run the real CLI, in process or as a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class CliResult:
    status: int
    out: str
    err: str

    def json(self) -> dict:
        return json.loads(self.out)


@pytest.fixture
def cli(capsys):
    """Run ``rumpolicy`` in process (fast) and capture what it prints."""
    from rumpolicy.cli import main

    def invoke(*args: str) -> CliResult:
        try:
            status = main(list(args))
        except SystemExit as exc:  # argparse usage errors
            status = exc.code if isinstance(exc.code, int) else 2
        captured = capsys.readouterr()
        return CliResult(status, captured.out, captured.err)

    return invoke


def run_subprocess(*args: str, env: dict | None = None, timeout: float = 60, cwd: Path | None = None) -> CliResult:
    """Run ``python -m rumpolicy`` as a user would, in its own process."""
    full_env = {**os.environ, **(env or {})}
    proc = subprocess.run([sys.executable, "-m", "rumpolicy", *args], capture_output=True, text=True,
                          timeout=timeout, env=full_env, cwd=cwd or ROOT)
    return CliResult(proc.returncode, proc.stdout, proc.stderr)


def pytest_addoption(parser):
    parser.addoption("--update-snapshots", action="store_true", default=False,
                     help="rewrite fixtures/inputs/**/<case>.expected.json from the current output")
