"""RUM-TRUST-001."""

from __future__ import annotations

from typing import Iterator

from rumpolicy.engine import NOT_APPLICABLE, Undecided, Violation, rule
from rumpolicy.findings import Severity
from rumpolicy.model import GuestRole
from rumpolicy.model.grants import (ASSUME_WEB_IDENTITY, COGNITO, cognito_trust_statements, covers_action,
                                    is_wildcard_principal, trust_statement_snippet)
from rumpolicy.model.dialect import render_for


@rule(id="RUM-TRUST-001", name="guest-role-trust-missing-cognito", severity=Severity.ERROR, subject=GuestRole,
      references=("https://docs.aws.amazon.com/cognito/latest/developerguide/role-trust-and-permissions.html",
                  "https://github.com/aws-observability/aws-rum-web/blob/main/docs/troubleshooting.md"))
def guest_role_trust_missing_cognito(guest: GuestRole) -> Iterator:
    """The guest role's trust policy does not let Cognito web identities assume it.

    ## What it checks
    The trust policy of every role that browsers assume (a monitor's `GuestRoleArn`, a pool's
    `unauthenticated` role) has an `Allow` statement whose `Principal.Federated` is (or contains)
    `cognito-identity.amazonaws.com` and whose `Action` matches `sts:AssumeRoleWithWebIdentity`
    (case-insensitive; `sts:AssumeRole*` matches, plain `sts:AssumeRole` does not).

    A trust policy that admits web identities only through a wildcard principal is left to
    RUM-TRUST-004, which reports the exposure.

    ## Why it matters
    Without that statement the guest never gets credentials: the basic flow fails with
    `AccessDenied -- Not authorized to perform sts:AssumeRoleWithWebIdentity`, the enhanced flow with
    `InvalidIdentityPoolConfigurationException`, and no browser sends telemetry.

    ## Fix
    Trust Cognito web identities of the monitor's pool:

    ```yaml
    AssumeRolePolicyDocument:
      Version: "2012-10-17"
      Statement:
        - Effect: Allow
          Principal:
            Federated: cognito-identity.amazonaws.com
          Action: sts:AssumeRoleWithWebIdentity
          Condition:
            StringEquals:
              cognito-identity.amazonaws.com:aud: !Ref RumPool
            ForAnyValue:StringLike:
              cognito-identity.amazonaws.com:amr: unauthenticated
    ```

    In Terraform, with `jsonencode`:

    ```hcl
    resource "aws_iam_role" "guest" {
      name = "rum-guest"
      assume_role_policy = jsonencode({
        Version = "2012-10-17"
        Statement = [{
          Effect    = "Allow"
          Principal = { Federated = "cognito-identity.amazonaws.com" }
          Action    = "sts:AssumeRoleWithWebIdentity"
          Condition = {
            StringEquals             = { "cognito-identity.amazonaws.com:aud" = aws_cognito_identity_pool.rum.id }
            "ForAnyValue:StringLike" = { "cognito-identity.amazonaws.com:amr" = "unauthenticated" }
          }
        }]
      })
    }
    ```

    or with a `data "aws_iam_policy_document"`:

    ```hcl
    statement {
      actions = ["sts:AssumeRoleWithWebIdentity"]
      principals {
        type        = "Federated"
        identifiers = ["cognito-identity.amazonaws.com"]
      }
      condition {
        test     = "StringEquals"
        variable = "cognito-identity.amazonaws.com:aud"
        values   = [aws_cognito_identity_pool.rum.id]
      }
      condition {
        test     = "ForAnyValue:StringLike"
        variable = "cognito-identity.amazonaws.com:amr"
        values   = ["unauthenticated"]
      }
    }
    ```
    """
    role = guest.role
    if role is None:
        yield NOT_APPLICABLE
        return
    doc = role.trust_policy
    if doc is None:
        if role.bare:
            yield NOT_APPLICABLE     # a bare permission policy: the trust policy is not part of the input
        else:
            yield Violation(role, f"role {role.subject} has no trust policy, so Cognito guests cannot assume it",
                            remediation=trust_statement_snippet(guest))
        return
    if doc.unknown is not None:
        yield Undecided(doc, f"the trust policy of role {role.subject} could not be read ({doc.unknown}), "
                             "so whether Cognito guests may assume it was not checked")
        return
    if cognito_trust_statements(doc):
        return
    if any(s.is_allow and is_wildcard_principal(s.principal) and covers_action(s, ASSUME_WEB_IDENTITY)
           for s in doc.statements):
        return                      # admitted through a wildcard principal: RUM-TRUST-004
    unreadable = [s for s in doc.statements if s.unknown is not None]
    if unreadable:
        yield Undecided(unreadable[0], f"trust statement #{unreadable[0].index} of role {role.subject} cannot be "
                                       f"interpreted ({unreadable[0].unknown}), so whether Cognito guests may "
                                       "assume the role was not checked")
        return
    fix = trust_statement_snippet(guest)
    for statement in doc.allow_statements():
        principal = statement.principal
        if principal is None:
            continue
        federated = [n for n in principal.values("Federated") if str(n.value).lower() == COGNITO]
        if federated:
            written = statement.actions or statement.not_actions or ()
            actions = ", ".join(render_for(guest, n.value) for n in written)
            yield Violation(statement.node("Action") if statement.actions is not None else statement.node("NotAction"),
                            f"the trust statement for {COGNITO} allows `{actions}`, which does not include "
                            f"`{ASSUME_WEB_IDENTITY}`", remediation=fix)
            return
        service = [n for n in principal.values("Service") if str(n.value).lower() == COGNITO]
        if service:
            yield Violation(service[0], f"`{COGNITO}` is named as a `Service` principal; web identities are "
                                        "admitted only as a `Federated` principal", remediation=fix)
            return
    yield Violation(doc, f"the trust policy of role {role.subject} has no Allow for `Federated: {COGNITO}` with "
                         f"`{ASSUME_WEB_IDENTITY}`", remediation=fix)
