"""Terraform from the command line: folders, modules, variable files, plans, and the same answers as CloudFormation."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from tests.conftest import ROOT

EXAMPLES = ROOT / "examples"
PLANS = ROOT / "fixtures" / "inputs" / "terraform-plan"
TERRAFORM = ROOT / "fixtures" / "inputs" / "terraform"


def findings(result) -> list[dict]:
    assert result.status in (0, 1), result.err
    return result.json()["findings"]


def ids(result, *, severities=("error", "warning")) -> set[str]:
    return {f["rule_id"] for f in findings(result) if f["severity"] in severities}


@pytest.mark.parametrize("example", ["correct", "broken"])
def test_terraform_finds_what_cloudformation_finds(cli, example):
    cloudformation = cli("check", str(EXAMPLES / example), "--format", "json")
    configuration = cli("check", str(EXAMPLES / "terraform" / example), "--format", "json")
    plan = cli("check", str(PLANS / f"example-{example}.json"), "--format", "json")
    expected = ids(cloudformation, severities=("error", "warning", "info"))
    assert ids(configuration, severities=("error", "warning", "info")) == expected
    # A plan knows less than the configuration before apply: what it cannot see is info, the rest is the same.
    assert ids(plan) == ids(cloudformation)
    assert {f["severity"] for f in findings(plan) if f["rule_id"] not in expected} <= {"info"}
    if example == "broken":
        assert expected == {"RUM-POOL-002", "RUM-TRUST-002", "RUM-PERM-005", "RUM-PERM-004"}


def test_terraform_findings_point_at_the_attribute(cli):
    result = cli("check", str(EXAMPLES / "terraform" / "broken"), "--format", "json")
    path = EXAMPLES / "terraform" / "broken" / "main.tf"
    lines = path.read_text().splitlines()
    located = {f["rule_id"]: f["location"] for f in findings(result)}
    assert lines[located["RUM-POOL-002"]["line"] - 1].strip() == "allow_classic_flow = false"
    assert located["RUM-POOL-002"]["pointer"] == "/resource/aws_cognito_identity_pool/shop/allow_classic_flow"
    assert lines[located["RUM-TRUST-002"]["line"] - 1].strip() == "Condition = {"
    assert located["RUM-TRUST-002"]["pointer"] == \
        "/resource/aws_iam_role/shop_guest/assume_role_policy/Statement/0/Condition"
    assert lines[located["RUM-PERM-005"]["line"] - 1].strip() == 'Action   = "rum:*"'
    assert all(loc["path"].endswith("main.tf") for loc in located.values())


def test_a_correct_setup_yields_nothing_and_unknown_plan_values_only_info(cli):
    assert findings(cli("check", str(EXAMPLES / "terraform" / "correct"), "--format", "json")) == []
    plan = findings(cli("check", str(PLANS / "example-correct.json"), "--format", "json"))
    assert plan and {f["severity"] for f in plan} == {"info"}
    assert {f["rule_id"] for f in plan} == {"RUM-SRC-001"}


def test_explicit_classic_flow_with_guest_role_is_correct(cli, tmp_path):
    text = (EXAMPLES / "terraform" / "broken" / "main.tf").read_text()
    fixed = text.replace("allow_classic_flow = false", "allow_classic_flow = true")
    (tmp_path / "main.tf").write_text(fixed)
    assert ids(cli("check", str(tmp_path), "--format", "json")) == {"RUM-TRUST-002", "RUM-PERM-005", "RUM-PERM-004"}
    unset = text.replace("  allow_classic_flow = false\n", "")
    (tmp_path / "main.tf").write_text(unset)
    pool_002 = [f for f in findings(cli("check", str(tmp_path), "--format", "json")) if f["rule_id"] == "RUM-POOL-002"]
    assert len(pool_002) == 1 and "provider's default `false`" in pool_002[0]["message"]
    assert pool_002[0]["severity"] == "error"


def test_a_folder_is_one_module_and_called_modules_are_not_roots(cli):
    result = cli("check", str(TERRAFORM / "basic-flow-module"), "--format", "json")
    subjects = {f["subject"] for f in findings(result)}
    assert "module.rum.aws_cognito_identity_pool.this" in subjects
    assert not any(s.startswith("aws_cognito_identity_pool.") for s in subjects)     # modules/rum not a root
    assert result.json()["summary"]["files_checked"] == 6


def test_an_explicit_tf_file_is_checked_alone(cli, tmp_path):
    (tmp_path / "pool.tf").write_text('resource "aws_cognito_identity_pool" "p" {\n  identity_pool_name = "p"\n'
                                      '  allow_unauthenticated_identities = true\n}\n')
    (tmp_path / "monitor.tf").write_text('resource "aws_rum_app_monitor" "m" {\n  name = "m"\n  domain = "x.com"\n'
                                         '  app_monitor_configuration {\n'
                                         '    identity_pool_id = aws_cognito_identity_pool.p.id\n  }\n}\n')
    alone = findings(cli("check", str(tmp_path / "monitor.tf"), "--format", "json"))
    assert any("undeclared resource aws_cognito_identity_pool.p" in f["message"] for f in alone)
    together = findings(cli("check", str(tmp_path), "--format", "json"))
    assert not any("undeclared" in f["message"] for f in together)
    assert any(f["rule_id"] == "RUM-ATT-001" for f in together)       # linked: the pool has no guest role


def test_var_files(cli):
    case = TERRAFORM / "var-file"
    without = findings(cli("check", str(case), "--format", "json"))
    assert any("--var-file" in f["message"] for f in without)
    with_file = cli("check", str(case), "--var-file", str(case / "prod.tfvars"), "--format", "json")
    assert "RUM-POOL-002" in ids(with_file)
    assert cli("check", str(case), "--var-file", str(case / "missing.tfvars")).status == 2


def test_a_broken_var_file_is_a_finding(cli, tmp_path):
    (tmp_path / "main.tf").write_text('variable "x" {}\n')
    (tmp_path / "bad.tfvars").write_text('x = [1,\n')
    result = findings(cli("check", str(tmp_path), "--var-file", str(tmp_path / "bad.tfvars"), "--format", "json"))
    (error,) = [f for f in result if f["rule_id"] == "RUM-SRC-000"]
    assert error["location"]["path"].endswith("bad.tfvars") and error["location"]["line"] == 2


def test_terraform_json_is_not_taken_for_cloudformation_or_iam(cli, tmp_path):
    (tmp_path / "main.tf.json").write_text('{"resource": {"aws_iam_role": {"Resources": {"name": "r", '
                                           '"assume_role_policy": "{\\"Version\\": \\"2012-10-17\\", '
                                           '\\"Statement\\": []}"}}}}')
    result = cli("check", str(tmp_path / "main.tf.json"), "--format", "json")
    assert findings(result) == []
    assert result.json()["summary"]["files_checked"] == 1


def test_plan_with_unsupported_format_version(cli):
    result = cli("check", str(PLANS / "format-version-2.json"), "--format", "json")
    (finding,) = findings(result)
    assert finding["rule_id"] == "RUM-SRC-000" and finding["location"]["line"] == 2
    assert result.status == 1


def test_a_broken_tf_file_does_not_stop_the_others(cli, tmp_path):
    shutil.copytree(TERRAFORM / "syntax-error", tmp_path / "infra")
    shutil.copy(EXAMPLES / "broken" / "rum-shop.yaml", tmp_path / "rum-shop.yaml")
    result = findings(cli("check", str(tmp_path), "--format", "json"))
    assert {"RUM-SRC-000", "RUM-ATT-001", "RUM-POOL-002"} <= {f["rule_id"] for f in result}
    (error,) = [f for f in result if f["rule_id"] == "RUM-SRC-000"]
    assert error["location"]["path"].endswith("broken.tf") and error["location"]["line"] == 7


def test_terraform_needs_no_heavy_import_and_no_network():
    code = (
        "import sys\n"
        "events = []\n"
        "sys.addaudithook(lambda event, args: events.append(event) if event.startswith('socket.') else None)\n"
        "from rumpolicy.cli import main\n"
        "main(['check', 'examples/terraform', 'fixtures/inputs/terraform', 'fixtures/inputs/terraform-plan'])\n"
        "heavy = sorted(m for m in ('boto3', 'botocore', 'cfnlint', 'moto', 'policyuniverse') if m in sys.modules)\n"
        "print('HEAVY=' + ','.join(heavy) + ' SOCKET=' + ','.join(events), file=sys.stderr)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert proc.stderr.rstrip().endswith("HEAVY= SOCKET="), proc.stderr[-2000:]
