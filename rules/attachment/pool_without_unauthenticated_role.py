"""RUM-ATT-001."""

from __future__ import annotations

from typing import Iterator

from rumpolicy.engine import NOT_APPLICABLE, Undecided, Violation, rule
from rumpolicy.findings import Severity
from rumpolicy.model import IdentityPool, RoleAttachment
from rumpolicy.model.arns import is_literal
from rumpolicy.findings import Location
from rumpolicy.model.dialect import Dialect, companion, dialect_of, property_path, same_module
from rumpolicy.chain.flows import monitor_uses_basic_flow
from rumpolicy.model.messages import Listed, Prop, SetPath, SetProperties
from rumpolicy.model.symbols import ATTR, token

UNAUTHENTICATED = "unauthenticated"


@rule(id="RUM-ATT-001", name="pool-without-unauthenticated-role", severity=Severity.ERROR, subject=IdentityPool,
      fix="safe",
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

    `rumpolicy fix` (CloudFormation, Terraform) attaches the role the pool's app monitors name in
    `GuestRoleArn`, when they name exactly one: it adds `unauthenticated` to the `Roles` of the
    pool's role attachment, or writes a new attachment (`<Pool>Roles`, or a block at the end of the
    pool's `.tf` file) when the pool has none. That is safe: the role is already the one browsers
    assume in the basic flow, and a pool without an `unauthenticated` role gives guests nothing in
    the enhanced flow. When no monitor names a role, or they name several, which role to attach is
    a choice the fix does not make: the finding only says what to write.
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
    precise = _attach_named_role(pool)
    fix = (fix, precise) if precise is not None else fix
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


def _attach_named_role(pool: IdentityPool) -> SetPath | None:
    """The precise edit `rumpolicy fix` applies: the one role the pool's monitors name in `GuestRoleArn`,
    as the `unauthenticated` role of the pool's only attachment, or of a new one. None when the monitors
    name no role or several, or a role as the input cannot refer to it."""
    dialect = dialect_of(pool)
    if dialect not in ATTACHMENT_KINDS or len(pool.attachments) > 1:
        return None
    named = {_role_reference(pool, m) for m in pool.monitors if m.guest_role_arn is not None}
    if len(named) != 1 or None in named:
        return None
    role = named.pop()
    if pool.attachments:
        attachment = pool.attachments[0]
        if attachment.location.source != pool.location.source and attachment.roles_location is None:
            return None
        where = attachment.location
        roles = (["Properties", "Roles"] if dialect is Dialect.CLOUDFORMATION
                 else property_path(attachment, "Roles"))
        return SetPath(Location(where.source, where.pointer, where.span), (*roles, UNAUTHENTICATED), role)
    if not pool.pool_id:
        return None
    new = companion(pool, RoleAttachment, ATTACHMENT_KINDS, "Roles")
    source = pool.location.source
    if dialect is Dialect.CLOUDFORMATION:
        if not pool.location.pointer.startswith("/Resources/"):
            return None
        body = {"Type": new.kind, "Properties": {"IdentityPoolId": pool.pool_id,
                                                  "Roles": {UNAUTHENTICATED: role}}}
        return SetPath(Location(source, "/Resources", None), (new.subject,), body)
    if not pool.location.pointer.startswith("/resource/") or "." not in new.subject or \
            new.subject.startswith("module."):
        return None
    body = {"identity_pool_id": pool.pool_id, "roles": {UNAUTHENTICATED: role}}
    return SetPath(Location(source, "/resource", None), (new.kind, new.subject.split(".", 1)[1]), body)


def _role_reference(pool: IdentityPool, monitor) -> str | None:
    """The role a monitor names in `GuestRoleArn` as the pool's template or module refers to it: `!GetAtt
    Role.Arn` (`aws_iam_role.x.arn`) for a role of the input, the ARN itself when it is a literal."""
    role = monitor.guest_role
    dialect = dialect_of(pool)
    if role is not None:
        if (dialect is Dialect.CLOUDFORMATION and role.kind == "AWS::IAM::Role"
                and role.location.source == pool.location.source):
            return token(ATTR, f"{role.subject}.Arn")
        if dialect is Dialect.TERRAFORM and role.kind == "aws_iam_role" and same_module(pool, role) \
                and not role.subject.startswith("module."):
            return token(ATTR, f"{role.subject}.arn")
        return None
    value = monitor.guest_role_arn.value
    return value if is_literal(value) else None
