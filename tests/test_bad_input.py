"""Hostile and broken input: a located RUM-SRC-000 (or RUM-SRC-001), bounded time, never a traceback.

Each case runs through the real command line in its own process, next to a correct template that
must still be checked.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT, run_subprocess

CORRECT = (ROOT / "examples" / "correct" / "rum-web.yaml").read_text()
ROLE = (
    "Resources:\n"
    "  Role:\n"
    "    Type: AWS::IAM::Role\n"
    "    Properties:\n"
    "      AssumeRolePolicyDocument:\n"
    "        Version: '2012-10-17'\n"
    "        Statement: {statement}\n"
)


def lol_yaml() -> str:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i, name in enumerate("bcdefghi"):
        prev = "abcdefghi"[i]
        lines.append(f"{name}: &{name} [{', '.join('*' + prev for _ in range(9))}]")
    lines.append("Resources: {X: {Type: AWS::IAM::Role, Properties: {Tags: *i}}}")
    return "\n".join(lines) + "\n"


CASES = {
    "broken-yaml": ("broken.yaml", "Resources:\n  Pool:\n    Type: AWS::Cognito::IdentityPool\n    Properties: {AllowUnauthenticatedIdentities: true\n", 4),
    "broken-json": ("broken.json", '{"Resources": {"Pool": {"Type": "AWS::Cognito::IdentityPool",, }}}', 1),
    "bad-encoding": ("latin1.yaml", None, 3),
    "alias-explosion": ("lol.yaml", lol_yaml(), None),
    "deep-json": ("deep.json", '{"Resources": ' + "[" * 50_000 + "]" * 50_000 + "}", 1),
    "deep-yaml-flow": ("deep.yaml", "Resources: " + "[" * 50_000 + "]" * 50_000 + "\n", 1),
    "deep-yaml-block": ("deep-block.yaml", "Resources:\n" + "".join(" " * i + "- \n" for i in range(1, 3000)), None),
    "statement-string": ("statement.yaml", ROLE.format(statement='"x"'), 7),
    "duplicate-keys": ("dup.yaml", "Resources:\n  A: {Type: AWS::IAM::Role}\n  A: {Type: AWS::IAM::Role}\n", 3),
}


# 50,000 levels of nesting: seconds each, so a benchmark-sized case (run by .ci/run, not by a plain `pytest`).
DEEP = {"deep-json", "deep-yaml-flow"}


@pytest.mark.parametrize("case", [pytest.param(case, marks=[pytest.mark.bench] if case in DEEP else [])
                                  for case in sorted(CASES)])
def test_bad_input_is_a_located_finding(tmp_path, case):
    name, text, line = CASES[case]
    path = tmp_path / name
    if text is None:
        path.write_bytes("AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  X: {Type: 'caf\xe9'}\n".encode("latin-1"))
    else:
        path.write_text(text)
    (tmp_path / "zz-correct.yaml").write_text(CORRECT.replace("Name: www-example-com", "Name: other"))
    started = time.monotonic()
    result = run_subprocess("check", str(tmp_path), "--format", "json", timeout=60)
    elapsed = time.monotonic() - started
    assert "Traceback" not in result.err, result.err
    assert result.status == 1
    findings = json.loads(result.out)["findings"]
    mine = [f for f in findings if Path(f["location"]["path"]).name == name]
    assert [f["rule_id"] for f in mine] and all(f["rule_id"] == "RUM-SRC-000" for f in mine), mine
    if line is not None:
        assert mine[0]["location"]["line"] == line, mine
    # The correct template next to it was still checked and is clean.
    assert not [f for f in findings if Path(f["location"]["path"]).name == "zz-correct.yaml"]
    # A file that parses but has a malformed policy is still a checked template; the others are not.
    assert json.loads(result.out)["summary"]["files_checked"] == (2 if case == "statement-string" else 1)
    assert elapsed < 20


def test_action_of_wrong_type(tmp_path):
    text = CORRECT.replace("Action: rum:PutRumEvents", "Action: 5")
    (tmp_path / "t.yaml").write_text(text)
    result = run_subprocess("check", str(tmp_path), "--format", "json")
    findings = json.loads(result.out)["findings"]
    src = [f for f in findings if f["rule_id"] == "RUM-SRC-000"]
    assert len(src) == 1
    assert src[0]["location"]["pointer"].endswith("/PolicyDocument/Statement/0/Action")
    assert src[0]["location"]["line"] == text.splitlines().index("                Action: 5") + 1
    assert "Traceback" not in result.err


def test_huge_file_is_refused_without_reading_it(tmp_path):
    big = tmp_path / "big.json"
    with open(big, "wb") as handle:
        handle.write(b'{"Resources": {}, "x": "')
        handle.seek(50 * 1024 * 1024)
        handle.write(b'"}')
    started = time.monotonic()
    result = run_subprocess("check", str(big), "--format", "json")
    assert time.monotonic() - started < 10
    findings = json.loads(result.out)["findings"]
    assert [f["rule_id"] for f in findings] == ["RUM-SRC-000"]
    assert "limit" in findings[0]["message"]


def test_unresolvable_intrinsic_is_unknown_not_error(tmp_path):
    text = CORRECT.replace("IdentityPoolId: !Ref RumIdentityPool\n        SessionSampleRate",
                           "IdentityPoolId: !ImportValue shared-rum-pool\n        SessionSampleRate")
    (tmp_path / "t.yaml").write_text(text)
    result = run_subprocess("check", str(tmp_path), "--format", "json")
    findings = json.loads(result.out)["findings"]
    assert findings, "an import must be reported as unknown"
    assert {f["severity"] for f in findings} == {"info"}
    assert {f["rule_id"] for f in findings} == {"RUM-SRC-001"}
