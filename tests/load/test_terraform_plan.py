"""``terraform show -json`` plans and states: recognition, unknown values, references, locations.

The plan fixtures are real ``terraform plan`` output, made by ``tests/load/terraform_plans.py`` (see
there to regenerate them).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rumpolicy.load.cloudformation import is_template
from rumpolicy.load.iam_json import recognize
from rumpolicy.load.options import LoadOptions
from rumpolicy.load.source import parse_text
from rumpolicy.load.terraform_plan import PLAN, STATE, is_plan, load_plan
from rumpolicy.model import Unknown
from rumpolicy.model.inputs import InputFile
from rumpolicy.chain.link import link
from rumpolicy.model.symbols import REF, token

ROOT = Path(__file__).resolve().parents[2]
PLANS = ROOT / "fixtures" / "inputs" / "terraform-plan"


def load(path: Path | str, text: str | None = None, options: LoadOptions | None = None):
    text = Path(path).read_text() if text is None else text
    parsed = parse_text(text, str(path))
    file = InputFile(str(path), True)
    inventory = load_plan(parsed, file, options or LoadOptions())
    link(inventory)
    return inventory, file


def by_subject(items):
    return {item.subject: item for item in items}


def test_plans_and_states_are_recognized_and_nothing_else_takes_them():
    for path in sorted(PLANS.glob("*.json")):
        if path.name.endswith(".expected.json"):
            continue
        data = json.loads(path.read_text())
        assert is_plan(data), path.name
        assert not is_template(data) and recognize(data) is None, path.name
    assert not is_plan({"Version": "2012-10-17", "Statement": []})
    assert not is_plan({"format_version": "1.0"})          # a provider schema dump, say: nothing to check


def test_an_unsupported_format_version_is_a_located_input_error():
    inventory, file = load("p.json", '{\n  "format_version": "2.0",\n  "planned_values": {}\n}\n')
    assert file.error.startswith("unsupported Terraform JSON format_version '2.0'")
    assert (file.error_location.pointer, file.error_location.line) == ("/format_version", 2)
    assert inventory.monitors == [] and inventory.undecided == []


def test_unknown_values_link_through_the_one_reference_they_make():
    inventory, file = load(PLANS / "example-correct.json")
    assert file.kind == PLAN
    (monitor,) = inventory.monitors
    (pool,) = inventory.pools
    # identity_pool_id is unknown until apply; its expression references the pool's id.
    assert monitor.identity_pool_id.value == token(REF, "aws_cognito_identity_pool.rum.id") == pool.pool_id
    assert monitor.identity_pool is pool
    pointer = monitor.identity_pool_id.location.pointer
    assert pointer.startswith("/resource_changes/") and pointer.endswith(
        "/change/after_unknown/app_monitor_configuration/0/identity_pool_id")
    assert monitor.identity_pool_id.location.line > 1
    # Written as `false` in the configuration: not the provider's default.
    assert pool.allow_classic_flow.value is False and not pool.classic_flow_defaulted
    assert (pool.env.region, pool.env.partition) == ("eu-west-1", "aws")
    assert pool.env.account == "123456789012"          # data.aws_caller_identity, read during the plan


def test_documents_known_only_after_apply_are_not_rebuilt_from_references():
    inventory, _ = load(PLANS / "example-correct.json")
    role = by_subject(inventory.roles)["aws_iam_role.guest"]
    assert role.trust_policy.unknown is not None and "data.aws_iam_policy_document.guest_trust.json" in \
        role.trust_policy.unknown
    (attachment,) = inventory.attachments
    assert attachment.roles_unknown         # the whole map is unknown: which key is which cannot be told
    messages = {u.message for u in inventory.undecided}
    assert any(m.startswith("roles of aws_cognito_identity_pool_roles_attachment.rum is known only after apply "
                            "(it references aws_iam_role.guest.arn)") for m in messages)


def test_attributes_the_configuration_does_not_set_are_not_unknowns():
    # inline_policy and managed_policy_arns are computed by the provider; the plan marks them unknown.
    inventory, _ = load(PLANS / "example-correct.json")
    role = by_subject(inventory.roles)["aws_iam_role.guest"]
    assert role.managed_policy_arns == []
    assert not any("inline_policy" in u.message or "managed_policy_arns" in u.message for u in inventory.undecided)


def test_child_modules_variables_and_outputs_are_followed():
    inventory, _ = load(PLANS / "basic-flow-module.json")
    pools = by_subject(inventory.pools)
    pool = pools["module.rum.aws_cognito_identity_pool.this"]
    assert pool.name.value == "shop-rum"
    assert pool.classic_flow_defaulted                  # not in the module's configuration
    (monitor,) = inventory.monitors
    assert monitor.guest_role is by_subject(inventory.roles)["module.rum.aws_iam_role.guest"]
    # The root attaches a policy to the module's role through the module's output.
    role = monitor.guest_role
    assert any(p.arn and p.arn.endswith(":policy/shop-upload-source-maps") for p in role.policies)
    assert 'module.rum.aws_iam_role_policy.guest["rum:PutRumEvents"]' in by_subject(inventory.managed_policies)


def test_a_state_is_fully_known():
    inventory, file = load(PLANS / "state.json")
    assert file.kind == STATE
    (monitor,) = inventory.monitors
    assert monitor.identity_pool_id.value == "eu-west-1:7f3b2c1a-5d4e-4f60-9a8b-0c1d2e3f4a5b"
    assert monitor.app_monitor_id.value == "0f4c1b2a-8e7d-4c6b-9a5f-3e2d1c0b9a87"
    assert monitor.identity_pool is inventory.pools[0]
    assert monitor.env.account == "123456789012" and monitor.env.region == "eu-west-1"
    assert inventory.undecided == []
    (guest,) = inventory.guest_roles
    assert guest.role.trust_policy.fully_known


def test_an_errored_plan_says_it_is_incomplete():
    inventory, _ = load(PLANS / "errored.json")
    (undecided,) = [u for u in inventory.undecided if "errored" in u.message]
    assert undecided.location.pointer == "/errored"


def test_a_known_value_is_located_in_planned_values():
    inventory, _ = load(PLANS / "example-broken.json")
    (pool,) = inventory.pools
    node = pool.allow_classic_flow
    assert node.location.pointer.startswith("/planned_values/root_module/resources/")
    assert node.location.pointer.endswith("/values/allow_classic_flow")
    text = (PLANS / "example-broken.json").read_text().splitlines()
    assert '"allow_classic_flow": false' in text[node.location.line - 1]


@pytest.mark.parametrize("expressions, after_unknown, expected", [
    # One reference: the value it names.
    ({"identity_pool_id": {"references": ["aws_cognito_identity_pool.p.id", "aws_cognito_identity_pool.p"]}},
     {"identity_pool_id": True}, token(REF, "aws_cognito_identity_pool.p.id")),
    # Two references: it could be either, or a mix of both.
    ({"identity_pool_id": {"references": ["aws_cognito_identity_pool.p.id", "aws_cognito_identity_pool.q.id"]}},
     {"identity_pool_id": True}, None),
    # A variable of the root module takes the plan's value.
    ({"identity_pool_id": {"references": ["var.pool"]}}, {"identity_pool_id": True}, "us-east-1:abc"),
])
def test_reference_resolution(expressions, after_unknown, expected):
    plan = {
        "format_version": "1.2", "variables": {"pool": {"value": "us-east-1:abc"}},
        "planned_values": {"root_module": {"resources": [
            {"address": "aws_cognito_identity_pool.p", "mode": "managed", "type": "aws_cognito_identity_pool",
             "name": "p", "values": {"allow_unauthenticated_identities": True}},
            {"address": "aws_rum_app_monitor.m", "mode": "managed", "type": "aws_rum_app_monitor", "name": "m",
             "values": {"name": "m", "domain": "x.com", "app_monitor_configuration": [{}]}}]}},
        "resource_changes": [{"address": "aws_rum_app_monitor.m", "change": {
            "actions": ["create"], "after_unknown": {"app_monitor_configuration": [after_unknown]}}}],
        "configuration": {"root_module": {"resources": [
            {"address": "aws_rum_app_monitor.m", "mode": "managed", "type": "aws_rum_app_monitor", "name": "m",
             "expressions": {"app_monitor_configuration": [expressions]}}]}},
    }
    inventory, _ = load("p.json", json.dumps(plan, indent=1))
    value = inventory.monitors[0].identity_pool_id.value
    if expected is None:
        assert isinstance(value, Unknown) and "aws_cognito_identity_pool.q.id" in value.reason
        assert any("known only after apply" in u.message for u in inventory.undecided)
    else:
        assert value == expected


def test_malformed_plans_do_not_raise():
    for text in ('{"format_version": "1.0", "planned_values": []}',
                 '{"format_version": "1.0", "planned_values": {"root_module": {"resources": [5, {"address": 3}]}}}',
                 '{"format_version": "1.0", "values": {"root_module": {"resources": [{"address": "aws_iam_role.r", '
                 '"type": "aws_iam_role", "values": {"assume_role_policy": "{not json"}}]}}}'):
        inventory, file = load("p.json", text)
        assert file.error is None
    assert any("not valid JSON" in p.message for p in file.problems)



def test_references_that_go_round_in_a_circle_stay_unknown():
    def role(name: str, other: str) -> tuple[dict, dict, dict]:
        address = f"aws_iam_role.{name}"
        return ({"address": address, "mode": "managed", "type": "aws_iam_role", "name": name, "values": {}},
                {"address": address, "change": {"actions": ["create"], "after_unknown": {"name": True}}},
                {"address": address, "mode": "managed", "type": "aws_iam_role", "name": name,
                 "expressions": {"name": {"references": [f"aws_iam_role.{other}.name", f"aws_iam_role.{other}"]}}})

    a, b = role("a", "b"), role("b", "a")
    plan = {"format_version": "1.2", "planned_values": {"root_module": {"resources": [a[0], b[0]]}},
            "resource_changes": [a[1], b[1]], "configuration": {"root_module": {"resources": [a[2], b[2]]}}}
    inventory, file = load("p.json", json.dumps(plan))
    assert file.error is None
    assert all(role.name is None for role in inventory.roles)
    assert any("too many steps" in u.message for u in inventory.undecided)
