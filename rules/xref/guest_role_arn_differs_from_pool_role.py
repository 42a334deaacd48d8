"""RUM-XREF-004."""

from __future__ import annotations

from typing import Iterator

from rumpolicy.engine import NOT_APPLICABLE, Undecided, Violation, rule
from rumpolicy.findings import Severity
from rumpolicy.model import AppMonitor
from rumpolicy.model.arns import same
from rumpolicy.model.messages import Prop, Value
from rumpolicy.model.symbols import is_unknown


@rule(id="RUM-XREF-004", name="guest-role-arn-differs-from-pool-role", severity=Severity.WARNING,
      subject=AppMonitor,
      references=("https://docs.aws.amazon.com/cloudwatchrum/latest/APIReference/API_AppMonitorConfiguration.html",
                  "https://github.com/aws-observability/aws-rum-web/blob/main/packages/web/src/orchestration/Orchestration.ts"),
      messages={
          "role-differs": "`{field}` `{guest_role}` differs from the `unauthenticated` role `{attached}` that "
                          "{attachment} attaches to identity pool {pool}",
          "role-undecided": "whether `{field}` `{guest_role}` is the `unauthenticated` role `{attached}` of identity "
                            "pool {pool} is known only at deployment",
      })
def guest_role_arn_differs_from_pool_role(monitor: AppMonitor) -> Iterator:
    """`GuestRoleArn` names another role than the one attached to the pool as `unauthenticated`.

    ## What it checks
    When an app monitor sets `GuestRoleArn` and its identity pool (part of the input) attaches an
    `unauthenticated` role, both must name the same role. Two different roles of one template
    (`!GetAtt GuestRole.Arn` vs `!GetAtt OldGuestRole.Arn`) are different even before deployment;
    a literal ARN compared with a generated one is reported as not checked (RUM-SRC-001).
    A pool without an `unauthenticated` role is RUM-ATT-001's finding, not this rule's.

    ## Why it matters
    The RUM API documents `GuestRoleArn` as "the guest IAM role that is attached to the Amazon
    Cognito identity pool". The basic flow uses `GuestRoleArn`, the enhanced flow the pool's
    attachment: when they differ, the two flows authorize differently and one of them is usually
    broken (a leftover role with the old monitor's ARN, a trust policy for another pool).

    ## Fix
    Reference the attached role from the monitor, or drop `GuestRoleArn` to use the enhanced flow:

    ```yaml
    AppMonitorConfiguration:
      IdentityPoolId: !Ref RumPool
      GuestRoleArn: !GetAtt GuestRole.Arn    # the role in RumPoolRoles.Roles.unauthenticated
    ```

    In Terraform:

    ```hcl
    app_monitor_configuration {
      identity_pool_id = aws_cognito_identity_pool.rum.id
      guest_role_arn   = aws_iam_role.guest.arn   # the role in the attachment's roles.unauthenticated
    }
    ```
    """
    node = monitor.guest_role_arn
    pool = monitor.identity_pool
    if node is None or pool is None:
        yield NOT_APPLICABLE
        return
    attached = [(a, a.role_arn("unauthenticated")) for a in pool.attachments if a.role_arn("unauthenticated")]
    if not attached:
        yield NOT_APPLICABLE
        return
    if is_unknown(node.value):
        return              # the loader reports the unresolved value
    for attachment, role in attached:
        if is_unknown(role.value):
            continue
        equal = same(node.value, role.value, distinct_resources=True)
        field, mine = Prop(monitor, "GuestRoleArn"), Value(monitor, node.value)
        theirs = Value(attachment, role.value)
        if equal is False:
            yield Violation(node, "role-differs", field=field, guest_role=mine, attached=theirs, attachment=attachment,
                            pool=pool, related=(role.location,))
        elif equal is None:
            yield Undecided(node, "role-undecided", field=field, guest_role=mine, attached=theirs, pool=pool)
