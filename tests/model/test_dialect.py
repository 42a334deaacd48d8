"""Findings speak the input's dialect: property names, deploy-target wording and remediation snippets.

A finding about a template names `AllowUnauthenticatedIdentities` and offers YAML; the same finding
about Terraform names `allow_unauthenticated_identities` and offers HCL; about AWS CLI output, the API's
field names and JSON. The remediations are checked twice: they parse, and applying them to the broken
input makes the finding go away.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import hcl2
import pytest
import yaml

from tests.helpers import builtin_rules
from rumpolicy.engine import find_rule
from rumpolicy.findings import Location
from rumpolicy.model import AppMonitor, Environment, IdentityPool, ResourcePolicy, Role, RoleAttachment
from rumpolicy.model.dialect import (_PROPERTIES, Block, Dialect, Encoded, describe_place, dialect_of, policy_snippet,
                                     prop, property_snippet, render_for, snippet, undecided_place, yaml_scalar)
from rumpolicy.model.resources import GuestRole, WebClientConfig
from rumpolicy.model.symbols import ATTR, OPAQUE, PARAM, PSEUDO, REF, token
from tests.conftest import ROOT

RULES = ROOT / "fixtures" / "rules"
INPUTS = ROOT / "fixtures" / "inputs"
HERE = Location("test.tf")
REGION, ACCOUNT, PARTITION = token(PSEUDO, "AWS::Region"), token(PSEUDO, "AWS::AccountId"), token(PSEUDO, "AWS::Partition")


class TemplateLoader(yaml.SafeLoader):
    """YAML with CloudFormation's short-form tags (``!Ref``, ``!Sub`` ...) kept as ``{"!Ref": value}``."""


TemplateLoader.add_multi_constructor(
    "!", lambda loader, tag, node: {f"!{tag}": loader.construct_scalar(node)
                                    if isinstance(node, yaml.ScalarNode) else loader.construct_object(node)})


def findings(cli, *paths: Path | str, rule: str | None = None) -> list[dict]:
    result = cli("check", *(str(p) for p in paths), "--format", "json")
    assert result.status in (0, 1), result.err
    return [f for f in result.json()["findings"] if rule is None or f["rule_id"] == rule]


def own_remediation(finding: dict) -> str:
    """The finding's own snippet (not the rule's generic Fix section, which every finding falls back to)."""
    remediation = finding["remediation"]
    assert remediation and remediation != find_rule(finding["rule_id"]).section("Fix"), finding
    return remediation


# --- which dialect --------------------------------------------------------------------------------------

@pytest.mark.parametrize("kind, dialect", [
    ("AWS::RUM::AppMonitor", Dialect.CLOUDFORMATION),
    ("AWS::Serverless::Function", Dialect.CLOUDFORMATION),
    ("aws_rum_app_monitor", Dialect.TERRAFORM),
    ("awscc_rum_app_monitor", Dialect.TERRAFORM),
    ("cli:rum:get-app-monitor", Dialect.API),
    ("live:rum:GetAppMonitor", Dialect.API),
    ("iam-policy", Dialect.API),
    ("declared", Dialect.API),
])
def test_the_kind_says_the_dialect(kind, dialect):
    assert dialect_of(AppMonitor("m", HERE, kind)) is dialect


def test_a_guest_role_speaks_its_roles_dialect_and_a_web_client_its_own():
    assert dialect_of(GuestRole("aws_iam_role.guest", HERE, "aws_iam_role")) is Dialect.TERRAFORM
    assert dialect_of(WebClientConfig("cwr", HERE, "web client")) is Dialect.WEB_CLIENT


# --- property names -------------------------------------------------------------------------------------

@pytest.mark.parametrize("resource, name, expected", [
    (IdentityPool("RumPool", HERE, "AWS::Cognito::IdentityPool"), "AllowUnauthenticatedIdentities",
     "AllowUnauthenticatedIdentities"),
    (IdentityPool("aws_cognito_identity_pool.rum", HERE, "aws_cognito_identity_pool"),
     "AllowUnauthenticatedIdentities", "allow_unauthenticated_identities"),
    (IdentityPool("us-east-1:x", HERE, "cli:cognito-identity:describe-identity-pool"), "AllowClassicFlow",
     "AllowClassicFlow"),
    (AppMonitor("Monitor", HERE, "AWS::RUM::AppMonitor"), "GuestRoleArn", "GuestRoleArn"),
    (AppMonitor("aws_rum_app_monitor.web", HERE, "aws_rum_app_monitor"), "GuestRoleArn",
     "app_monitor_configuration.guest_role_arn"),
    (AppMonitor("awscc_rum_app_monitor.web", HERE, "awscc_rum_app_monitor"), "IdentityPoolId",
     "app_monitor_configuration.identity_pool_id"),
    (AppMonitor("web", HERE, "cli:rum:get-app-monitor"), "IdentityPoolId", "IdentityPoolId"),
    (RoleAttachment("aws_cognito_identity_pool_roles_attachment.rum", HERE, "aws_cognito_identity_pool_roles_attachment"),
     "IdentityPoolId", "identity_pool_id"),
    (RoleAttachment("aws_cognito_identity_pool_roles_attachment.rum", HERE, "aws_cognito_identity_pool_roles_attachment"),
     "RoleMappings", "role_mapping"),
    (ResourcePolicy("aws_rum_resource_policy.web", HERE, "aws_rum_resource_policy"), "PolicyDocument",
     "policy_document"),
    (ResourcePolicy("awscc_rum_app_monitor.web.resource_policy", HERE, "awscc_rum_app_monitor"), "PolicyDocument",
     "resource_policy.policy_document"),
    (ResourcePolicy("Monitor.ResourcePolicy", HERE, "AWS::RUM::AppMonitor"), "PolicyDocument", "PolicyDocument"),
    (WebClientConfig("cwr", HERE, "web client"), "GuestRoleArn", "guestRoleArn"),
])
def test_prop_names_the_property_as_the_input_writes_it(resource, name, expected):
    assert prop(resource, name) == expected


def test_every_property_has_a_name_in_every_dialect():
    for (_, name), names in _PROPERTIES.items():
        assert names.cloudformation.split(".")[-1] == name
        assert re.fullmatch(r"[a-z_]+(\.[a-z_]+)*", names.terraform), names
        assert names.api.split(".")[-1] == name


def test_a_property_the_table_does_not_know_is_a_defect_not_a_guess():
    with pytest.raises(KeyError):
        prop(Role("GuestRole", HERE, "AWS::IAM::Role"), "AllowClassicFlow")


# --- values and places in messages ----------------------------------------------------------------------

def test_terraform_messages_write_the_deploy_target_as_terraform_reads_it():
    arn = f"arn:aws:rum:{REGION}:{ACCOUNT}:appmonitor/{token(PARAM, 'var.name')}"
    terraform = AppMonitor("aws_rum_app_monitor.web", HERE, "aws_rum_app_monitor")
    template = AppMonitor("Monitor", HERE, "AWS::RUM::AppMonitor")
    assert render_for(terraform, arn) == ("arn:aws:rum:${data.aws_region.current.name}:"
                                          "${data.aws_caller_identity.current.account_id}:appmonitor/${var.name}")
    assert render_for(template, arn) == "arn:aws:rum:${AWS::Region}:${AWS::AccountId}:appmonitor/${var.name}"


@pytest.mark.parametrize("kind, place, condition", [
    ("AWS::RUM::AppMonitor", "the stack's region", "the stack is deployed to us-east-1"),
    ("aws_rum_app_monitor", "the configuration's region", "the configuration is deployed to us-east-1"),
])
def test_the_deploy_target_is_worded_as_the_dialect_says_it(kind, place, condition):
    monitor = AppMonitor("web", HERE, kind)
    assert describe_place(monitor, REGION, "region") == place
    assert undecided_place(monitor, "region", "identity pool", "us-east-1", REGION) == (
        f"the identity pool is in us-east-1; the app monitor is in {place}: this works only if {condition}")


def test_places_that_are_not_the_deploy_target_read_alike_in_every_dialect():
    for kind in ("AWS::RUM::AppMonitor", "aws_rum_app_monitor", "cli:rum:get-app-monitor"):
        monitor = AppMonitor("web", HERE, kind)
        assert describe_place(monitor, "eu-west-1", "region") == "eu-west-1"
        assert describe_place(monitor, "123456789012", "account") == "account 123456789012"
        assert describe_place(monitor, token(OPAQUE, "account of web"), "account") == "an unknown account"
        assert describe_place(monitor, "", "region") == "an unknown region"


# --- the same broken setup, as a template and as Terraform ----------------------------------------------

SAME_SETUP = [
    # fixture folder, rule, CloudFormation file, Terraform file, what each message says
    ("RUM-POOL-001", "RUM-POOL-001", "bad.yaml", "bad.tf",
     "`AllowUnauthenticatedIdentities`", "`allow_unauthenticated_identities`"),
    ("RUM-POOL-002", "RUM-POOL-002", "bad.yaml", "bad-explicit.tf", "`AllowClassicFlow`", "`allow_classic_flow`"),
    ("RUM-POOL-002", "RUM-POOL-002", "bad.yaml", "bad-explicit.tf",
     "basic flow (`GuestRoleArn`)", "basic flow (`app_monitor_configuration.guest_role_arn`)"),
    ("RUM-POOL-003", "RUM-POOL-003", "bad.yaml", "bad.tf", "`AllowClassicFlow`", "`allow_classic_flow`"),
    ("RUM-POOL-004", "RUM-POOL-004", "bad.yaml", "bad.tf", "has `RoleMappings`", "has `role_mapping`"),
    ("RUM-ATT-002", "RUM-ATT-002", "bad.yaml", "bad.tf", "`Roles` key", "`roles` key"),
    ("RUM-MON-001", "RUM-MON-001", "bad-slash.yaml", "bad-slash.tf",
     "which CloudFormation accepts but the RUM API rejects", "contains `/`, which the RUM API rejects"),
    ("RUM-MON-002", "RUM-MON-002", "bad-malformed.yaml", "bad-malformed.tf",
     "`IdentityPoolId`", "`app_monitor_configuration.identity_pool_id`"),
    ("RUM-MON-003", "RUM-MON-003", "bad.yaml", "bad.tf",
     "no `IdentityPoolId`", "no `app_monitor_configuration.identity_pool_id`"),
    ("RUM-MON-004", "RUM-MON-004", "bad.yaml", "bad.tf",
     "`GuestRoleArn`", "`app_monitor_configuration.guest_role_arn`"),
    ("RUM-MON-006", "RUM-MON-006", "bad-both.yaml", "bad-both.tf",
     "both `Domain` and `DomainList`", "both `domain` and `domain_list`"),
    ("RUM-RBP-009", "RUM-RBP-009", "bad.yaml", "bad.tf", "`PolicyDocument` is", "`policy_document` is"),
    ("RUM-XREF-004", "RUM-XREF-004", "bad.yaml", "bad.tf",
     "`GuestRoleArn`", "`app_monitor_configuration.guest_role_arn`"),
    ("RUM-XREF-001", "RUM-SRC-001", "bad-deploy-time.yaml", "bad-deploy-time.tf",
     "the stack's region: this works only if the stack is deployed to us-east-1",
     "the configuration's region: this works only if the configuration is deployed to us-east-1"),
    ("RUM-PERM-001", "RUM-PERM-001", "bad.yaml", "bad.tf",
     ":rum:${AWS::Region}:${AWS::AccountId}:appmonitor/web",
     ":rum:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:appmonitor/web"),
]


@pytest.mark.parametrize("folder, rule, template, configuration, cloudformation, terraform", SAME_SETUP,
                         ids=[f"{case[0]}:{case[4]}" for case in SAME_SETUP])
def test_each_message_names_the_property_of_its_inputs_dialect(cli, folder, rule, template, configuration,
                                                              cloudformation, terraform):
    from_template = [f["message"] for f in findings(cli, RULES / folder / template, rule=rule)]
    from_terraform = [f["message"] for f in findings(cli, RULES / folder / configuration, rule=rule)]
    assert from_template and from_terraform
    assert any(cloudformation in m for m in from_template), from_template
    assert not any(terraform in m for m in from_template), from_template
    assert any(terraform in m for m in from_terraform), from_terraform
    assert not any(cloudformation in m for m in from_terraform), from_terraform


def terraform_inputs() -> list:
    paths = sorted(RULES.glob("*/*.tf")) + sorted(p for p in INPUTS.glob("terraform*/*")
                                                   if not p.name.endswith((".expected.json", ".args")))
    return [pytest.param(p, id=str(p.relative_to(ROOT))) for p in paths]


CLOUDFORMATION_WORDS = re.compile(
    "|".join([re.escape(f"`{names.cloudformation.split('.')[-1]}`") for names in _PROPERTIES.values()
              if names.web_client is None]
             + [re.escape("${AWS::"), "the stack", "CloudFormation", "template"]))


@pytest.mark.parametrize("path", terraform_inputs())
def test_no_terraform_finding_speaks_cloudformation(cli, path):
    for finding in findings(cli, path):
        assert not CLOUDFORMATION_WORDS.search(finding["message"]), finding["message"]
        remediation = finding["remediation"] or ""
        if remediation != find_rule(finding["rule_id"]).section("Fix"):
            assert not re.search(r"!Ref|!Sub|!GetAtt|AWS::", remediation), remediation
            hcl2.loads(remediation)


def test_api_output_gets_the_apis_field_names_and_json_fixes(cli):
    found = findings(cli, INPUTS / "cli" / "broken")
    pool = next(f for f in found if f["rule_id"] == "RUM-POOL-001")
    assert "`AllowUnauthenticatedIdentities` is `false`" in pool["message"]
    assert json.loads(own_remediation(pool)) == {"AllowUnauthenticatedIdentities": True}
    trust = next(f for f in found if f["rule_id"] == "RUM-TRUST-002")
    statement = json.loads(own_remediation(trust))
    assert statement["Condition"]["StringEquals"] == {
        "cognito-identity.amazonaws.com:aud": "us-east-1:5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9"}
    for finding in found:
        assert not re.search(r"the stack|CloudFormation|\$\{AWS::", finding["message"]), finding["message"]


# --- remediations that apply -----------------------------------------------------------------------------

TERRAFORM = """\
resource "aws_cognito_identity_pool" "rum" {
  identity_pool_name               = "rum"
  allow_unauthenticated_identities = true
  allow_classic_flow               = false
}

resource "aws_cognito_identity_pool_roles_attachment" "rum" {
  identity_pool_id = aws_cognito_identity_pool.rum.id
  roles = {
    unauthenticated = aws_iam_role.guest.arn
  }
}

resource "aws_iam_role" "guest" {
  name = "rum-guest"
%TRUST%
}

resource "aws_iam_role_policy" "put_rum_events" {
  name = "put-rum-events"
  role = aws_iam_role.guest.id
%POLICY%
}

resource "aws_rum_app_monitor" "web" {
  name   = "web"
  domain = "example.com"

  app_monitor_configuration {
    identity_pool_id = aws_cognito_identity_pool.rum.id
  }
}
"""
TERRAFORM_TRUST = """\
assume_role_policy = jsonencode({
  Version = "2012-10-17"
  Statement = [{
    Effect    = "Allow"
    Principal = { Federated = "cognito-identity.amazonaws.com" }
    Action    = "sts:AssumeRoleWithWebIdentity"
    Condition = { "ForAnyValue:StringLike" = { "cognito-identity.amazonaws.com:amr" = "unauthenticated" } }
  }]
})"""
TERRAFORM_POLICY = """\
policy = jsonencode({
  Version = "2012-10-17"
  Statement = [{ Effect = "Allow", Action = "rum:PutRumEvent", Resource = aws_rum_app_monitor.web.arn }]
})"""

TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  RumPool:
    Type: AWS::Cognito::IdentityPool
    Properties:
      AllowUnauthenticatedIdentities: true
      AllowClassicFlow: false
  RumPoolRoles:
    Type: AWS::Cognito::IdentityPoolRoleAttachment
    Properties:
      IdentityPoolId: !Ref RumPool
      Roles:
        unauthenticated: !GetAtt GuestRole.Arn
  GuestRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement:
%TRUST%
      Policies:
        - PolicyName: put-rum-events
          PolicyDocument:
            Version: "2012-10-17"
            Statement:
%POLICY%
  Monitor:
    Type: AWS::RUM::AppMonitor
    Properties:
      Name: web
      Domain: example.com
      AppMonitorConfiguration:
        IdentityPoolId: !Ref RumPool
"""
TEMPLATE_TRUST = """\
- Effect: Allow
  Principal:
    Federated: cognito-identity.amazonaws.com
  Action: sts:AssumeRoleWithWebIdentity
  Condition:
    ForAnyValue:StringLike:
      cognito-identity.amazonaws.com:amr: unauthenticated"""
TEMPLATE_POLICY = """\
- Effect: Allow
  Action: rum:PutRumEvent
  Resource: !Sub arn:${AWS::Partition}:rum:${AWS::Region}:${AWS::AccountId}:appmonitor/web"""


def indented(text: str, width: int) -> str:
    return "\n".join(" " * width + line if line else line for line in text.rstrip("\n").splitlines())


def fill(skeleton: str, trust: str, policy: str, trust_indent: int, policy_indent: int) -> str:
    return skeleton.replace("%TRUST%", indented(trust, trust_indent)).replace("%POLICY%",
                                                                              indented(policy, policy_indent))


def parses_as_template_statement(snippet_text: str) -> dict:
    statements = yaml.load(snippet_text, Loader=TemplateLoader)
    assert isinstance(statements, list) and len(statements) == 1
    return statements[0]


def parses_as_terraform_attribute(snippet_text: str, attribute: str) -> dict:
    body = hcl2.loads(snippet_text)
    assert list(body) == [attribute]
    return body


# name, skeleton, file name, broken trust, broken policy, indents, how a fix must parse
FIX_CASES = [
    pytest.param(TERRAFORM, "main.tf", TERRAFORM_TRUST, TERRAFORM_POLICY, 2, 2,
                 lambda text: parses_as_terraform_attribute(text, "assume_role_policy"),
                 lambda text: parses_as_terraform_attribute(text, "policy"), id="terraform"),
    pytest.param(TEMPLATE, "template.yaml", TEMPLATE_TRUST, TEMPLATE_POLICY, 10, 14,
                 parses_as_template_statement, parses_as_template_statement, id="cloudformation"),
]


@pytest.mark.parametrize("skeleton, name, trust, policy, trust_indent, policy_indent, trust_form, policy_form",
                         FIX_CASES)
def test_trust_and_permission_fixes_parse_and_repair_the_input(cli, tmp_path, skeleton, name, trust, policy,
                                                               trust_indent, policy_indent, trust_form, policy_form):
    broken = tmp_path / "broken" / name
    broken.parent.mkdir()
    broken.write_text(fill(skeleton, trust, policy, trust_indent, policy_indent))
    found = {f["rule_id"]: f for f in findings(cli, broken)}
    assert set(found) == {"RUM-TRUST-002", "RUM-PERM-001"}, found
    trust_fix, policy_fix = own_remediation(found["RUM-TRUST-002"]), own_remediation(found["RUM-PERM-001"])
    trust_form(trust_fix)
    policy_form(policy_fix)

    fixed = tmp_path / "fixed" / name
    fixed.parent.mkdir()
    fixed.write_text(fill(skeleton, trust_fix, policy_fix, trust_indent, policy_indent))
    assert findings(cli, fixed) == []


def test_terraform_fixes_refer_to_the_resources_of_their_module(cli):
    found = findings(cli, INPUTS / "terraform" / "basic-flow-module")
    pool = next(f for f in found if f["rule_id"] == "RUM-POOL-002")
    fix = own_remediation(pool)
    assert 'resource "aws_cognito_identity_pool" "this" {' in fix
    assert hcl2.loads(fix)["resource"][0]['"aws_cognito_identity_pool"']['"this"']["allow_classic_flow"] is True


def test_a_missing_attachment_is_offered_in_the_pools_dialect(cli):
    terraform = own_remediation(findings(cli, RULES / "RUM-ATT-001" / "bad-missing.tf", rule="RUM-ATT-001")[0])
    block = hcl2.loads(terraform)["resource"][0]['"aws_cognito_identity_pool_roles_attachment"']['"rum"']
    assert block["identity_pool_id"] == "${aws_cognito_identity_pool.rum.id}"
    template = own_remediation(findings(cli, RULES / "RUM-ATT-001" / "bad-basic.yaml", rule="RUM-ATT-001")[0])
    resource = yaml.load(template, Loader=TemplateLoader)["RumPoolRoles"]
    assert resource["Type"] == "AWS::Cognito::IdentityPoolRoleAttachment"
    assert resource["Properties"]["IdentityPoolId"] == {"!Ref": "RumPool"}


def unsigned_site(folder: Path) -> None:
    (folder / "index.html").write_text(
        "<!doctype html>\n<html><head>\n<!-- rumpolicy: app-monitor=web -->\n<script>\n"
        "(function(n,i,v,r,s,c,x,z){x=window.AwsRumClient={q:[],n:n,i:i,v:v,r:r,c:c};window[n]=function(c,p)"
        "{x.q.push({c:c,p:p});};z=document.createElement('script');z.async=true;z.src=s;"
        "document.head.insertBefore(z,document.getElementsByTagName('script')[0]);})("
        "'cwr','5f1e8a2c-3b4d-4e6f-8a9b-0c1d2e3f4a5b','1.0.0','eu-west-1',"
        "'https://client.rum.us-east-1.amazonaws.com/1.x/cwr.js',\n"
        "{endpoint: 'https://dataplane.rum.eu-west-1.amazonaws.com', signing: false});\n</script>\n</head></html>\n")


MONITORS = {
    "aws": 'resource "aws_rum_app_monitor" "web" {\n  name   = "web"\n  domain = "example.com"\n}\n',
    "awscc": ('data "aws_region" "current" {}\ndata "aws_caller_identity" "current" {}\n\n'
              'resource "awscc_rum_app_monitor" "web" {\n  name   = "web"\n  domain = "example.com"\n%FIX%\n}\n'),
}


@pytest.mark.parametrize("provider", ["aws", "awscc"])
def test_a_public_resource_policy_is_offered_as_the_provider_declares_it(cli, tmp_path, provider):
    unsigned_site(tmp_path)
    main = tmp_path / "main.tf"
    main.write_text(MONITORS[provider].replace("%FIX%", ""))
    policy = findings(cli, tmp_path, rule="RUM-RBP-006")
    assert len(policy) == 1
    fix = own_remediation(policy[0])
    hcl2.loads(fix)
    if provider == "aws":
        assert fix.startswith('resource "aws_rum_resource_policy" "web" {')
        main.write_text(MONITORS[provider] + "\n" + fix)
    else:
        # The ARN is built from the data sources the comment names (the skeleton declares them).
        assert fix.startswith('# with data "aws_region" "current" {} and data "aws_caller_identity" "current" {}\n'
                              'resource_policy = {\n')
        main.write_text(MONITORS[provider].replace("%FIX%", indented(fix, 2)))
    assert findings(cli, tmp_path, rule="RUM-RBP-006") == []
    assert findings(cli, tmp_path, rule="RUM-SRC-000") == []


# --- the writers ----------------------------------------------------------------------------------------

def test_hcl_refers_within_the_module_and_names_the_data_sources_it_reads():
    role = Role("module.rum.aws_iam_role.guest", HERE, "aws_iam_role")
    monitor_arn = f"arn:{PARTITION}:rum:{REGION}:{ACCOUNT}:appmonitor/web"
    text = policy_snippet(role, {"Effect": "Allow", "Action": "rum:PutRumEvents", "Resource": monitor_arn,
                                 "Condition": {"StringEquals": {"aws:PrincipalTag/pool": token(
                                     REF, "module.rum.aws_cognito_identity_pool.this.id")}}}, "policy")
    assert text.startswith('# with data "aws_partition" "current" {} and data "aws_region" "current" {} and '
                           'data "aws_caller_identity" "current" {}\n')
    assert ('"arn:${data.aws_partition.current.partition}:rum:${data.aws_region.current.name}:'
            '${data.aws_caller_identity.current.account_id}:appmonitor/web"') in text
    assert "= aws_cognito_identity_pool.this.id" in text
    assert "module.rum" not in text
    hcl2.loads(text)


def test_hcl_strings_escape_what_terraform_would_interpolate():
    role = Role("aws_iam_role.guest", HERE, "aws_iam_role")
    text = snippet(role, {"description": 'a "quoted" ${literal} and %{directive}'})
    assert text == 'description = "a \\"quoted\\" $${literal} and %%{directive}"\n'
    assert hcl2.loads(text)["description"] == '"a \\"quoted\\" $${literal} and %%{directive}"'   # as written


def test_hcl_blocks_and_jsonencode():
    monitor = AppMonitor("awscc_rum_app_monitor.web", HERE, "awscc_rum_app_monitor")
    assert snippet(monitor, {"resource_policy": {"policy_document": Encoded({"Version": "2012-10-17"})}}) == (
        'resource_policy = {\n  policy_document = jsonencode({ Version = "2012-10-17" })\n}\n')
    hashicorp = AppMonitor("aws_rum_app_monitor.web", HERE, "aws_rum_app_monitor")
    fixed = property_snippet(hashicorp, {"GuestRoleArn": token(ATTR, "aws_iam_role.guest.arn")})
    assert fixed == ('resource "aws_rum_app_monitor" "web" {\n  app_monitor_configuration {\n'
                     '    guest_role_arn = aws_iam_role.guest.arn\n  }\n}\n')
    assert property_snippet(monitor, {"GuestRoleArn": "arn:aws:iam::123456789012:role/g"}) == (
        'resource "awscc_rum_app_monitor" "web" {\n  app_monitor_configuration = { guest_role_arn = '
        '"arn:aws:iam::123456789012:role/g" }\n}\n')
    assert snippet(hashicorp, {"x": Block({"y": True})}) == "x {\n  y = true\n}\n"


@pytest.mark.parametrize("value, expected", [
    (token(REF, "RumPool"), "!Ref RumPool"),
    (token(PSEUDO, "AWS::Region"), "!Ref AWS::Region"),
    (token(ATTR, "GuestRole.Arn"), "!GetAtt GuestRole.Arn"),
    (f"arn:aws:rum:{REGION}:{ACCOUNT}:appmonitor/web", "!Sub arn:aws:rum:${AWS::Region}:${AWS::AccountId}:appmonitor/web"),
    ("2012-10-17", '"2012-10-17"'),
    ("123456789012", '"123456789012"'),
    ("*", '"*"'),
    ("true", '"true"'),
    ("a: b", '"a: b"'),
    ("rum:PutRumEvents", "rum:PutRumEvents"),
    (True, "true"),
])
def test_yaml_scalars_read_back_as_written(value, expected):
    assert yaml_scalar(value) == expected


def test_template_snippets_read_back_as_the_tree():
    pool = IdentityPool("RumPool", HERE, "AWS::Cognito::IdentityPool", env=Environment("aws", REGION, ACCOUNT))
    text = property_snippet(pool, {"AllowUnauthenticatedIdentities": True, "AllowClassicFlow": False})
    assert yaml.load(text, Loader=TemplateLoader) == {"RumPool": {"Type": "AWS::Cognito::IdentityPool", "Properties": {
        "AllowUnauthenticatedIdentities": True, "AllowClassicFlow": False}}}


# --- the documented fixes -------------------------------------------------------------------------------

def documented_fixes() -> list:
    from rumpolicy.engine import registry

    cases = []
    for found in builtin_rules():
        for number, (language, body) in enumerate(re.findall(r"```(\w+)\n(.*?)```", found.section("Fix"), re.S)):
            if language in ("hcl", "yaml", "json"):
                cases.append(pytest.param(language, body, id=f"{found.id}-{number}-{language}"))
    return cases


@pytest.mark.parametrize("language, body", documented_fixes())
def test_every_documented_fix_parses(language, body):
    if language == "hcl":
        hcl2.loads(body)
    elif language == "yaml":
        yaml.load(body, Loader=TemplateLoader)
    else:
        json.loads(body if body.lstrip().startswith("{") else "{" + body + "}")   # a member such as "Resource": ...
