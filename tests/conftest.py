"""Shared helpers: run the real CLI, in process or as a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import settings

ROOT = Path(__file__).resolve().parent.parent

# Hypothesis profiles. `ci` (what `.ci/run` loads with --hypothesis-profile=ci, and what Hypothesis
# itself loads when CI is set) is the thorough one: Hypothesis's CI settings (derandomized, no
# deadline, no database) with the full example counts. `default`, a developer's `pytest` or
# `make test`, keeps Hypothesis's defaults with a quarter of the examples.
THOROUGH_EXAMPLES = 100
settings.register_profile("ci", settings.get_profile("ci"), max_examples=THOROUGH_EXAMPLES)
settings.register_profile("default", settings.get_profile("default"), max_examples=THOROUGH_EXAMPLES // 4)


def examples(thorough: int) -> int:
    """An explicit ``max_examples``: ``thorough`` under the ``ci`` profile, scaled like the loaded profile.

    Called in ``@settings(max_examples=examples(300))``, when the test module is imported, which is
    after pytest has loaded the profile named by ``--hypothesis-profile``.
    """
    return max(1, round(thorough * settings().max_examples / THOROUGH_EXAMPLES))


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


def _xdist_worker() -> bool:
    return bool(os.environ.get("PYTEST_XDIST_WORKER"))


def pytest_collection_modifyitems(items):
    """With pytest-xdist, the tests that need the pre-commit hook's environment go first.

    They go to one process, in the first batch; it builds that environment first (``hook_env`` in
    tests/test_precommit.py) while the other process runs other tests.
    """
    if _xdist_worker():
        items.sort(key=lambda item: "hook_env" not in item.fixturenames)


@pytest.fixture(scope="session", autouse=True)
def hook_env_build(request, tmp_path_factory):
    """The pre-commit hook's environment (tests/test_precommit.py), when a test of the session needs it.

    In a single process, started in the background as the session's first test starts, so that it is
    built on the second core while the other tests run; the tests that need it wait for it. (With
    pytest-xdist, ``hook_env`` builds it in the process that runs them, first.)
    """
    if _xdist_worker() or not any("hook_env" in item.fixturenames for item in request.session.items):
        yield None
        return
    from tests.test_precommit import HookEnvBuild

    build = HookEnvBuild(tmp_path_factory)
    yield build
    build.stop()


def pytest_addoption(parser):
    parser.addoption("--update-snapshots", action="store_true", default=False,
                     help="rewrite fixtures/inputs/**/<case>.expected.json from the current output")


@pytest.fixture
def crashing_rule():
    """RUM-MON-001 raises on every monitor (a rule's check is set on its frozen record, then put back)."""
    from rumpolicy.engine import find_rule

    found = find_rule("RUM-MON-001")
    original = found.loaded().check

    def crash(monitor):
        raise KeyError("boom")
        yield  # a generator, like the real rule

    crash.__doc__ = original.__doc__
    object.__setattr__(found, "check", crash)
    yield found
    object.__setattr__(found, "check", original)
