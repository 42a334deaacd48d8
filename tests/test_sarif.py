"""``--format sarif``: every log validates against the official SARIF 2.1.0 schema (with URI formats)."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import jsonschema
import pytest

from rumpolicy.engine import registry
from tests.conftest import ROOT

SARIF_SCHEMA = json.loads((ROOT / "tests" / "data" / "sarif-schema-2.1.0.json").read_text())
VALIDATOR = jsonschema.Draft4Validator(SARIF_SCHEMA, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER)
EXAMPLES = ROOT / "examples"


def valid_sarif(text: str) -> dict:
    log = json.loads(text)
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in VALIDATOR.iter_errors(log)]
    assert not errors, errors[:5]
    return log


def sarif(cli, *args: str) -> tuple[int, dict]:
    result = cli("check", *args, "--format", "sarif")
    return result.status, valid_sarif(result.out)


def results_by_rule(log: dict) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for item in log["runs"][0]["results"]:
        out.setdefault(item["ruleId"], []).append(item)
    return out


def test_broken_example(cli):
    status, log = sarif(cli, "examples/broken")
    assert status == 1
    assert log["version"] == "2.1.0"
    run = log["runs"][0]
    assert run["originalUriBaseIds"]["PROJECTROOT"]["uri"] == ROOT.as_uri() + "/"
    trust = results_by_rule(log)["RUM-TRUST-002"][0]
    assert trust["level"] == "error"
    physical = trust["locations"][0]["physicalLocation"]
    assert physical["artifactLocation"] == {"uri": "examples/broken/rum-shop.yaml", "uriBaseId": "PROJECTROOT"}
    assert physical["region"] == {"startLine": 25, "startColumn": 13}
    assert run["tool"]["driver"]["rules"][trust["ruleIndex"]]["id"] == "RUM-TRUST-002"
    assert "ShopGuestRole" in trust["message"]["text"]
    perm = results_by_rule(log)["RUM-PERM-004"][0]
    assert perm["level"] == "warning"
    pool = results_by_rule(log)["RUM-POOL-002"][0]
    related = pool["relatedLocations"][0]
    assert related["physicalLocation"]["region"]["startLine"] == 52      # the monitor's GuestRoleArn
    assert related["id"] == 1


def test_rule_descriptors(cli):
    _, log = sarif(cli, "examples/correct")
    rules = log["runs"][0]["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == [r.id for r in registry()]
    trust = next(r for r in rules if r["id"] == "RUM-TRUST-002")
    assert trust["name"] == "guest-role-trust-missing-aud"
    assert trust["shortDescription"]["text"] and trust["fullDescription"]["text"]
    assert trust["helpUri"].startswith("https://") and trust["helpUri"].endswith("docs/rules/RUM-TRUST-002.md")
    assert trust["help"]["markdown"].startswith("# RUM-TRUST-002")
    assert trust["defaultConfiguration"]["level"] == "error"
    assert "trust" in trust["properties"]["tags"]
    assert next(r for r in rules if r["id"] == "RUM-SRC-001")["defaultConfiguration"]["level"] == "note"


def test_the_format_checker_is_active(cli):
    # A relative helpUri is not a URI: the validation above would catch it.
    _, log = sarif(cli, "examples/correct")
    broken = copy.deepcopy(log)
    broken["runs"][0]["tool"]["driver"]["rules"][0]["helpUri"] = "docs/rules/RUM-ATT-001.md"
    assert list(VALIDATOR.iter_errors(broken))


def test_fingerprints_match_json_and_baselines(cli):
    _, log = sarif(cli, "examples/broken")
    report = cli("check", "examples/broken", "--format", "json").json()
    from_json = sorted(f["fingerprint"] for f in report["findings"])
    from_sarif = sorted(r["partialFingerprints"]["rumpolicy/v1"] for r in log["runs"][0]["results"])
    assert from_sarif == from_json and len(set(from_json)) == len(from_json)


def test_suppressed_findings_carry_suppressions(cli):
    status, log = sarif(cli, "fixtures/rules/RUM-SRC-004/good.yaml")
    assert status == 0
    results = results_by_rule(log)
    comment = results["RUM-PERM-004"][0]["suppressions"][0]
    assert comment["kind"] == "inSource"
    assert comment["justification"] == "one role serves all monitors of this account"
    assert comment["location"]["physicalLocation"]["region"]["startLine"] == 45
    metadata = results["RUM-PERM-005"][0]["suppressions"][0]
    assert metadata["kind"] == "inSource" and "SCP" in metadata["justification"]


def test_config_suppression_is_external(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "rum.yaml").write_text((EXAMPLES / "broken" / "rum-shop.yaml").read_text())
    (tmp_path / ".rumpolicy.yaml").write_text("suppress:\n  - id: RUM-PERM-004\n    reason: accepted\n")
    _, log = sarif(cli, "rum.yaml")
    perm = results_by_rule(log)["RUM-PERM-004"][0]
    assert perm["suppressions"][0]["kind"] == "external"
    assert perm["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "rum.yaml"
    assert "suppressions" not in results_by_rule(log)["RUM-TRUST-002"][0]


def test_file_outside_the_project_and_finding_without_line(cli, tmp_path):
    notes = tmp_path / "my notes.json"
    notes.write_text('{"name": "web"}')
    _, log = sarif(cli, str(notes))
    (result,) = log["runs"][0]["results"]
    assert result["ruleId"] == "RUM-SRC-002" and result["level"] == "note"
    physical = result["locations"][0]["physicalLocation"]
    assert physical["artifactLocation"] == {"uri": notes.as_uri()}
    assert "%20" in physical["artifactLocation"]["uri"] and "region" not in physical


def test_coverage_of_an_audit_is_carried():
    from rumpolicy.engine import RunResult
    from rumpolicy.report import CoverageEntry, Report
    from rumpolicy.report.sarif import render

    report = Report(RunResult([], {}), files_checked=0, coverage=(
        CoverageEntry("aws://123456789012/eu-west-1", "checked", monitors=2),
        CoverageEntry("aws://123456789012/us-east-1", "not_checked", reason="AccessDenied on rum:ListAppMonitors")))
    log = valid_sarif(render(report, root=ROOT))
    run = log["runs"][0]
    assert [c["status"] for c in run["properties"]["coverage"]] == ["checked", "not_checked"]
    (note,) = run["invocations"][0]["toolExecutionNotifications"]
    assert "AccessDenied" in note["message"]["text"] and note["level"] == "error"
    no_coverage = valid_sarif(render(Report(RunResult([], {}), files_checked=0), root=ROOT))
    assert "coverage" not in no_coverage["runs"][0]["properties"]


@pytest.mark.parametrize("path", ["examples", "fixtures/rules"])
def test_every_fixture_and_example_validates(cli, path):
    _, log = sarif(cli, path)
    assert log["runs"][0]["results"]
    for result in log["runs"][0]["results"]:
        uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        assert not Path(uri).is_absolute() and (ROOT / uri).is_file()
