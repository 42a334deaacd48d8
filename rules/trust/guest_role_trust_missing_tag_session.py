"""RUM-TRUST-007."""

from __future__ import annotations

from typing import Iterator

from rumpolicy.engine import NOT_APPLICABLE, Violation, rule
from rumpolicy.findings import Severity
from rumpolicy.model import GuestRole
from rumpolicy.chain.grants import cognito_trust_statements, covers_action, names_cognito, trust_policy

TAG_SESSION = "sts:TagSession"


@rule(id="RUM-TRUST-007", name="guest-role-trust-missing-tag-session", severity=Severity.INFO, subject=GuestRole,
      references=("https://docs.aws.amazon.com/cognito/latest/developerguide/attributes-for-access-control.html",
                  "https://docs.aws.amazon.com/cognito/latest/developerguide/role-trust-and-permissions.html"),
      messages={
          "tag-session-missing": "identity pool {pool} maps principal tags, but the trust statement for "
                                 "cognito-identity.amazonaws.com does not allow `sts:TagSession`",
      })
def guest_role_trust_missing_tag_session(guest: GuestRole) -> Iterator:
    """The pool maps principal tags, but the guest role's trust policy does not allow `sts:TagSession`.

    ## What it checks
    When an `AWS::Cognito::IdentityPoolPrincipalTag` (attributes for access control) exists for a
    pool whose guests assume this role, some trust statement for `cognito-identity.amazonaws.com`
    should also allow `sts:TagSession`.

    This is inferred from the Cognito documentation for attributes for access control and is
    unverified for unauthenticated identities, which carry no provider attributes; hence `info`.

    ## Why it matters
    With principal tags mapped, Cognito passes session tags when it assumes the role; a trust policy
    without `sts:TagSession` then refuses the assumption.

    ## Fix
    ```yaml
    Action:
      - sts:AssumeRoleWithWebIdentity
      - sts:TagSession
    ```
    """
    doc = trust_policy(guest)
    statements = cognito_trust_statements(doc) if doc is not None else []
    pools = list(guest.pools)
    for monitor in guest.monitors:
        if monitor.identity_pool is not None and monitor.identity_pool not in pools:
            pools.append(monitor.identity_pool)
    tagged = [p for p in pools if p.principal_tags]
    if not statements or not tagged:
        yield NOT_APPLICABLE
        return
    if any(s.is_allow and names_cognito(s.principal) and covers_action(s, TAG_SESSION) for s in doc.statements):
        return
    statement = statements[0]
    where = statement.node("Action") if statement.actions is not None else statement.location
    yield Violation(where, "tag-session-missing", pool=tagged[0])
