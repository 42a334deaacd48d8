"""rumpolicy as a library: ``rumpolicy.api`` used the way a program that embeds it would."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rumpolicy import api
from rumpolicy.api import Finding, Options, Report, Severity, check
from rumpolicy.config import Config, resolve

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


def test_check_returns_a_report_of_located_findings():
    report = check([str(EXAMPLES / "broken" / "rum-shop.yaml")])
    assert isinstance(report, Report)
    assert report.failing(Severity.ERROR)
    finding = next(f for f in report.active if f.rule_id == "RUM-TRUST-002")
    assert isinstance(finding, Finding)
    assert finding.location.source.endswith("rum-shop.yaml") and finding.location.line == 25
    assert finding.message_id == "aud-missing"        # the structured message behind the words
    assert "cognito-identity.amazonaws.com:aud" in finding.message
    assert finding.fix and finding.remediation        # the fix as data, and as text
    assert report.files.checked == 1 and report.defects == 0


def test_a_clean_input_has_no_failing_finding():
    report = check([str(EXAMPLES / "correct")])
    assert report.failing(Severity.ERROR) == []


def test_options_carry_the_configuration_and_the_baseline(tmp_path):
    broken = str(EXAMPLES / "broken" / "rum-shop.yaml")
    quiet = Options(config=Config(ignore=("RUM-TRUST-002",)))
    assert "RUM-TRUST-002" not in {f.rule_id for f in check([broken], quiet).active}
    recorded = tmp_path / "baseline.json"
    everything = check([broken], Options(root=ROOT)).active
    first = check([broken], Options(write_baseline=str(recorded), root=ROOT))
    # Written, then read: every finding is recorded and so excused.
    assert first.recorded == len(everything) == first.baselined > 0 and first.active == []
    assert json.loads(recorded.read_text())["version"] == 2
    again = check([broken], Options(baseline=str(recorded), root=ROOT))
    assert again.active == [] and again.baselined == first.recorded


def test_the_cli_and_the_api_report_the_same_findings(tmp_path, capsys):
    from rumpolicy.cli import main

    status = main(["check", "--no-config", "--format", "json", str(EXAMPLES)])
    shown = json.loads(capsys.readouterr().out)
    report = check([str(EXAMPLES)], Options(config=resolve(None, True)))
    assert status == 1
    assert [(f["rule_id"], f["message"]) for f in shown["findings"]] == [(f.rule_id, f.message) for f in report.findings]


def test_a_bad_baseline_is_an_error_the_caller_handles(tmp_path):
    from rumpolicy.baseline import BaselineError

    bad = tmp_path / "baseline.json"
    bad.write_text("not json")
    with pytest.raises(BaselineError):
        check([str(EXAMPLES / "correct")], Options(baseline=str(bad)))


def test_the_api_names_what_a_library_needs():
    assert set(api.__all__) >= {"Finding", "Location", "Options", "Report", "Severity", "audit", "check"}
    assert all(hasattr(api, name) for name in api.__all__)
    assert "check" in api.__doc__ and "audit" in api.__doc__
