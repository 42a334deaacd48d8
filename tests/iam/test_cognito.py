"""RUM-IAM-002 / RUM-PERM-005: Cognito's scope-down session policy for unauthenticated identities."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rumpolicy.iam import Decision, PolicySet, evaluate
from rumpolicy.iam.cognito import (UNAUTH_MANAGED_POLICY, UNAUTH_MANAGED_POLICY_ARN, UNAUTH_SESSION_POLICY,
                                   UNAUTH_SESSION_POLICY_ARN)
from tests.iam.helpers import ACTION, MONITOR, allow, check, policy

OVER_BROAD_GUEST = [policy(allow(sid="Everything", Action="*", Resource="*"), name="guest-role")]
DATA = Path(__file__).resolve().parents[2] / "rumpolicy" / "iam" / "data"


def test_the_documents_are_known_and_located_at_their_arns():
    for doc, arn in ((UNAUTH_SESSION_POLICY, UNAUTH_SESSION_POLICY_ARN),
                     (UNAUTH_MANAGED_POLICY, UNAUTH_MANAGED_POLICY_ARN)):
        assert doc.fully_known and not doc.problems
        assert doc.location.source == arn


def test_the_shipped_json_matches_the_moto_mirror():
    from moto.iam.aws_managed_policies import aws_managed_policies_data

    mirror = json.loads(aws_managed_policies_data)
    for path in sorted(DATA.glob("Amazon*.json")):
        assert json.loads(path.read_text()) == mirror[path.stem]["Document"], path.name


@pytest.mark.parametrize("action", ["rum:PutRumEvents", "polly:SynthesizeSpeech", "geo:ListMaps",
                                    "kms:Decrypt", "sagemaker:InvokeEndpoint"])
def test_the_session_policy_lets_these_through(action):
    result = evaluate(PolicySet(identity=OVER_BROAD_GUEST, session=[UNAUTH_SESSION_POLICY]), action, MONITOR)
    check(result, Decision.ALLOW, by=[("identity", "Everything"),
                                      ("session", "CognitoUnAuthedIdentitiesSessionPolicy")])


@pytest.mark.parametrize("action", ["rum:PutResourcePolicy", "rum:GetAppMonitorData", "rum:DeleteAppMonitor",
                                    "iam:CreateUser", "s3:GetObject", "kms:CreateGrant"])
def test_the_session_policy_stops_the_rest(action):
    result = evaluate(PolicySet(identity=OVER_BROAD_GUEST, session=[UNAUTH_SESSION_POLICY]), action, MONITOR)
    check(result, Decision.DENY, by=[], reasons=("the session policy does not allow it",
                                                 "no resource-based policy allows it"))


def test_the_basic_flow_has_no_session_policy():
    result = evaluate(PolicySet(identity=OVER_BROAD_GUEST), "rum:PutResourcePolicy", MONITOR)
    check(result, Decision.ALLOW, by=[("identity", "Everything")])


def test_the_managed_policy_grants_put_rum_events_on_every_monitor():
    result = evaluate([UNAUTH_MANAGED_POLICY], ACTION, MONITOR)
    assert result.decision is Decision.ALLOW
    assert [ref.policy.name for ref in result.deciding] == ["AmazonCognitoUnauthenticatedIdentities"]
    check(evaluate([UNAUTH_MANAGED_POLICY], "rum:GetAppMonitorData", MONITOR), Decision.DENY)
