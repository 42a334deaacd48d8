"""RUM-ATT-001."""

from __future__ import annotations

from typing import Iterator

from rumpolicy.engine import NOT_APPLICABLE, Undecided, Violation, rule
from rumpolicy.findings import Severity
from rumpolicy.model import IdentityPool, RoleAttachment
from rumpolicy.model.arns import is_literal
from rumpolicy.model.dialect import Dialect, companion, dialect_of
from rumpolicy.chain.flows import monitor_uses_basic_flow
from rumpolicy.model.messages import Listed, Prop, SetProperties
from rumpolicy.model.symbols import ATTR, token

UNAUTHENTICATED = "unauthenticated"


@rule(id="RUM-ATT-001", name="pool-without-unauthenticated-role", severity=Severity.ERROR, subject=IdentityPool,
      references=("https://docs.aws.amazon.com/cognitoidentity/latest/APIReference/API_GetCredentialsForIdentity.html",
                  "https://aws.amazon.com/blogs/mobile/understanding-amazon-cognito-authentication-part-4-enhanced-flow/"),
      messages={
          "roles-unread": "the `{roles}` of {attachment} could not be read, so whether the pool has an "
                          "unauthenticated role was not checked",
          "no-guest-role": "no role attachment of identity pool {pool} attaches an `unauthenticated` role, which app "
                           "monitor {monitors} needs",
          "no-guest-role-enhanced": "no role attachment of identity pool {pool} attaches an `unauthenticated` role, "
                                    "which app monitor {monitors} needs for the enhanced flow",
          "no-attachment": "identity pool {pool} has no role attachment, so app monitor {monitors} has no "
                           "`unauthenticated` role",
          "no-attachment-enhanced": "identity pool {pool} has no role attachment, so app monitor {monitors} has no "
                                    "`unauthenticated` role for the enhanced flow",
      })
def pool_without_unauthenticated_role(pool: IdentityPool) -> Iterator:
    """The identity pool of an app monitor has no `unauthenticated` role attached.

    ## What it checks
    Every identity pool that an app monitor names in `IdentityPoolId` needs a role attachment
    (`AWS::Cognito::IdentityPoolRoleAttachment`) whose `Roles` map has the key `unauthenticated`.

    * error when a monitor of the pool uses the enhanced flow (no `GuestRoleArn`);
    * warning when every monitor of the pool uses the basic flow (`GuestRoleArn` set): the basic
      flow does not consult the attachment, but the enhanced flow, which clients fall back to
      without `guestRoleArn`, cannot work.

    A key that differs from `unauthenticated` only in case or spacing (`Unauthenticated`) is
    reported by RUM-ATT-002 at the key, not here again. An attachment whose `Roles` could not be
    resolved makes the answer "not checked" (RUM-SRC-001).

    ## Why it matters
    `GetCredentialsForIdentity` fails with `InvalidIdentityPoolConfigurationException` ("the
    identity pool has no unauthenticated role configured"), so no browser gets credentials.

    ## Fix
    ```yaml
    RumPoolRoles:
      Type: AWS::Cognito::IdentityPoolRoleAttachment
      Properties:
        IdentityPoolId: !Ref RumPool
        Roles:
          unauthenticated: !GetAtt GuestRole.Arn
    ```

    In Terraform:

    ```hcl
    resource "aws_cognito_identity_pool_roles_attachment" "rum" {
      identity_pool_id = aws_cognito_identity_pool.rum.id
      roles = {
        unauthenticated = aws_iam_role.guest.arn
      }
    }
    ```
    """
    if not pool.monitors:
        yield NOT_APPLICABLE
        return
    unresolved = None
    for attachment in pool.attachments:
        if UNAUTHENTICATED in attachment.roles:
            return
        if any(key.strip().lower() == UNAUTHENTICATED for key in attachment.roles):
            return          # misspelled key: RUM-ATT-002 reports it where it is written
        if attachment.roles_unknown:
            unresolved = attachment
    basic_only = all(monitor_uses_basic_flow(m) for m in pool.monitors)
    if unresolved is not None:
        yield Undecided(unresolved.roles_location, "roles-unread", roles=Prop(unresolved, "Roles"),
                        attachment=unresolved)
        return
    where = next((a.roles_location for a in pool.attachments if a.roles_location is not None), None)
    where = where or (pool.attachments[0] if pool.attachments else pool)
    message_id = "no-guest-role" if pool.attachments else "no-attachment"
    fix = _attachment_fix(pool)
    monitors = Listed(tuple(pool.monitors))
    if basic_only:
        yield Violation(where, f"{message_id}-enhanced", pool=pool, monitors=monitors, severity=Severity.WARNING,
                        fix=fix)
    else:
        yield Violation(where, message_id, pool=pool, monitors=monitors, fix=fix)


ATTACHMENT_KINDS = {Dialect.CLOUDFORMATION: "AWS::Cognito::IdentityPoolRoleAttachment",
                    Dialect.TERRAFORM: "aws_cognito_identity_pool_roles_attachment"}


def _attachment_fix(pool: IdentityPool) -> SetProperties:
    """The pool's attachment (or a new one) with an `unauthenticated` role added to the roles it has: the
    role a monitor names in `GuestRoleArn` when there is one, else a placeholder in the pool's dialect."""
    attachment = pool.attachments[0] if pool.attachments else companion(pool, RoleAttachment, ATTACHMENT_KINDS,
                                                                        "Roles")
    named = [m.guest_role_arn.value for m in pool.monitors
             if m.guest_role_arn is not None and isinstance(m.guest_role_arn.value, str)]
    roles = {key: node.value for key, node in attachment.roles.items()}
    roles[UNAUTHENTICATED] = named[0] if named else _guest_role_placeholder(pool)
    pool_id = pool.pool_id or "<identity pool id>"
    return SetProperties(attachment, {"IdentityPoolId": pool_id, "Roles": roles})


def _guest_role_placeholder(pool: IdentityPool) -> str:
    dialect = dialect_of(pool)
    if dialect is Dialect.CLOUDFORMATION:
        return token(ATTR, "GuestRole.Arn")
    if dialect is Dialect.TERRAFORM:
        return token(ATTR, "aws_iam_role.guest.arn")          # written relative to the pool's module
    known = [a for a in [pool.env.account] + [m.env.account for m in pool.monitors] if a and is_literal(a)]
    account = known[0] if known else "<account>"
    return f"arn:{pool.env.partition or 'aws'}:iam::{account}:role/<guest role>"
