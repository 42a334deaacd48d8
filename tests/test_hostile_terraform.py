"""Hostile Terraform inputs from the command line: bounded cost, files that are not files, and verdicts.

Every case runs ``rumpolicy check`` on files written here and asserts the exit status and the findings
with their file and line.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

from tests.conftest import ROOT

# The targets (2 s, 200 MiB) are measured by benchmarks/hostile_terraform.py. Here the bound on time is
# loose, so that a loaded CI machine cannot fail it, yet far below what an unbounded parse costs (41 s,
# 880 MiB); memory is the process's own peak, which the machine's load does not change.
TIME_LIMIT = 10.0                 # seconds, wall clock, for the whole process
MEMORY_LIMIT = 200 * 1024 * 1024  # bytes of peak resident memory
# The child reports its own peak (VmHWM) as it exits: the ru_maxrss that wait4 gives also counts the
# pages it shared with this (large) pytest process between fork and exec.
CHILD = """\
import atexit, sys
def peak():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                sys.stderr.write("\\nrumpolicy-test-VmHWM " + line.split()[1] + "\\n")
atexit.register(peak)
from rumpolicy.cli import main
sys.exit(main(sys.argv[1:]))
"""
NESTING = 1_000_000

GOOD_MONITOR = '''
provider "aws" {
  region = "us-east-1"
}

resource "aws_rum_app_monitor" "web" {
  name   = "web"
  domain = "example.com"
  app_monitor_configuration {
    identity_pool_id = "us-east-1:11111111-2222-3333-4444-555555555555"
  }
}
'''


def run_measured(*args: str) -> tuple[int, dict, float, int]:
    """``rumpolicy check --format json`` in a fresh process: exit status, report, wall seconds, peak RSS bytes."""
    import tempfile
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-c", CHILD, "check", "--format", "json", *args],
                                stdout=out, stderr=err, cwd=ROOT)
        proc.wait()
        elapsed = time.perf_counter() - start
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    assert proc.returncode in (0, 1), stderr.decode()
    peak_kib = int(stderr.decode().rsplit("rumpolicy-test-VmHWM ", 1)[1].split()[0])
    return proc.returncode, json.loads(stdout), elapsed, peak_kib * 1024


def located(report: dict) -> set[tuple[str, str, int | None]]:
    return {(f["rule_id"], os.path.basename(f["location"]["path"]), f["location"].get("line"))
            for f in report["findings"]}


@pytest.mark.parametrize("opener,closer", [("[", "]"), ("{", "}"), ("(", ")")])
def test_a_million_nested_brackets_are_refused_quickly_and_the_other_files_checked(tmp_path, opener, closer):
    deep = tmp_path / "deep"
    deep.mkdir()
    (deep / "main.tf").write_text("# hostile\nx = " + opener * NESTING + closer * NESTING + "\n")
    good = tmp_path / "good"
    good.mkdir()
    (good / "main.tf").write_text(GOOD_MONITOR)
    # A real finding in the other folder proves it was checked: a monitor without any authorization.
    (good / "open.tf").write_text('resource "aws_rum_app_monitor" "open" {\n  name   = "open"\n'
                                  '  domain = "example.com"\n}\n')
    status, report, elapsed, peak = run_measured(str(deep), str(good))
    assert status == 1
    assert elapsed < TIME_LIMIT, f"{elapsed:.2f}s"
    assert peak < MEMORY_LIMIT, f"{peak / 2**20:.0f} MiB"
    found = located(report)
    assert ("RUM-SRC-000", "main.tf", 2) in found
    source_error = next(f for f in report["findings"] if f["rule_id"] == "RUM-SRC-000")
    assert "nests deeper than" in source_error["message"]
    assert source_error["location"]["path"].endswith("deep/main.tf")
    assert ("RUM-MON-003", "open.tf", 1) in found


def test_brackets_in_strings_comments_and_heredocs_are_not_nesting(tmp_path):
    deep_text = "[" * 500
    (tmp_path / "main.tf").write_text(f'''
# {deep_text}
/* {deep_text} */
// {deep_text}
locals {{
  quoted  = "{deep_text}${{"]"}}{deep_text}"
  escaped = "$${{{deep_text}}}"
  doc     = <<-EOT
    {deep_text}
  EOT
}}
''' + GOOD_MONITOR)
    status, report, _, _ = run_measured(str(tmp_path))
    assert status == 0, report["findings"]
    assert report["findings"] == []


def test_deep_nesting_inside_an_interpolation_or_heredoc_is_refused(tmp_path):
    (tmp_path / "main.tf").write_text('locals {\n  a = "${' + "[" * 5000 + "]" * 5000 + '}"\n}\n')
    (tmp_path / "heredoc.tf").write_text('locals {\n  b = <<EOT\n${' + "(" * 5000 + "1" + ")" * 5000
                                         + '}\nEOT\n}\n')
    status, report, elapsed, _ = run_measured(str(tmp_path))
    assert status == 1
    assert elapsed < TIME_LIMIT
    found = {(rule, name) for rule, name, _ in located(report)}
    assert ("RUM-SRC-000", "main.tf") in found
    assert ("RUM-SRC-000", "heredoc.tf") in found or ("RUM-SRC-001", "heredoc.tf") in found
    assert ("RUM-SRC-000", "heredoc.tf") in found        # refused, not merely left unresolved


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
@pytest.mark.parametrize("call", ['file("${path.module}/pipe")',
                                  'templatefile("${path.module}/pipe", {})',
                                  'file("/dev/zero")',
                                  'fileexists("${path.module}/pipe") ? "a" : "b"'])
def test_file_functions_never_open_a_fifo_or_a_device(tmp_path, call):
    os.mkfifo(tmp_path / "pipe")
    (tmp_path / "main.tf").write_text(f'''resource "aws_iam_role" "guest" {{
  name               = "guest"
  assume_role_policy = {call}
}}
''' + GOOD_MONITOR)
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "rumpolicy", "check", "--format", "json", str(tmp_path)],
                          capture_output=True, text=True, timeout=30, cwd=ROOT)
    assert time.perf_counter() - start < 10
    assert proc.returncode in (0, 1), proc.stderr
    report = json.loads(proc.stdout)
    # The role's trust policy is not known: reported at the attribute, never read from the pipe.
    assert ("RUM-SRC-001", "main.tf", 3) in located(report)


@pytest.mark.parametrize("text,line,what", [
    ('x = "' + "a" * 2_000_000 + '"\n', 1, "string"),
    ("# ok\n/* " + "a" * 2_000_000 + " */\nx = 1\n", 2, "comment"),
    ("x = 1\ny = <<EOT\n" + ("a" * 79 + "\n") * 25_000 + "EOT\n", 2, "heredoc"),
])
def test_a_two_megabyte_token_is_refused_within_bounds(tmp_path, text, line, what):
    (tmp_path / "main.tf").write_text(text)
    status, report, elapsed, peak = run_measured(str(tmp_path))
    assert status == 1
    assert elapsed < TIME_LIMIT and peak < MEMORY_LIMIT, (elapsed, peak)
    assert ("RUM-SRC-000", "main.tf", line) in located(report)
    assert any(f"the {what} is longer than" in f["message"] for f in report["findings"])


# -- verdicts on Terraform configurations ---------------------------------------------------------------

UNKNOWN_EXPANSION = '''provider "aws" {
  region = "us-east-1"
}

variable "n" {
  type = number
}

variable "names" {
  type = set(string)
}

resource "aws_rum_app_monitor" "counted" {
  count  = var.n
  name   = "web-${count.index}"
  domain = "example.com"
}

resource "aws_rum_app_monitor" "each" {
  for_each = var.names
  name     = each.key
  domain   = "example.com"
}
'''


def test_a_monitor_with_an_unknown_count_is_checked_for_what_holds_in_every_instance(tmp_path):
    (tmp_path / "main.tf").write_text(UNKNOWN_EXPANSION)
    status, report, _, _ = run_measured("--fail-on", "warning", str(tmp_path))
    assert status == 1
    found = located(report)
    assert ("RUM-MON-003", "main.tf", 13) in found          # count = var.n
    assert ("RUM-MON-003", "main.tf", 19) in found          # for_each = var.names
    # What differs between instances (the name) is not checked, and says so.
    assert ("RUM-SRC-001", "main.tf", 15) in found
    assert ("RUM-SRC-001", "main.tf", 21) in found


def test_a_resource_policy_counted_like_its_monitor_authorizes_every_instance(tmp_path):
    (tmp_path / "main.tf").write_text(UNKNOWN_EXPANSION.split('resource "aws_rum_app_monitor" "each"')[0] + '''
resource "aws_rum_resource_policy" "counted" {
  count            = var.n
  app_monitor_name = aws_rum_app_monitor.counted[count.index].name
  policy_document = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = "*"
      Action    = "rum:PutRumEvents"
      Resource  = aws_rum_app_monitor.counted[count.index].arn
      Condition = { StringEquals = { "aws:SourceVpce" = "vpce-1234567890abcdef0" } }
    }]
  })
}
''')
    status, report, _, _ = run_measured(str(tmp_path))
    assert status == 0
    assert "RUM-MON-003" not in {rule for rule, _, _ in located(report)}


@pytest.mark.parametrize("written,meant", [
    ("aws_cloudwatch_rum_app_monitor", "aws_rum_app_monitor"),
    ("aws_rum_appmonitor", "aws_rum_app_monitor"),
    ("aws_cognito_identity_pool_role_attachments", "aws_cognito_identity_pool_roles_attachment"),
])
def test_a_misspelled_rum_or_cognito_type_is_reported_with_the_real_one(tmp_path, written, meant):
    (tmp_path / "main.tf").write_text(GOOD_MONITOR + f'\nresource "{written}" "x" {{\n  name = "x"\n}}\n')
    status, report, _, _ = run_measured(str(tmp_path))
    assert status == 0                      # info only
    (note,) = [f for f in report["findings"] if f["rule_id"] == "RUM-SRC-002"]
    assert (os.path.basename(note["location"]["path"]), note["location"]["line"]) == ("main.tf", 14)
    assert f"'{written}'" in note["message"] and f"'{meant}'" in note["message"]


def test_real_lookalike_types_are_not_reported(tmp_path):
    (tmp_path / "main.tf").write_text(GOOD_MONITOR + '\nresource "aws_rum_metrics_destination" "x" {\n'
                                      '  app_monitor_name = "web"\n  destination = "CloudWatch"\n}\n'
                                      'resource "aws_iam_user_policy" "u" {\n  user = "u"\n  policy = "{}"\n}\n')
    status, report, _, _ = run_measured(str(tmp_path))
    assert status == 0 and report["findings"] == []


# -- plans read like AWS will see them ----------------------------------------------------------------

POOL_ID = "us-east-1:11111111-2222-3333-4444-555555555555"
ROLE_ARN = "arn:aws:iam::123456789012:role/rum-guest"


def write_plan(path, *, monitor_arn: str | None, pool_arn: str | None, monitor_resource: str = "*") -> None:
    """A ``terraform show -json`` plan of a basic-flow setup; the configuration section names the
    resources but carries no expressions (as for resources whose expressions are not shown)."""
    trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Federated": "cognito-identity.amazonaws.com"},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {"StringEquals": {"cognito-identity.amazonaws.com:aud": POOL_ID},
                      "ForAnyValue:StringLike": {"cognito-identity.amazonaws.com:amr": "unauthenticated"}}}]}
    permissions = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "rum:PutRumEvents", "Resource": monitor_resource}]}
    monitor = {"name": "web", "domain": "example.com",
               "app_monitor_configuration": [{"identity_pool_id": POOL_ID, "guest_role_arn": ROLE_ARN,
                                              "session_sample_rate": 1}]}
    pool = {"identity_pool_name": "rum", "allow_unauthenticated_identities": True, "allow_classic_flow": True}
    role = {"name": "rum-guest", "path": "/", "arn": ROLE_ARN, "assume_role_policy": json.dumps(trust),
            "inline_policy": [{"name": "rum", "policy": json.dumps(permissions)}]}
    if monitor_arn:
        monitor["arn"] = monitor_arn
    if pool_arn:
        pool["id"], pool["arn"] = POOL_ID, pool_arn
    attachment = {"identity_pool_id": POOL_ID, "roles": {"unauthenticated": ROLE_ARN}}

    def resource(kind, name, values):
        return {"address": f"{kind}.{name}", "mode": "managed", "type": kind, "name": name,
                "provider_name": "registry.terraform.io/hashicorp/aws", "schema_version": 0, "values": values}

    resources = [resource("aws_rum_app_monitor", "web", monitor), resource("aws_cognito_identity_pool", "rum", pool),
                 resource("aws_iam_role", "guest", role),
                 resource("aws_cognito_identity_pool_roles_attachment", "rum", attachment)]
    plan = {"format_version": "1.2", "terraform_version": "1.9.0",
            "planned_values": {"root_module": {"resources": resources}},
            "resource_changes": [{"address": r["address"], "type": r["type"], "name": r["name"], "mode": "managed",
                                  "change": {"actions": ["create"], "before": None, "after": r["values"],
                                             "after_unknown": {}}} for r in resources],
            "configuration": {"provider_config": {"aws": {"name": "aws"}},
                              "root_module": {"resources": [
                                  {"address": r["address"], "mode": "managed", "type": r["type"], "name": r["name"],
                                   "provider_config_key": "aws"} for r in resources]}}}
    path.write_text(json.dumps(plan, indent=2))


def test_planned_values_are_used_when_the_configuration_has_no_expressions(tmp_path):
    plan = tmp_path / "plan.json"
    write_plan(plan, monitor_arn="arn:aws:rum:us-east-1:123456789012:appmonitor/web",
               pool_arn="arn:aws:cognito-identity:us-east-1:123456789012:identitypool/" + POOL_ID,
               monitor_resource="arn:aws:rum:us-east-1:123456789012:appmonitor/web")
    status, report, _, _ = run_measured("--fail-on", "info", str(plan))
    # allow_classic_flow = true is planned (no RUM-POOL-002), and the literal ARNs pin region and
    # account, so nothing about the deploy target is left open.
    assert status == 0, report["findings"]
    assert report["findings"] == []


def test_a_monitor_arn_pins_the_region_against_the_pool_id(tmp_path):
    plan = tmp_path / "plan.json"
    write_plan(plan, monitor_arn="arn:aws:rum:eu-west-1:123456789012:appmonitor/web", pool_arn=None)
    status, report, _, _ = run_measured(str(plan))
    assert status == 1
    text = plan.read_text().splitlines()
    (mismatch,) = [f for f in report["findings"] if f["rule_id"] == "RUM-XREF-001"]
    assert mismatch["severity"] == "error"
    assert '"identity_pool_id"' in text[mismatch["location"]["line"] - 1]


def test_messages_about_a_plan_use_terraform_terms_not_cloudformation_tokens(tmp_path):
    plan = tmp_path / "plan.json"
    # No ARN says where the monitor is: its region is the provider's, known at apply.
    write_plan(plan, monitor_arn=None, pool_arn=None,
               monitor_resource="arn:aws:rum:us-east-1:123456789012:appmonitor/web")
    status, report, _, _ = run_measured("--fail-on", "error", str(plan))
    assert status == 0
    messages = [f["message"] for f in report["findings"]]
    assert any("${data.aws_region.current.name}" in message for message in messages), messages
    for message in messages:
        assert "AWS::" not in message and "!Ref" not in message and "Fn::" not in message, message


def test_a_resource_only_in_resource_changes_is_read_from_change_after(tmp_path):
    plan = tmp_path / "plan.json"
    after = {"name": "web", "domain": "example.com", "arn": "arn:aws:rum:us-east-1:123456789012:appmonitor/web"}
    plan.write_text(json.dumps({
        "format_version": "1.2", "planned_values": {"root_module": {}},
        "resource_changes": [{"address": "aws_rum_app_monitor.web", "mode": "managed", "type": "aws_rum_app_monitor",
                              "name": "web", "change": {"actions": ["create"], "before": None, "after": after,
                                                        "after_unknown": {}}}]}, indent=2))
    status, report, _, _ = run_measured("--fail-on", "warning", str(plan))
    assert status == 1
    (finding,) = report["findings"]
    assert finding["rule_id"] == "RUM-MON-003"
    assert finding["location"]["pointer"].startswith("/resource_changes/0/change")
    assert finding["location"]["line"] is not None
