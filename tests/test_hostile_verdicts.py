"""Right id, right verdict: inputs that used to get the wrong rule, the wrong severity or a pass, checked
from the command line (ids, severities, files and lines)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import ROOT

LOADER = ("(function(n,i,v,r,s,c,x,z){x=window.AwsRumClient={q:[],n:n,i:i,v:v,r:r,c:c};window[n]=function(c,p)"
          "{x.q.push({c:c,p:p});};z=document.createElement('script');z.async=true;z.src=s;"
          "document.head.insertBefore(z,document.getElementsByTagName('script')[0]);})(")
APP = "5f1e8a2c-3b4d-4e6f-8a9b-0c1d2e3f4a5b"
EU_POOL = "eu-west-1:0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
US_POOL = "us-east-1:0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
FULL_1X = "https://client.rum.us-east-1.amazonaws.com/1.x/cwr.js"
POOL_002 = ROOT / "fixtures" / "rules" / "RUM-POOL-002"


def report(cli, *args: str):
    result = cli("check", *args, "--format", "json")
    assert result.status in (0, 1), result.err
    return result.status, result.json()["findings"]


def located(findings: list[dict]) -> list[tuple[str, str, str, int]]:
    return [(f["rule_id"], f["severity"], Path(f["location"]["path"]).name, f["location"]["line"]) for f in findings]


def page(config: str, *, region: str = "eu-west-1", url: str = FULL_1X, before: str = "") -> str:
    # The call starts on line 4 and its config is on line 5; `before` (one line) moves both down by one.
    return (f"<!doctype html>\n<html><head>\n{before}<script>\n"
            f"{LOADER}'cwr','{APP}','1.0.0','{region}','{url}',\n{config});\n</script>\n</head></html>\n")


def template(monitor_config: str = "", *, region: bool = True) -> str:
    pinned = "Metadata:\n  rumpolicy:\n    region: eu-west-1\n    account: '123456789012'\n" if region else ""
    return (f"AWSTemplateFormatVersion: '2010-09-09'\n{pinned}Resources:\n  Monitor:\n"
            "    Type: AWS::RUM::AppMonitor\n    Properties:\n      Name: web\n      Domain: www.example.com\n"
            f"{monitor_config}")


# --- A1: a client's identity pool in another region than its monitor is RUM-XREF-001 ----------------------


def test_client_pool_in_another_region_than_the_monitor_it_names_is_xref_001(cli, tmp_path):
    (tmp_path / "rum.yaml").write_text(template(f"      AppMonitorConfiguration:\n        IdentityPoolId: {EU_POOL}\n"))
    (tmp_path / "index.html").write_text(page(
        f"{{identityPoolId: '{US_POOL}', endpoint: 'https://dataplane.rum.eu-west-1.amazonaws.com'}}",
        before="<!-- rumpolicy: app-monitor=web -->\n"))
    status, findings = report(cli, str(tmp_path))
    assert located(findings) == [("RUM-XREF-001", "error", "index.html", 6)]
    assert findings[0]["location"]["pointer"] == "/cwr/config/identityPoolId"
    assert status == 1


@pytest.mark.parametrize("declared, whose", [
    ((), "the region the web client names"),
    (("--app-monitor", "arn:aws:rum:eu-west-1:123456789012:appmonitor/web"),
     "app monitor arn:aws:rum:eu-west-1:123456789012:appmonitor/web")])
def test_client_pool_in_another_region_than_a_monitor_outside_the_input_is_xref_001(cli, tmp_path, declared, whose):
    (tmp_path / "index.html").write_text(page(f"{{identityPoolId: '{US_POOL}'}}",
                                              before="<!-- rumpolicy: app-monitor=web -->\n"))
    status, findings = report(cli, str(tmp_path / "index.html"), *declared)
    assert located(findings) == [("RUM-XREF-001", "error", "index.html", 6)]
    assert findings[0]["message"] == (f"web client identity pool `{US_POOL}` is in us-east-1, but the app monitor is "
                                      f"in eu-west-1 ({whose})")
    assert status == 1


def test_regions_that_disagree_are_an_error_even_when_the_stack_region_is_open(cli, tmp_path):
    # The stack's region is known only at deployment, but the monitor cannot be in both eu-west-1 and us-east-1.
    (tmp_path / "rum.yaml").write_text(template(f"      AppMonitorConfiguration:\n        IdentityPoolId: {EU_POOL}\n",
                                                region=False))
    (tmp_path / "index.html").write_text(page(f"{{identityPoolId: '{US_POOL}'}}",
                                              before="<!-- rumpolicy: app-monitor=web -->\n"))
    status, findings = report(cli, str(tmp_path))
    errors = [f for f in findings if f["severity"] == "error"]
    assert located(errors) == [("RUM-XREF-001", "error", "index.html", 6)]
    assert f"is in us-east-1, but identity pool `{EU_POOL}` is in eu-west-1" in errors[0]["message"]
    assert {f["rule_id"] for f in findings} == {"RUM-XREF-001", "RUM-SRC-001"}
    assert status == 1


# --- A2: a signing full-build client without identity pool or setAwsCredentials: RUM-CLIENT-007 ---------


def test_signing_client_without_pool_or_credentials_is_client_007(cli, tmp_path):
    (tmp_path / "index.html").write_text(page("{endpoint: 'https://dataplane.rum.eu-west-1.amazonaws.com'}"))
    status, findings = report(cli, str(tmp_path))
    assert located(findings) == [("RUM-CLIENT-007", "error", "index.html", 4)]
    assert "no script or page of its web project calls `setAwsCredentials`" in findings[0]["message"]
    assert status == 1


def test_credentials_set_elsewhere_in_the_project_pass(cli, tmp_path):
    (tmp_path / "package.json").write_text('{"name": "site"}')
    (tmp_path / "public").mkdir()
    (tmp_path / "public" / "index.html").write_text(page("{endpoint: 'https://dataplane.rum.eu-west-1.amazonaws.com'}"))
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "login.js").write_text("export function signedIn(creds) { cwr('setAwsCredentials', creds); }\n")
    status, findings = report(cli, str(tmp_path / "public" / "index.html"))
    assert findings == [] and status == 0


def test_a_fifo_in_the_web_project_is_never_opened(cli, tmp_path):
    # The project scan for `setAwsCredentials` used to open every script: a named pipe would block the run.
    import os
    (tmp_path / "index.html").write_text(page("{endpoint: 'https://dataplane.rum.eu-west-1.amazonaws.com'}"))
    os.mkfifo(tmp_path / "pipe.js")
    status, findings = report(cli, str(tmp_path / "index.html"))
    assert located(findings) == [("RUM-CLIENT-007", "warning", "index.html", 4)]   # not fully readable
    assert status == 0


def test_project_not_fully_readable_or_json_config_is_a_warning(cli, tmp_path):
    (tmp_path / "index.html").write_text(page("{endpoint: 'https://dataplane.rum.eu-west-1.amazonaws.com'}"))
    (tmp_path / "bundle.js").write_text("var a = 1;\n" * 400)          # above --max-file-size: not read
    status, findings = report(cli, str(tmp_path / "index.html"), "--max-file-size", "2KB")
    assert located(findings) == [("RUM-CLIENT-007", "warning", "index.html", 4)]
    assert status == 0
    config = tmp_path / "json" / "rum-config.json"
    config.parent.mkdir()
    config.write_text(json.dumps({"applicationId": APP, "applicationRegion": "eu-west-1", "clientBuild": "full",
                                  "endpoint": "https://dataplane.rum.eu-west-1.amazonaws.com"}, indent=2))
    status, findings = report(cli, str(config))
    assert located(findings) == [("RUM-CLIENT-007", "warning", "rum-config.json", 1)]
    assert "the code that starts it from this config is not part of the input" in findings[0]["message"]


def test_slim_and_unsigned_clients_are_not_client_007(cli, tmp_path):
    (tmp_path / "index.html").write_text(page(
        "{endpoint: 'https://dataplane.rum.eu-west-1.amazonaws.com', signing: false}"))
    _, findings = report(cli, str(tmp_path))
    assert "RUM-CLIENT-007" not in {f["rule_id"] for f in findings}


# --- A3: values of the wrong type in a JSON config are errors -------------------------------------------


def test_wrong_types_in_a_json_config_are_errors(cli, tmp_path):
    config = tmp_path / "rum-config.json"
    config.write_text(json.dumps({"applicationId": APP, "applicationRegion": "eu-west-1", "clientBuild": "full",
                                  "identityPoolId": [EU_POOL], "endpoint": 5}, indent=2))
    status, findings = report(cli, str(config))
    assert located(findings) == [("RUM-SRC-000", "error", "rum-config.json", 5),
                                 ("RUM-SRC-000", "error", "rum-config.json", 8)]
    assert [f["message"] for f in findings] == ["`identityPoolId` must be a string, not a list",
                                                "`endpoint` must be a string, not a number"]
    assert [f["location"]["pointer"] for f in findings] == ["/identityPoolId", "/endpoint"]
    assert status == 1


# --- A4: RUM-MON-003 points at the pool the monitor forgot to name -------------------------------------


def test_monitor_without_pool_is_pointed_at_the_unnamed_pool(cli):
    status, findings = report(cli, str(ROOT / "fixtures" / "rules" / "RUM-MON-003" / "bad-unnamed-pool.yaml"))
    assert located(findings) == [("RUM-MON-003", "warning", "bad-unnamed-pool.yaml", 45)]
    message = findings[0]["message"]
    assert ("identity pool RumPool (role GuestRole attached as `unauthenticated` by RumPoolRoles) in the same "
            "input is named by no app monitor: set `IdentityPoolId` on the monitor to it (and `GuestRoleArn` "
            "to its role for the basic flow)") in message
    assert [r["line"] for r in findings[0]["related"]] == [10]          # the pool's logical id
    assert status == 0


def test_terraform_monitor_without_pool_names_the_unnamed_pool_in_terraform_words(cli, tmp_path):
    (tmp_path / "main.tf").write_text(
        'resource "aws_cognito_identity_pool" "rum" {\n  identity_pool_name = "rum"\n'
        "  allow_unauthenticated_identities = true\n}\n"
        'resource "aws_cognito_identity_pool_roles_attachment" "rum" {\n'
        "  identity_pool_id = aws_cognito_identity_pool.rum.id\n"
        "  roles = { unauthenticated = aws_iam_role.guest.arn }\n}\n"
        'resource "aws_iam_role" "guest" {\n  name = "rum-guest"\n  assume_role_policy = "{}"\n}\n'
        'resource "aws_rum_app_monitor" "web" {\n  name = "web"\n  domain = "example.com"\n}\n')
    _, findings = report(cli, str(tmp_path))
    [monitor] = [f for f in findings if f["rule_id"] == "RUM-MON-003"]
    assert (monitor["severity"], monitor["location"]["line"]) == ("warning", 13)
    assert "identity pool aws_cognito_identity_pool.rum (role aws_iam_role.guest attached as `unauthenticated` by " \
           "aws_cognito_identity_pool_roles_attachment.rum)" in monitor["message"]
    assert "set `app_monitor_configuration.identity_pool_id` on the monitor" in monitor["message"]


def test_a_resource_policy_naming_its_monitor_at_deployment_leaves_mon_003_undecided(cli, tmp_path):
    # `app_monitor_name = var.monitor` may name this monitor: "no resource-based policy" would be a guess.
    (tmp_path / "main.tf").write_text(
        'variable "monitor" {}\n'
        'resource "aws_rum_app_monitor" "web" {\n  name = "web"\n  domain = "example.com"\n}\n'
        'resource "aws_rum_resource_policy" "open" {\n  app_monitor_name = var.monitor\n'
        '  policy_document = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow",'
        ' Principal = "*", Action = "rum:PutRumEvents", Resource = "*" }] })\n}\n')
    _, findings = report(cli, str(tmp_path))
    assert not [f for f in findings if f["rule_id"] == "RUM-MON-003"]
    [undecided] = [f for f in findings if f["rule_id"] == "RUM-SRC-001" and "RUM-MON-003" in f["message"]]
    assert (undecided["severity"], undecided["location"]["line"]) == ("info", 2)
    assert "aws_rum_resource_policy.open names its app monitor by a value known only at deployment " \
           "(`${var.monitor}`)" in undecided["message"]
    # A policy that names another monitor literally is not this one's: the warning stands.
    (tmp_path / "main.tf").write_text(
        'resource "aws_rum_app_monitor" "web" {\n  name = "web"\n  domain = "example.com"\n}\n'
        'resource "aws_rum_resource_policy" "other" {\n  app_monitor_name = "other"\n'
        '  policy_document = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow",'
        ' Principal = "*", Action = "rum:PutRumEvents", Resource = "*" }] })\n}\n')
    _, findings = report(cli, str(tmp_path))
    assert [(f["severity"], f["location"]["line"]) for f in findings if f["rule_id"] == "RUM-MON-003"] == \
        [("warning", 1)]


# --- B: RUM-POOL-002, an unset AllowClassicFlow is info --------------------------------------------------


def test_basic_flow_with_the_flag_unset_passes_fail_on_warning(cli):
    path = str(POOL_002 / "bad-unset.yaml")
    result = cli("check", path, "--fail-on", "warning", "--no-color")
    assert result.status == 0, result.out
    assert (f"{path}:7:3: info RUM-POOL-002 identity pool RumPool does not set `AllowClassicFlow`, and app monitor "
            "Monitor uses the basic flow (`GuestRoleArn`): this works today through undocumented behaviour; set "
            "`AllowClassicFlow: true` explicitly") in result.out
    status, findings = report(cli, path, "--fail-on", "warning")
    [finding] = findings
    assert (finding["rule_id"], finding["severity"]) == ("RUM-POOL-002", "info")
    assert "AllowClassicFlow: true" in finding["remediation"]
    assert cli("check", path, "--fail-on", "info").status == 1


def test_explicit_false_and_terraform_stay_errors(cli):
    for name, line in (("bad.yaml", 9), ("bad-explicit.tf", 7), ("bad.tf", 5)):
        status, findings = report(cli, str(POOL_002 / name))
        assert located(findings) == [("RUM-POOL-002", "error", name, line)], name
        assert status == 1


def test_aws_cli_output_without_the_field_is_info(cli, tmp_path):
    pool_id = "eu-west-1:9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a"
    (tmp_path / "describe-identity-pool.json").write_text(json.dumps(
        {"IdentityPoolId": pool_id, "IdentityPoolName": "shop", "AllowUnauthenticatedIdentities": True}, indent=2))
    (tmp_path / "get-app-monitor.json").write_text(json.dumps({"AppMonitor": {
        "Name": "shop", "Domain": "shop.example.com", "Id": APP,
        "AppMonitorConfiguration": {"IdentityPoolId": pool_id,
                                    "GuestRoleArn": "arn:aws:iam::123456789012:role/shop-guest"}}}, indent=2))
    _, findings = report(cli, str(tmp_path), "--region", "eu-west-1", "--account", "123456789012")
    [pool] = [f for f in findings if f["rule_id"] == "RUM-POOL-002"]
    assert (pool["severity"], Path(pool["location"]["path"]).name) == ("info", "describe-identity-pool.json")
    assert "works today through undocumented behaviour" in pool["message"]


def test_bundled_basic_flow_example_reports_only_info_and_passes_fail_on_warning(cli):
    result = cli("check", str(ROOT / "examples" / "basic-flow"), "--fail-on", "warning", "--format", "json")
    assert result.status == 0
    assert located(result.json()["findings"]) == [("RUM-POOL-002", "info", "rum-blog.yaml", 9)]
