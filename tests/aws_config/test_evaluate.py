"""Verdicts from findings, without AWS: thresholds, the chain, the undecided, and the annotation's limit."""

from __future__ import annotations

import pytest

from rumpolicy.aws_config.evaluate import ANNOTATION_LIMIT, annotation, cut, verdicts
from rumpolicy.aws_config.events import MONITOR, POOL, ROLE
from rumpolicy.aws_config.scope import Scope
from rumpolicy.findings import Finding, Location, Severity
from rumpolicy.load.live_data import AccountData, PoolData, RegionData, RoleData, RoleRecord

ACCOUNT, REGION = "123456789012", "us-east-1"
POOL_ID = f"{REGION}:0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/shop-guest"
MONITOR_ARN = f"arn:aws:rum:{REGION}:{ACCOUNT}:appmonitor/shop"


def finding(rule_id: str, subject: str, message: str = "something is wrong", severity=Severity.ERROR) -> Finding:
    return Finding(rule_id=rule_id, rule_name="x", severity=severity, message=message, subject=subject,
                   location=Location(f"aws://{ACCOUNT}"))


def chain_scope(**settled) -> Scope:
    """One monitor ``shop`` -> its pool -> role ``shop-guest`` (the pool's unauthenticated role)."""
    region = RegionData(ACCOUNT, REGION, listed=["shop"], monitors=[
        {"AppMonitor": {"Name": "shop", "AppMonitorConfiguration": {"IdentityPoolId": POOL_ID}}}])
    pool = PoolData(POOL_ID, REGION, description={}, roles={"Roles": {"unauthenticated": ROLE_ARN}})
    roles = RoleData({ROLE_ARN: RoleRecord({"RoleId": "AROA1", "Arn": ROLE_ARN})})
    data = AccountData(ACCOUNT, "aws", [region], {POOL_ID: pool}, roles)
    return Scope(data, REGION, settled.get("not_applicable", {}), settled.get("not_checked", {}), {ROLE_ARN: "AROA1"},
                 [REGION])


def judged(scope: Scope, findings: list[Finding], fail_on: str = "error") -> dict:
    return {(v.resource.type, v.resource.id): (v.compliance, v.annotation) for v in verdicts(scope, findings, fail_on)}


def test_a_clean_chain_is_compliant_throughout():
    assert judged(chain_scope(), []) == {(MONITOR, "shop"): ("COMPLIANT", None), (POOL, POOL_ID): ("COMPLIANT", None),
                                         (ROLE, "AROA1"): ("COMPLIANT", None)}


def test_a_broken_role_breaks_its_monitor_and_the_annotation_says_where():
    found = judged(chain_scope(), [finding("RUM-TRUST-002", ROLE_ARN, "no `aud`"),
                                   finding("RUM-PERM-001", ROLE_ARN, "too wide")])
    assert found[(ROLE, "AROA1")] == ("NON_COMPLIANT", "RUM-PERM-001, RUM-TRUST-002: too wide")
    assert found[(MONITOR, "shop")] == ("NON_COMPLIANT", "RUM-PERM-001, RUM-TRUST-002 on role shop-guest: too wide")
    assert found[(POOL, POOL_ID)] == ("COMPLIANT", None)


@pytest.mark.parametrize("fail_on, severity, expected", [
    ("error", Severity.WARNING, "COMPLIANT"), ("warning", Severity.WARNING, "NON_COMPLIANT"),
    ("warning", Severity.INFO, "COMPLIANT"), ("info", Severity.INFO, "NON_COMPLIANT"),
    ("error", Severity.ERROR, "NON_COMPLIANT"),
])
def test_fail_on_is_the_threshold(fail_on, severity, expected):
    found = judged(chain_scope(), [finding("RUM-POOL-002", POOL_ID, severity=severity)], fail_on)
    assert found[(POOL, POOL_ID)][0] == expected == found[(MONITOR, "shop")][0]


def test_a_check_not_made_is_never_compliant_whatever_the_threshold():
    found = judged(chain_scope(), [finding("RUM-SRC-001", MONITOR_ARN, "the policy could not be read",
                                           severity=Severity.INFO)], "error")
    assert found[(MONITOR, "shop")] == ("NON_COMPLIANT", "not checked: RUM-SRC-001: the policy could not be read")


def test_a_region_or_account_finding_counts_for_every_resource_in_it():
    found = judged(chain_scope(), [finding("RUM-SRC-001", f"aws://{ACCOUNT}", "SCPs unreadable", Severity.INFO)])
    assert {verdict for verdict, _ in found.values()} == {"NON_COMPLIANT"}


def test_settled_verdicts_win():
    scope = chain_scope(not_applicable={(ROLE, "AROA1"): "the resource is gone (ResourceDeleted)"})
    found = judged(scope, [finding("RUM-TRUST-002", ROLE_ARN)])
    assert found[(ROLE, "AROA1")] == ("NOT_APPLICABLE", "the resource is gone (ResourceDeleted)")
    assert found[(MONITOR, "shop")] == ("COMPLIANT", None)      # a gone role's findings do not count against it
    scope = chain_scope(not_checked={(POOL, "us-east-1:gone"): "the app monitors of us-east-1 could not all be read"})
    assert judged(scope, [])[(POOL, "us-east-1:gone")] == (
        "NON_COMPLIANT", "not checked: the app monitors of us-east-1 could not all be read")


def test_annotations_are_cut_to_the_limit_at_a_character_boundary():
    long = "é" * 200 + " 🙂" * 100
    text = annotation([finding("RUM-TRUST-002", ROLE_ARN, long)], [])
    assert len(text) == ANNOTATION_LIMIT and text.endswith("…") and text.startswith("RUM-TRUST-002: éé")
    found = judged(chain_scope(), [finding("RUM-TRUST-002", ROLE_ARN, long)])
    assert all(len(a) <= ANNOTATION_LIMIT for _, a in found.values() if a)
    assert cut("x" * ANNOTATION_LIMIT) == "x" * ANNOTATION_LIMIT
    assert cut("x" * (ANNOTATION_LIMIT + 1)) == "x" * (ANNOTATION_LIMIT - 1) + "…"
