"""Exact IAM, from the command line: inputs on which rumpolicy's evaluator used to disagree with IAM (and with a
second evaluator, @cloud-copilot/iam-simulate). Each test checks a template through `rumpolicy check` and
asserts the findings: id, severity, line and what the message says."""

from __future__ import annotations

import time

import pytest

ACCOUNT = "123456789012"
MONITOR_ARN = f"arn:aws:rum:us-east-1:{ACCOUNT}:appmonitor/web"
PUT = "rum:PutRumEvents"


def template(statement: str, *, head: str = "", classic_flow: bool = True) -> str:
    """A basic-flow RUM stack, region and account pinned; ``statement`` is the guest role's only
    identity statement, as YAML lines indented for their place: `Effect` on line 38, then `Action`
    and `Resource`."""
    text = (
        'AWSTemplateFormatVersion: "2010-09-09"\n'
        f'Metadata:\n  rumpolicy:\n    region: us-east-1\n    account: "{ACCOUNT}"\n'
        f"{head}"
        "Resources:\n"
        "  RumPool:\n    Type: AWS::Cognito::IdentityPool\n    Properties:\n"
        "      AllowUnauthenticatedIdentities: true\n"
        f"      AllowClassicFlow: {'true' if classic_flow else 'false'}\n"
        "  RumPoolRoles:\n    Type: AWS::Cognito::IdentityPoolRoleAttachment\n    Properties:\n"
        "      IdentityPoolId: !Ref RumPool\n      Roles:\n        unauthenticated: !GetAtt GuestRole.Arn\n"
        "  GuestRole:\n    Type: AWS::IAM::Role\n    Properties:\n"
        "      AssumeRolePolicyDocument:\n        Version: \"2012-10-17\"\n        Statement:\n"
        "          - Effect: Allow\n            Principal:\n              Federated: cognito-identity.amazonaws.com\n"
        "            Action: sts:AssumeRoleWithWebIdentity\n            Condition:\n"
        "              StringEquals:\n                cognito-identity.amazonaws.com:aud: !Ref RumPool\n"
        "              ForAnyValue:StringLike:\n                cognito-identity.amazonaws.com:amr: unauthenticated\n"
        "      Policies:\n        - PolicyName: guest\n          PolicyDocument:\n"
        "            Version: \"2012-10-17\"\n            Statement:\n"
        f"{statement}"
        "  Monitor:\n    Type: AWS::RUM::AppMonitor\n    Properties:\n      Name: web\n      Domain: example.com\n"
        "      AppMonitorConfiguration:\n        IdentityPoolId: !Ref RumPool\n"
        + ("        GuestRoleArn: !GetAtt GuestRole.Arn\n" if classic_flow else ""))
    return text


def put_statement(resource: str, *, effect: str = "Allow", condition: str = "") -> str:
    return (f"              - Effect: {effect}\n                Action: {PUT}\n"
            f"                Resource: \"{resource}\"\n{condition}")


def check(cli, tmp_path, text: str, *, shift: int = 0):
    path = tmp_path / "rum.yaml"
    path.write_text(text)
    result = cli("check", str(path), "--format", "json")
    assert result.status in (0, 1), result.err
    findings = result.json()["findings"]
    return result.status, findings, [(f["rule_id"], f["severity"], f["location"]["line"] - shift) for f in findings]


# ----------------------------------------------------------------------------- 1. wildcards stay in their ARN field

@pytest.mark.parametrize("resource", [
    f"arn:aws:r*1:{ACCOUNT}:appmonitor/web",            # a `*` inside a field cannot swallow `:us-east`
    f"arn:aws:rum?us-east-1:{ACCOUNT}:appmonitor/web",  # `?` never stands for a field separator
    f"arn:aws:rum:us-east-1?{ACCOUNT}:appmonitor/web",
])
def test_a_wildcard_that_would_have_to_span_an_arn_field_does_not_reach_the_monitor(cli, tmp_path, resource):
    status, findings, located = check(cli, tmp_path, template(put_statement(resource)))
    assert located == [("RUM-PERM-001", "error", 40), ("RUM-PERM-004", "warning", 40)]
    assert f"does not allow `{PUT}` on `{MONITOR_ARN}`" in findings[0]["message"]
    assert status == 1


@pytest.mark.parametrize("resource", [
    "arn:aws:rum:*:appmonitor/web",                     # a `*` that ends its field runs on across `:`
    f"arn:aws:r*m:us-east-1:{ACCOUNT}:appmonitor/web",
    f"arn:aws:rum:us-east-1:{ACCOUNT}:appmonitor/w?b",
])
def test_wildcards_that_stay_in_their_field_reach_the_monitor(cli, tmp_path, resource):
    status, findings, located = check(cli, tmp_path, template(put_statement(resource)))
    assert located == [("RUM-PERM-004", "warning", 40)]
    assert status == 0


# ----------------------------------------------------------------------------- 2. numbers as IAM reads them

def deny_unless_account(value: str) -> str:
    """A monitor whose resource policy denies every caller whose account is not ``value`` (compared as
    numbers): its own guests, of account 123456789012, are what a correct reading lets through."""
    return (
        'AWSTemplateFormatVersion: "2010-09-09"\n'
        f'Metadata:\n  rumpolicy:\n    region: us-east-1\n    account: "{ACCOUNT}"\n'
        "Resources:\n  Monitor:\n    Type: AWS::RUM::AppMonitor\n    Properties:\n      Name: web\n"
        "      Domain: example.com\n      AppMonitorConfiguration:\n"
        "        IdentityPoolId: us-east-1:0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d\n"
        f"        GuestRoleArn: arn:aws:iam::{ACCOUNT}:role/guest\n"
        "      ResourcePolicy:\n        PolicyDocument: |\n"
        '          {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": "*",\n'
        f'           "Action": "{PUT}", "Resource": "{MONITOR_ARN}",\n'
        f'           "Condition": {{"NumericNotEquals": {{"aws:PrincipalAccount": "{value}"}}}}}}]}}\n')


ROLE_NOT_IN_INPUT = ("RUM-SRC-001", "info", 14)


def test_a_plain_number_decides_the_numeric_condition(cli, tmp_path):
    status, findings, located = check(cli, tmp_path, deny_unless_account(ACCOUNT))
    assert located == [ROLE_NOT_IN_INPUT]
    assert status == 0


@pytest.mark.parametrize("value", ["123_456_789_012", " 123456789012 ", "+123456789012", "1.23456789012e11",
                                   "nan", "NaN", "infinity"])
def test_a_numeric_value_iam_does_not_read_as_a_number_leaves_the_deny_undecided(cli, tmp_path, value):
    # float() read the first four as the account id (the Deny surely did not apply: a silent pass) and
    # `nan`/`infinity` as numbers unequal to it (the Deny surely applied: a confident error).
    status, findings, located = check(cli, tmp_path, deny_unless_account(value))
    assert located == [ROLE_NOT_IN_INPUT, ("RUM-RBP-007", "warning", 16)]
    assert findings[1]["message"] == ("this Deny also blocks Cognito-signed browsers of app monitor Monitor whenever "
                                      f"`NumericNotEquals aws:PrincipalAccount {value}` holds")
    assert status == 0


# ----------------------------------------------------------------------------- 3. NotAction as a complement

NOT_IAM = '              - Effect: Allow\n                NotAction: iam:*\n                Resource: "*"\n'
RUM_WRITES = ("rum:PutResourcePolicy", "rum:UpdateAppMonitor", "rum:DeleteAppMonitor", "rum:CreateAppMonitor",
              "rum:DeleteResourcePolicy", "rum:TagResource", "rum:UntagResource", "rum:PutRumMetricsDestination",
              "rum:BatchCreateRumMetricDefinitions", "rum:BatchDeleteRumMetricDefinitions",
              "rum:UpdateRumMetricDefinition", "rum:DeleteRumMetricsDestination")


def test_not_action_iam_is_checked_quickly_and_names_every_rum_action_it_grants(cli, tmp_path):
    started = time.process_time()
    status, findings, located = check(cli, tmp_path, template(NOT_IAM))
    spent = time.process_time() - started
    assert located == [("RUM-PERM-005", "error", 39), ("RUM-PERM-004", "warning", 40)]
    message = findings[0]["message"]
    assert message.startswith("`NotAction: iam:*` grants guests `rum:PutResourcePolicy`, `rum:UpdateAppMonitor`")
    for action in RUM_WRITES:
        assert f"`{action}`" in message
    assert f"`{PUT}`" in message and "rum:PutRumEvents`," not in message    # the one it should grant is not listed
    assert "every action of the other services except `iam:*`" in message
    assert message.endswith("through the basic flow")
    assert "`Resource: *` lets guest credentials call `rum:PutRumEvents`" in findings[1]["message"]
    assert status == 1
    # It used to list all 23,000 catalogued actions (seconds of CPU); benchmarks/notaction.py has the figures.
    assert spent < 1.0, spent


def test_not_action_in_the_enhanced_flow_lists_what_the_session_policy_leaves(cli, tmp_path):
    status, findings, located = check(cli, tmp_path, template(NOT_IAM, classic_flow=False))
    assert located == [("RUM-PERM-005", "warning", 39), ("RUM-PERM-004", "warning", 40)]
    message = findings[0]["message"]
    assert message.startswith("`NotAction: iam:*` grants guests `comprehend:BatchDetectDominantLanguage`")
    assert message.endswith("which Cognito's session policy still lets enhanced-flow guests use")


def test_not_action_that_excludes_rum_still_reports_the_other_services(cli, tmp_path):
    statement = NOT_IAM.replace("NotAction: iam:*", "NotAction: [rum:*, iam:*]")
    status, findings, located = check(cli, tmp_path, template(statement))
    assert ("RUM-PERM-005", "error", 39) in located
    message = next(f["message"] for f in findings if f["rule_id"] == "RUM-PERM-005")
    assert "rum:" not in message.split(" beyond ")[0].replace("`NotAction: rum:*, iam:*`", "")
    assert "more actions" in message


# ----------------------------------------------------------------------------- 4. Effect: !If

CONDITIONS_UNDECIDED = ("Parameters:\n  Env:\n    Type: String\n"
                        "Conditions:\n  IsProd: !Equals [!Ref Env, prod]\n")


def conditions_from_default(default: str) -> str:
    return (f"Parameters:\n  Env:\n    Type: String\n    Default: {default}\n"
            "Conditions:\n  IsProd: !Equals [!Ref Env, prod]\n")


def test_effect_if_on_an_undecidable_condition_is_not_checked_rather_than_an_error(cli, tmp_path):
    text = template(put_statement(MONITOR_ARN, effect="!If [IsProd, Allow, Deny]"), head=CONDITIONS_UNDECIDED)
    status, findings, located = check(cli, tmp_path, text, shift=5)
    assert [rule for rule, _, _ in located] == ["RUM-SRC-001", "RUM-SRC-001"]
    assert all(severity == "info" for _, severity, _ in located)
    assert not any(f["rule_id"] == "RUM-SRC-000" for f in findings)
    joined = " ".join(f["message"] for f in findings)
    assert "`Effect` could not be resolved: depends on condition 'IsProd'" in joined
    assert "RUM-PERM-001" in joined
    assert status == 0


def test_effect_if_on_a_condition_decided_by_a_parameter_default_uses_that_branch(cli, tmp_path):
    statement = put_statement(MONITOR_ARN, effect="!If [IsProd, Allow, Deny]")
    status, findings, located = check(cli, tmp_path, template(statement, head=conditions_from_default("dev")),
                                      shift=6)
    assert located == [("RUM-PERM-001", "error", 38)]          # the Deny it became
    assert "explicitly denied by identity-based policy 'guest'" in findings[0]["message"]
    assert status == 1
    status, findings, located = check(cli, tmp_path, template(statement, head=conditions_from_default("prod")))
    assert located == []
    assert status == 0
