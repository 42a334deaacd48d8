"""Every recorded Config event parses to what it says; malformed ones fail with the field named."""

from __future__ import annotations

import json

import pytest

from rumpolicy.aws_config.events import (CHANGE, MONITOR, OVERSIZED, POOL, ROLE, SCHEDULED, ConfigItem,
                                         MalformedEvent, aud_pool_ids, parse_event)
from tests.aws_config.conftest import EVENTS, load_event

POOL_ID = "us-east-1:0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0"

EXPECTED = {
    # fixture: (messageType, resource type, resource id, status, left scope, capture or notification time)
    "role_change": (CHANGE, ROLE, "AROAEXAMPLEROLEID0001", "OK", False, "2026-12-01T10:00:00.000Z"),
    "monitor_change": (CHANGE, MONITOR, "shop", "OK", False, "2026-12-01T10:05:00.000Z"),
    "pool_change": (CHANGE, POOL, POOL_ID, "OK", False, "2026-12-01T10:10:00.000Z"),
    "role_oversized": (OVERSIZED, ROLE, "AROAEXAMPLEROLEID0001", "OK", False, "2026-12-01T10:15:00.000Z"),
    "pool_deleted": (CHANGE, POOL, POOL_ID, "ResourceDeleted", False, "2026-12-01T10:20:00.000Z"),
    "monitor_left_scope": (CHANGE, MONITOR, "shop", "OK", True, "2026-12-01T10:25:00.000Z"),
    "scheduled": (SCHEDULED, None, None, None, False, "2026-12-01T12:00:00.000Z"),
}


def test_every_fixture_is_listed():
    assert sorted(p.stem for p in EVENTS.glob("*.json")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture_parses(name):
    message_type, kind, resource_id, status, left, when = EXPECTED[name]
    event = parse_event(load_event(name))
    assert (event.rule_name, event.account, event.message_type, event.left_scope) == (
        "rumpolicy-chain", "123456789012", message_type, left)
    assert event.fail_on == "error" and not event.test_mode
    if kind is None:
        assert event.item is None and event.notification_time == when and event.trigger == "scheduled"
        return
    item = event.item
    assert (item.resource_type, item.resource_id, item.status, item.capture_time) == (kind, resource_id, status, when)
    assert item.summary_only == (message_type == OVERSIZED)
    assert item.deleted == (status == "ResourceDeleted")


def test_a_role_items_url_encoded_trust_policy_names_its_pool():
    item = parse_event(load_event("role_change")).item
    assert item.configuration["roleName"] == "shop-guest"
    assert item.trust_pool_ids() == [POOL_ID]
    assert parse_event(load_event("role_oversized")).item.trust_pool_ids() == []     # a summary has no configuration


def test_an_item_from_config_history_has_its_configuration_decoded():
    recorded = {"resourceType": ROLE, "resourceId": "AROA1", "resourceName": "r", "awsRegion": "global",
                "accountId": "123456789012", "configurationItemStatus": "OK", "arn": "arn:aws:iam::123456789012:role/r",
                "configuration": json.dumps({"assumeRolePolicyDocument": "%7B%22Statement%22%3A%5B%7B%22Condition%22"
                                             "%3A%7B%22StringEquals%22%3A%7B%22cognito-identity.amazonaws.com%3Aaud"
                                             "%22%3A%5B%22eu-west-1%3Aabc%22%5D%7D%7D%7D%5D%7D"})}
    item = ConfigItem.from_history(recorded)
    assert (item.arn, item.account, item.trust_pool_ids()) == (recorded["arn"], "123456789012", ["eu-west-1:abc"])


def test_aud_values_are_found_under_any_operator_and_case():
    document = {"Statement": [{"Condition": {"ForAnyValue:StringLike": {"Cognito-Identity.amazonaws.com:AUD": "a"}}},
                              {"Condition": {"StringEquals": {"cognito-identity.amazonaws.com:aud": ["b", "a"]}}}]}
    assert aud_pool_ids(document) == ["a", "b"]
    assert aud_pool_ids({"Statement": {"Condition": "x"}}) == [] and aud_pool_ids(None) == []


def _broken(change):
    event = load_event("role_change")
    change(event)
    return event


@pytest.mark.parametrize("change, message", [
    (lambda e: e.pop("invokingEvent"), "invokingEvent is not a JSON string"),
    (lambda e: e.update(invokingEvent="{"), "invokingEvent is not JSON"),
    (lambda e: e.update(invokingEvent="[]"), "invokingEvent is not a JSON object"),
    (lambda e: e.update(invokingEvent='{"messageType": "Nope"}'), "invokingEvent.messageType is 'Nope'"),
    (lambda e: e.update(invokingEvent='{"messageType": "ConfigurationItemChangeNotification"}'),
     "invokingEvent.configurationItem is not an object"),
    (lambda e: e.update(invokingEvent=json.dumps({"messageType": CHANGE, "configurationItem": {
        "resourceType": "AWS::S3::Bucket", "resourceId": "b"}})), "not AWS::S3::Bucket"),
    (lambda e: e.pop("resultToken"), "the event has no resultToken"),
    (lambda e: e.update(accountId=""), "the event has no accountId"),
    (lambda e: e.update(ruleParameters='{"FailOn": "fatal"}'), "FailOn is 'fatal'"),
    (lambda e: e.update(ruleParameters='{"Fail_On": "error"}'), "unknown parameter 'Fail_On'"),
    (lambda e: e.update(ruleParameters='{"FailOn": 3}'), "every value must be a string"),
    (lambda e: e.update(eventLeftScope="yes"), "eventLeftScope is not a boolean"),
])
def test_a_malformed_event_names_what_is_wrong(change, message):
    with pytest.raises(MalformedEvent, match=message.replace("(", r"\(").replace(".", r"\.")):
        parse_event(_broken(change))


def test_parameters_and_test_mode():
    event = load_event("scheduled")
    event.update(ruleParameters='{"FailOn": "warning", "Select": "RUM-TRUST-002, RUM-PERM-001", "Ignore": ""}',
                 resultToken="TESTMODE")
    parsed = parse_event(event)
    assert parsed.fail_on == "warning" and parsed.test_mode
    assert parsed.rule_ids("Select") == ["RUM-TRUST-002", "RUM-PERM-001"]
    assert parsed.rule_ids("Ignore") == [] and parsed.rule_ids("Other") is None
    event.pop("ruleParameters")
    assert parse_event(event).parameters == {} and parse_event(event).fail_on == "error"
