"""RUM-XREF-003."""

from __future__ import annotations

from typing import Iterator

from rumpolicy.engine import NOT_APPLICABLE, rule
from rumpolicy.findings import Severity
from rumpolicy.model import AppMonitor
from rumpolicy.rules.xref._placement import MESSAGES, misplaced_links


@rule(id="RUM-XREF-003", name="guest-role-partition-mismatch", severity=Severity.ERROR, subject=AppMonitor,
      references=("https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html",
                  "https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch-RUM-get-started-authorization.html"),
      messages=MESSAGES)
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
    if monitor.identity_pool is None or not monitor.env.partition:
        yield NOT_APPLICABLE
        return
    yield from misplaced_links(monitor, "partition")
