"""Statement applicability: Action/NotAction, Resource/NotResource, Effect, shape (RUM-IAM-003..006, 010)."""

from __future__ import annotations

import json

import pytest

from rumpolicy.iam import Decision, PolicySet, RequestPrincipal, evaluate, statement_matches
from rumpolicy.model.symbols import Unknown
from tests.iam.helpers import ACTION, MONITOR, NO_ALLOW, ROLE, allow, check, deny, policy


@pytest.mark.parametrize("action", ["RUM:putrumevents", "rum:Put*", "rum:*Events", "rum:*", "*",
                                    ["s3:GetObject", "rum:PutRumEvents"]])
def test_action_patterns_that_grant(action):
    check(evaluate([policy(allow(Action=action))], ACTION, MONITOR), Decision.ALLOW, by=[("identity", "A")])


@pytest.mark.parametrize("action", ["rum:PutRumEvent", "rum:Get*", ["s3:*", "iam:*"]])
def test_action_patterns_that_do_not_grant(action):
    check(evaluate([policy(allow(Action=action))], ACTION, MONITOR), Decision.DENY, by=[], reasons=(NO_ALLOW,))


def test_allow_not_action_grants_everything_else():
    doc = policy(allow(Action=None, NotAction=["iam:*"], Resource="*"))
    check(evaluate([doc], ACTION, MONITOR), Decision.ALLOW, by=[("identity", "A")])


def test_allow_not_action_listing_the_action_does_not_grant_it():
    doc = policy(allow(Action=None, NotAction="rum:Put*", Resource="*"))
    check(evaluate([doc], ACTION, MONITOR), Decision.DENY, reasons=(NO_ALLOW,))


def test_deny_not_action_listing_the_action_does_not_deny_it():
    doc = policy(allow(), deny(Action=None, NotAction=["rum:PutRumEvents"], Resource="*"))
    check(evaluate([doc], ACTION, MONITOR), Decision.ALLOW, by=[("identity", "A")])


def test_deny_not_action_not_listing_the_action_denies_it():
    doc = policy(allow(), deny(Action=None, NotAction=["iam:*"], Resource="*"))
    check(evaluate([doc], ACTION, MONITOR), Decision.DENY, by=[("identity", "D")],
          reasons=("explicitly denied by identity-based policy 'test' statement 'D'",))


@pytest.mark.parametrize("resource, decision", [
    ("arn:aws:rum:*:*:appmonitor/web", Decision.ALLOW),
    ("arn:aws:rum:us-east-1:123456789012:appmonitor/Web", Decision.DENY),
    ("arn:aws:rum:us-east-1:123456789012:appmonitor/7f1c6e0a-0b7d-4a55-9d1e-3f0a2b9c4d11", Decision.DENY),
    (["arn:aws:rum:us-east-1:123456789012:appmonitor/other", MONITOR], Decision.ALLOW),
])
def test_resource_entries(resource, decision):
    result = evaluate([policy(allow(Resource=resource))], ACTION, MONITOR)
    check(result, decision, by=[("identity", "A")] if decision is Decision.ALLOW else [])


def test_not_resource_grants_every_other_resource():
    doc = policy(allow(Resource=None, NotResource="arn:aws:rum:*:*:appmonitor/other"))
    check(evaluate([doc], ACTION, MONITOR), Decision.ALLOW, by=[("identity", "A")])


def test_not_resource_naming_the_monitor_does_not_grant_it():
    doc = policy(allow(Resource=None, NotResource="arn:aws:rum:*:*:appmonitor/*"))
    check(evaluate([doc], ACTION, MONITOR), Decision.DENY, reasons=(NO_ALLOW,))


def test_a_resource_based_statement_without_resource_covers_its_own_resource():
    rbp = policy(allow(Resource=None, Principal={"AWS": ROLE}))
    result = evaluate(PolicySet(resource=[rbp]), ACTION, MONITOR, principal=RequestPrincipal(arn=ROLE))
    check(result, Decision.ALLOW, by=[("resource", "A")])


def test_an_identity_statement_without_resource_is_unknown():
    result = evaluate([policy(allow(Resource=None))], ACTION, MONITOR)
    check(result, Decision.UNKNOWN, by=[("identity", "A")], reason_has="neither `Resource` nor `NotResource`")


@pytest.mark.parametrize("effect", ["allow", "ALLOW", "Permit"])
def test_a_misspelled_effect_makes_the_statement_unknown(effect):
    doc = policy(allow(Effect=effect))
    check(evaluate([doc], ACTION, MONITOR), Decision.UNKNOWN, by=[("identity", "A")], reason_has="Effect")


def test_a_misspelled_effect_may_also_be_a_deny():
    doc = policy(allow(sid="Good"), allow(sid="Odd", Effect="deny"))
    check(evaluate([doc], ACTION, MONITOR), Decision.UNKNOWN, by=[("identity", "Odd")], reason_has="may deny it")


def test_an_unresolved_statement_is_unknown():
    doc = policy(allow(Action=Unknown("Fn::ImportValue SharedActions")))
    check(evaluate([doc], ACTION, MONITOR), Decision.UNKNOWN, by=[("identity", "A")],
          reason_has="cannot be interpreted")


def test_an_unresolved_deny_keeps_a_grant_unknown_but_a_sure_deny_wins():
    unresolved = deny(sid="Maybe", Resource=Unknown("Fn::ImportValue Denied"))
    check(evaluate([policy(allow(), unresolved)], ACTION, MONITOR), Decision.UNKNOWN, by=[("identity", "Maybe")])
    check(evaluate([policy(allow(), unresolved, deny())], ACTION, MONITOR), Decision.DENY, by=[("identity", "D")])


def test_an_unreadable_document_is_unknown():
    result = evaluate(["{not json"], ACTION, MONITOR)
    check(result, Decision.UNKNOWN, by=[("identity", None)], reason_has="could not be read")


def test_documents_as_json_text_dicts_and_single_statement_objects():
    raw = {"Version": "2012-10-17", "Statement": allow()}
    for given in (raw, json.dumps(raw), [json.dumps(raw)], policy(allow())):
        check(evaluate(given, ACTION, MONITOR), Decision.ALLOW, by=[("identity", "A")])


@pytest.mark.parametrize("fields, expected", [
    ({}, True),
    ({"Action": "s3:*"}, False),
    ({"Resource": "arn:aws:rum:us-east-1:123456789012:appmonitor/other"}, False),
    ({"Condition": {"Bool": {"aws:SecureTransport": "true"}}}, None),
    ({"Effect": "allow"}, None),
])
def test_statement_matches(fields, expected):
    statement = policy(allow(**fields)).statements[0]
    assert statement_matches(statement, ACTION, MONITOR) is expected


def test_statement_matches_takes_kind_and_version():
    statement = policy(allow(Resource=None, Principal="*")).statements[0]
    assert statement_matches(statement, ACTION, MONITOR, kind="resource") is True
    assert statement_matches(statement, ACTION, MONITOR) is None
    per_user = policy(allow(Action="s3:GetObject", Resource="arn:aws:s3:::b/${aws:username}")).statements[0]
    assert statement_matches(per_user, "s3:GetObject", "arn:aws:s3:::b/alice", {"aws:username": "alice"}) is True
    assert statement_matches(per_user, "s3:GetObject", "arn:aws:s3:::b/${aws:username}", version=None) is True
    assert statement_matches(per_user, "s3:GetObject", "arn:aws:s3:::b/${aws:username}", {}) is None
