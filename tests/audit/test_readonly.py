"""The audit only ever calls read-only operations: the product refuses anything else, and a full audit's
recorded calls (seen by the stand-in, not by the product) prove it."""

from __future__ import annotations

import json

import botocore.session
import pytest

from rumpolicy.audit.readonly import (READ_ONLY_OPERATIONS, READ_ONLY_PREFIXES, STS_EXCEPTIONS, ReadOnlyViolation,
                                      is_read_only)
from rumpolicy.audit.sessions import Access, Clients
from tests.audit.conftest import REGION, World, monitor_arn, pool_id, put_policy, trust_policy
from tests.audit.test_audit_org import ROLE, organization, scp


def read_only_by_name(service: str, operation: str) -> bool:
    return operation.startswith(READ_ONLY_PREFIXES) or (service == "sts" and operation in
                                                         STS_EXCEPTIONS | {"GetCallerIdentity"})


def test_every_allowed_operation_exists_and_is_read_only():
    session = botocore.session.get_session()
    for service, operations in READ_ONLY_OPERATIONS.items():
        names = session.get_service_model(service).operation_names
        for operation in operations:
            assert operation in names, f"{service}:{operation} is not an operation of botocore's model"
            assert read_only_by_name(service, operation), f"{service}:{operation}"
    assert not is_read_only("cognito-identity", "GetId")       # named like a read, but creates an identity
    assert not is_read_only("rum", "GetAppMonitorData")         # reads end users' data: never needed


def test_the_guard_refuses_other_operations_before_sending_them(world):
    clients = Clients(None, "standard", 1)
    access = Access("123456789012", "aws", botocore.session.get_session().get_credentials())
    rum = clients.client(access, "rum", REGION)
    with pytest.raises(ReadOnlyViolation, match="refusing to call rum:DeleteAppMonitor"):
        rum.delete_app_monitor(Name="shop")
    cognito = clients.client(access, "cognito-identity", REGION)
    with pytest.raises(ReadOnlyViolation, match="refusing to call cognito-identity:GetId"):
        cognito.get_id(IdentityPoolId=pool_id(0))
    assert world.standin.calls == []
    assert rum.list_app_monitors()["AppMonitorSummaries"] == []
    assert world.standin.operations() == [("rum", "ListAppMonitors")]


def rich_org(world: World) -> list[str]:
    """Everything the audit reads at least once: members, SCPs, managed policies, a boundary,
    resource policies, pools in two regions, shared and missing roles, bulk and per-role IAM."""
    org = organization(world, members=2)
    small, large = org.members
    scp(world, "deny-rum", {"Effect": "Deny", "Action": "rum:*", "Resource": "*"}, small)
    iam = world.client("iam", small)
    grant = iam.create_policy(PolicyName="grant", PolicyDocument=json.dumps(put_policy("*")))["Policy"]["Arn"]
    guest = world.role("guest", trust_policy(pool_id(0)), account=small, managed=(grant,),
                       boundary="arn:aws:iam::aws:policy/AmazonCognitoUnauthenticatedIdentities")
    world.guest_setup(small, "shop", 0, role=guest)
    world.guest_setup(small, "ghost", 1, role=f"arn:aws:iam::{small}:role/missing")
    world.standin.set_resource_policy(small, REGION, "shop", {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": "*", "Action": "rum:PutRumEvents", "Resource": monitor_arn(small, "shop")}]})
    for index in range(9):
        world.guest_setup(large, f"app{index}", index % 6, region="eu-west-1" if index >= 6 else REGION)
    return org.members


def test_a_full_audit_calls_only_read_only_operations(world, cli):
    rich_org(world)

    result = cli("audit", "--org", "--role-name", ROLE, "--region", REGION, "--region", "eu-west-1",
                 "--format", "json")

    assert result.status == 1, result.err
    called = set(world.standin.operations())
    refused = sorted(op for op in called if not read_only_by_name(*op))
    assert refused == []
    assert {op for _, op in called} >= {
        "GetCallerIdentity", "ListAccounts", "AssumeRole", "ListAppMonitors", "GetAppMonitor", "GetResourcePolicy",
        "DescribeIdentityPool", "GetIdentityPoolRoles", "GetRole", "ListRolePolicies", "ListAttachedRolePolicies",
        "GetPolicy", "GetPolicyVersion", "GetAccountAuthorizationDetails", "DescribeOrganization", "ListParents",
        "ListPoliciesForTarget", "DescribePolicy"}
    assert called <= {(service, op) for service, ops in READ_ONLY_OPERATIONS.items() for op in ops}
