"""RUM-ATT-003."""

from __future__ import annotations

from collections import defaultdict
from typing import Iterator

from rumpolicy.engine import Violation, rule
from rumpolicy.findings import Severity
from rumpolicy.model import AppMonitor, Inventory, RoleAttachment
from rumpolicy.model.arns import same
from rumpolicy.chain.flows import monitor_uses_basic_flow
from rumpolicy.model.dialect import Dialect, dialect_of
from rumpolicy.model.messages import Listed, ReplaceNode, SetProperties, Value

UNAUTHENTICATED = "unauthenticated"


@rule(id="RUM-ATT-003", name="attachment-targets-other-pool", severity=Severity.ERROR, subject=Inventory,
      fix="unsafe",
      references=("https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-cognito-identitypoolroleattachment.html",),
      messages={
          "other-pool": "role attachment {attachment} targets identity pool {target}, which no app monitor uses, "
                        "while pool {pools} of app monitor {monitors} has no role attachment",
          "other-pool-id": "role attachment {attachment} targets identity pool `{target}`, which no app monitor "
                           "uses, while pool {pools} of app monitor {monitors} has no role attachment",
      })
def attachment_targets_other_pool(inventory: Inventory) -> Iterator:
    """A role attachment targets an identity pool no app monitor uses, while a monitor's pool has none.

    ## What it checks
    Within one input (one template, one file), the rule reports a role attachment when both hold:

    * the attachment attaches an `unauthenticated` role (a guest-role attachment) to an identity
      pool that no app monitor of the input names in `IdentityPoolId` (a pool of the input without
      monitors, or a pool id that surely differs from every monitor's);
    * some app monitor of the same input uses the enhanced flow (no `GuestRoleArn`) with a pool of
      the input that has no role attachment at all.

    That is the signature of an attachment pointed at the wrong pool (`!Ref PoolA` where the monitor
    uses `PoolB`). A correct template with two unrelated pools never matches: there every pool a
    monitor uses has its own attachment. Attachments with only an `authenticated` role (an
    application's sign-in pool) and pool ids only known at deployment are never taken as misdirected.
    The monitor's pool itself is also reported by RUM-ATT-001 (it has no guest role); this rule
    points at the attachment that was probably meant for it.

    ## Why it matters
    The pool the browsers use at runtime has no unauthenticated role, so
    `GetCredentialsForIdentity` fails with `InvalidIdentityPoolConfigurationException`, while the
    role is attached to a pool nobody uses.

    ## Fix
    Attach the role to the monitor's pool:

    ```yaml
    RumPoolRoles:
      Type: AWS::Cognito::IdentityPoolRoleAttachment
      Properties:
        IdentityPoolId: !Ref RumPool        # the pool named by the app monitor
        Roles:
          unauthenticated: !GetAtt GuestRole.Arn
    ```

    In Terraform:

    ```hcl
    resource "aws_cognito_identity_pool_roles_attachment" "rum" {
      identity_pool_id = aws_cognito_identity_pool.rum.id   # the pool named by the app monitor
      roles = {
        unauthenticated = aws_iam_role.guest.arn
      }
    }
    ```

    `rumpolicy fix --unsafe-fixes` (CloudFormation, Terraform) points the attachment's
    `IdentityPoolId` at the monitor's pool, when exactly one pool of the input needs it. The fix is
    unsafe: the pool the attachment targets now loses its `unauthenticated` role, and something
    outside the input may use that pool.
    """
    monitors: dict[str, list[AppMonitor]] = defaultdict(list)
    for monitor in inventory.monitors:
        if not monitor.declared_only:
            monitors[monitor.location.source].append(monitor)
    for attachment in inventory.attachments:
        group = monitors.get(attachment.location.source, [])
        needing = [m for m in group if not monitor_uses_basic_flow(m) and m.identity_pool is not None
                   and not m.identity_pool.attachments]
        if not needing or not _attaches_guest_role(attachment) or not _targets_unused_pool(attachment, group):
            continue
        pools: dict[str, object] = {}
        for monitor in needing:
            pools.setdefault(monitor.identity_pool.subject, monitor.identity_pool)
        if attachment.pool is not None:
            message_id, target = "other-pool", attachment.pool
        else:
            message_id, target = "other-pool-id", Value(attachment, attachment.identity_pool_id.value)
        first = needing[0].identity_pool
        fix = SetProperties(attachment, {"IdentityPoolId": first.pool_id}) if first.pool_id else None
        # `rumpolicy fix --unsafe-fixes`: the attachment's pool id becomes the monitor's pool. Not when a
        # monitor of that pool names a guest role: RUM-ATT-001's fix then writes the pool its own attachment.
        if (fix is not None and len(pools) == 1 and not any(m.guest_role_arn is not None for m in first.monitors)
                and dialect_of(attachment) in (Dialect.CLOUDFORMATION, Dialect.TERRAFORM)):
            fix = (fix, ReplaceNode(attachment.identity_pool_id.location, first.pool_id))
        yield Violation(attachment.identity_pool_id, message_id, subject=attachment.subject, attachment=attachment,
                        target=target, pools=Listed(tuple(pools.values())), monitors=Listed(tuple(needing)),
                        related=tuple(m.identity_pool_id.location for m in needing), fix=fix)


def _attaches_guest_role(attachment: RoleAttachment) -> bool:
    return any(key.strip().lower() == UNAUTHENTICATED for key in attachment.roles)


def _targets_unused_pool(attachment: RoleAttachment, group: list[AppMonitor]) -> bool:
    if attachment.identity_pool_id is None:
        return False
    if attachment.pool is not None:
        return not attachment.pool.monitors
    value = attachment.identity_pool_id.value
    return all(m.identity_pool_id is None or same(value, m.identity_pool_id.value) is False for m in group)
