"""RUM-IAM-009: policy variables in Resource and condition values."""

from __future__ import annotations

import pytest

from rumpolicy.iam import Decision, evaluate
from tests.iam.helpers import NO_ALLOW, REGION, allow, check, policy

A, D, U = Decision.ALLOW, Decision.DENY, Decision.UNKNOWN
GET = "s3:GetObject"
PER_USER = "arn:aws:s3:::bucket/${aws:username}/*"


def run(resource_pattern: str, resource: str, context: dict | None, *, version: str | None = "2012-10-17",
        missing_keys: str = "absent", condition: dict | None = None):
    doc = policy(allow(sid="V", Action=GET, Resource=resource_pattern, Condition=condition), version=version)
    return evaluate([doc], GET, resource, context, missing_keys=missing_keys)


def expect(result, decision: Decision) -> None:
    if decision is D:
        check(result, D, by=[], reasons=(NO_ALLOW,))
    else:
        check(result, decision, by=[("identity", "V")])


@pytest.mark.parametrize("pattern, resource, context, decision", [
    (PER_USER, "arn:aws:s3:::bucket/alice/notes.txt", {"aws:username": "alice"}, A),
    (PER_USER, "arn:aws:s3:::bucket/bob/notes.txt", {"aws:username": "alice"}, D),
    (PER_USER, "arn:aws:s3:::bucket/alice/notes.txt", {"AWS:UserName": "alice"}, A),       # key case
    (PER_USER, "arn:aws:s3:::bucket/alice/notes.txt", {}, D),                              # no value
    ("arn:aws:s3:::bucket/${aws:username, 'guest'}/*", "arn:aws:s3:::bucket/guest/x", {}, A),
    ("arn:aws:s3:::bucket/${ aws:username , 'it''s' }/*", "arn:aws:s3:::bucket/it's/x", {}, A),
    ("arn:aws:s3:::bucket/${aws:username, 'guest'}/*", "arn:aws:s3:::bucket/alice/x", {"aws:username": "alice"}, A),
    ("arn:aws:s3:::bucket/${*}", "arn:aws:s3:::bucket/*", {}, A),                          # a literal `*`
    ("arn:aws:s3:::bucket/${*}", "arn:aws:s3:::bucket/x", {}, D),
    ("arn:aws:s3:::bucket/a${?}", "arn:aws:s3:::bucket/a?", {}, A),
    ("arn:aws:s3:::bucket/${$}x", "arn:aws:s3:::bucket/$x", {}, A),
    (PER_USER, "arn:aws:s3:::bucket/abc/x", {"aws:username": "a*"}, D),                    # substituted `*` is literal
    (PER_USER, "arn:aws:s3:::bucket/a*/x", {"aws:username": "a*"}, A),
    (PER_USER, "arn:aws:s3:::bucket/a/x", {"aws:username": ["a", "b"]}, D),                # multivalued: no value
    ("arn:aws:s3:::bucket/${aws:username", "arn:aws:s3:::bucket/${aws:username", {}, A),  # unclosed: literal
    (PER_USER, f"arn:aws:s3:::bucket/{REGION}/x", {"aws:username": REGION}, A),           # token substituted
])
def test_resource_variables(pattern, resource, context, decision):
    expect(run(pattern, resource, context), decision)


@pytest.mark.parametrize("version", [None, "2008-10-17"])
def test_variables_are_literal_text_before_version_2012_10_17(version):
    literal = "arn:aws:s3:::bucket/${aws:username}/x"
    expect(run(PER_USER, "arn:aws:s3:::bucket/alice/x", {"aws:username": "alice"}, version=version), D)
    expect(run(PER_USER, literal, {"aws:username": "alice"}, version=version), A)


def test_a_variable_key_missing_from_the_context_is_unknown_in_unknown_mode():
    result = run(PER_USER, "arn:aws:s3:::bucket/alice/x", {}, missing_keys="unknown")
    check(result, U, by=[("identity", "V")], unknown_keys=("aws:username",), reason_has="policy variable")


@pytest.mark.parametrize("condition, context, decision", [
    ({"StringEquals": {"aws:PrincipalTag/owner": "${aws:username}"}}, {"aws:username": "alice",
                                                                       "aws:PrincipalTag/owner": "alice"}, A),
    ({"StringEquals": {"aws:PrincipalTag/owner": "${aws:username}"}}, {"aws:username": "alice",
                                                                       "aws:PrincipalTag/owner": "bob"}, D),
    ({"StringLike": {"s3:prefix": "home/${cognito-identity.amazonaws.com:sub}/*"}},
     {"cognito-identity.amazonaws.com:sub": "us-east-1:abc", "s3:prefix": "home/us-east-1:abc/photo"}, A),
    ({"StringLike": {"s3:prefix": "home/${cognito-identity.amazonaws.com:sub}/*"}},
     {"s3:prefix": "home/us-east-1:abc/photo"}, D),                        # variable without value
    ({"StringNotEquals": {"aws:PrincipalTag/owner": "${aws:username}"}},
     {"aws:PrincipalTag/owner": "bob"}, A),                                 # matches nothing, so "not equal"
    ({"ArnLike": {"aws:SourceArn": "arn:aws:s3:::${aws:username}-*"}},
     {"aws:username": "alice", "aws:SourceArn": "arn:aws:s3:::alice-logs"}, A),
])
def test_condition_value_variables(condition, context, decision):
    expect(run("*", "arn:aws:s3:::bucket/x", context, condition=condition), decision)


def test_a_condition_variable_missing_in_unknown_mode_is_unknown():
    condition = {"StringEquals": {"aws:PrincipalTag/owner": "${aws:username}"}}
    result = run("*", "arn:aws:s3:::bucket/x", {"aws:PrincipalTag/owner": "bob"}, condition=condition,
                 missing_keys="unknown")
    check(result, U, by=[("identity", "V")], unknown_keys=("aws:username",))
