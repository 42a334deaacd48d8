"""RUM-TRUST-001."""

from __future__ import annotations

from typing import Iterator

from rumpolicy.engine import NOT_APPLICABLE, Undecided, Violation, rule
from rumpolicy.findings import Severity
from rumpolicy.model import GuestRole
from rumpolicy.chain.grants import (ASSUME_WEB_IDENTITY, COGNITO, cognito_trust_statements, covers_action,
                                    is_wildcard_principal, trust_statement_fix)
from rumpolicy.model.messages import Listed, Said, Value


@rule(id="RUM-TRUST-001", name="guest-role-trust-missing-cognito", severity=Severity.ERROR, subject=GuestRole,
      references=("https://docs.aws.amazon.com/cognito/latest/developerguide/role-trust-and-permissions.html",
                  "https://github.com/aws-observability/aws-rum-web/blob/main/docs/troubleshooting.md"),
      messages={
          "no-trust-policy": "role {role} has no trust policy, so Cognito guests cannot assume it",
          "trust-unreadable": "the trust policy of role {role} could not be read ({reason}), so whether Cognito "
                              "guests may assume it was not checked",
          "statement-unreadable": "trust statement #{index} of role {role} cannot be interpreted ({reason}), so "
                                  "whether Cognito guests may assume the role was not checked",
          "action-missing": "the trust statement for cognito-identity.amazonaws.com allows `{actions}`, which does "
                            "not include `sts:AssumeRoleWithWebIdentity`",
          "service-principal": "`cognito-identity.amazonaws.com` is named as a `Service` principal; web identities "
                               "are admitted only as a `Federated` principal",
          "no-cognito-allow": "the trust policy of role {role} has no Allow for `Federated: "
                              "cognito-identity.amazonaws.com` with `sts:AssumeRoleWithWebIdentity`",
      })
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
            yield Violation(role, "no-trust-policy", role=role, fix=trust_statement_fix(guest))
        return
    if doc.unknown is not None:
        yield Undecided(doc, "trust-unreadable", role=role, reason=Said(doc.unknown))
        return
    if cognito_trust_statements(doc):
        return
    if any(s.is_allow and is_wildcard_principal(s.principal) and covers_action(s, ASSUME_WEB_IDENTITY)
           for s in doc.statements):
        return                      # admitted through a wildcard principal: RUM-TRUST-004
    unreadable = [s for s in doc.statements if s.unknown is not None]
    if unreadable:
        yield Undecided(unreadable[0], "statement-unreadable", index=unreadable[0].index, role=role,
                        reason=Said(unreadable[0].unknown))
        return
    fix = trust_statement_fix(guest)
    for statement in doc.allow_statements():
        principal = statement.principal
        if principal is None:
            continue
        federated = [n for n in principal.values("Federated") if str(n.value).lower() == COGNITO]
        if federated:
            written = statement.actions or statement.not_actions or ()
            actions = Listed(tuple(Value(guest, n.value) for n in written))
            yield Violation(statement.node("Action") if statement.actions is not None else statement.node("NotAction"),
                            "action-missing", actions=actions, fix=fix)
            return
        service = [n for n in principal.values("Service") if str(n.value).lower() == COGNITO]
        if service:
            yield Violation(service[0], "service-principal", fix=fix)
            return
    yield Violation(doc, "no-cognito-allow", role=role, fix=fix)
