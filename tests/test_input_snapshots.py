"""Loader snapshots: each case under ``fixtures/inputs/<format>/`` and what ``check`` reports on it.

A case is a file or a folder directly under a format folder; ``<case>.args`` holds extra command
line arguments; ``<case>.expected.json`` is the snapshot: rule id, severity, path, line, column,
pointer and message of every finding. Refresh with ``pytest tests/test_input_snapshots.py
--update-snapshots`` and review the diff.
"""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import pytest

from tests.conftest import ROOT

INPUTS = ROOT / "fixtures" / "inputs"
SIDE_FILES = (".expected.json", ".args")


def cases() -> list:
    found = []
    for fmt in sorted(p for p in INPUTS.iterdir() if p.is_dir()):
        for case in sorted(fmt.iterdir()):
            if case.name.endswith(SIDE_FILES):
                continue
            found.append(pytest.param(case, id=f"{fmt.name}/{case.name}"))
    return found


def snapshot_of(case: Path, cli) -> list[dict]:
    args_file = case.parent / (case.name + ".args")
    extra = shlex.split(args_file.read_text()) if args_file.is_file() else []
    result = cli("check", str(case.relative_to(ROOT)), "--format", "json", *extra)
    assert result.status in (0, 1), result.err
    return [{"rule_id": f["rule_id"], "severity": f["severity"], "path": f["location"]["path"],
             "line": f["location"]["line"], "column": f["location"]["column"],
             "pointer": f["location"]["pointer"], "message": f["message"]}
            for f in result.json()["findings"]]


@pytest.mark.parametrize("case", cases())
def test_snapshot(case: Path, cli, request, monkeypatch):
    monkeypatch.chdir(ROOT)
    expected_file = case.parent / (case.name + ".expected.json")
    actual = snapshot_of(case, cli)
    if request.config.getoption("--update-snapshots"):
        expected_file.write_text(json.dumps(actual, indent=2, ensure_ascii=False) + "\n")
    assert expected_file.is_file(), f"no snapshot {expected_file.name}: run with --update-snapshots"
    assert actual == json.loads(expected_file.read_text())
