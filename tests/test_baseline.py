"""Baselines: fingerprints that survive moved lines, counted, rewritten without fixed findings."""

from __future__ import annotations

import json
import subprocess

import pytest

from rumpolicy.baseline import normalized_pointer
from tests.conftest import ROOT

BROKEN = (ROOT / "examples" / "broken" / "rum-shop.yaml").read_text()
UNRELATED = "Resources:\n  Topic:\n    Type: AWS::SNS::Topic\n    Properties:\n      TopicName: unrelated\n\n"


@pytest.fixture
def repo(tmp_path, monkeypatch):
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "infra").mkdir()
    (tmp_path / "infra" / "rum.yaml").write_text(BROKEN)
    return tmp_path


def findings(result) -> list[tuple[str, int]]:
    return [(f["rule_id"], f["location"]["line"]) for f in result.json()["findings"]]


def recorded(path) -> list[str]:
    return sorted(e["rule_id"] for e in json.loads(path.read_text())["findings"])


def test_round_trip_reports_only_the_new_problem_after_lines_moved(cli, repo):
    written = cli("check", "infra", "--write-baseline", "baseline.json")
    assert written.status == 0
    assert "recorded 4 findings in baseline.json" in written.err
    assert written.out.strip() == "0 errors, 0 warnings, 0 info in 1 file checked; 4 in the baseline"
    assert recorded(repo / "baseline.json") == ["RUM-PERM-004", "RUM-PERM-005", "RUM-POOL-002", "RUM-TRUST-002"]

    # An unrelated edit that moves every finding down by 5 lines, plus one new problem.
    moved = BROKEN.replace("Resources:\n", UNRELATED, 1).replace("      Domain: shop.example.com\n",
                                                                 "      Domain: https://shop.example.com/\n")
    (repo / "infra" / "rum.yaml").write_text(moved)
    result = cli("check", "infra", "--baseline", "baseline.json", "--format", "json")
    assert findings(result) == [("RUM-MON-006", 54)]
    assert result.json()["summary"]["baselined"] == 4
    assert result.status == 1
    # Without the baseline, the old findings are still there (on their new lines).
    assert ("RUM-TRUST-002", 30) in findings(cli("check", "infra", "--format", "json"))


def test_rewriting_drops_fixed_findings(cli, repo):
    cli("check", "infra", "--write-baseline", "baseline.json")
    fixed = BROKEN.replace('                Resource: "*"\n',
                           "                Resource: !Sub arn:${AWS::Partition}:rum:${AWS::Region}:"
                           "${AWS::AccountId}:appmonitor/shop-example-com\n")
    (repo / "infra" / "rum.yaml").write_text(fixed)
    assert cli("check", "infra", "--baseline", "baseline.json").status == 0
    cli("check", "infra", "--baseline", "baseline.json", "--write-baseline", "baseline.json")
    assert recorded(repo / "baseline.json") == ["RUM-PERM-005", "RUM-POOL-002", "RUM-TRUST-002"]
    # The fixed problem comes back: the rewritten baseline no longer excuses it.
    (repo / "infra" / "rum.yaml").write_text(BROKEN)
    assert findings(cli("check", "infra", "--baseline", "baseline.json", "--format", "json")) == [("RUM-PERM-004", 36)]


def test_equal_fingerprints_are_counted(cli, repo):
    cli("check", "infra", "--write-baseline", "baseline.json")
    statement = '              - Effect: Allow\n                Action: rum:*\n                Resource: "*"\n'
    (repo / "infra" / "rum.yaml").write_text(BROKEN.replace(statement, statement + statement))
    # The second, identical statement repeats both findings: one of each is new.
    result = cli("check", "infra", "--baseline", "baseline.json", "--format", "json")
    assert sorted(findings(result)) == [("RUM-PERM-004", 39), ("RUM-PERM-005", 38)]


def test_fingerprints_do_not_depend_on_the_current_directory(cli, repo, monkeypatch):
    cli("check", "infra/rum.yaml", "--write-baseline", "baseline.json")
    monkeypatch.chdir(repo / "infra")
    assert cli("check", "rum.yaml", "--baseline", "../baseline.json").status == 0
    assert cli("check", str(repo / "infra"), "--baseline", str(repo / "baseline.json")).status == 0


def test_unreadable_files_are_never_baselined(cli, repo):
    (repo / "infra" / "broken.yaml").write_text("AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  X: [unclosed\n")
    result = cli("check", "infra", "--write-baseline", "baseline.json", "--format", "json")
    assert result.status == 1
    assert findings(result) == [("RUM-SRC-000", 3)]
    assert "RUM-SRC-000" not in recorded(repo / "baseline.json")


def test_suppressed_findings_are_not_recorded(cli, repo):
    (repo / "infra" / "rum.yaml").write_text(BROKEN.replace(
        '                Resource: "*"\n', '                Resource: "*"  # rumpolicy: ignore RUM-PERM-004 -- shared\n'))
    cli("check", "infra", "--write-baseline", "baseline.json")
    assert "RUM-PERM-004" not in recorded(repo / "baseline.json")


@pytest.mark.parametrize("content, message", [
    (None, "cannot read baseline"),
    ("not json", "is not JSON"),
    ('{"version": 7, "findings": []}', "is not a rumpolicy baseline"),
    ('{"version": 1, "findings": [{"rule_id": "RUM-PERM-004"}]}', "must be a list of entries with a `fingerprint`"),
])
def test_bad_baseline_files_exit_2(cli, repo, content, message):
    if content is not None:
        (repo / "baseline.json").write_text(content)
    result = cli("check", "infra", "--baseline", "baseline.json")
    assert result.status == 2 and message in result.err and result.out == ""


def test_unwritable_baseline_exits_2(cli, repo):
    result = cli("check", "infra", "--write-baseline", str(repo / "no" / "such" / "dir" / "b.json"))
    assert result.status == 2 and "cannot write baseline" in result.err


def test_pointer_normalization():
    assert normalized_pointer("/Resources/R/Properties/Policies/0/PolicyDocument/Statement/12/Resource") == \
        "/Resources/R/Properties/Policies/*/PolicyDocument/Statement/*/Resource"
    assert normalized_pointer("/Resources/Role0/Properties") == "/Resources/Role0/Properties"


def test_a_reworded_message_keeps_its_baseline_and_version_1_files_are_still_read(cli, repo):
    from rumpolicy.api import Options, check
    from rumpolicy.baseline import text_fingerprint
    from rumpolicy.engine import find_rule

    assert cli("check", "infra", "--write-baseline", "baseline.json").status == 0
    assert json.loads((repo / "baseline.json").read_text())["version"] == 2
    # A new wording of RUM-TRUST-002's message: the version-2 baseline still excuses the finding.
    messages = find_rule("RUM-TRUST-002").loaded().messages
    original = messages["aud-missing"]
    messages["aud-missing"] = "reworded: " + original
    try:
        result = cli("check", "infra", "--baseline", "baseline.json", "--format", "json")
        assert "reworded: " in cli("check", "infra").out
    finally:
        messages["aud-missing"] = original
    assert result.status == 0 and result.json()["summary"]["baselined"] == 4, result.out
    # A version-1 baseline (fingerprints of the worded messages) excuses the same findings.
    report = check(["infra"], Options(root=repo))
    legacy = {"version": 1, "findings": [{"fingerprint": text_fingerprint(f, repo)} for f in report.active]}
    (repo / "old.json").write_text(json.dumps(legacy))
    result = cli("check", "infra", "--baseline", "old.json", "--format", "json")
    assert result.status == 0 and result.json()["summary"]["baselined"] == 4, result.out
