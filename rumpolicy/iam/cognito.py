"""The AWS managed policies Cognito brings to unauthenticated (guest) identities (RUM-IAM-002).

``UNAUTH_SESSION_POLICY`` is ``AmazonCognitoUnAuthedIdentitiesSessionPolicy``: in the enhanced flow,
Cognito passes it as the session policy of the credentials ``GetCredentialsForIdentity`` vends to
unauthenticated identities, so it intersects with the guest role's own policies (give it as
``PolicySet(session=[UNAUTH_SESSION_POLICY])``). The basic flow has no such session policy.
``UNAUTH_MANAGED_POLICY`` is ``AmazonCognitoUnauthenticatedIdentities`` (Allow ``rum:PutRumEvents`` on
``*``), which customers attach to guest roles.

The documents ship as JSON in ``rumpolicy/iam/data/``, copied from the AWS managed-policy mirror in
moto 5.2.5 (session policy v4 of 2026-05-01, which adds ``geo:ListMaps`` to the v3 the AWS reference
pages show; managed policy v1 of 2023-02-01).
"""

from __future__ import annotations

import json
from pathlib import Path

from rumpolicy.model.locator import FixedLocator
from rumpolicy.model.policy import PolicyDocument, parse_policy

UNAUTH_SESSION_POLICY_NAME = "AmazonCognitoUnAuthedIdentitiesSessionPolicy"
UNAUTH_SESSION_POLICY_ARN = f"arn:aws:iam::aws:policy/{UNAUTH_SESSION_POLICY_NAME}"
UNAUTH_MANAGED_POLICY_NAME = "AmazonCognitoUnauthenticatedIdentities"
UNAUTH_MANAGED_POLICY_ARN = f"arn:aws:iam::aws:policy/{UNAUTH_MANAGED_POLICY_NAME}"


def _load(name: str, arn: str) -> PolicyDocument:
    # A path beside this module, not importlib.resources: that import alone (zipfile, tempfile) costs a
    # cold start 4 ms, and rumpolicy is never imported from a zip.
    text = (Path(__file__).parent / "data" / f"{name}.json").read_text(encoding="utf-8")
    return parse_policy(json.loads(text), "", FixedLocator(arn), name=name)


UNAUTH_SESSION_POLICY: PolicyDocument = _load(UNAUTH_SESSION_POLICY_NAME, UNAUTH_SESSION_POLICY_ARN)
UNAUTH_MANAGED_POLICY: PolicyDocument = _load(UNAUTH_MANAGED_POLICY_NAME, UNAUTH_MANAGED_POLICY_ARN)
