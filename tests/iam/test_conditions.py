"""RUM-IAM-008: condition operators, IfExists, set qualifiers, Null, missing keys and tokens.

Each case is one Allow statement with one condition; the result must be ALLOW decided by that
statement, DENY for lack of an Allow, or UNKNOWN pointing at that statement.
"""

from __future__ import annotations

import pytest

from rumpolicy.iam import Decision, evaluate
from tests.iam.helpers import ACCOUNT, ACTION, MONITOR, NO_ALLOW, REGION, allow, check, deny, policy

A, D, U = Decision.ALLOW, Decision.DENY, Decision.UNKNOWN
ABSENT = object()          # the key is not in the context
SOURCE = f"arn:aws:rum:us-east-1:{ACCOUNT}:appmonitor/web"
AMR = "cognito-identity.amazonaws.com:amr"


def run(condition: dict, key: str | None, value: object, *, missing_keys: str = "absent"):
    context = {} if value is ABSENT else {key: value}
    return evaluate([policy(allow(sid="C", Condition=condition))], ACTION, MONITOR, context,
                    missing_keys=missing_keys)


def expect(result, decision: Decision) -> None:
    if decision is A:
        check(result, A, by=[("identity", "C")], reasons=())
    elif decision is D:
        check(result, D, by=[], reasons=(NO_ALLOW,))
    else:
        check(result, U, by=[("identity", "C")])


CASES = [
    # String operators: case-sensitive except IgnoreCase; values OR, negated operators AND.
    ("StringEquals", "aws:username", "alice", "alice", A),
    ("StringEquals", "aws:username", "alice", "Alice", D),
    ("StringEquals", "aws:username", ["bob", "alice"], "alice", A),
    ("StringEquals", "aws:username", "a*", "abc", D),               # no wildcards in StringEquals
    ("StringEquals", "aws:username", "a*", "a*", A),
    ("StringEquals", "aws:username", "alice", ABSENT, D),
    ("StringNotEquals", "aws:username", "alice", "bob", A),
    ("StringNotEquals", "aws:username", "alice", "alice", D),
    ("StringNotEquals", "aws:username", ["alice", "bob"], "bob", D),
    ("StringNotEquals", "aws:username", "alice", ABSENT, A),        # negated operator, key absent: true
    ("StringEqualsIgnoreCase", "aws:username", "ALICE", "alice", A),
    ("StringNotEqualsIgnoreCase", "aws:username", "ALICE", "alice", D),
    ("StringLike", "aws:username", "ali*", "alice", A),
    ("StringLike", "aws:username", "al?ce", "alice", A),
    ("StringLike", "aws:username", "Ali*", "alice", D),
    ("StringNotLike", "aws:username", "ali*", "bob", A),
    ("StringNotLike", "aws:username", "ali*", "alice", D),
    ("StringNotLike", "aws:username", "ali*", ABSENT, A),
    ("StringEquals", "aws:MultiFactorAuthPresent", True, "true", A),   # JSON true compares as "true"
    # ARN operators: each of the six fields globbed on its own.
    ("ArnLike", "aws:SourceArn", "arn:aws:rum:*:123456789012:appmonitor/*", SOURCE, A),
    ("ArnEquals", "aws:SourceArn", "arn:aws:rum:*:123456789012:appmonitor/web", SOURCE, A),
    ("ArnLike", "aws:SourceArn", "arn:aws:rum:*:*:appmonitor/o*", SOURCE, D),
    ("ArnLike", "aws:SourceArn", "arn:aws:rum:*:appmonitor/web", SOURCE, D),   # five fields
    ("StringLike", "aws:SourceArn", "arn:aws:rum:*:appmonitor/web", SOURCE, A),  # a string glob spans ':'
    ("ArnLike", "aws:SourceArn", "*", SOURCE, A),
    ("ArnLike", "aws:SourceArn", "arn:aws:rum:*:*:*", "not-an-arn", D),
    ("ArnNotLike", "aws:SourceArn", "arn:aws:rum:*:*:appmonitor/web", SOURCE, D),
    ("ArnNotEquals", "aws:SourceArn", "arn:aws:rum:*:*:appmonitor/other", SOURCE, A),
    ("ArnNotLike", "aws:SourceArn", "arn:aws:rum:*:*:*", ABSENT, A),
    # Numeric.
    ("NumericLessThan", "s3:max-keys", "10", 5, A),
    ("NumericLessThan", "s3:max-keys", "10", "20", D),
    ("NumericLessThan", "s3:max-keys", "10", "ten", D),
    ("NumericEquals", "s3:max-keys", 5, "5.0", A),
    ("NumericNotEquals", "s3:max-keys", 5, 5, D),
    ("NumericNotEquals", "s3:max-keys", 5, ABSENT, A),
    ("NumericLessThanEquals", "s3:max-keys", "10", 10, A),
    ("NumericGreaterThan", "s3:max-keys", "10", 10, D),
    ("NumericGreaterThanEquals", "s3:max-keys", "10", 10, A),
    ("NumericLessThan", "s3:max-keys", "ten", 5, U),
    # Dates: ISO 8601 and epoch seconds; a naive time is UTC.
    ("DateGreaterThan", "aws:CurrentTime", "2020-01-01T00:00:00Z", "2024-05-01T12:00:00Z", A),
    ("DateGreaterThan", "aws:CurrentTime", "2020-01-01T00:00:00Z", 1577836799, D),
    ("DateLessThanEquals", "aws:EpochTime", 1577836800, "2020-01-01T00:00:00Z", A),
    ("DateEquals", "aws:CurrentTime", "2020-01-01T00:00:00", "2020-01-01T01:00:00+01:00", A),
    ("DateNotEquals", "aws:CurrentTime", "2020-01-01T00:00:00Z", "2021-01-01T00:00:00Z", A),
    ("DateLessThan", "aws:CurrentTime", "2020-01-01T00:00:00Z", "yesterday", D),
    ("DateLessThan", "aws:CurrentTime", "the day after", "2020-01-01T00:00:00Z", U),
    # Bool and binary.
    ("Bool", "aws:SecureTransport", "true", True, A),
    ("Bool", "aws:SecureTransport", True, "TRUE", A),
    ("Bool", "aws:SecureTransport", "true", "false", D),
    ("Bool", "aws:SecureTransport", "yes", True, U),
    ("BinaryEquals", "s3:x-amz-content", "QmluYXJ5", "QmluYXJ5", A),
    ("BinaryEquals", "s3:x-amz-content", "QmluYXJ5", "QmluYXJ6", D),
    # IP addresses, v4 and v6.
    ("IpAddress", "aws:SourceIp", "203.0.113.0/24", "203.0.113.7", A),
    ("IpAddress", "aws:SourceIp", ["198.51.100.0/24", "203.0.113.7"], "203.0.113.7", A),
    ("IpAddress", "aws:SourceIp", "203.0.113.0/24", "198.51.100.1", D),
    ("IpAddress", "aws:SourceIp", "2001:db8::/32", "2001:db8::1", A),
    ("IpAddress", "aws:SourceIp", "2001:db8::/32", "203.0.113.7", D),
    ("IpAddress", "aws:SourceIp", "203.0.113.0/24", "not-an-ip", D),
    ("IpAddress", "aws:SourceIp", "bogus", "203.0.113.7", U),
    ("NotIpAddress", "aws:SourceIp", "203.0.113.0/24", "203.0.113.7", D),
    ("NotIpAddress", "aws:SourceIp", "203.0.113.0/24", ABSENT, A),
    # Null: true means "absent".
    ("Null", "aws:TokenIssueTime", "true", ABSENT, A),
    ("Null", "aws:TokenIssueTime", "true", "2024-01-01T00:00:00Z", D),
    ("Null", "aws:TokenIssueTime", False, "2024-01-01T00:00:00Z", A),
    ("Null", "aws:TokenIssueTime", "maybe", ABSENT, U),
    # IfExists: an absent key passes; a present one is checked.
    ("StringEqualsIfExists", "aws:username", "alice", ABSENT, A),
    ("StringEqualsIfExists", "aws:username", "alice", "bob", D),
    ("NumericLessThanIfExists", "s3:max-keys", "10", ABSENT, A),
    ("BoolIfExists", "aws:SecureTransport", "true", False, D),
    # Set qualifiers over multivalued keys.
    ("ForAnyValue:StringLike", AMR, "unauthenticated", ["authenticated", "cognito-identity.amazonaws.com"], D),
    ("ForAnyValue:StringLike", AMR, "unauthenticated", ["unauthenticated"], A),
    ("ForAnyValue:StringLike", AMR, "unauthenticated", ABSENT, D),
    ("ForAnyValue:StringLike", AMR, "unauthenticated", [], D),
    ("ForAnyValue:StringEqualsIfExists", AMR, "unauthenticated", ABSENT, A),
    ("ForAllValues:StringEquals", "aws:TagKeys", ["a", "b"], ["a"], A),
    ("ForAllValues:StringEquals", "aws:TagKeys", ["a", "b"], ["a", "c"], D),
    ("ForAllValues:StringEquals", "aws:TagKeys", ["a", "b"], ABSENT, A),
    ("ForAllValues:StringEquals", "aws:TagKeys", ["a", "b"], [], A),
    ("ForAnyValue:StringNotEquals", "aws:TagKeys", "a", ["a", "b"], A),
    ("ForAnyValue:StringNotEquals", "aws:TagKeys", "a", ["a"], D),
    ("ForAllValues:StringNotLike", "aws:TagKeys", "key1*", ["key1:legal"], D),   # the IAM guide's examples
    ("ForAllValues:StringNotLike", "aws:TagKeys", "key1*", ["key2:audit"], A),
    ("ForAllValues:StringNotLike", "aws:TagKeys", "key1*", ABSENT, A),
    ("forallvalues:StringEquals", "aws:TagKeys", "a", ["a"], A),                  # qualifier case
    # Without a qualifier a list reads as "any" for positive, "none" for negated operators.
    ("StringEquals", AMR, "unauthenticated", ["unauthenticated", "cognito-identity.amazonaws.com"], A),
    ("StringNotEquals", AMR, "authenticated", ["unauthenticated", "authenticated"], D),
    # Operators IAM does not have, and Null with a modifier, are unknown.
    ("StringEqualz", "aws:username", "alice", "alice", U),
    ("NullIfExists", "aws:username", "true", ABSENT, U),
    ("ForAnyValue:Null", "aws:username", "true", ABSENT, U),
    # Tokens: the same token is equal, a token and a literal are undecidable.
    ("StringEquals", "aws:RequestedRegion", REGION, REGION, A),
    ("StringEquals", "aws:RequestedRegion", REGION, "us-east-1", U),
    ("StringEquals", "aws:RequestedRegion", "us-east-1", f"us-{REGION}", U),
    ("StringEquals", "aws:RequestedRegion", "us-east-1", f"eu-{REGION}", D),     # never "us-east-1"
    ("StringNotEquals", "aws:RequestedRegion", "us-east-1", REGION, U),
    ("StringLike", "aws:RequestedRegion", "us-*", REGION, U),
    ("NumericLessThan", "s3:max-keys", "10", REGION, U),
    ("IpAddress", "aws:SourceIp", "203.0.113.0/24", REGION, U),
]


@pytest.mark.parametrize("operator, key, policy_value, value, decision", CASES)
def test_condition_operator(operator, key, policy_value, value, decision):
    expect(run({operator: {key: policy_value}}, key, value), decision)


@pytest.mark.parametrize("operator", ["StringEquals", "StringNotEquals", "StringEqualsIfExists",
                                      "ForAllValues:StringEquals", "Null", "IpAddress"])
def test_a_key_missing_from_the_context_is_unknown_in_unknown_mode(operator):
    result = run({operator: {"aws:SourceIp": "true"}}, "aws:SourceIp", ABSENT, missing_keys="unknown")
    check(result, U, by=[("identity", "C")], unknown_keys=("aws:SourceIp",),
          reason_has="condition key `aws:SourceIp` is not in the context")


def test_a_key_given_as_none_is_absent_in_unknown_mode_too():
    result = run({"Null": {"aws:SourceIp": "true"}}, "aws:SourceIp", None, missing_keys="unknown")
    check(result, A, by=[("identity", "C")])


def test_key_names_are_case_insensitive():
    expect(run({"StringEquals": {"AWS:UserName": "alice"}}, "aws:username", "alice"), A)


def test_all_operators_and_all_keys_must_hold():
    condition = {"StringEquals": {"aws:username": "alice", "aws:PrincipalTag/team": "web"},
                 "Bool": {"aws:SecureTransport": "true"}}
    everything = {"aws:username": "alice", "aws:PrincipalTag/team": "web", "aws:SecureTransport": True}
    doc = policy(allow(sid="C", Condition=condition))
    check(evaluate([doc], ACTION, MONITOR, everything), A, by=[("identity", "C")])
    for key in everything:
        partial = {k: v for k, v in everything.items() if k != key}
        check(evaluate([doc], ACTION, MONITOR, partial, missing_keys="absent"), D, reasons=(NO_ALLOW,))


def test_a_false_clause_decides_even_when_another_is_unknown():
    condition = {"StringEquals": {"aws:username": "alice"}, "Bool": {"aws:SecureTransport": "true"}}
    result = evaluate([policy(allow(sid="C", Condition=condition))], ACTION, MONITOR, {"aws:username": "bob"})
    check(result, D, reasons=(NO_ALLOW,), unknown_keys=())


def test_a_deny_with_an_unknown_condition_names_the_key():
    doc = policy(allow(), deny(Condition={"StringNotEquals": {"aws:SourceVpce": "vpce-1"}}))
    result = evaluate([doc], ACTION, MONITOR)
    check(result, U, by=[("identity", "D")], unknown_keys=("aws:SourceVpce",))
    check(evaluate([doc], ACTION, MONITOR, missing_keys="absent"), D, by=[("identity", "D")])
