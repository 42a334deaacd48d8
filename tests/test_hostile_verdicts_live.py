"""RUM-POOL-002 in a live audit: a pool whose description lacks `AllowClassicFlow` is info, as in templates."""

from __future__ import annotations

from tests.audit.conftest import REGION, monitor_arn, moto_url, pool_id, put_policy, trust_policy, world  # noqa: F401
from tests.aws_standin import DEFAULT_ACCOUNT as ACCOUNT


def test_live_basic_flow_pool_without_the_field_is_info(world, cli):  # noqa: F811
    pool = pool_id(0)
    role = world.role("blog-guest", trust_policy(pool), put_policy(monitor_arn(ACCOUNT, "blog")))
    world.standin.add_identity_pool(ACCOUNT, pool, allow_classic_flow=None, unauthenticated_role=role)
    world.standin.add_app_monitor(ACCOUNT, REGION, "blog", pool_id=pool, guest_role_arn=role)

    result = cli("audit", "--region", REGION, "--format", "json", "--fail-on", "warning")

    findings = [f for f in result.json()["findings"] if f["rule_id"] == "RUM-POOL-002"]
    assert [(f["severity"], f["subject"], f["location"]["path"], f["location"]["pointer"]) for f in findings] == [
        ("info", pool, f"aws://{ACCOUNT}/{REGION}", "")]
    assert "works today through undocumented behaviour; set `AllowClassicFlow: true` explicitly" in \
        findings[0]["message"]
    assert result.status == 0, result.json()["findings"]
