"""Laws the evaluator must obey, checked over generated policies (brief bullet 8 a-f)."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rumpolicy.iam import (Decision, PolicySet, RequestPrincipal, evaluate, glob_intersects, match_action,
                           match_resource)
from tests.conftest import examples
from tests.iam.helpers import ACCOUNT, MONITOR, OTHER_ACCOUNT, REGION, ROLE, SESSION, policy

AMR = "cognito-identity.amazonaws.com:amr"
ACTION_PATTERNS = ["rum:PutRumEvents", "rum:*", "rum:Put*", "*", "s3:GetObject", "RUM:putrumevents",
                   "rum:Get*", "iam:*", "rum:PutRumEven?s"]
RESOURCE_PATTERNS = [MONITOR, "*", "arn:aws:rum:*:*:appmonitor/*", f"arn:aws:rum:us-east-1:{ACCOUNT}:appmonitor/other",
                     f"arn:aws:rum:{REGION}:{ACCOUNT}:appmonitor/web", "arn:aws:s3:::bucket/${aws:username}"]
CONDITIONS = [{"StringEquals": {"aws:username": "alice"}}, {"Bool": {"aws:SecureTransport": "true"}},
              {"StringNotLike": {"aws:username": "a*"}}, {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}},
              {"ForAnyValue:StringLike": {AMR: "unauth*"}}, {"Null": {"aws:username": "false"}}]
PRINCIPAL_ELEMENTS = ["*", {"AWS": "*"}, {"AWS": ROLE}, {"AWS": ACCOUNT}, {"AWS": SESSION},
                      {"Federated": "cognito-identity.amazonaws.com"}]
CALLERS = [None, RequestPrincipal(arn=SESSION, role_arn=ROLE), RequestPrincipal(arn=ROLE),
           RequestPrincipal(anonymous=True), RequestPrincipal(arn=f"arn:aws:iam::{OTHER_ACCOUNT}:role/x"),
           RequestPrincipal(federated="cognito-identity.amazonaws.com")]
REQUESTS = [("rum:PutRumEvents", MONITOR), ("rum:GetAppMonitorData", MONITOR),
            ("s3:GetObject", "arn:aws:s3:::bucket/alice"),
            ("rum:PutRumEvents", f"arn:aws:rum:{REGION}:{ACCOUNT}:appmonitor/web")]

action_values = st.sampled_from(ACTION_PATTERNS) | st.lists(st.sampled_from(ACTION_PATTERNS), min_size=1, max_size=3)


@st.composite
def statements(draw, effects=("Allow", "Deny"), principal: bool = False, not_action: bool = True) -> dict:
    body: dict[str, Any] = {"Effect": draw(st.sampled_from(effects))}
    body["NotAction" if not_action and draw(st.integers(0, 4)) == 0 else "Action"] = draw(action_values)
    body["NotResource" if draw(st.integers(0, 4)) == 0 else "Resource"] = draw(st.sampled_from(RESOURCE_PATTERNS))
    if draw(st.booleans()):
        body["Condition"] = draw(st.sampled_from(CONDITIONS))
    if principal:
        body["Principal"] = draw(st.sampled_from(PRINCIPAL_ELEMENTS))
    return body


def documents(effects=("Allow", "Deny"), principal: bool = False, max_statements: int = 3):
    return st.lists(statements(effects, principal), min_size=1, max_size=max_statements).map(lambda s: policy(*s))


def policy_sets(effects=("Allow", "Deny")):
    optional = st.none() | st.lists(documents(effects), max_size=1)
    return st.builds(PolicySet, identity=st.lists(documents(effects), max_size=2),
                     boundary=optional, session=optional,
                     resource=st.lists(documents(effects, principal=True), max_size=1))


contexts = st.fixed_dictionaries({}, optional={
    "aws:username": st.sampled_from(["alice", "bob"]), "aws:SecureTransport": st.booleans(),
    "aws:SourceIp": st.sampled_from(["10.1.1.1", "192.168.0.1"]),
    AMR: st.sampled_from([["unauthenticated"], ["authenticated"], []])})
requests = st.tuples(st.sampled_from(REQUESTS), contexts, st.sampled_from(["absent", "unknown"]),
                     st.sampled_from(CALLERS))


def run(policies, request) -> Decision:
    (action, resource), context, missing_keys, caller = request
    return evaluate(policies, action, resource, context, missing_keys=missing_keys, principal=caller).decision


FAST = settings(max_examples=examples(150), deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(policy_sets(), requests)
def test_a_deny_that_matches_everything_always_denies(policies, request):
    deny_all = policy({"Effect": "Deny", "Principal": "*", "Action": "*", "Resource": "*"})
    with_deny = PolicySet(identity=policies.identity, boundary=policies.boundary, session=policies.session,
                          resource=[*policies.resource, deny_all])
    assert run(with_deny, request) is Decision.DENY


@FAST
@given(policy_sets(effects=("Allow",)), requests, statements(("Allow",), principal=True),
       st.sampled_from(["identity", "boundary", "session", "resource"]))
def test_adding_an_allow_keeps_an_allow_when_nothing_denies(policies, request, extra, layer):
    if run(policies, request) is not Decision.ALLOW:
        return
    layers = {"identity": list(policies.identity), "boundary": policies.boundary, "session": policies.session,
              "resource": list(policies.resource)}
    if layers[layer] is None:
        return
    if layer != "resource":
        extra = {k: v for k, v in extra.items() if k != "Principal"}
    layers[layer] = [*layers[layer], policy(extra)]
    assert run(PolicySet(**layers), request) is Decision.ALLOW


@FAST
@given(st.lists(statements(), min_size=1, max_size=4), requests, st.randoms(use_true_random=False))
def test_statement_order_and_split_action_lists_do_not_matter(raw, request, random):
    split = []
    for body in raw:
        actions = body.get("Action")
        if isinstance(actions, list):
            split.extend({**body, "Action": action} for action in actions)
        else:
            split.append(body)
    shuffled = list(split)
    random.shuffle(shuffled)
    expected = run([policy(*raw)], request)
    assert run([policy(*shuffled)], request) is expected
    assert run([policy(*split)], request) is expected
    assert run([policy(s) for s in shuffled], request) is expected


@FAST
@given(policy_sets(), requests, st.data())
def test_action_case_does_not_matter(policies, request, data):
    (action, resource), *rest = request
    flipped = "".join(c.swapcase() if data.draw(st.booleans()) else c for c in action)
    assert run(policies, ((flipped, resource), *rest)) is run(policies, request)
    for pattern in ACTION_PATTERNS:
        assert match_action(pattern, flipped) is match_action(pattern, action)


json_keys = st.sampled_from(["Version", "Statement", "Effect", "Action", "NotAction", "Resource", "NotResource",
                             "Principal", "NotPrincipal", "Condition", "Sid", "AWS", "Federated", "Service",
                             "StringEquals", "ForAnyValue:StringLike", "Null", "IpAddress", "DateLessThan",
                             "NumericEquals", "ArnLike", "Bool", "BoolIfExists", "aws:username", "aws:SourceIp",
                             "aws:CurrentTime"]) | st.text(max_size=6)
json_leaves = (st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12)
               | st.sampled_from(["*", "Allow", "Deny", "2012-10-17", MONITOR, "${aws:username}", "${x, 'y", REGION,
                                  "10.0.0.0/8", "2020-01-01T00:00:00Z", "rum:*", "arn:aws:iam::1:root", "\x00open"]))
json_values = st.recursive(json_leaves, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(json_keys, inner, max_size=5), max_leaves=25)
statement_like = st.dictionaries(json_keys, json_values, max_size=7)
garbage_documents = (json_values
                     | st.fixed_dictionaries({"Version": json_leaves, "Statement": st.lists(statement_like, max_size=3)
                                              | statement_like | json_values})
                     | st.fixed_dictionaries({"Version": st.just("2012-10-17"),
                                              "Statement": st.lists(statement_like, max_size=3)}))
garbage_policies = garbage_documents | garbage_documents.map(lambda doc: json.dumps(doc))


@settings(max_examples=examples(300), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(garbage_policies, garbage_policies, garbage_policies, requests)
def test_evaluate_never_raises_on_malformed_documents(identity, resource, boundary, request):
    result = evaluate(PolicySet(identity=[identity], resource=[resource], boundary=[boundary], scps=[[boundary]]),
                      request[0][0], request[0][1], request[1], missing_keys=request[2], principal=request[3])
    assert isinstance(result.decision, Decision)


literal_arns = st.text(alphabet=st.characters(blacklist_characters="*?\x00", blacklist_categories=("Cs",)), max_size=40)
PIECES = ["a", "b", ":", "/", REGION, "\x00pseudo:AWS::AccountId\x00"]
globs = st.lists(st.sampled_from([*PIECES, "*", "?"]), max_size=8).map("".join)
values = st.lists(st.sampled_from(PIECES), max_size=8).map("".join)


@FAST
@given(literal_arns)
def test_a_literal_resource_matches_itself(value):
    assert match_resource(value, value) is True


@FAST
@given(globs, globs, values)
def test_glob_intersects_is_symmetric_and_agrees_with_matching(a, b, value):
    assert glob_intersects(a, b) is glob_intersects(b, a)
    # False from matching means no deploy can match: exactly when the widened forms cannot meet.
    assert glob_intersects(a, value, arn=True) is (match_resource(a, value) is not False)
    assert glob_intersects(a, b, arn=True) is glob_intersects(b, a, arn=True)
