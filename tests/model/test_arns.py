"""The token-aware ARN parser agrees with policyuniverse on literal ARNs, and keeps tokens whole."""

from __future__ import annotations

from hypothesis import given, strategies as st
from policyuniverse.arn import ARN

from rumpolicy.model.arns import parse_arn, same
from rumpolicy.model.symbols import PSEUDO, REF, token

segment = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1, max_size=12)
partition = st.sampled_from(["aws", "aws-cn", "aws-us-gov", "aws-eusc"])
service = st.sampled_from(["rum", "iam", "sts", "cognito-identity", "s3", "logs"])
region = st.one_of(st.just(""), st.sampled_from(["us-east-1", "eu-west-1", "ap-southeast-2"]))
account = st.from_regex(r"\A\d{12}\Z")
resource = st.builds(lambda kind, names: kind + "/" + "/".join(names),
                     st.sampled_from(["role", "appmonitor", "policy", "identitypool"]),
                     st.lists(st.text(alphabet="abcdefghijklmnopqrstuvwxyzABC0123456789_.-", min_size=1, max_size=10),
                              min_size=1, max_size=3))


@given(partition, service, region, account, resource)
def test_literal_arns_parse_like_policyuniverse(p, s, r, a, res):
    text = f"arn:{p}:{s}:{r}:{a}:{res}"
    ours, theirs = parse_arn(text), ARN(text)
    assert not theirs.error
    assert (ours.partition, ours.service, ours.region, ours.account, ours.resource) == (
        theirs.partition, theirs.tech, theirs.region, theirs.account_number, theirs.name)


def test_tokens_stay_whole():
    region, acct = token(PSEUDO, "AWS::Region"), token(PSEUDO, "AWS::AccountId")
    arn = parse_arn(f"arn:aws:rum:{region}:{acct}:appmonitor/web")
    assert (arn.region, arn.account, arn.resource_id) == (region, acct, "web")
    role = parse_arn(f"arn:aws:iam::{acct}:role/{token(REF, 'GuestRole')}")
    assert role.resource_type == "role" and role.account == acct


def test_same_is_three_valued():
    region = token(PSEUDO, "AWS::Region")
    assert same(region, region) is True
    assert same("us-east-1", "eu-west-1") is False
    assert same(region, "us-east-1") is None
