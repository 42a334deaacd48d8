"""AWS CLI output and bare IAM policies: recognition, the model they load into, and where it points."""

from __future__ import annotations

import copy
import glob
import gzip
import json
import shutil
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rumpolicy.load import iam_json
from rumpolicy.load.iam_json import declared_monitor, load_document, recognize
from rumpolicy.load.options import LoadOptions
from rumpolicy.load.source import ParsedSource, parse_text, read_text
from rumpolicy.model import Inventory
from rumpolicy.model.inputs import InputFile
from rumpolicy.model.symbols import has_symbols, render
from tests.conftest import examples

ROOT = Path(__file__).resolve().parents[2]
CLI = ROOT / "fixtures" / "inputs" / "cli"
IAM = ROOT / "fixtures" / "inputs" / "iam"
NOWHERE = "/nonexistent-rumpolicy-fixtures"      # in-memory documents: no folder, so no siblings
ACCOUNT = "123456789012"
POOL = "us-east-1:0f2c7d8e-1a2b-4c3d-9e8f-0123456789ab"
GUEST = "RUM-Monitor-us-east-1-123456789012-4815-Unauth"
GUEST_ARN = f"arn:aws:iam::{ACCOUNT}:role/{GUEST}"
MONITOR_ARN = f"arn:aws:rum:us-east-1:{ACCOUNT}:appmonitor/storefront-web"


def load_text(text: str, name: str = "doc.json", options: LoadOptions | None = None,
              kind: str | None = None) -> tuple[Inventory, InputFile]:
    parsed = parse_text(text, f"{NOWHERE}/{name}")
    return _load(parsed, options, kind)


def load_file(path: Path | str, options: LoadOptions | None = None) -> tuple[Inventory, InputFile]:
    return _load(parse_text(read_text(str(path)), str(path)), options)


def _load(parsed: ParsedSource, options: LoadOptions | None, kind: str | None = None) -> tuple[Inventory, InputFile]:
    kind = kind or recognize(parsed.data)
    assert kind is not None, f"{parsed.path} is not recognized"
    file = InputFile(parsed.path, True, kind)
    return load_document(parsed, file, kind, options or LoadOptions()), file


def is_empty(inventory: Inventory) -> bool:
    return not any(vars(inventory).values())


def problems(file: InputFile) -> list[tuple[str, int | None, str]]:
    return [(p.location.pointer, p.location.line, p.message) for p in file.problems]


# --- recognize -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("path, kind", [
    ("cli/correct/get-app-monitor.json", "cli:rum:get-app-monitor"),
    ("cli/correct/describe-identity-pool.json", "cli:cognito-identity:describe-identity-pool"),
    ("cli/correct/get-identity-pool-roles.json", "cli:cognito-identity:get-identity-pool-roles"),
    ("cli/correct/get-role.json", "cli:iam:get-role"),
    ("cli/correct/get-role-policy.json", "cli:iam:get-role-policy"),
    ("cli/correct/list-attached-role-policies.json", "cli:iam:list-attached-role-policies"),
    ("cli/managed-policy/get-policy.json", "cli:iam:get-policy"),
    ("cli/managed-policy/get-policy-version.json", "cli:iam:get-policy-version"),
    ("cli/authorization-details/get-account-authorization-details.json",
     "cli:iam:get-account-authorization-details"),
    ("cli/resource-policy/get-resource-policy.json", "cli:rum:get-resource-policy"),
    ("iam/guest-role-trust-policy.json", "iam-policy"),
    ("iam/guest-role-wildcard-permissions.yaml", "iam-policy"),
    ("iam/s3-bucket-policy.json", "iam-policy"),
])
def test_recognize_fixture(path: str, kind: str) -> None:
    full = ROOT / "fixtures" / "inputs" / path
    assert recognize(parse_text(read_text(str(full)), str(full)).data) == kind


@pytest.mark.parametrize("data, kind", [
    ({"Statement": {"Effect": "Allow", "Action": "rum:PutRumEvents", "Resource": "*"}}, "iam-policy"),
    ({"Version": "2012-10-17", "Statement": [], "Comment": "extra keys are a policy problem"}, "iam-policy"),
    ({"Policies": [{"PolicyName": "p", "PolicyVersionList": []}], "IsTruncated": False},
     "cli:iam:get-account-authorization-details"),
    ({"IdentityPoolId": POOL, "RoleMappings": {}}, "cli:cognito-identity:get-identity-pool-roles"),
    ({"Role": {"RoleName": "r"}, "ResponseMetadata": {"HTTPStatusCode": 200}}, "cli:iam:get-role"),
    ({"PolicyDocument": "{}"}, "cli:rum:get-resource-policy"),
    ({"AppMonitor": {"Name": "web"}}, "cli:rum:get-app-monitor"),
])
def test_recognize_minimal_shapes(data: Any, kind: str) -> None:
    assert recognize(data) == kind


@pytest.mark.parametrize("data", [
    pytest.param({"name": "storefront", "version": "1.4.0", "dependencies": {"aws-rum-web": "^1.20.0"}},
                 id="package.json"),
    pytest.param({"services": {"web": {"image": "nginx:1.27", "ports": ["8080:80"]}}}, id="docker-compose"),
    pytest.param({"AWSTemplateFormatVersion": "2010-09-09",
                  "Resources": {"Pool": {"Type": "AWS::Cognito::IdentityPool",
                                         "Properties": {"AllowUnauthenticatedIdentities": True}}}},
                 id="cloudformation"),
    pytest.param({"Statement": [], "Resources": {}}, id="statement-and-resources"),
    pytest.param({"Role": "admin"}, id="role-not-an-object"),
    pytest.param({"Role": {"name": "admin"}}, id="role-without-iam-members"),
    pytest.param({"IdentityPoolId": POOL}, id="pool-id-alone"),
    pytest.param({"PolicyDocument": "{}", "Bucket": "b"}, id="foreign-policy-wrapper"),
    pytest.param({"AttachedPolicies": "none"}, id="attached-not-a-list"),
    pytest.param([{"Statement": []}], id="list"),
    pytest.param("Version: 2012-10-17", id="string"),
    pytest.param(None, id="null"),
])
def test_recognize_rejects_other_documents(data: Any) -> None:
    assert recognize(data) is None


# --- CLI outputs into the model ------------------------------------------------------------------------

def test_get_role_located() -> None:
    inventory, file = load_file(CLI / "correct" / "get-role.json")
    [role] = inventory.roles
    assert (role.subject, role.name, role.arn, role.bare) == (GUEST_ARN, GUEST, GUEST_ARN, False)
    assert role.kind == "cli:iam:get-role"
    assert (role.env.partition, role.env.account) == ("aws", ACCOUNT)
    assert has_symbols(role.env.region)          # IAM is global: no --region, no region
    assert role.location.pointer == "/Role" and role.location.line == 2
    trust = role.trust_policy
    assert trust.location.pointer == "/Role/AssumeRolePolicyDocument" and trust.location.line == 8
    [statement] = trust.statements
    assert statement.location.line == 11
    [amr] = statement.conditions_on("cognito-identity.amazonaws.com:amr")
    assert amr.values == ("unauthenticated",) and amr.location.line == 22
    assert file.problems == [] and inventory.undecided == []


def test_get_role_with_options_and_boundary() -> None:
    inventory, _ = load_file(CLI / "managed-policy" / "get-role.json", LoadOptions(region="us-east-1"))
    [role] = inventory.roles
    assert role.env.region == "us-east-1"
    assert role.permissions_boundary.value == f"arn:aws:iam::{ACCOUNT}:policy/rum/DocsSiteRumPutEvents"
    assert role.permissions_boundary.location.line == 31
    assert role.permissions_boundary.location.pointer == "/Role/PermissionsBoundary/PermissionsBoundaryArn"


def test_get_role_policy_is_an_inline_policy_by_role_name() -> None:
    inventory, _ = load_file(CLI / "correct" / "get-role-policy.json")
    [policy] = inventory.managed_policies
    assert (policy.arn, policy.name, policy.kind) == (None, "RUMPutBatchMetrics", "cli:iam:get-role-policy")
    [target] = policy.attached_role_names
    assert target.value == GUEST and target.location.line == 2
    assert policy.document.location.line == 4
    assert policy.document.statements[0].resources[0].value == MONITOR_ARN


def test_describe_identity_pool_located() -> None:
    inventory, file = load_file(CLI / "correct" / "describe-identity-pool.json")
    [pool] = inventory.pools
    assert (pool.subject, pool.pool_id, pool.region) == (POOL, POOL, "us-east-1")
    assert pool.env.region == "us-east-1" and render(pool.env.account) == f"<account of {POOL}>"
    assert pool.allow_unauthenticated.value is True and pool.allow_unauthenticated.location.line == 4
    assert pool.allow_classic_flow.value is False and pool.allow_classic_flow.location.line == 5
    assert pool.has_login_providers is False and file.problems == []


def test_describe_identity_pool_without_classic_flow_and_with_providers() -> None:
    inventory, _ = load_file(CLI / "broken" / "describe-identity-pool.json", LoadOptions(account=ACCOUNT))
    [pool] = inventory.pools
    assert pool.allow_classic_flow is None and pool.classic_flow_defaulted is False
    assert pool.allow_unauthenticated.value is False
    assert pool.has_login_providers is True and pool.env.account == ACCOUNT


def test_get_identity_pool_roles_located() -> None:
    inventory, _ = load_file(CLI / "broken" / "get-identity-pool-roles.json")
    [attachment] = inventory.attachments
    assert attachment.identity_pool_id.value == "us-east-1:5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9"
    assert set(attachment.roles) == {"authenticated", "unauthenticated"}
    unauthenticated = attachment.role_arn("unauthenticated")
    assert unauthenticated.value == f"arn:aws:iam::{ACCOUNT}:role/checkout-rum-guest"
    assert unauthenticated.location.line == 5 and unauthenticated.location.pointer == "/Roles/unauthenticated"
    assert attachment.roles_location.line == 3
    assert attachment.role_mappings.location.line == 7


def test_get_app_monitor_without_pinned_environment_is_undecided() -> None:
    inventory, _ = load_file(CLI / "broken" / "get-app-monitor.json")
    [monitor] = inventory.monitors
    assert monitor.subject == "checkout" and monitor.name.location.line == 3
    assert monitor.identity_pool_id.location.line == 14 and monitor.guest_role_arn.location.line == 15
    assert monitor.domain is None and monitor.domain_list.value == ["checkout.example.com", "pay.example.com"]
    assert monitor.has_configuration and monitor.platform.value == "Web"
    assert render(monitor.env.region) == "<region of app monitor checkout>"
    assert render(monitor.env.account) == "<account of app monitor checkout>"
    [note] = inventory.undecided
    assert note.subject == "checkout" and note.location.line == 3
    assert "--region and --account, or --app-monitor" in note.message


@pytest.mark.parametrize("options", [
    LoadOptions(region="us-east-1", account=ACCOUNT),
    LoadOptions(app_monitors=(f"arn:aws:rum:us-east-1:{ACCOUNT}:appmonitor/checkout",
                              f"arn:aws:rum:us-east-1:{ACCOUNT}:appmonitor/other")),
], ids=["region-and-account", "declared-arn"])
def test_get_app_monitor_pinned_environment(options: LoadOptions) -> None:
    inventory, _ = load_file(CLI / "broken" / "get-app-monitor.json", options)
    [monitor] = inventory.monitors
    assert monitor.arn == f"arn:aws:rum:us-east-1:{ACCOUNT}:appmonitor/checkout" == monitor.subject
    assert inventory.undecided == []


def test_get_app_monitor_region_only_still_asks_for_the_account() -> None:
    inventory, _ = load_file(CLI / "broken" / "get-app-monitor.json", LoadOptions(region="eu-west-1"))
    [monitor] = inventory.monitors
    assert monitor.env.region == "eu-west-1" and has_symbols(monitor.env.account)
    [note] = inventory.undecided
    assert "pass --account, or --app-monitor" in note.message


def test_get_app_monitor_without_configuration() -> None:
    inventory, _ = load_file(CLI / "resource-policy" / "get-app-monitor.json")
    [monitor] = inventory.monitors
    assert not monitor.has_configuration and monitor.identity_pool_id is None and monitor.guest_role_arn is None


def test_get_resource_policy_names_the_folders_monitor() -> None:
    inventory, file = load_file(CLI / "resource-policy" / "get-resource-policy.json")
    [policy] = inventory.resource_policies
    assert policy.monitor_name.value == "marketing-site"
    assert policy.monitor_name.location.source.endswith("resource-policy/get-app-monitor.json")
    assert policy.monitor_name.location.line == 3
    assert policy.raw.location.line == 2 and isinstance(policy.raw.value, str)
    assert policy.document.text_bytes == len(policy.raw.value.encode())
    [statement] = policy.document.statements
    assert statement.principal.wildcard
    assert statement.location.pointer == "/PolicyDocument/Statement/0" and statement.location.line == 2
    assert file.problems == []


def test_get_resource_policy_alone_uses_its_resource_arn() -> None:
    text = json.dumps({"PolicyDocument": json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "rum:PutRumEvents", "Resource": MONITOR_ARN}]})})
    inventory, _ = load_text(text)
    assert inventory.resource_policies[0].monitor_name.value == "storefront-web"


def test_get_resource_policy_with_unknown_monitor_is_undecided() -> None:
    text = json.dumps({"PolicyDocument": json.dumps({"Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "rum:PutRumEvents", "Resource": "*"}]})})
    inventory, _ = load_text(text)
    assert inventory.resource_policies[0].monitor_name is None
    [note] = inventory.undecided
    assert "no Resource ARN names an app monitor" in note.message


def test_account_authorization_details_with_url_encoded_documents() -> None:
    path = CLI / "authorization-details" / "get-account-authorization-details.json"
    inventory, file = load_file(path)
    lambda_role, guest = inventory.roles
    assert guest.name == "support-portal-rum-guest" and guest.location.pointer == "/RoleDetailList/1"
    assert guest.location.line == 26
    trust = guest.trust_policy
    [statement] = trust.statements
    assert statement.principal.values("Federated")[0].value == "cognito-identity.amazonaws.com"
    [aud] = statement.conditions_on("cognito-identity.amazonaws.com:aud")
    assert aud.values == ("us-east-1:1d2e3f4a-5b6c-4d7e-8f9a-0b1c2d3e4f5a",)
    # Inside an encoded string the pointer goes on into the document; the line is the string's.
    assert aud.location.pointer.startswith("/RoleDetailList/1/AssumeRolePolicyDocument/Statement/0/Condition")
    assert aud.location.line == 32
    [inline] = guest.policies
    assert (inline.name, inline.kind, inline.location.line) == ("deny-everything-else", "inline", 35)
    assert inline.document.statements[0].not_actions[0].value == "rum:PutRumEvents"
    assert [n.value for n in guest.managed_policy_arns] == [f"arn:aws:iam::{ACCOUNT}:policy/SupportPortalRumEvents"]
    assert guest.managed_policy_arns[0].location.line == 43
    assert lambda_role.trust_policy.statements[0].action_patterns() == ["sts:AssumeRole"]
    [managed] = inventory.managed_policies
    assert managed.arn == f"arn:aws:iam::{ACCOUNT}:policy/SupportPortalRumEvents"
    # The default version (v2), not the first-listed or the older one.
    assert managed.document.statements[0].resources[0].value.endswith("appmonitor/support-portal")
    assert managed.document.location.line == 69
    assert file.problems == [] and inventory.undecided == []


@pytest.mark.parametrize("encoded", [True, False], ids=["url-encoded", "decoded"])
def test_get_role_trust_policy_encodings(encoded: bool) -> None:
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {
        "Federated": "cognito-identity.amazonaws.com"}, "Action": "sts:AssumeRoleWithWebIdentity"}]}
    value = quote(json.dumps(trust), safe="") if encoded else trust
    inventory, _ = load_text(json.dumps({"Role": {"RoleName": "g", "Arn": "arn:aws:iam::123456789012:role/g",
                                                   "AssumeRolePolicyDocument": value}}, indent=1))
    document = inventory.roles[0].trust_policy
    assert document.fully_known and document.statements[0].action_patterns() == ["sts:AssumeRoleWithWebIdentity"]
    assert document.location.line == 5


# --- folders: outputs that do not name what they belong to ---------------------------------------------

def test_list_attached_policies_join_the_folders_only_role() -> None:
    inventory, _ = load_file(CLI / "managed-policy" / "get-role.json")
    [arn] = inventory.roles[0].managed_policy_arns
    assert arn.value == f"arn:aws:iam::{ACCOUNT}:policy/rum/DocsSiteRumPutEvents"
    assert arn.location.source.endswith("list-attached-role-policies.json") and arn.location.line == 5
    listed, _ = load_file(CLI / "managed-policy" / "list-attached-role-policies.json")
    assert listed.roles == [] and listed.managed_policies == [] and listed.undecided == []


def test_policy_version_takes_the_arn_of_the_folders_get_policy() -> None:
    inventory, file = load_file(CLI / "managed-policy" / "get-policy-version.json")
    [policy] = inventory.managed_policies
    assert policy.arn == policy.subject == f"arn:aws:iam::{ACCOUNT}:policy/rum/DocsSiteRumPutEvents"
    assert policy.name == "DocsSiteRumPutEvents" and policy.document.location.line == 3
    assert inventory.undecided == [] and file.problems == []
    alone, _ = load_file(CLI / "managed-policy" / "get-policy.json")
    assert alone.managed_policies == []


def _folder(tmp_path: Path, files: dict[str, Any]) -> Path:
    for name, data in files.items():
        (tmp_path / name).write_text(json.dumps(data, indent=2))
    return tmp_path


def _get_role(name: str) -> dict:
    return {"Role": {"RoleName": name, "Arn": f"arn:aws:iam::{ACCOUNT}:role/{name}", "Path": "/",
                     "AssumeRolePolicyDocument": {"Statement": []}}}


def _get_policy(name: str, version: str) -> dict:
    return {"Policy": {"PolicyName": name, "Arn": f"arn:aws:iam::{ACCOUNT}:policy/{name}",
                      "DefaultVersionId": version}}


def _version(version: str, default: bool = True) -> dict:
    return {"PolicyVersion": {"Document": {"Version": "2012-10-17", "Statement": []}, "VersionId": version,
                              "IsDefaultVersion": default}}


ATTACHED = {"AttachedPolicies": [{"PolicyName": "P", "PolicyArn": f"arn:aws:iam::{ACCOUNT}:policy/P"}]}


def test_list_attached_with_two_roles_in_the_folder_is_undecided(tmp_path: Path) -> None:
    folder = _folder(tmp_path, {"a.json": _get_role("a"), "b.json": _get_role("b"), "list.json": ATTACHED})
    inventory, _ = load_file(folder / "list.json")
    [note] = inventory.undecided
    assert "describes 2 roles (a, b)" in note.message and note.location.pointer == "/AttachedPolicies"
    role, _ = load_file(folder / "a.json")
    assert role.roles[0].managed_policy_arns == []


def test_list_attached_without_a_role_is_undecided(tmp_path: Path) -> None:
    folder = _folder(tmp_path, {"list.json": {**ATTACHED, "IsTruncated": True, "Marker": "m"}})
    inventory, _ = load_file(folder / "list.json")
    truncated, unattributed = inventory.undecided
    assert "truncated (IsTruncated)" in truncated.message and truncated.location.pointer == "/IsTruncated"
    assert "does not name its role and the folder has no get-role output" in unattributed.message


def test_policy_versions_matched_by_default_version_and_file_name(tmp_path: Path) -> None:
    folder = _folder(tmp_path, {
        "policy-Alpha.json": _get_policy("Alpha", "v1"), "policy-Beta.json": _get_policy("Beta", "v1"),
        "policy-Gamma.json": _get_policy("Gamma", "v3"),
        "version-Beta.json": _version("v1"), "version-Gamma.json": _version("v3"), "version-x.json": _version("v1"),
    })
    beta, _ = load_file(folder / "version-Beta.json")
    assert beta.managed_policies[0].arn.endswith(":policy/Beta") and beta.undecided == []
    gamma, _ = load_file(folder / "version-Gamma.json")
    assert gamma.managed_policies[0].arn.endswith(":policy/Gamma")
    unplaced, _ = load_file(folder / "version-x.json")
    assert unplaced.managed_policies[0].arn is None
    [note] = unplaced.undecided
    assert "2 get-policy outputs in the folder have default version v1, and none of their names" in note.message


@pytest.mark.parametrize("marked_default, message", [
    (False, "v1 is not its policy's default version"),          # says so itself
    (True, "the folder's policy has default version v2, not v1"),  # the folder's get-policy says so
])
def test_policy_version_that_is_not_the_default(tmp_path: Path, marked_default: bool, message: str) -> None:
    folder = _folder(tmp_path, {"p.json": _get_policy("P", "v2"), "v.json": _version("v1", marked_default)})
    inventory, _ = load_file(folder / "v.json")
    [note] = inventory.undecided
    assert message in note.message
    assert [p.arn for p in inventory.managed_policies] == ([None] if marked_default else [])


def test_broken_siblings_do_not_break_the_folder(tmp_path: Path) -> None:
    folder = _folder(tmp_path, {
        "role.json": {"Role": {"RoleName": 7, "Arn": ["x"], "AssumeRolePolicyDocument": "%7Bnot json"}},
        "inline.json": {"RoleName": None, "PolicyName": 1, "PolicyDocument": []},
        "policy.json": {"Policy": {"PolicyName": 3, "DefaultVersionId": {}}},
        "version.json": {"PolicyVersion": {"Document": 5, "VersionId": None, "IsDefaultVersion": "yes"}},
        "list.json": {"AttachedPolicies": [1, {"PolicyArn": 2}]},
        "monitor.json": {"AppMonitor": {"Name": 4}},
        "rbp.json": {"PolicyDocument": "{"},
    })
    (folder / "garbage.json").write_text("{ not json")
    for path in sorted(folder.iterdir()):
        if path.name != "garbage.json":
            _, file = load_file(path)
            assert all(p.location.source == str(path) for p in file.problems)


# --- bare policies -------------------------------------------------------------------------------------

def test_bare_trust_policy_is_a_bare_role() -> None:
    inventory, file = load_file(IAM / "guest-role-trust-policy.json")
    [role] = inventory.roles
    assert role.bare and role.arn is None and role.name is None and role.policies == []
    assert role.subject == str(IAM / "guest-role-trust-policy.json") and role.trust_policy.location.line == 1
    assert role.trust_policy.statements[0].location.line == 4 and file.kind == "iam-policy"


def test_bare_permission_policy_is_a_bare_role_with_one_policy() -> None:
    inventory, _ = load_file(IAM / "guest-role-wildcard-permissions.yaml")
    [role] = inventory.roles
    [policy] = role.policies
    assert role.bare and role.trust_policy is None and policy.kind == "inline"
    assert policy.name == "guest-role-wildcard-permissions.yaml"
    assert policy.document.statements[0].actions[0].location.line == 5


def test_bare_resource_policy_names_its_monitor() -> None:
    inventory, _ = load_file(IAM / "app-monitor-resource-policy.json")
    [policy] = inventory.resource_policies
    assert policy.monitor_name.value == "storefront-web" and policy.monitor_name.location.line == 9
    assert policy.raw is None and policy.kind == "iam-policy"


def test_bare_resource_policy_falls_back_to_the_declared_monitor() -> None:
    text = json.dumps({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "rum:PutRumEvents",
                                      "Resource": "*"}]})
    inventory, _ = load_text(text, options=LoadOptions(app_monitors=(MONITOR_ARN,)))
    assert inventory.resource_policies[0].monitor_name.value == "storefront-web"
    assert inventory.undecided == []


@pytest.mark.parametrize("name", ["s3-bucket-policy.json", "lambda-logging-policy.json"])
def test_policy_unrelated_to_rum(name: str) -> None:
    inventory, file = load_file(IAM / name)
    assert file.kind == iam_json.NOT_RUM_RELATED and is_empty(inventory)


@pytest.mark.parametrize("explicit", [True, False], ids=["named", "walked"])
def test_unrelated_identity_policy_counts_when_named_with_declared_monitors(explicit: bool) -> None:
    parsed = parse_text(read_text(str(IAM / "lambda-logging-policy.json")), str(IAM / "lambda-logging-policy.json"))
    file = InputFile(parsed.path, explicit, "iam-policy")
    inventory = load_document(parsed, file, "iam-policy", LoadOptions(app_monitors=(MONITOR_ARN,)))
    assert bool(inventory.roles) is explicit
    assert file.kind == ("iam-policy" if explicit else iam_json.NOT_RUM_RELATED)


@pytest.mark.parametrize("statement, expected", [
    ({"Effect": "Allow", "Action": "*", "Resource": "*"}, "role"),
    ({"Effect": "Allow", "Action": "r*:Put*", "Resource": "*"}, "role"),
    ({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}, "role"),
    ({"Effect": "Allow", "Action": "s3:*", "Resource": "*"}, None),
    ({"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole*"}, "trust"),
    ({"Effect": "Allow", "Principal": {"Federated": "cognito-identity.amazonaws.com"}, "Action": "*"}, "trust"),
    ({"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": MONITOR_ARN}, "rbp"),
    ({"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "RUM:PutRumEvents", "Resource": "*"}, "rbp"),
    ({"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "arn:aws:s3:::b/*"}, None),
])
def test_bare_policy_classification(statement: dict, expected: str | None) -> None:
    inventory, file = load_text(json.dumps({"Version": "2012-10-17", "Statement": [statement]}))
    found = {"role": bool(inventory.roles and inventory.roles[0].policies),
             "trust": bool(inventory.roles and inventory.roles[0].trust_policy),
             "rbp": bool(inventory.resource_policies)}
    assert [k for k, v in found.items() if v] == ([expected] if expected else [])
    assert (file.kind == iam_json.NOT_RUM_RELATED) == (expected is None)


def test_unreadable_bare_policy_reports_its_problems() -> None:
    inventory, file = load_text('{\n "Version": "2012-10-17",\n "Statement": 5\n}')
    assert is_empty(inventory) and file.kind == "iam-policy"
    assert problems(file) == [("/Statement", 3, "`Statement` must be an object or a list of objects, not a number 5")]


# --- wrong shapes are problems, never exceptions -------------------------------------------------------

@pytest.mark.parametrize("data, expected", [
    ({"IdentityPoolId": POOL, "Roles": 5}, ("/Roles", "`Roles` must be an object, not a number")),
    ({"IdentityPoolId": POOL, "Roles": {"unauthenticated": ["arn"]}},
     ("/Roles/unauthenticated", "the `unauthenticated` role must be an ARN string, not a list")),
    ({"IdentityPoolId": POOL, "IdentityPoolName": "p", "AllowUnauthenticatedIdentities": "yes"},
     ("/AllowUnauthenticatedIdentities", "`AllowUnauthenticatedIdentities` must be a boolean (true or false), "
                                         "not a string")),
    ({"IdentityPoolId": 42, "IdentityPoolName": "p", "AllowUnauthenticatedIdentities": True},
     ("/IdentityPoolId", "`IdentityPoolId` must be a string, not a number")),
    ({"IdentityPoolName": "p", "IdentityPoolId": POOL}, ("", "`AllowUnauthenticatedIdentities` is missing")),
    ({"Role": {"RoleName": "r", "Arn": False}}, ("/Role/Arn", "`Arn` must be a string, not a boolean")),
    ({"Role": {"RoleName": "r", "Arn": "arn:aws:iam::1:role/r", "PermissionsBoundary": "arn"}},
     ("/Role/PermissionsBoundary", "`PermissionsBoundary` must be an object, not a string")),
    ({"AppMonitor": {"Name": "web", "AppMonitorConfiguration": []}},
     ("/AppMonitor/AppMonitorConfiguration", "`AppMonitorConfiguration` must be an object, not a list")),
    ({"AppMonitor": {"Name": "web", "AppMonitorConfiguration": {"IdentityPoolId": None}}},
     ("/AppMonitor/AppMonitorConfiguration/IdentityPoolId", "`IdentityPoolId` must be a string, not null")),
    ({"PolicyDocument": {"Statement": []}},
     ("/PolicyDocument", "`PolicyDocument` must be a JSON string, not an object")),
    ({"RoleDetailList": [{"RoleName": "r", "Arn": "arn:aws:iam::1:role/r", "RolePolicyList": {}}]},
     ("/RoleDetailList/0/RolePolicyList", "`RolePolicyList` must be a list, not an object")),
    ({"RoleDetailList": ["r"]}, ("/RoleDetailList/0", "each item of `RoleDetailList` must be an object, not a string")),
    ({"AttachedPolicies": [{"PolicyArn": 1}]},
     ("/AttachedPolicies/0/PolicyArn", "`PolicyArn` must be a string, not a number")),
])
def test_wrong_shapes_become_problems(data: dict, expected: tuple[str, str]) -> None:
    _, file = load_text(json.dumps(data, indent=1))
    assert expected in [(p.location.pointer, p.message) for p in file.problems]
    assert all(p.location.line is not None for p in file.problems)


def test_root_of_the_wrong_type_for_a_forced_kind() -> None:
    _, file = load_text("[1, 2]", kind="cli:iam:get-role")
    assert problems(file) == [("", 1, "cli:iam:get-role output must be an object, not a list")]


def test_unknown_kind_is_a_caller_error() -> None:
    parsed = parse_text("{}", f"{NOWHERE}/x.json")
    with pytest.raises(ValueError, match="unknown document kind"):
        load_document(parsed, InputFile(parsed.path, True), "cli:s3:get-bucket-policy", LoadOptions())


def test_policy_versions_without_a_default() -> None:
    data = {"Policies": [{"PolicyName": "P", "Arn": f"arn:aws:iam::{ACCOUNT}:policy/P", "PolicyVersionList": [
        {"Document": {"Statement": []}, "VersionId": "v1", "IsDefaultVersion": False}]}]}
    inventory, _ = load_text(json.dumps(data))
    assert inventory.managed_policies[0].document is None
    assert "no versions of" in inventory.undecided[0].message


# --- --app-monitor -------------------------------------------------------------------------------------

@pytest.mark.parametrize("arn, env", [
    (MONITOR_ARN, ("aws", "us-east-1", ACCOUNT, "amazonaws.com")),
    (f"arn:aws-cn:rum:cn-north-1:{ACCOUNT}:appmonitor/web.v2#beta", ("aws-cn", "cn-north-1", ACCOUNT,
                                                                     "amazonaws.com.cn")),
    (f"arn:aws-us-gov:rum:us-gov-west-1:{ACCOUNT}:appmonitor/A_b-c", ("aws-us-gov", "us-gov-west-1", ACCOUNT,
                                                                      "amazonaws.com")),
    (f"arn:aws-eusc:rum:eusc-de-east-1:{ACCOUNT}:appmonitor/web", ("aws-eusc", "eusc-de-east-1", ACCOUNT,
                                                                   "amazonaws.eu")),
])
def test_declared_monitor(arn: str, env: tuple[str, str, str, str]) -> None:
    monitor = declared_monitor(arn)
    assert (monitor.env.partition, monitor.env.region, monitor.env.account, monitor.env.url_suffix) == env
    assert monitor.arn == arn == monitor.subject
    assert monitor.declared_only and monitor.kind == "declared"
    assert monitor.location.source == "<--app-monitor>" == monitor.name.location.source


@pytest.mark.parametrize("arn, reason", [
    ("storefront-web", "six colon-separated parts"),
    (f"arn:aws:iam::{ACCOUNT}:role/guest", "the service is 'iam'"),
    (f"arn:aws:rum:us-east-1:{ACCOUNT}:monitor/web", "the resource is 'monitor/web'"),
    ("arn:aws:rum:us-east-1:12345:appmonitor/web", "'12345' is not a 12-digit account id"),
    (f"arn:aws:rum:useast1:{ACCOUNT}:appmonitor/web", "'useast1' is not a region"),
    (f"arn:amazon:rum:us-east-1:{ACCOUNT}:appmonitor/web", "'amazon' is not a partition"),
    (f"arn:aws:rum:us-east-1:{ACCOUNT}:appmonitor/.hidden", "'.hidden' is not a valid app monitor name"),
    (f"arn:aws:rum:us-east-1:{ACCOUNT}:appmonitor/team/web", "'team/web' is not a valid app monitor name"),
    (f"arn:aws:rum:us-east-1:{ACCOUNT}:appmonitor/", "'' is not a valid app monitor name"),
])
def test_declared_monitor_rejects_malformed_arns(arn: str, reason: str) -> None:
    with pytest.raises(ValueError, match="is not an app monitor ARN") as error:
        declared_monitor(arn)
    assert reason in str(error.value) and "appmonitor/<app monitor name>" in str(error.value)


# --- a folder, end to end through the loader and the linker --------------------------------------------

def test_correct_folder_links_into_one_chain(tmp_path: Path) -> None:
    from rumpolicy.load import load_paths

    folder = tmp_path / "dump"
    shutil.copytree(CLI / "correct", folder)
    inventory = load_paths([str(folder)], LoadOptions(region="us-east-1", account=ACCOUNT))
    [monitor] = inventory.monitors
    [pool] = inventory.pools
    [role] = inventory.roles
    assert monitor.arn == MONITOR_ARN and monitor.identity_pool is pool
    [attachment] = pool.attachments
    assert attachment.pool is pool
    assert attachment.role_arn("unauthenticated").value == role.arn == GUEST_ARN
    assert role.trust_policy.statements[0].conditions_on("cognito-identity.amazonaws.com:aud")[0].values == (POOL,)
    [inline] = role.policies
    assert (inline.name, inline.kind) == ("RUMPutBatchMetrics", "inline")
    assert inline.document.statements[0].resources[0].value == MONITOR_ARN
    [guest] = inventory.guest_roles
    assert guest.role is role and guest.pools == [pool]
    assert [(u.monitor, u.flow) for u in guest.uses] == [(monitor, "enhanced")]
    assert inventory.undecided == []
    assert sorted(f.kind for f in inventory.files) == sorted(
        ["cli:cognito-identity:describe-identity-pool", "cli:cognito-identity:get-identity-pool-roles",
         "cli:iam:get-role", "cli:iam:get-role-policy", "cli:iam:list-attached-role-policies",
         "cli:rum:get-app-monitor"])


def test_managed_policy_folder_resolves_the_attached_document() -> None:
    from rumpolicy.load import load_paths

    inventory = load_paths([str(CLI / "managed-policy")], LoadOptions(region="us-east-1", account=ACCOUNT))
    [role] = inventory.roles
    [managed] = role.policies
    assert managed.kind == "managed" and managed.arn.endswith(":policy/rum/DocsSiteRumPutEvents")
    assert managed.document.statements[0].sid == "PutRumEvents"
    assert role.boundary.document is managed.document
    [guest] = inventory.guest_roles
    assert [u.flow for u in guest.uses] == ["enhanced"]


def test_bare_policies_pair_with_the_declared_monitor() -> None:
    from rumpolicy.load import load_paths

    inventory = load_paths([str(IAM / "guest-role-permissions.json"), str(IAM / "app-monitor-resource-policy.json")],
                           LoadOptions(app_monitors=(MONITOR_ARN,)))
    [monitor] = inventory.monitors
    assert monitor.declared_only and monitor.resource_policy is inventory.resource_policies[0]
    [guest] = inventory.guest_roles
    assert [(u.monitor, u.flow) for u in guest.uses] == [(monitor, "declared")]


# --- the fixtures follow botocore's service models -----------------------------------------------------

OPERATIONS = {
    "cli:iam:get-role": ("iam", "GetRole"), "cli:iam:get-role-policy": ("iam", "GetRolePolicy"),
    "cli:iam:get-policy": ("iam", "GetPolicy"), "cli:iam:get-policy-version": ("iam", "GetPolicyVersion"),
    "cli:iam:list-attached-role-policies": ("iam", "ListAttachedRolePolicies"),
    "cli:iam:get-account-authorization-details": ("iam", "GetAccountAuthorizationDetails"),
    "cli:cognito-identity:describe-identity-pool": ("cognito-identity", "DescribeIdentityPool"),
    "cli:cognito-identity:get-identity-pool-roles": ("cognito-identity", "GetIdentityPoolRoles"),
    "cli:rum:get-app-monitor": ("rum", "GetAppMonitor"), "cli:rum:get-resource-policy": ("rum", "GetResourcePolicy"),
}
SCALARS = {"string": str, "boolean": bool, "integer": int, "long": int, "timestamp": str, "double": (int, float),
           "float": (int, float)}


def _model(service: str) -> dict:
    import botocore

    [path] = glob.glob(str(Path(botocore.__file__).parent / "data" / service / "*" / "service-2.json*"))
    with (gzip.open(path, "rt") if path.endswith(".gz") else open(path)) as handle:
        return json.load(handle)


def _conforms(model: dict, shape_name: str, value: Any, where: str) -> list[str]:
    shape = model["shapes"][shape_name]
    kind = shape["type"]
    if shape_name == "policyDocumentType" and isinstance(value, dict):
        return []       # botocore (and so the AWS CLI) decodes IAM policy documents into objects
    if kind == "structure":
        if not isinstance(value, dict):
            return [f"{where}: not an object"]
        errors = [f"{where}: unknown member {k}" for k in value if k not in shape["members"]]
        errors += [f"{where}: missing {k}" for k in shape.get("required", []) if k not in value]
        for key, item in value.items():
            if key in shape["members"]:
                errors += _conforms(model, shape["members"][key]["shape"], item, f"{where}/{key}")
        return errors
    if kind == "list":
        if not isinstance(value, list):
            return [f"{where}: not a list"]
        member = shape["member"]["shape"]
        return [e for i, item in enumerate(value) for e in _conforms(model, member, item, f"{where}/{i}")]
    if kind == "map":
        if not isinstance(value, dict):
            return [f"{where}: not a map"]
        return [e for k, item in value.items() for e in _conforms(model, shape["value"]["shape"], item, f"{where}/{k}")]
    if not isinstance(value, SCALARS[kind]) or (kind != "boolean" and isinstance(value, bool)):
        return [f"{where}: not a {kind}"]
    if "enum" in shape and value not in shape["enum"]:
        return [f"{where}: {value!r} not in {shape['enum']}"]
    return []


CLI_FIXTURES = sorted(CLI.glob("*/*.json"))


@pytest.mark.parametrize("path", CLI_FIXTURES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_cli_fixture_matches_the_botocore_output_shape(path: Path) -> None:
    data = json.loads(path.read_text())
    service, operation = OPERATIONS[recognize(data)]
    model = _model(service)
    assert _conforms(model, model["operations"][operation]["output"]["shape"], data, "") == []


# --- robustness: CLI-shaped documents with random types injected ---------------------------------------

TEMPLATES = [json.loads(p.read_text()) for p in CLI_FIXTURES] + [
    json.loads(p.read_text()) for p in sorted(IAM.glob("*.json"))]
INTERESTING = st.sampled_from([
    "*", "rum:*", "rum:PutRumEvents", "sts:AssumeRole*", MONITOR_ARN, GUEST_ARN, POOL, "unauthenticated",
    "%7B%22Statement%22%3A5%7D", "%7Bbroken", "{\"Statement\": []}", "arn:aws:rum:::appmonitor/", "",
    "arn:", "appmonitor/*", "2012-10-17"])
SCALAR_VALUES = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) \
    | st.text(max_size=12) | INTERESTING
JSON_VALUES = st.recursive(SCALAR_VALUES, lambda inner: st.lists(inner, max_size=3)
                           | st.dictionaries(st.text(max_size=8) | INTERESTING, inner, max_size=3), max_leaves=6)


def _paths(value: Any, here: tuple = ()) -> list[tuple]:
    out = [here]
    if isinstance(value, dict):
        for key, item in value.items():
            out += _paths(item, here + (key,))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            out += _paths(item, here + (i,))
    return out


def _replace(value: Any, path: tuple, new: Any) -> Any:
    if not path:
        return new
    value[path[0]] = _replace(value[path[0]], path[1:], new)
    return value


@st.composite
def mutated_documents(draw: st.DrawFn) -> tuple[dict, str]:
    template = draw(st.sampled_from(TEMPLATES))
    intended = recognize(template)
    document = copy.deepcopy(template)
    for _ in range(draw(st.integers(1, 4))):
        paths = _paths(document)
        path = draw(st.sampled_from(paths[1:] if len(paths) > 1 else paths))
        document = _replace(document, path, draw(JSON_VALUES))
    return document, intended


@settings(max_examples=examples(300), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_documents(), st.sampled_from([LoadOptions(), LoadOptions(app_monitors=(MONITOR_ARN,)),
                                             LoadOptions(region="eu-west-1", account=ACCOUNT)]))
def test_never_raises_on_cli_shaped_data(case: tuple[Any, str], options: LoadOptions) -> None:
    document, intended = case
    parsed = parse_text(json.dumps(document), f"{NOWHERE}/mutated.json")
    for kind in {recognize(parsed.data), intended} - {None}:
        file = InputFile(parsed.path, True, kind)
        inventory = load_document(parsed, file, kind, options)
        for problem in file.problems:
            assert problem.location.source == parsed.path and problem.location.span is not None
        for node_owner in inventory.monitors + inventory.pools + inventory.roles:
            assert node_owner.location.source == parsed.path
