"""The command line end to end: formats, exit status, colour, the rule catalogue."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import jsonschema
import pytest

from rumpolicy.engine import registry
from tests.conftest import ROOT, run_subprocess

SCHEMA = json.loads((ROOT / "rumpolicy" / "schemas" / "report.schema.json").read_text())
EXAMPLES = ROOT / "examples"
LINE = re.compile(r"^(?P<path>[^\s:]+):(?P<line>\d+):(?P<col>\d+): (?P<sev>error|warning|info) (?P<id>RUM-[A-Z-]+\d{3}) .+$")


def test_correct_example_is_clean(cli):
    result = cli("check", str(EXAMPLES / "correct"))
    assert result.status == 0, result.out
    assert result.out.strip() == "0 errors, 0 warnings, 0 info in 1 file checked"


def test_broken_example_fails_with_located_findings(cli):
    result = cli("check", str(EXAMPLES / "broken"))
    assert result.status == 1
    lines = [line for line in result.out.splitlines() if LINE.match(line)]
    ids = {LINE.match(line)["id"] for line in lines}
    # The three things the broken example gets wrong, each named by its rule.
    assert {"RUM-POOL-002", "RUM-TRUST-002", "RUM-PERM-005"} <= ids
    for line in lines:
        assert LINE.match(line)["path"].endswith("rum-shop.yaml")


def test_json_report_matches_published_schema(cli):
    result = cli("check", str(EXAMPLES), "--format", "json")
    assert result.status == 1
    report = result.json()
    jsonschema.validate(report, SCHEMA)
    assert report["summary"]["by_severity"]["error"] >= 1
    trust = [f for f in report["findings"] if f["rule_id"] == "RUM-TRUST-002"]
    assert trust and trust[0]["location"]["pointer"].startswith("/Resources/ShopGuestRole/Properties/AssumeRolePolicyDocument")
    assert trust[0]["location"]["line"] > 1
    assert trust[0]["remediation"]


def test_output_order_is_deterministic(cli):
    first = cli("check", str(EXAMPLES), "--format", "json").out
    second = cli("check", str(EXAMPLES), "--format", "json").out
    assert first == second


@pytest.mark.parametrize("fail_on, status", [("error", 1), ("warning", 1), ("info", 1)])
def test_fail_on(cli, fail_on, status):
    assert cli("check", str(EXAMPLES / "broken"), "--fail-on", fail_on).status == status


def test_fail_on_warning_counts_warnings_only_example(cli, tmp_path):
    # Enhanced flow with the classic flow left on: a warning (RUM-POOL-003), no error.
    text = (EXAMPLES / "correct" / "rum-web.yaml").read_text().replace("AllowClassicFlow: false", "AllowClassicFlow: true")
    (tmp_path / "t.yaml").write_text(text)
    assert cli("check", str(tmp_path)).status == 0
    assert cli("check", str(tmp_path), "--fail-on", "warning").status == 1


# `check` alone checks `.` (tests/test_cli_conventions.py).
@pytest.mark.parametrize("args", [("check", "--bogus", "examples"), ("frobnicate",),
                                  ("check", "examples", "--format", "xml"), ("check", "examples", "--region", "Mars"),
                                  ("check", "examples", "--app-monitor", "not-an-arn")])
def test_usage_errors_exit_2(cli, args):
    assert cli(*args).status == 2


def test_missing_path_exits_2(cli, tmp_path):
    result = cli("check", str(tmp_path / "nope.yaml"))
    assert result.status == 2
    assert "no such file" in result.err


def test_color_only_on_terminal_and_no_color_respected():
    plain = run_subprocess("check", "examples/broken")
    assert "\033[" not in plain.out
    forced = run_subprocess("check", "examples/broken", env={"NO_COLOR": "1"})
    assert "\033[" not in forced.out


def test_color_on_a_terminal(monkeypatch, capsys):
    from rumpolicy import cli as cli_module

    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True, raising=False)
    cli_module.main(["check", str(EXAMPLES / "broken")])
    assert "\033[31merror" in capsys.readouterr().out
    monkeypatch.setenv("NO_COLOR", "1")
    cli_module.main(["check", str(EXAMPLES / "broken")])
    assert "\033[" not in capsys.readouterr().out
    # no-color.org: set to the empty string, NO_COLOR is not set.
    monkeypatch.setenv("NO_COLOR", "")
    cli_module.main(["check", str(EXAMPLES / "broken")])
    assert "\033[31merror" in capsys.readouterr().out


def test_rules_lists_every_rule(cli):
    result = cli("rules", "--format", "json")
    rows = result.json()
    assert [r["id"] for r in rows] == [r.id for r in registry()]
    text = cli("rules").out
    for found in registry():
        assert found.id in text


def test_rule_page(cli):
    result = cli("rule", "RUM-POOL-001")
    assert result.status == 0
    assert result.out.startswith("# RUM-POOL-001: pool-denies-guests")
    assert "## Fix" in result.out
    assert cli("rule", "RUM-NOPE-999").status == 2
    # By name as well (tests/test_cli_conventions.py: and by cfn-lint id).
    assert cli("rule", "pool-denies-guests").out == result.out


def test_check_does_not_import_heavy_modules():
    code = ("import sys; from rumpolicy.cli import main; main(['check', 'examples']); "
            "heavy = sorted(m for m in ('boto3', 'botocore', 'cfnlint', 'moto', 'policyuniverse') if m in sys.modules); "
            "print('HEAVY=' + ','.join(heavy), file=sys.stderr)")
    import subprocess
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert "HEAVY=\n" in proc.stderr or proc.stderr.rstrip().endswith("HEAVY="), proc.stderr


def test_check_opens_no_network_connection(tmp_path):
    # An audit hook sees every socket operation of the process, whatever library would make it.
    code = (
        "import sys\n"
        "events = []\n"
        "def hook(event, args):\n"
        "    if event.startswith('socket.'):\n"
        "        events.append(event)\n"
        "sys.addaudithook(hook)\n"
        "from rumpolicy.cli import main\n"
        "status = main(['check', 'examples', 'fixtures', '--format', 'json'])\n"
        "print('SOCKET_EVENTS=' + ','.join(events), file=sys.stderr)\n"
    )
    import subprocess
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert "SOCKET_EVENTS=\n" in proc.stderr or proc.stderr.rstrip().endswith("SOCKET_EVENTS="), proc.stderr[-2000:]


def test_a_broken_file_does_not_stop_the_others(cli, tmp_path):
    (tmp_path / "a-broken.yaml").write_text("Resources:\n  X: [unclosed\n")
    (tmp_path / "b-correct.yaml").write_text((EXAMPLES / "correct" / "rum-web.yaml").read_text())
    (tmp_path / "c-broken.yaml").write_text((EXAMPLES / "broken" / "rum-shop.yaml").read_text())
    result = cli("check", str(tmp_path), "--format", "json")
    findings = result.json()["findings"]
    by_file = {Path(f["location"]["path"]).name for f in findings}
    assert {"a-broken.yaml", "c-broken.yaml"} <= by_file
    src = [f for f in findings if f["rule_id"] == "RUM-SRC-000"]
    assert src and src[0]["location"]["line"] is not None
    assert result.json()["summary"]["files_checked"] == 2


def test_explicit_unrecognized_file_is_reported(cli, tmp_path):
    readme = tmp_path / "notes.json"
    readme.write_text('{"name": "web", "version": "1.0.0"}')
    result = cli("check", str(readme), "--format", "json")
    assert [f["rule_id"] for f in result.json()["findings"]] == ["RUM-SRC-002"]
    # Found by walking, the same file is skipped quietly.
    assert cli("check", str(tmp_path), "--format", "json").json()["findings"] == []


def test_checks_of_same_named_resources_in_two_templates_are_counted_apart(cli, tmp_path):
    # Two stacks with the same logical ids: each (rule, resource) check is an outcome of its own file.
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "rum.yaml").write_text((EXAMPLES / "correct" / "rum-web.yaml").read_text())
    one = cli("check", str(tmp_path / "a"), "--format", "json").json()["summary"]["checks"]
    two = cli("check", str(tmp_path), "--format", "json").json()["summary"]["checks"]
    inventory_wide = 1      # rules over the whole input run once per run, not once per file
    assert two["pass"] + two["not_applicable"] == 2 * (one["pass"] + one["not_applicable"]) - inventory_wide
    assert one["pass"] > 0


@pytest.mark.parametrize("argv", [
    ["check"], ["check", "a.yaml", "b/", "--format", "sarif", "-o", "x.sarif", "--fail-on", "warning"],
    ["check", "-", "--stdin-filename", "t.yaml", "-q", "--statistics"],
    ["audit", "--region", "us-east-1", "--format", "json"], ["rules", "--format", "json"],
    ["rule", "RUM-TRUST-003"], ["completion", "bash"], ["fix", "a.yaml", "--diff", "--unsafe-fixes"],
    ["init", "--monitor", "shop", "--domain", "shop.example.com", "--format", "terraform"],
])
def test_the_one_command_parser_reads_arguments_as_the_whole_parser_does(argv, capsys):
    from rumpolicy.cli import build_parser

    assert build_parser(argv[0]).parse_args(argv) == build_parser().parse_args(argv)
    for parser in (build_parser(argv[0]), build_parser()):
        with pytest.raises(SystemExit):
            parser.parse_args([argv[0], "--help"])
    alone, whole = capsys.readouterr().out.split(f"usage: rumpolicy {argv[0]}")[1:]
    assert alone == whole
