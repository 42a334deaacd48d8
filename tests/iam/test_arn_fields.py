"""Wildcards in the first five ARN fields of a `Resource` stay in their field (IAM `Resource` element page,
"Using wildcards in resource ARNs"): `?` and a `*` that is not the last character of its field never match
`:`; a `*` that ends its field may run on; in the resource field both match anything."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rumpolicy.iam import Decision, evaluate, glob_intersects, match_resource
from tests.conftest import examples
from tests.iam.helpers import ACCOUNT, ACTION, REGION, allow, check, policy

S3_OBJECT = "arn:aws:s3:::bucket/key"
WEB = f"arn:aws:rum:us-east-1:{ACCOUNT}:appmonitor/web"


@pytest.mark.parametrize("pattern, value, expected", [
    # `?` never stands for a field separator
    ("arn:aws:s3?::bucket/key", S3_OBJECT, False),
    ("arn:aws:s?:::bucket/key", S3_OBJECT, True),
    ("arn?aws:s3:::bucket/key", S3_OBJECT, False),
    # a `*` inside a field stays inside it ...
    ("arn:aws:r*m:us-east-1:123456789012:appmonitor/web", WEB, True),
    ("arn:aws:rum:u*1:123456789012:appmonitor/web", WEB, True),
    ("arn:aws:r*1:123456789012:appmonitor/web", WEB, False),       # would have to swallow `:us-east`
    ("arn:a*t-1:123456789012:appmonitor/web", WEB, False),
    # ... while one that ends its field runs on across `:`
    ("arn:aws:rum:*:appmonitor/web", WEB, True),
    ("arn:aws:rum:us-*:appmonitor/web", WEB, True),
    ("arn:*", WEB, True),
    ("*", WEB, True),
    ("arn:aws:rum:us-east-1:*", WEB, True),
    # the resource field: `*` and `?` match `:` too
    ("arn:aws:rum:us-east-1:123456789012:appmonitor/w?b", WEB, True),
    ("arn:aws:logs:us-east-1:1:log-group:a*z", "arn:aws:logs:us-east-1:1:log-group:a:b:z", True),
    ("arn:aws:logs:us-east-1:1:log-group:a?b", "arn:aws:logs:us-east-1:1:log-group:a:b", True),
])
def test_wildcards_of_the_first_five_fields_stay_in_their_field(pattern, value, expected):
    assert match_resource(pattern, value) is expected


def test_a_field_bound_star_covers_a_colon_free_pseudo_parameter_but_not_another_token():
    token_region = f"arn:aws:rum:{REGION}:{ACCOUNT}:appmonitor/web"
    assert match_resource(f"arn:aws:rum:*-*:{ACCOUNT}:appmonitor/web", token_region) is None   # needs a `-`
    assert match_resource(f"arn:aws:r*:*:{ACCOUNT}:appmonitor/web", token_region) is True
    assert match_resource(f"arn:aws:rum:?*:{ACCOUNT}:appmonitor/web", token_region) is None        # `?` vs a token
    other = f"arn:aws:rum:\x00attr:Thing.Arn\x00:{ACCOUNT}:appmonitor/web"
    assert match_resource(f"arn:aws:r*m:**:{ACCOUNT}:appmonitor/web", other) is True            # last `*` runs on
    assert match_resource(f"arn:aws:rum:a*b:{ACCOUNT}:appmonitor/web", other) is None


def test_the_evaluator_binds_resource_wildcards_to_their_field():
    doc = policy(allow(Resource="arn:aws:s3?::bucket/key", Action="s3:GetObject"))
    check(evaluate(doc, "s3:GetObject", S3_OBJECT), Decision.DENY)
    doc = policy(allow(Resource="arn:aws:rum:*:appmonitor/web"))
    check(evaluate(doc, ACTION, WEB), Decision.ALLOW, by=[("identity", "A")])
    doc = policy(allow(Resource="arn:aws:r*1:123456789012:appmonitor/web"))
    check(evaluate(doc, ACTION, WEB), Decision.DENY)


def test_a_policy_variable_substituted_into_the_resource_field_keeps_its_colons_literal():
    doc = policy(allow(Resource="arn:aws:s3:::${aws:username}/*", Action="s3:GetObject"))
    check(evaluate(doc, "s3:GetObject", "arn:aws:s3:::a:b/key", {"aws:username": "a:b"}), Decision.ALLOW)


# ----------------------------------------------------------------------------- against a reference matcher

def reference_match(pattern: str, value: str) -> bool:
    """Field by field, written from the documentation and nothing else.

    The pattern's fields are what its colons separate, its sixth and later fields making up the resource
    field. A prefix field matches a piece of the value without `:`, except that when it ends in `*` that
    star may also take `:`; the resource field is a plain glob.
    """
    fields = pattern.split(":")
    head, tail = fields[:5], (":".join(fields[5:]) if len(fields) > 5 else None)
    pieces = head + ([tail] if tail is not None else [])

    def plain(glob: str, text: str) -> bool:
        body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in glob)
        return re.fullmatch(body, text, re.DOTALL) is not None

    def prefix_field(glob: str, text: str) -> bool:
        if glob.endswith("*"):
            return any(":" not in text[:i] and plain(glob[:-1], text[:i]) for i in range(len(text) + 1))
        return ":" not in text and plain(glob, text)

    def match_from(k: int, rest: str) -> bool:
        piece, last = pieces[k], k == len(pieces) - 1
        matches = plain if (tail is not None and last) else prefix_field
        if last:
            return matches(piece, rest)
        return any(rest[i] == ":" and matches(piece, rest[:i]) and match_from(k + 1, rest[i + 1:])
                   for i in range(len(rest)))

    return match_from(0, value)


ALPHABET = ["a", "b", ":", "/"]
patterns = st.lists(st.sampled_from([*ALPHABET, ":", "*", "?"]), max_size=12).map("".join)
arn_values = st.lists(st.sampled_from(ALPHABET), max_size=12).map("".join)


@settings(max_examples=examples(400), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(patterns, arn_values)
def test_match_resource_agrees_with_a_field_by_field_reference(pattern, value):
    assert match_resource(pattern, value) is reference_match(pattern, value)


@settings(max_examples=examples(200), deadline=None)
@given(patterns, st.sampled_from(["arn:aws:rum:us-east-1:1:appmonitor/a", "arn:aws:s3:::b/a:b", "a:b:a:b:a:b:a"]))
def test_realistic_arns_agree_with_the_reference(pattern, value):
    assert match_resource(pattern, value) is reference_match(pattern, value)


@settings(max_examples=examples(200), deadline=None)
@given(patterns, arn_values)
def test_resource_pattern_intersection_agrees_with_matching(pattern, value):
    assert glob_intersects(pattern, value, arn=True) is reference_match(pattern, value)
