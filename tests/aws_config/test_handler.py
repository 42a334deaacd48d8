"""The Config rule's handler per trigger, against loopback AWS: what it reads, what it reports, how it fails."""

from __future__ import annotations

import json
import uuid

import pytest

from rumpolicy.audit.readonly import ReadOnlyViolation
from rumpolicy.aws_config.allowed import ALLOWED_OPERATIONS, ALLOWED_WITH_EXPORT, MEMBER_ROLE_OPERATIONS
from rumpolicy.aws_config.events import MONITOR, POOL, ROLE
from rumpolicy.aws_config.run import RuleError
from rumpolicy.load.live_read import CallFailed
from tests.audit.conftest import REGION, monitor_arn, pool_id, put_policy, trust_policy
from tests.aws_config.conftest import RULE, Invoker, LambdaContext
from tests.aws_standin import DEFAULT_ACCOUNT as ACCOUNT

MEMBER = "111122223333"


def role_id(world, name: str, account: str = ACCOUNT) -> str:
    return world.client("iam", account).get_role(RoleName=name)["Role"]["RoleId"]


def operations(world) -> list[str]:
    return [f"{c.service}:{c.operation}" for c in world.standin.calls]


def three_monitors(world) -> None:
    """shop: correct; admin: trust without `aud` (RUM-TRUST-002); docs: the role allows another monitor."""
    world.guest_setup(ACCOUNT, "shop", 0)
    world.guest_setup(ACCOUNT, "admin", 1, trust=trust_policy(None))
    world.guest_setup(ACCOUNT, "docs", 2, policy=put_policy(monitor_arn(ACCOUNT, "other")))


def test_scheduled_evaluates_every_monitor_of_the_region_and_its_chain(world, invoke: Invoker):
    three_monitors(world)

    line = invoke(invoke.event("scheduled"))

    verdicts = invoke.compliance()
    assert {key: verdict for key, (verdict, _) in verdicts.items()} == {
        (MONITOR, "shop"): "COMPLIANT", (POOL, pool_id(0)): "COMPLIANT", (ROLE, role_id(world, "shop-guest")): "COMPLIANT",
        (MONITOR, "admin"): "NON_COMPLIANT", (POOL, pool_id(1)): "COMPLIANT",
        (ROLE, role_id(world, "admin-guest")): "NON_COMPLIANT",
        (MONITOR, "docs"): "NON_COMPLIANT", (POOL, pool_id(2)): "COMPLIANT",
        (ROLE, role_id(world, "docs-guest")): "NON_COMPLIANT"}
    assert verdicts[(MONITOR, "admin")][1].startswith("RUM-TRUST-002 on role admin-guest: ")
    assert verdicts[(ROLE, role_id(world, "docs-guest"))][1].startswith("RUM-PERM-001: ")
    assert line["trigger"] == "scheduled" and line["read"] == {"monitors": 3, "pools": 3, "roles": 3}
    assert operations(world).count("rum:ListAppMonitors") == 1


def test_fail_on_and_ignore_come_from_the_rule_parameters(world, invoke: Invoker):
    world.guest_setup(ACCOUNT, "admin", 1, trust=trust_policy(None))

    invoke(invoke.event("scheduled", parameters={"Ignore": "RUM-TRUST-002"}))

    assert {verdict for verdict, _ in invoke.compliance().values()} == {"COMPLIANT"}
    with pytest.raises(ValueError, match="ruleParameters: Ignore RUM-SRC-001: a check that could not be made"):
        invoke(invoke.event("scheduled", parameters={"Ignore": "RUM-SRC-001"}))
    with pytest.raises(ValueError, match="ruleParameters: --select RUM-NOPE-001"):
        invoke(invoke.event("scheduled", parameters={"Select": "RUM-NOPE-001"}))


def test_a_monitor_change_reads_that_monitor_only(world, invoke: Invoker):
    three_monitors(world)

    invoke(invoke.event("monitor_change", item={"resourceId": "admin", "resourceName": "admin"}))

    assert invoke.compliance().keys() == {(MONITOR, "admin"), (POOL, pool_id(1)), (ROLE, role_id(world, "admin-guest"))}
    assert "rum:ListAppMonitors" not in operations(world)
    assert operations(world).count("rum:GetAppMonitor") == 1


def test_a_pool_change_reads_the_monitors_that_name_it(world, invoke: Invoker):
    three_monitors(world)
    shared = world.role("web-guest", trust_policy(pool_id(4)),
                        put_policy(monitor_arn(ACCOUNT, "web-a"), monitor_arn(ACCOUNT, "web-b")))
    world.standin.add_identity_pool(ACCOUNT, pool_id(4), allow_classic_flow=False, unauthenticated_role=shared)
    world.standin.add_app_monitor(ACCOUNT, REGION, "web-a", pool_id=pool_id(4))
    world.standin.add_app_monitor(ACCOUNT, REGION, "web-b", pool_id=pool_id(4))

    invoke(invoke.event("pool_change", item={"resourceId": pool_id(4)}))

    assert invoke.compliance() == {key: ("COMPLIANT", None) for key in [
        (MONITOR, "web-a"), (MONITOR, "web-b"), (POOL, pool_id(4)), (ROLE, role_id(world, "web-guest"))]}
    assert operations(world).count("rum:GetAppMonitor") == 5           # every monitor of the region is looked at
    assert operations(world).count("rum:GetResourcePolicy") == 2       # only the pool's are read
    assert operations(world).count("cognito-identity:DescribeIdentityPool") == 1


def test_a_pool_no_monitor_names_is_not_applicable_where_the_rule_judged_it(world, invoke: Invoker):
    world.guest_setup(ACCOUNT, "shop", 0)
    invoke(invoke.event("pool_change", item={"resourceId": pool_id(0)}, at="2026-12-01T10:00:00Z"))
    assert invoke.compliance()[(POOL, pool_id(0))] == ("COMPLIANT", None)
    world.standin.region(ACCOUNT, REGION).monitors.pop("shop")

    invoke(invoke.event("pool_change", item={"resourceId": pool_id(0)}, at="2026-12-01T11:00:00Z"))
    # A pool the rule never judged gets no evaluation at all (as an unused role).
    line = invoke(invoke.event("pool_change", item={"resourceId": pool_id(5)}))

    assert invoke.compliance()[(POOL, pool_id(0))] == ("NOT_APPLICABLE",
                                                       f"no app monitor in {REGION} uses this identity pool")
    assert (POOL, pool_id(5)) not in invoke.compliance() and line["not_put"] == 1


def test_a_role_no_monitor_uses_and_the_rule_never_judged_gets_no_evaluation(world, invoke: Invoker):
    """Most IAM roles have nothing to do with RUM: their changes are not billed as evaluations (docs/scale.md)."""
    world.guest_setup(ACCOUNT, "shop", 0)
    world.role("batch-job", trust_policy(pool_id(3)))

    line = invoke(invoke.event("role_change", item=invoke.role_item("batch-job")))

    assert invoke.compliance() == {}
    assert line["not_put"] == 1 and line["put_evaluations_calls"] == 0
    assert "config:GetComplianceDetailsByResource" in line["api_calls"]


def test_a_role_that_was_judged_and_is_no_longer_used_becomes_not_applicable(world, invoke: Invoker):
    world.guest_setup(ACCOUNT, "shop", 0)
    invoke(invoke.event("role_change", item=invoke.role_item("shop-guest"), at="2026-12-01T10:00:00Z"))
    key = (ROLE, role_id(world, "shop-guest"))
    assert invoke.compliance()[key] == ("COMPLIANT", None)

    world.standin.region(ACCOUNT, REGION).monitors.pop("shop")        # the monitor is deleted
    line = invoke(invoke.event("role_change", item=invoke.role_item("shop-guest"), at="2026-12-01T11:00:00Z"))

    assert invoke.compliance()[key] == ("NOT_APPLICABLE", f"no app monitor in {REGION} uses this role")
    assert line["not_put"] == 0


def test_when_config_cannot_say_the_not_applicable_verdict_is_put(world, invoke: Invoker):
    world.role("batch-job", trust_policy(pool_id(3)))
    world.standin.inject("config", "GetComplianceDetailsByResource", "denied", times=None)

    invoke(invoke.event("role_change", item=invoke.role_item("batch-job")))

    assert invoke.compliance() == {(ROLE, role_id(world, "batch-job")): (
        "NOT_APPLICABLE", f"no app monitor in {REGION} uses this role")}


def test_a_role_whose_broken_trust_names_another_pool_is_still_found_through_the_pool(world, invoke: Invoker):
    world.guest_setup(ACCOUNT, "shop", 0, trust=trust_policy(pool_id(3, "eu-west-1")))

    line = invoke(invoke.event("role_change", item=invoke.role_item("shop-guest")))

    assert line["regions_read"] == ["eu-west-1", REGION]
    verdict, annotation = invoke.compliance()[(ROLE, role_id(world, "shop-guest"))]
    assert verdict == "NON_COMPLIANT" and annotation.startswith("RUM-TRUST-")


def test_an_oversized_item_is_fetched_from_config_history(world, invoke: Invoker):
    world.guest_setup(ACCOUNT, "shop", 0)
    recorded = invoke.role_item("shop-guest")
    world.standin.record_configuration_item(ACCOUNT, REGION, {
        "version": "1.3", "accountId": ACCOUNT, "configurationItemCaptureTime": "2026-12-01T10:15:00Z",
        "configurationItemStatus": "OK", "resourceType": ROLE, "resourceId": recorded["resourceId"],
        "resourceName": "shop-guest", "arn": recorded["ARN"], "awsRegion": "global",
        "configuration": json.dumps(recorded["configuration"])})

    invoke(invoke.event("role_oversized", item={k: recorded[k] for k in ("resourceId", "resourceName", "ARN")}))

    fetched = [c for c in world.standin.calls if c.operation == "GetResourceConfigHistory"]
    assert [(c.service, c.status) for c in fetched] == [("config", 200)]
    assert invoke.compliance()[(ROLE, recorded["resourceId"])] == ("COMPLIANT", None)


def test_an_oversized_item_config_cannot_return_is_judged_from_the_live_reads(world, invoke: Invoker):
    world.guest_setup(ACCOUNT, "shop", 0, trust=trust_policy(None))
    recorded = invoke.role_item("shop-guest")

    invoke(invoke.event("role_oversized", item={k: recorded[k] for k in ("resourceId", "resourceName", "ARN")}))

    assert [c.status for c in world.standin.calls if c.operation == "GetResourceConfigHistory"] == [400]
    assert invoke.compliance()[(ROLE, recorded["resourceId"])][0] == "NON_COMPLIANT"


def test_a_deleted_pool_is_not_applicable_and_its_monitor_is_judged_without_it(world, invoke: Invoker):
    world.guest_setup(ACCOUNT, "shop", 0)
    del world.standin.region(ACCOUNT, REGION).pools[pool_id(0)]

    invoke(invoke.event("pool_deleted", item={"resourceId": pool_id(0)}))

    verdicts = invoke.compliance()
    assert verdicts[(POOL, pool_id(0))] == ("NOT_APPLICABLE", "the resource is gone (ResourceDeleted)")
    verdict, annotation = verdicts[(MONITOR, "shop")]
    assert verdict == "NON_COMPLIANT" and pool_id(0) in annotation


def test_a_resource_that_left_the_scope_is_not_applicable_without_any_read(world, invoke: Invoker):
    world.guest_setup(ACCOUNT, "shop", 0)

    invoke(invoke.event("monitor_left_scope"))

    assert operations(world) == ["config:PutEvaluations"]
    assert invoke.compliance() == {(MONITOR, "shop"): ("NOT_APPLICABLE", "the resource is no longer in the rule's scope")}


def test_a_deleted_monitor_is_not_applicable(world, invoke: Invoker):
    invoke(invoke.event("monitor_change", item={"configurationItemStatus": "ResourceDeletedNotRecorded",
                                                "configuration": None}))

    assert invoke.compliance() == {(MONITOR, "shop"): ("NOT_APPLICABLE",
                                                       "the resource is gone (ResourceDeletedNotRecorded)")}


def record_monitor(world, name: str, pool: str) -> None:
    """The app monitor's configuration item as Config recorded it while it existed (CloudFormation's properties)."""
    world.standin.record_configuration_item(ACCOUNT, REGION, {
        "version": "1.3", "accountId": ACCOUNT, "configurationItemCaptureTime": "2026-12-01T09:00:00Z",
        "configurationItemStatus": "OK", "resourceType": MONITOR, "resourceId": name, "resourceName": name,
        "arn": f"arn:aws:rum:{REGION}:{ACCOUNT}:appmonitor/{name}", "awsRegion": REGION,
        "configuration": json.dumps({"Name": name, "Domain": "example.com",
                                     "AppMonitorConfiguration": {"IdentityPoolId": pool}})})


def test_a_deleted_monitors_pool_and_role_are_judged_again(world, invoke: Invoker):
    """Their verdicts spoke of a chain that is gone: a broken role must not stay NON_COMPLIANT for ever."""
    world.guest_setup(ACCOUNT, "shop", 0, trust=trust_policy(None))       # the trust lacks its aud: broken
    invoke(invoke.event("monitor_change", at="2026-12-01T10:00:00Z"))
    role = (ROLE, role_id(world, "shop-guest"))
    assert invoke.compliance()[role][0] == "NON_COMPLIANT"
    record_monitor(world, "shop", pool_id(0))
    world.standin.region(ACCOUNT, REGION).monitors.pop("shop")

    invoke(invoke.event("monitor_change", item={"configurationItemStatus": "ResourceDeleted", "configuration": None},
                        at="2026-12-01T11:00:00Z"))

    verdicts = invoke.compliance()
    assert verdicts[(MONITOR, "shop")] == ("NOT_APPLICABLE", "the resource is gone (ResourceDeleted)")
    assert verdicts[role] == ("NOT_APPLICABLE", f"no app monitor in {REGION} uses this role (app monitor shop was "
                                                "deleted)")
    assert verdicts[(POOL, pool_id(0))][0] == "NOT_APPLICABLE"


def test_a_deleted_monitors_pool_that_another_monitor_uses_is_judged_in_its_chain(world, invoke: Invoker):
    world.guest_setup(ACCOUNT, "shop", 0)
    world.standin.add_app_monitor(ACCOUNT, REGION, "shop-beta", pool_id=pool_id(0))
    invoke(invoke.event("scheduled", at="2026-12-01T10:00:00Z"))
    record_monitor(world, "shop", pool_id(0))
    world.standin.region(ACCOUNT, REGION).monitors.pop("shop")

    invoke(invoke.event("monitor_change", item={"configurationItemStatus": "ResourceDeleted", "configuration": None},
                        at="2026-12-01T11:00:00Z"))

    verdicts = invoke.compliance()
    assert verdicts[(MONITOR, "shop")][0] == "NOT_APPLICABLE"
    assert verdicts[(POOL, pool_id(0))] == ("COMPLIANT", None)
    assert verdicts[(ROLE, role_id(world, "shop-guest"))][0] == "NON_COMPLIANT"     # grants shop, not shop-beta
    assert verdicts[(MONITOR, "shop-beta")][0] == "NON_COMPLIANT"


def test_more_than_100_evaluations_go_in_batches(world, invoke: Invoker):
    names = [f"m{index:03}" for index in range(101)]
    role = world.role("many-guest", trust_policy(pool_id(0)), put_policy(*(monitor_arn(ACCOUNT, n) for n in names)))
    world.standin.add_identity_pool(ACCOUNT, pool_id(0), allow_classic_flow=False, unauthenticated_role=role)
    for name in names:
        world.standin.add_app_monitor(ACCOUNT, REGION, name, pool_id=pool_id(0))

    line = invoke(invoke.event("scheduled"))

    assert line["put_evaluations_calls"] == 2 and operations(world).count("config:PutEvaluations") == 2
    verdicts = invoke.compliance()          # two pages of GetComplianceDetailsByConfigRule
    assert len(verdicts) == 103 and {v for v, _ in verdicts.values()} == {"COMPLIANT"}


def test_throttled_put_evaluations_is_retried(world, invoke: Invoker):
    world.guest_setup(ACCOUNT, "shop", 0)
    fault = world.standin.inject("config", "PutEvaluations", "throttle", times=2)

    invoke(invoke.event("monitor_change"))

    assert fault.times == 0
    assert [c.status for c in world.standin.calls if c.operation == "PutEvaluations"] == [400, 400, 200]
    assert invoke.compliance()[(MONITOR, "shop")] == ("COMPLIANT", None)


def test_failed_evaluations_are_sent_again_and_then_fail_the_invocation(world, invoke: Invoker):
    world.guest_setup(ACCOUNT, "shop", 0)
    world.standin.fail_evaluations(times=1)

    line = invoke(invoke.event("monitor_change"))

    assert line["put_evaluations_calls"] == 2
    assert invoke.compliance()[(MONITOR, "shop")] == ("COMPLIANT", None)
    world.standin.fail_evaluations(times=10)
    with pytest.raises(RuleError, match="Config did not accept 3 evaluations after 4 attempts"):
        invoke(invoke.event("monitor_change"))


def test_test_mode_validates_and_stores_nothing(world, invoke: Invoker):
    world.guest_setup(ACCOUNT, "shop", 0)

    line = invoke(invoke.event("monitor_change", token="TESTMODE"))

    assert line["put_evaluations_calls"] == 1
    assert [c.status for c in world.standin.calls if c.operation == "PutEvaluations"] == [200]
    assert invoke.compliance() == {}


def test_a_token_config_did_not_issue_is_refused(world, invoke: Invoker):
    world.guest_setup(ACCOUNT, "shop", 0)

    with pytest.raises(CallFailed, match="InvalidResultTokenException"):
        invoke(invoke.event("monitor_change", token="forged"))


def test_another_accounts_event_is_evaluated_with_its_member_role(world, invoke: Invoker, monkeypatch):
    world.guest_setup(MEMBER, "shop", 0, trust=trust_policy(None))
    event = invoke.event("monitor_change", account=MEMBER)
    with pytest.raises(RuleError, match="set RUMPOLICY_MEMBER_ROLE_NAME"):
        invoke(event)
    monkeypatch.setenv("RUMPOLICY_MEMBER_ROLE_NAME", "RumConfigRule")

    invoke(event)

    by_account = {(c.operation, c.account) for c in world.standin.calls}
    assert ("AssumeRole", ACCOUNT) in by_account and ("PutEvaluations", MEMBER) in by_account
    # Everything in the member's account, but the organization's policies: those only the function's own may read.
    assert {account for op, account in by_account if op not in ("AssumeRole", "DescribeOrganization")} == {MEMBER}
    assert ("DescribeOrganization", ACCOUNT) in by_account
    # The member role of deploy/ grants exactly MEMBER_ROLE_OPERATIONS: that is all that was asked of it.
    in_member = {(c.service, c.operation) for c in world.standin.calls if c.account == MEMBER}
    assert all(operation in MEMBER_ROLE_OPERATIONS.get(service, ()) for service, operation in in_member), in_member
    assert invoke.compliance(MEMBER)[(MONITOR, "shop")][0] == "NON_COMPLIANT"
    assert invoke.compliance(ACCOUNT) == {}


def test_every_call_is_on_the_allowed_list(world, invoke: Invoker, monkeypatch):
    three_monitors(world)
    monkeypatch.setenv("RUMPOLICY_SECURITY_HUB", "true")
    world.client("securityhub").enable_security_hub()

    invoke(invoke.event("scheduled"))
    invoke(invoke.event("role_oversized", item=invoke.role_item("admin-guest")))

    made = {(c.service, c.operation) for c in world.standin.calls}
    assert ("securityhub", "BatchImportFindings") in made and ("config", "GetResourceConfigHistory") in made
    assert all(operation in ALLOWED_WITH_EXPORT.get(service, ()) for service, operation in made), made


def test_without_the_export_no_security_hub_call_is_made(world, invoke: Invoker):
    three_monitors(world)

    invoke(invoke.event("scheduled"))

    made = {(c.service, c.operation) for c in world.standin.calls}
    assert all(operation in ALLOWED_OPERATIONS.get(service, ()) for service, operation in made), made


def test_an_operation_off_the_list_is_refused_before_it_is_sent(world, invoke: Invoker, monkeypatch):
    from rumpolicy.load.live_read import AccountReader, call

    world.guest_setup(ACCOUNT, "shop", 0)

    def read_pool_and_get_an_identity(self, pool):
        return call(self.clients("cognito-identity", REGION), "get_id", IdentityPoolId=pool)

    monkeypatch.setattr(AccountReader, "read_pool", read_pool_and_get_an_identity)
    with pytest.raises(ReadOnlyViolation, match="refusing to call cognito-identity:GetId"):
        invoke(invoke.event("monitor_change"))
    assert "GetId" not in [c.operation for c in world.standin.calls]


def test_reads_the_deadline_stops_are_not_checked_yet_the_verdicts_are_put(world, invoke: Invoker):
    world.guest_setup(ACCOUNT, "shop", 0)

    line = invoke(invoke.event("monitor_change"), LambdaContext(remaining_ms=5_000))

    assert line["deadline_reached"] and line["api_calls"] == {"config:PutEvaluations": 1}
    assert operations(world) == ["config:PutEvaluations"]
    verdict, annotation = invoke.compliance()[(MONITOR, "shop")]
    assert verdict == "NON_COMPLIANT" and annotation.startswith("not checked: RUM-SRC-001: ")
    assert "deadline reached" in annotation


def test_the_log_line_is_one_json_object(world, invoke: Invoker, capsys):
    world.guest_setup(ACCOUNT, "shop", 0)

    invoke(invoke.event("monitor_change"))

    [line] = capsys.readouterr().out.splitlines()
    logged = json.loads(line)
    assert logged["trigger"] == "monitor" and logged["rule"] == RULE
    assert logged["evaluations"] == {MONITOR: {"COMPLIANT": 1}, POOL: {"COMPLIANT": 1}, ROLE: {"COMPLIANT": 1}}
    assert sum(logged["api_calls"].values()) == len(world.standin.calls)
    assert logged["api_calls"]["rum:GetAppMonitor"] == 1 and logged["duration_ms"] >= 0


def test_a_region_that_cannot_be_listed_fails_a_scheduled_invocation(world, invoke: Invoker):
    world.standin.inject("rum", "ListAppMonitors", "denied", times=None)

    with pytest.raises(RuleError, match=f"the app monitors of {REGION} could not be listed"):
        invoke(invoke.event("scheduled"))
    assert "PutEvaluations" not in [c.operation for c in world.standin.calls]


def test_a_pool_change_in_a_region_that_cannot_be_listed_is_not_checked(world, invoke: Invoker):
    world.standin.inject("rum", "ListAppMonitors", "denied", times=None)

    invoke(invoke.event("pool_change", item={"resourceId": pool_id(0)}))

    verdict, annotation = invoke.compliance()[(POOL, pool_id(0))]
    assert verdict == "NON_COMPLIANT" and annotation.startswith("not checked: RUM-SRC-001: ")
    assert f"the app monitors of {REGION} could not be listed (AccessDeniedException" in annotation


def test_unique_pool_ids_are_well_formed():
    assert str(uuid.UUID(pool_id(0).split(":")[1])) == pool_id(0).split(":")[1]


def test_a_long_message_is_cut_to_what_put_evaluations_takes(world, invoke: Invoker):
    others = [monitor_arn(ACCOUNT, f"another-monitor-with-a-long-name-{index:02}-{'x' * 30}") for index in range(8)]
    name = "g" * 60
    world.guest_setup(ACCOUNT, name, 0, policy=put_policy(*others))

    invoke(invoke.event("monitor_change", item={"resourceId": name, "resourceName": name}))

    annotations = [a for _, a in invoke.compliance().values() if a]
    assert annotations and all(len(a) <= 256 for a in annotations)
    assert any(a.endswith("…") for a in annotations), annotations


def test_a_deleted_role_is_not_applicable_and_the_monitor_that_used_it_is_not(world, invoke: Invoker):
    world.guest_setup(ACCOUNT, "shop", 0)
    recorded = invoke.role_item("shop-guest")
    iam = world.client("iam")
    iam.delete_role_policy(RoleName="shop-guest", PolicyName="shop-guest-0")
    iam.delete_role(RoleName="shop-guest")

    invoke(invoke.event("role_change", item={**recorded, "configurationItemStatus": "ResourceDeleted"}))

    verdicts = invoke.compliance()
    assert verdicts[(ROLE, recorded["resourceId"])] == ("NOT_APPLICABLE", "the resource is gone (ResourceDeleted)")
    verdict, annotation = verdicts[(MONITOR, "shop")]
    assert verdict == "NON_COMPLIANT" and "shop-guest" in annotation
    assert "GetRole" in [c.operation for c in world.standin.calls]      # the monitor's chain is read live


def test_a_region_without_monitors_costs_one_call_and_no_evaluation(world, invoke: Invoker):
    """Most account-regions of an organization hold no monitor: the daily run lists them and stops (docs/scale.md)."""
    before = len(world.standin.calls)
    line = invoke(invoke.event("scheduled"))
    made = [(c.service, c.operation) for c in world.standin.calls[before:]]
    assert made == [("rum", "ListAppMonitors")]
    assert line["evaluations"] == {} and line["put_evaluations_calls"] == 0
