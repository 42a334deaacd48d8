"""Building the model from API responses (``rumpolicy.load.live.build_inventory``): pure, no AWS calls."""

from __future__ import annotations

import json
from urllib.parse import quote

from hypothesis import given, settings
from hypothesis import strategies as st

from rumpolicy.engine import run
from rumpolicy.findings import Location
from rumpolicy.load.live import (AccountData, PoolData, RegionData, RoleData, RoleRecord, UnreadPart,
                                 build_inventory, pool_region)
from tests.conftest import examples

ACCOUNT = "123456789012"
POOL = "eu-west-1:0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/guest"
TRUST = {"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Federated": "cognito-identity.amazonaws.com"},
    "Action": "sts:AssumeRoleWithWebIdentity",
    "Condition": {"StringEquals": {"cognito-identity.amazonaws.com:aud": POOL},
                  "ForAnyValue:StringLike": {"cognito-identity.amazonaws.com:amr": "unauthenticated"}}}]}
PUT = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "rum:PutRumEvents",
                                               "Resource": f"arn:aws:rum:eu-west-1:{ACCOUNT}:appmonitor/web"}]}


def account(monitor: dict, *, pool: PoolData | None = None, roles: RoleData | None = None) -> AccountData:
    region = RegionData(ACCOUNT, "eu-west-1", monitors=[{"AppMonitor": monitor}], policies={monitor["Name"]: None},
                        pool_ids=[POOL] if pool else [])
    return AccountData(ACCOUNT, "aws", regions=[region], pools={POOL: pool} if pool else {},
                       roles=roles or RoleData())


def pool(**description) -> PoolData:
    return PoolData(POOL, "eu-west-1", description={"IdentityPoolId": POOL, "IdentityPoolName": "rum",
                                                    "AllowUnauthenticatedIdentities": True, **description},
                    roles={"IdentityPoolId": POOL, "Roles": {"unauthenticated": ROLE}})


def role(trust, *inline, unread=()) -> RoleData:
    detail = {"RoleName": "guest", "Arn": ROLE, "AssumeRolePolicyDocument": trust,
              "RolePolicyList": [{"PolicyName": f"p{i}", "PolicyDocument": d} for i, d in enumerate(inline)]}
    return RoleData(records={ROLE: RoleRecord(detail, list(unread))})


def test_a_console_made_monitor_takes_its_role_from_the_pool_and_locations_point_into_responses():
    data = account({"Name": "web", "AppMonitorConfiguration": {"IdentityPoolId": POOL}}, pool=pool(),
                   roles=role(TRUST, PUT))
    inventory = build_inventory(data)

    monitor = inventory.monitors[0]
    assert monitor.subject == f"arn:aws:rum:eu-west-1:{ACCOUNT}:appmonitor/web"
    assert monitor.identity_pool_id.location == Location(
        f"aws://{ACCOUNT}/eu-west-1", "/AppMonitor/AppMonitorConfiguration/IdentityPoolId")
    assert monitor.guest_role_arn is None and monitor.identity_pool is inventory.pools[0]
    assert inventory.pools[0].allow_classic_flow is None           # absent in DescribeIdentityPool: stays unset
    [guest] = inventory.guest_roles
    assert guest.role.arn == ROLE and guest.flows(monitor) == {"enhanced"}
    assert guest.role.trust_policy.location == Location(f"aws://{ACCOUNT}", "/AssumeRolePolicyDocument")
    # Whether an unset AllowClassicFlow admits the basic flow is an open question: not decided, not passed.
    [finding] = run(inventory).findings
    assert finding.rule_id == "RUM-SRC-001" and finding.message.startswith("RUM-POOL-003")
    assert run(build_inventory(account({"Name": "web", "AppMonitorConfiguration": {"IdentityPoolId": POOL}},
                                       pool=pool(AllowClassicFlow=False), roles=role(TRUST, PUT)))).findings == []


def test_url_encoded_documents_are_decoded():
    data = account({"Name": "web", "AppMonitorConfiguration": {"IdentityPoolId": POOL}},
                   pool=pool(AllowClassicFlow=False), roles=role(quote(json.dumps(TRUST)), quote(json.dumps(PUT))))
    assert run(build_inventory(data)).findings == []


def test_an_unread_inline_policy_keeps_permissions_undecided():
    data = account({"Name": "web", "AppMonitorConfiguration": {"IdentityPoolId": POOL}},
                   pool=pool(AllowClassicFlow=False), roles=role(TRUST, unread=[UnreadPart("/RolePolicyList", "inline policies", "AccessDenied: no")]))
    findings = run(build_inventory(data)).findings
    assert {f.rule_id for f in findings} == {"RUM-SRC-001"}
    assert any("inline policies (not readable: AccessDenied: no)" in f.message for f in findings)


def test_a_missing_pool_is_reported_where_the_monitor_names_it():
    missing = PoolData(POOL, "eu-west-1", description_error="ResourceNotFoundException: no", missing=True)
    data = account({"Name": "web", "AppMonitorConfiguration": {"IdentityPoolId": POOL}}, pool=missing)
    [finding] = run(build_inventory(data)).findings
    assert finding.rule_id == "RUM-SRC-001"
    assert f"identity pool {POOL} does not exist" in finding.message
    assert finding.location.pointer == "/AppMonitor/AppMonitorConfiguration/IdentityPoolId"


def test_a_european_sovereign_cloud_monitor_names_its_pool_and_gets_the_partition_dns_suffix():
    pool_id = "eusc-de-east-1:0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0"
    region = RegionData(ACCOUNT, "eusc-de-east-1", listed=["web"], policies={"web": None})
    response = {"AppMonitor": {"Name": "web", "AppMonitorConfiguration": {"IdentityPoolId": pool_id}}}
    region.monitors.append(response)
    region.add_pool_id(response)
    region.add_pool_id(response)
    assert region.pool_ids == [pool_id] and pool_region(pool_id) == "eusc-de-east-1"

    [monitor] = build_inventory(AccountData(ACCOUNT, "aws-eusc", regions=[region])).monitors
    assert monitor.subject == f"arn:aws-eusc:rum:eusc-de-east-1:{ACCOUNT}:appmonitor/web"
    assert monitor.env.url_suffix == "amazonaws.eu"


names = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._#-]{0,20}", fullmatch=True)
configs = st.fixed_dictionaries({}, optional={
    "IdentityPoolId": st.one_of(st.just(POOL), st.text(max_size=60)),
    "GuestRoleArn": st.one_of(st.just(ROLE), st.text(max_size=80)),
    "AllowCookies": st.booleans()})
monitors = st.fixed_dictionaries({"Name": names}, optional={
    "Domain": st.text(max_size=30), "DomainList": st.lists(st.text(max_size=30), max_size=6),
    "AppMonitorConfiguration": configs, "Platform": st.sampled_from(["Web", "Android", "iOS"])})


@settings(max_examples=examples(60), deadline=None)
@given(monitors, st.one_of(st.none(), st.text(max_size=200), st.just(json.dumps(PUT))))
def test_any_monitor_response_builds_and_runs_without_crashing(monitor, resource_policy):
    data = account(monitor)
    data.regions[0].policies[monitor["Name"]] = resource_policy
    result = run(build_inventory(data))
    assert not result.failures
    assert all(f.location.source.startswith(f"aws://{ACCOUNT}") for f in result.findings)
