"""``rumpolicy audit --org``: member accounts through sts:AssumeRole, gaps reported, SCPs evaluated."""

from __future__ import annotations

import json
from dataclasses import dataclass

from tests.audit.conftest import REGION, World, trust_policy
from tests.aws_standin import DEFAULT_ACCOUNT as MANAGEMENT

ROLE = "RumAudit"


@dataclass
class Org:
    root: str
    members: list[str]


def organization(world: World, members: int = 3) -> Org:
    org = world.client("organizations")
    org.create_organization(FeatureSet="ALL")
    root = org.list_roots()["Roots"][0]["Id"]
    ids = [org.create_account(Email=f"member{i}@example.com", AccountName=f"member{i}")["CreateAccountStatus"]
           ["AccountId"] for i in range(members)]
    return Org(root, ids)


def scp(world: World, name: str, statement: dict, *targets: str) -> str:
    org = world.client("organizations")
    policy = org.create_policy(Name=name, Description=name, Type="SERVICE_CONTROL_POLICY", Content=json.dumps(
        {"Version": "2012-10-17", "Statement": [statement]}))["Policy"]["PolicySummary"]["Id"]
    for target in targets:
        org.attach_policy(PolicyId=policy, TargetId=target)
    return policy


def audit_role(account: str) -> str:
    return f"arn:aws:iam::{account}:role/{ROLE}"


def test_org_with_one_inaccessible_member_reports_the_other_two_and_the_gap(world, cli):
    org = organization(world)
    healthy, broken, locked = org.members
    world.guest_setup(healthy, "shop", 0)
    world.guest_setup(broken, "blog", 1, trust=trust_policy(None))
    world.guest_setup(locked, "secret", 2)
    world.standin.inject("sts", "AssumeRole", "denied", times=None, RoleArn=audit_role(locked))

    result = cli("audit", "--org", "--role-name", ROLE, "--region", REGION, "--format", "json")

    assert result.status == 1, result.err
    report = result.json()
    assert {(f["rule_id"], f["subject"]) for f in report["findings"]} == {
        ("RUM-TRUST-002", f"arn:aws:iam::{broken}:role/blog-guest"),
        ("RUM-SRC-001", locked),
    }
    gap = next(f for f in report["findings"] if f["rule_id"] == "RUM-SRC-001")
    assert gap["location"]["path"] == f"aws://{locked}"
    assert gap["message"].startswith(f"{locked}: nothing in the account was checked: sts:AssumeRole into "
                                     f"{audit_role(locked)} failed: AccessDenied")
    coverage = {c["scope"]: (c["status"], c["monitors"]) for c in report["coverage"]}
    assert coverage == {
        f"aws://{MANAGEMENT}": ("checked", 0), f"aws://{MANAGEMENT}/{REGION}": ("checked", 0),
        f"aws://{healthy}": ("checked", 0), f"aws://{healthy}/{REGION}": ("checked", 1),
        f"aws://{broken}": ("checked", 0), f"aws://{broken}/{REGION}": ("checked", 1),
        f"aws://{locked}": ("not_checked", 0),
    }
    # Every member's calls were made with that member's credentials.
    reads = {(c.account, c.operation) for c in world.standin.calls if c.service == "rum"}
    assert (healthy, "GetAppMonitor") in reads and (broken, "GetAppMonitor") in reads
    assert not any(account == locked for account, _ in reads)


def test_scp_that_denies_guests_is_an_error(world, cli):
    org = organization(world, members=2)
    tagged, region_locked = org.members
    world.guest_setup(tagged, "shop", 0)
    world.guest_setup(region_locked, "euro", 1, region="eu-west-1")
    world.guest_setup(region_locked, "home", 2)
    # The requirement's example: guest sessions carry no `team` tag.
    scp(world, "rum-only-for-obs", {"Effect": "Deny", "Action": "rum:*", "Resource": "*",
                                    "Condition": {"StringNotEquals": {"aws:PrincipalTag/team": "obs"}}}, tagged)
    # A region guardrail on the OU-less member: RUM outside us-east-1 is blocked.
    scp(world, "us-east-1-only", {"Effect": "Deny", "NotAction": ["iam:*", "sts:*", "organizations:*"],
                                  "Resource": "*",
                                  "Condition": {"StringNotEquals": {"aws:RequestedRegion": ["us-east-1"]}}},
        region_locked)

    result = cli("audit", "--org", "--role-name", ROLE, "--region", REGION, "--region", "eu-west-1",
                 "--format", "json")

    assert result.status == 1
    findings = [f for f in result.json()["findings"] if f["rule_id"] == "RUM-IAM-ORG-001"]
    blocked = sorted((f["subject"], f["message"].split("`")[1], f["message"].rsplit("monitor ", 1)[1].split(":")[5])
                     for f in findings)
    assert blocked == sorted([
        (tagged, "rum:PutRumEvents", "appmonitor/shop"),
        (region_locked, "rum:PutRumEvents", "appmonitor/euro"),
        (region_locked, "cognito-identity:GetId", "appmonitor/euro"),
        (region_locked, "cognito-identity:GetCredentialsForIdentity", "appmonitor/euro"),
    ])
    assert all(f["severity"] == "error" and f["location"]["pointer"] == "/Policy/Content/Statement/0"
               for f in findings)
    message = next(f["message"] for f in findings if f["subject"] == tagged)
    assert "explicitly denied by service control policy 'rum-only-for-obs" in message
    assert message.endswith(f"statement #0 (attached to the account {tagged})")
    assert {f["rule_id"] for f in result.json()["findings"]} == {"RUM-IAM-ORG-001"}


def test_scp_condition_on_an_unknown_key_is_not_decided(world, cli):
    org = organization(world, members=1)
    member = org.members[0]
    world.guest_setup(member, "shop", 0)
    scp(world, "source-ip", {"Effect": "Deny", "Action": "rum:PutRumEvents", "Resource": "*",
                             "Condition": {"NotIpAddress": {"aws:SourceIp": "198.51.100.0/24"}}}, org.root)

    result = cli("audit", "--org", "--role-name", ROLE, "--region", REGION, "--format", "json")

    assert result.status == 0
    findings = result.json()["findings"]
    assert [(f["rule_id"], f["subject"]) for f in findings] == [("RUM-SRC-001", member)]
    assert "RUM-IAM-ORG-001 (scp-blocks-guests) not checked" in findings[0]["message"]
    assert "aws:SourceIp" in findings[0]["message"]


def test_unreadable_scps_are_not_checked_and_shown_in_coverage(world, cli):
    org = organization(world, members=1)
    member = org.members[0]
    world.guest_setup(member, "shop", 0)
    world.standin.inject("organizations", "ListPoliciesForTarget", "denied", times=None)

    result = cli("audit", "--org", "--role-name", ROLE, "--region", REGION, "--format", "json")

    assert result.status == 0
    findings = result.json()["findings"]
    assert [(f["rule_id"], f["subject"]) for f in findings] == [("RUM-SRC-001", member)]
    assert "the service control policies of account" in findings[0]["message"]
    account = next(c for c in result.json()["coverage"] if c["scope"] == f"aws://{member}")
    assert account["status"] == "partial"
    assert account["reason"].startswith("organizations:ListPoliciesForTarget failed for the service control "
                                        f"policies of account {member}: AccessDeniedException")


def test_accounts_and_exclusions(world, cli):
    org = organization(world)
    first, second, third = org.members
    for index, account in enumerate(org.members):
        world.guest_setup(account, f"m{index}", index)

    result = cli("audit", "--org", "--role-name", ROLE, "--region", REGION, "--accounts", f"{first},{second}",
                 "--accounts", "999999999999", "--exclude-accounts", second, "--format", "json")

    scopes = {c["scope"]: c["status"] for c in result.json()["coverage"]}
    assert scopes == {f"aws://{first}": "checked", f"aws://{first}/{REGION}": "checked",
                      "aws://999999999999": "not_checked"}
    assert next(c for c in result.json()["coverage"] if c["scope"] == "aws://999999999999")["reason"] == \
        "it is not a member of the organization"
    assert not any(c.account == third for c in world.standin.calls)


def test_org_where_nothing_can_be_read_exits_2(world, cli):
    org = organization(world, members=2)
    world.standin.inject("sts", "AssumeRole", "denied", times=None)

    result = cli("audit", "--org", "--role-name", ROLE, "--region", REGION, "--exclude-accounts", MANAGEMENT)

    assert result.status == 2
    assert "nothing could be checked" in result.err
    for member in org.members:
        assert f"aws://{member}" in result.out


def test_org_needs_the_organization_listed(world, cli):
    no_organization = cli("audit", "--org", "--role-name", ROLE, "--region", REGION)

    assert no_organization.status == 2
    assert "--org: the organization lists no accounts" in no_organization.err
    organization(world, members=1)
    world.standin.inject("organizations", "ListAccounts", "denied", times=None)
    denied = cli("audit", "--org", "--role-name", ROLE, "--region", REGION)
    assert denied.status == 2
    assert "--org: the organization's accounts could not be listed (organizations:ListAccounts: " \
           "AccessDeniedException" in denied.err
    assert denied.out == ""


def test_management_account_is_read_with_the_callers_credentials(world, cli):
    org = organization(world, members=1)
    world.guest_setup(MANAGEMENT, "hq", 0)
    scp(world, "deny-all-rum", {"Effect": "Deny", "Action": "rum:*", "Resource": "*"}, org.root)

    result = cli("audit", "--org", "--role-name", ROLE, "--region", REGION, "--accounts", MANAGEMENT,
                 "--format", "json")

    # SCPs never restrict the management account, so the root's deny does not apply to it.
    assert result.status == 0
    assert result.json()["findings"] == []
    assert not any(c.operation == "AssumeRole" for c in world.standin.calls)


def test_scps_of_organizational_units_above_the_account_count(world, cli):
    org = organization(world, members=1)
    member = org.members[0]
    client = world.client("organizations")
    outer = client.create_organizational_unit(ParentId=org.root, Name="workloads")["OrganizationalUnit"]["Id"]
    inner = client.create_organizational_unit(ParentId=outer, Name="web")["OrganizationalUnit"]["Id"]
    client.move_account(AccountId=member, SourceParentId=org.root, DestinationParentId=inner)
    world.guest_setup(member, "shop", 0, basic=True)
    scp(world, "no-web-identity", {"Effect": "Deny", "Action": "sts:AssumeRoleWithWebIdentity", "Resource": "*"},
        outer)

    result = cli("audit", "--org", "--role-name", ROLE, "--region", REGION, "--format", "json")

    [finding] = result.json()["findings"]
    assert finding["rule_id"] == "RUM-IAM-ORG-001" and finding["subject"] == member
    assert "block `sts:AssumeRoleWithWebIdentity`" in finding["message"]
    assert finding["message"].endswith(f"(attached to organizational unit {outer})")
    parents = [c for c in world.standin.calls if c.operation == "ListParents"]
    assert len(parents) == 3        # account -> web -> workloads -> root
