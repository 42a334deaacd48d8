"""RUM-XREF-003."""

from __future__ import annotations

from typing import Iterator

from rumpolicy.engine import NOT_APPLICABLE, Undecided, Violation, rule
from rumpolicy.findings import Severity
from rumpolicy.model import AppMonitor
from rumpolicy.model.arns import describe_place, is_literal, maybe_arn, parse_arn, same, undecided_place
from rumpolicy.model.coverage import enhanced_role_arns
from rumpolicy.model.symbols import is_unknown, render


@rule(id="RUM-XREF-003", name="guest-role-partition-mismatch", severity=Severity.ERROR, subject=AppMonitor,
      references=("https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html",
                  "https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch-RUM-get-started-authorization.html"))
def guest_role_partition_mismatch(monitor: AppMonitor) -> Iterator:
    """The guest role attached to the monitor's identity pool, or the pool, is in another partition.

    ## What it checks
    For an app monitor whose identity pool is part of the input, the `unauthenticated` role ARN of
    every role attachment of the pool, and the pool itself, must be in the monitor's partition
    (`aws`, `aws-us-gov`, `aws-cn`, ...).

    Other ARNs are checked where they are written, so one wrong partition gives one finding: the
    monitor's `GuestRoleArn` by RUM-MON-004, the `Resource` of the guest role's policies by
    RUM-PERM-003, the resource-based policy's `Resource` by RUM-RBP-003. The partition of the trust
    policy's `Federated` principal is **not** checked: AWS's China documentation shows
    `cognito-identity.amazonaws.com` in trust policies while service tables name
    `cognito-identity.amazonaws.com.cn`, so no answer would be safe (RUM-TRUST-001 checks the
    principal itself).

    ## Why it matters
    Roles, pools and monitors of different partitions live in different, isolated AWS clouds: the
    attachment is rejected or the role can never be assumed for this monitor. A hard-coded
    `arn:aws:` in a template deployed to GovCloud is the usual cause.

    ## Fix
    Build ARNs from the partition pseudo parameter, or reference the role:

    ```yaml
    Roles:
      unauthenticated: !GetAtt GuestRole.Arn
      # or: !Sub arn:${AWS::Partition}:iam::${AWS::AccountId}:role/rum-guest
    ```
    """
    pool = monitor.identity_pool
    mine = monitor.env.partition
    if pool is None or not mine:
        yield NOT_APPLICABLE
        return
    for attachment, node in enhanced_role_arns(monitor):
        value = node.value
        if is_unknown(value):
            continue        # the loader reports the unresolved value
        arn = parse_arn(value)
        if arn is None:
            if maybe_arn(value):
                yield Undecided(node, f"the role `{render(value)}` attached to identity pool {pool.subject} is only "
                                      "known at deployment, so its partition was not compared with the app monitor's")
            continue        # not an ARN at all: nothing to say about its partition
        equal = same(arn.partition, mine)
        if equal is False:
            yield Violation(node, f"role `{render(value)}` attached as `unauthenticated` to identity pool {pool.subject} "
                                  f"is in {describe_place(arn.partition, 'partition')}, but app monitor "
                                  f"{monitor.subject} is in {describe_place(mine, 'partition')}")
        elif equal is None:
            yield Undecided(node, undecided_place("partition", "guest role", arn.partition, mine))
    if pool.env.partition and (is_literal(pool.env.partition) or is_literal(mine) or pool.env.partition == mine):
        # Two unknowns (API output without --partition) say nothing; the loader reports the missing environment.
        equal = same(pool.env.partition, mine)
        where = monitor.identity_pool_id or monitor
        if equal is False:
            yield Violation(where, f"identity pool {pool.subject} is in {describe_place(pool.env.partition, 'partition')}, "
                                   f"but app monitor {monitor.subject} is in {describe_place(mine, 'partition')}")
        elif equal is None:
            yield Undecided(where, undecided_place("partition", "identity pool", pool.env.partition, mine))
