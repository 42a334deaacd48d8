"""RUM-MON-004."""

from __future__ import annotations

from typing import Iterator

from rumpolicy.aws import ACCOUNT_ID, ROLE_NAME, ROLE_PATH
from rumpolicy.engine import NOT_APPLICABLE, Undecided, Violation, rule
from rumpolicy.findings import Severity
from rumpolicy.model import AppMonitor
from rumpolicy.model.arns import is_literal, maybe_arn, parse_arn, same
from rumpolicy.model.dialect import Dialect, dialect_of
from rumpolicy.model.messages import Prop, SetProperties, UndecidedPlace, Value
from rumpolicy.model.symbols import is_unknown

# Where the fixed ARN is better written as a reference to the guest role of the same input: how the
# dialect references it (a comment of the fix; JSON has none).
REFERENCE_HINTS = {Dialect.CLOUDFORMATION: "or !GetAtt <GuestRole>.Arn of a role of this stack",
                   Dialect.TERRAFORM: "or the arn of an aws_iam_role of this configuration"}


@rule(id="RUM-MON-004", name="guest-role-arn-invalid", severity=Severity.ERROR, subject=AppMonitor,
      references=("https://docs.aws.amazon.com/cloudwatchrum/latest/APIReference/API_AppMonitorConfiguration.html",
                  "https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch-RUM-resource-policies.html",
                  "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html"),
      messages={
          "arn-unresolved": "`{field}` could not be resolved ({value}), so it was not checked",
          "arn-not-string": "`{field}` `{value}` is not a string",
          "arn-undecided": "`{field}` `{value}` is only known at deployment, so it was not checked",
          "not-an-arn": "`{field}` `{value}` is not an ARN",
          "not-a-role-arn": "`{field}` `{value}` is not an IAM role ARN (`arn:<partition>:iam::<account>:role/<name>`)",
          "arn-has-region": "`{field}` `{value}` has a region; IAM role ARNs have none",
          "arn-bad-account": "`{field}` `{value}` has no valid 12-digit account id",
          "arn-bad-role-name": "`{field}` `{value}` does not end in a valid role path and name",
          "other-partition": "`{field}` `{value}` is in partition `{role_place}`, but app monitor {monitor} is in "
                             "partition `{monitor_place}`",
          "other-account": "`{field}` `{value}` is in account `{role_place}`, but app monitor {monitor} is in "
                           "account `{monitor_place}`",
          "place-undecided": "{place}",
      })
def guest_role_arn_invalid(monitor: AppMonitor) -> Iterator:
    """`GuestRoleArn` is not an IAM role ARN in the app monitor's partition and account.

    ## What it checks
    When `AppMonitorConfiguration.GuestRoleArn` is set it must read
    `arn:<partition>:iam::<account>:role/<path><name>`, with a valid role name and path, the
    monitor's partition and the monitor's account. A literal ARN compared with a stack whose
    account or partition is only known at deployment is reported as not checked (RUM-SRC-001),
    with the account it would have to be deployed to.

    This rule owns the `GuestRoleArn` link: the account and partition of the role attached to the
    identity pool (the enhanced flow) are checked by RUM-XREF-002 and RUM-XREF-003.

    ## Why it matters
    The RUM API only checks a loose `arn:` pattern, so anything ARN-shaped is accepted. In the basic
    flow the web client calls `sts:AssumeRoleWithWebIdentity` with this ARN: a wrong service,
    resource type or partition fails with `InvalidParameter`/`AccessDenied`, and a role in another
    account cannot be granted `rum:PutRumEvents` at all, because RUM resource policies do not
    support cross-account access.

    ## Fix
    Point at the guest role of the same stack:

    ```yaml
    AppMonitorConfiguration:
      IdentityPoolId: !Ref RumPool
      GuestRoleArn: !GetAtt GuestRole.Arn
    ```

    or, in Terraform, of the same configuration:

    ```hcl
    app_monitor_configuration {
      identity_pool_id = aws_cognito_identity_pool.rum.id
      guest_role_arn   = aws_iam_role.guest.arn
    }
    ```
    """
    node = monitor.guest_role_arn
    if node is None:
        yield NOT_APPLICABLE
        return
    value = node.value
    field = Prop(monitor, "GuestRoleArn")
    if is_unknown(value):
        yield Undecided(node, "arn-unresolved", field=field, value=value)
        return
    if not isinstance(value, str):
        yield Violation(node, "arn-not-string", field=field, value=Value(monitor, value))
        return
    shown = Value(monitor, value)
    arn = parse_arn(value)
    if arn is None:
        if maybe_arn(value):
            yield Undecided(node, "arn-undecided", field=field, value=shown)
        else:
            yield Violation(node, "not-an-arn", field=field, value=shown)
        return
    if is_literal(arn.service) and arn.service != "iam" or is_literal(arn.resource_type) and arn.resource_type != "role":
        yield Violation(node, "not-a-role-arn", field=field, value=shown)
        return
    if arn.region:
        yield Violation(node, "arn-has-region", field=field, value=shown)
        return
    if is_literal(arn.account) and not ACCOUNT_ID.match(arn.account):
        yield Violation(node, "arn-bad-account", field=field, value=shown)
        return
    role = arn.resource_id
    if is_literal(role):
        path, _, name = role.rpartition("/")
        if not ROLE_NAME.match(name) or not ROLE_PATH.match(f"/{path}/" if path else "/"):
            yield Violation(node, "arn-bad-role-name", field=field, value=shown)
            return
    env = monitor.env
    for what, mine, theirs in (("partition", arn.partition, env.partition), ("account", arn.account, env.account)):
        if not theirs:
            continue
        equal = same(mine, theirs)
        if equal is False:
            fixed = arn.text.replace(f"arn:{arn.partition}:", f"arn:{env.partition}:", 1) if what == "partition" \
                else f"arn:{arn.partition}:iam::{env.account}:{arn.resource}"
            yield Violation(node, f"other-{what}", field=field, value=shown, role_place=Value(monitor, mine),
                            monitor=monitor, monitor_place=Value(monitor, theirs),
                            fix=SetProperties(monitor, {"GuestRoleArn": fixed},
                                              REFERENCE_HINTS.get(dialect_of(monitor))))
        elif equal is None:
            yield Undecided(node, "place-undecided", place=UndecidedPlace(monitor, what, "guest role", mine, theirs))
