"""Glob matching of actions and resources, with deploy-time tokens (RUM-IAM-003/005, brief bullet 5)."""

from __future__ import annotations

import pytest

from rumpolicy.iam import Decision, PolicySet, evaluate, glob_intersects, match_action, match_resource
from tests.iam.helpers import ACCOUNT, ACCOUNT_TOKEN, ACTION, MONITOR, REGION, allow, check, deny, policy

TOKEN_MONITOR = f"arn:aws:rum:{REGION}:{ACCOUNT}:appmonitor/web"


@pytest.mark.parametrize("pattern, expected", [
    ("rum:PutRumEvents", True),
    ("RUM:putrumevents", True),
    ("rum:Put*", True),
    ("rum:*Events", True),
    ("rum:*", True),
    ("*", True),
    ("rum:PutRumEven?s", True),
    ("r?m:*", True),
    ("rum:PutRumEvent", False),
    ("rum:PutRumEvents2", False),
    ("s3:*", False),
    ("rum:Get*", False),
])
def test_match_action_is_a_case_insensitive_glob_over_prefix_and_name(pattern, expected):
    assert match_action(pattern, ACTION) is expected


@pytest.mark.parametrize("pattern, expected", [
    (MONITOR, True),
    ("*", True),
    ("arn:aws:rum:*:*:appmonitor/web", True),
    ("arn:aws:rum:us-east-1:*", True),                      # `*` runs across `:` and `/`
    ("arn:aws:rum:us-east-1:123456789012:appmonitor/we?", True),
    ("arn:aws:rum:us-east-1:123456789012:appmonitor/*", True),
    ("arn:aws:rum:us-east-1:123456789012:appmonitor/Web", False),   # case-sensitive
    ("arn:aws:rum:eu-west-1:123456789012:appmonitor/web", False),   # other region
    ("arn:aws:rum:us-east-1:999999999999:appmonitor/web", False),   # other account
    ("arn:aws-cn:rum:us-east-1:123456789012:appmonitor/web", False),  # other partition
    ("arn:aws:rum:us-east-1:123456789012:appmonitor/web/", False),
])
def test_match_resource_is_a_case_sensitive_glob(pattern, expected):
    assert match_resource(pattern, MONITOR) is expected


@pytest.mark.parametrize("pattern, value, expected", [
    (TOKEN_MONITOR, TOKEN_MONITOR, True),                                             # same token
    (MONITOR, TOKEN_MONITOR, None),                                                   # deploy region decides
    (f"arn:aws:rum:us-east-1:{ACCOUNT}:appmonitor/other", TOKEN_MONITOR, False),      # never equal
    (f"arn:aws:rum:*:{ACCOUNT}:appmonitor/web", TOKEN_MONITOR, True),                 # `*` covers any region
    (f"arn:aws:rum:?:{ACCOUNT}:appmonitor/web", TOKEN_MONITOR, None),                 # only a 1-char region
    (TOKEN_MONITOR, MONITOR, None),                                                   # token in the pattern
    (f"arn:aws:rum:{REGION}:{ACCOUNT}:appmonitor/other", MONITOR, False),
    (f"arn:aws:rum:{REGION}:{ACCOUNT}:appmonitor/*", TOKEN_MONITOR, True),
    (f"arn:aws:rum:{REGION}:{ACCOUNT_TOKEN}:appmonitor/web", TOKEN_MONITOR, None),   # different tokens
])
def test_match_resource_with_tokens(pattern, value, expected):
    assert match_resource(pattern, value) is expected


@pytest.mark.parametrize("a, b, expected", [
    ("rum:Put*", "rum:*Events", True),
    ("rum:Put*", "rum:Get*", False),
    ("a?c", "*b*", True),
    ("a?c", "abd", False),
    ("*", "", True),
    ("x*", "", False),
    (f"arn:aws:rum:{REGION}:1:appmonitor/web", "arn:aws:rum:us-east-1:1:appmonitor/*", True),
    (f"arn:aws:rum:{REGION}:1:appmonitor/web", "arn:aws:rum:us-east-1:1:appmonitor/x", False),
    # A token counts as `*`, which can span fields: these two could meet (coarse, but never wrong).
    (f"arn:aws:rum:{REGION}:1:appmonitor/web", "arn:aws:rum:us-east-1:1:appmonitor/x*", True),
])
def test_glob_intersects(a, b, expected):
    assert glob_intersects(a, b) is expected
    assert glob_intersects(b, a) is expected


def test_a_literal_region_against_a_token_region_is_unknown_with_the_statement_and_reason():
    result = evaluate([policy(allow())], ACTION, TOKEN_MONITOR)
    check(result, Decision.UNKNOWN, by=[("identity", "A")], reason_has="is known only at deploy time")


def test_a_pattern_that_no_deploy_can_match_denies_implicitly():
    doc = policy(allow(Resource=f"arn:aws:rum:us-east-1:{ACCOUNT}:appmonitor/other"))
    check(evaluate([doc], ACTION, TOKEN_MONITOR), Decision.DENY, by=[],
          reasons=("no identity-based or resource-based policy allows it",))


def test_the_same_token_on_both_sides_allows():
    doc = policy(allow(Resource=TOKEN_MONITOR))
    check(evaluate([doc], ACTION, TOKEN_MONITOR), Decision.ALLOW, by=[("identity", "A")])


def test_a_deny_that_may_apply_only_after_deploy_makes_an_allow_unknown():
    doc = policy(allow(Resource="*"), deny(Resource=f"arn:aws:rum:eu-west-1:{ACCOUNT}:appmonitor/web"))
    result = evaluate(PolicySet(identity=[doc]), ACTION, TOKEN_MONITOR)
    check(result, Decision.UNKNOWN, by=[("identity", "D")], reason_has="may deny it")


def test_a_token_in_the_action_is_undecidable():
    doc = policy(allow(Action=f"rum:{ACCOUNT_TOKEN}"))
    check(evaluate([doc], ACTION, MONITOR), Decision.UNKNOWN, by=[("identity", "A")])
