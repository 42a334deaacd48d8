"""``rumpolicy.api.audit`` as a library calls it: the same stages as ``check``, over live accounts."""

from __future__ import annotations

from rumpolicy.api import Options, audit
from rumpolicy.audit import AuditOptions
from rumpolicy.config import Config

from tests.audit.conftest import REGION, World, trust_policy
from tests.aws_standin import DEFAULT_ACCOUNT as ACCOUNT


def test_audit_returns_the_report_of_the_accounts_it_read(world: World):
    world.guest_setup(ACCOUNT, "shop", 1, trust=trust_policy(None))      # no `aud` pin: RUM-TRUST-002
    world.guest_setup(ACCOUNT, "docs", 2)

    report = audit(AuditOptions(regions=(REGION,)))

    assert report.audit.checked_anything and report.audit.deadline_reached is None
    broken = {(f.rule_id, f.subject) for f in report.active if f.severity.value == "error"}
    assert ("RUM-TRUST-002", f"arn:aws:iam::{ACCOUNT}:role/shop-guest") in broken
    assert all(f.location.source.startswith("aws://") for f in report.findings)
    assert [c.scope for c in report.coverage] == [f"aws://{ACCOUNT}", f"aws://{ACCOUNT}/{REGION}"]


def test_audit_honours_the_configuration_as_check_does(world: World):
    world.guest_setup(ACCOUNT, "shop", 1, trust=trust_policy(None))
    report = audit(AuditOptions(regions=(REGION,)), Options(config=Config(ignore=("RUM-TRUST-002",))))
    assert "RUM-TRUST-002" not in {f.rule_id for f in report.active}
