"""``--format gitlab``: Code Quality issues, one per occurrence, each with a fingerprint of its own."""

from __future__ import annotations

import json

from tests.conftest import ROOT

DUPLICATES = "tests/data/sarif/duplicate-statements.yaml"
SUPPRESSED = "fixtures/rules/RUM-SRC-004/good.yaml"


def issues(cli, *args: str) -> list[dict]:
    result = cli("check", *args, "--format", "gitlab")
    return json.loads(result.out)


def test_two_identical_statements_are_two_issues(cli):
    found = issues(cli, DUPLICATES)
    # GitLab keeps one issue per fingerprint: every one must differ, or two problems show as one.
    fingerprints = [i["fingerprint"] for i in found]
    assert len(set(fingerprints)) == len(fingerprints) == 6
    report = cli("check", DUPLICATES, "--format", "json").json()
    for rule_id in ("RUM-PERM-004", "RUM-PERM-005"):
        (base,) = {f["fingerprint"] for f in report["findings"] if f["rule_id"] == rule_id}
        twins = sorted((i["location"]["lines"]["begin"], i["fingerprint"]) for i in found if i["check_name"] == rule_id)
        assert [fp for _, fp in twins] == [f"{base}:1", f"{base}:2"]      # in the order of their lines
    assert issues(cli, DUPLICATES) == found                                  # the same values in every run
    sarif = json.loads(cli("check", DUPLICATES, "--format", "sarif").out)
    assert sorted(r["partialFingerprints"]["rumpolicy/v2"] for r in sarif["runs"][0]["results"]) == sorted(fingerprints)


def test_suppressed_findings_are_left_out_unless_shown(cli):
    from rumpolicy.api import Options, check
    from rumpolicy.report.gitlab import render

    assert issues(cli, SUPPRESSED) == []
    shown = json.loads(render(check([SUPPRESSED], Options()), root=ROOT, show_suppressed=True))
    assert sorted(i["check_name"] for i in shown) == ["RUM-PERM-004", "RUM-PERM-005", "RUM-POOL-002"]
    perm = next(i for i in shown if i["check_name"] == "RUM-PERM-004")
    assert perm["description"].endswith("(suppressed: one role serves all monitors of this account)")


def test_baselined_findings_are_left_out(cli, tmp_path):
    baseline = tmp_path / "baseline.json"
    cli("check", DUPLICATES, "--write-baseline", str(baseline))
    recorded = json.loads(baseline.read_text())["findings"]
    # The baseline keeps the counted fingerprints: twins are recorded twice, without an occurrence.
    assert len(recorded) == 6 and len({e["fingerprint"] for e in recorded}) == 4
    assert {f"{e['fingerprint']}:1" for e in recorded} <= {i["fingerprint"] for i in issues(cli, DUPLICATES)}
    assert issues(cli, DUPLICATES, "--baseline", str(baseline)) == []
