"""Done when: the rule's handler, deployed against loopback AWS, sees a role's trust broken and fixed.

A correct chain (monitor ``shop`` -> pool -> guest role ``shop-guest``) is evaluated on a role
change: everything COMPLIANT in GetComplianceDetailsByConfigRule and no active rumpolicy finding in
Security Hub. The trust loses its ``aud`` condition: the role and the monitor turn NON_COMPLIANT
naming RUM-TRUST-002, and Security Hub holds the finding. The trust is restored: both COMPLIANT
again and the finding archived as resolved.
"""

from __future__ import annotations

import json

from rumpolicy.aws_config.events import MONITOR, POOL, ROLE
from tests.audit.conftest import REGION, pool_id, trust_policy
from tests.aws_config.conftest import Invoker
from tests.aws_standin import DEFAULT_ACCOUNT as ACCOUNT

ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/shop-guest"


def rumpolicy_findings(world) -> list[dict]:
    """Security Hub's rumpolicy findings (moto's GetFindings ignores Filters, so the test filters)."""
    findings = world.client("securityhub").get_findings(MaxResults=100)["Findings"]
    return [f for f in findings if f["GeneratorId"].startswith("rumpolicy/")]


def active_on_role(world) -> list[str]:
    return sorted(f["GeneratorId"] for f in rumpolicy_findings(world)
                  if f["RecordState"] == "ACTIVE" and f["Resources"][0]["Id"] == ROLE_ARN)


def test_breaking_and_fixing_a_roles_trust_turns_config_and_security_hub_and_back(world, invoke: Invoker,
                                                                                  monkeypatch):
    monkeypatch.setenv("RUMPOLICY_SECURITY_HUB", "true")
    world.client("securityhub").enable_security_hub()
    world.guest_setup(ACCOUNT, "shop", 0)
    iam = world.client("iam")
    role_id = iam.get_role(RoleName="shop-guest")["Role"]["RoleId"]
    keys = {(MONITOR, "shop"), (POOL, pool_id(0)), (ROLE, role_id)}

    invoke(invoke.event("role_change", item=invoke.role_item("shop-guest"), at="2026-12-01T10:00:00Z"))
    assert invoke.compliance() == {key: ("COMPLIANT", None) for key in keys}
    assert active_on_role(world) == []

    iam.update_assume_role_policy(RoleName="shop-guest", PolicyDocument=json.dumps(trust_policy(None)))
    line = invoke(invoke.event("role_change", item=invoke.role_item("shop-guest"), at="2026-12-01T11:00:00Z"))
    verdicts = invoke.compliance()
    assert verdicts[(POOL, pool_id(0))] == ("COMPLIANT", None)
    role_verdict, role_annotation = verdicts[(ROLE, role_id)]
    assert role_verdict == "NON_COMPLIANT" and role_annotation.startswith("RUM-TRUST-002: ")
    monitor_verdict, monitor_annotation = verdicts[(MONITOR, "shop")]
    assert monitor_verdict == "NON_COMPLIANT" and monitor_annotation.startswith("RUM-TRUST-002 on role shop-guest: ")
    assert invoke.compliance(kinds=("NON_COMPLIANT",)).keys() == {(ROLE, role_id), (MONITOR, "shop")}
    assert active_on_role(world) == ["rumpolicy/RUM-TRUST-002"]
    assert line["evaluations"] == {MONITOR: {"NON_COMPLIANT": 1}, POOL: {"COMPLIANT": 1}, ROLE: {"NON_COMPLIANT": 1}}
    assert line["security_hub"][REGION]["imported"] >= 1

    iam.update_assume_role_policy(RoleName="shop-guest", PolicyDocument=json.dumps(trust_policy(pool_id(0))))
    line = invoke(invoke.event("role_change", item=invoke.role_item("shop-guest"), at="2026-12-01T12:00:00Z"))
    assert invoke.compliance() == {key: ("COMPLIANT", None) for key in keys}
    assert active_on_role(world) == []
    [fixed] = [f for f in rumpolicy_findings(world) if f["GeneratorId"] == "rumpolicy/RUM-TRUST-002"]
    assert (fixed["RecordState"], fixed["Workflow"]["Status"]) == ("ARCHIVED", "RESOLVED")
    assert line["security_hub"][REGION]["archived"] == 1


def test_findings_of_rules_the_parameters_leave_out_are_not_archived(world, invoke: Invoker, monkeypatch):
    """A run that did not look for a finding (Ignore) cannot call it fixed: the export archives nothing, as
    `audit --to-security-hub` does."""
    monkeypatch.setenv("RUMPOLICY_SECURITY_HUB", "true")
    world.client("securityhub").enable_security_hub()
    world.guest_setup(ACCOUNT, "shop", 0, trust=trust_policy(None))
    invoke(invoke.event("role_change", item=invoke.role_item("shop-guest"), at="2026-12-01T10:00:00Z"))
    assert active_on_role(world) == ["rumpolicy/RUM-TRUST-002"]

    line = invoke(invoke.event("role_change", item=invoke.role_item("shop-guest"), at="2026-12-01T11:00:00Z",
                               parameters={"Ignore": "RUM-TRUST-002"}))

    assert active_on_role(world) == ["rumpolicy/RUM-TRUST-002"]
    assert line["security_hub"][REGION]["archived"] == 0
    assert line["security_hub"][REGION]["not_archived"] == "not every rule ran (select, ignore)"
