"""RUM-XREF-002."""

from __future__ import annotations

from typing import Iterator

from rumpolicy.engine import NOT_APPLICABLE, rule
from rumpolicy.findings import Severity
from rumpolicy.model import AppMonitor
from rumpolicy.rules.xref._placement import MESSAGES, misplaced_links


@rule(id="RUM-XREF-002", name="guest-role-account-mismatch", severity=Severity.ERROR, subject=AppMonitor,
      references=("https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch-RUM-resource-policies.html",
                  "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html"),
      messages=MESSAGES)
def guest_role_account_mismatch(monitor: AppMonitor) -> Iterator:
    """The guest role attached to the monitor's identity pool, or the pool, is in another account.

    ## What it checks
    For an app monitor whose identity pool is part of the input:

    * the `unauthenticated` role ARN of every role attachment of the pool (the role the enhanced
      flow hands to browsers) must be in the monitor's account;
    * the pool itself must be in the monitor's account (inferred: RUM's console and docs only ever
      pair a monitor with a pool of its own account).

    The monitor's `GuestRoleArn` (the basic flow) is checked by RUM-MON-004, and an attached role
    written exactly like it is not reported twice. A literal account compared with a stack account
    only known at deployment is reported as not checked (RUM-SRC-001).

    ## Why it matters
    A role in another account needs a resource-based grant from the monitor's account to write to
    it, and RUM resource-based policies do not support cross-account access: every
    `PutRumEvents` of the guests is denied.

    ## Fix
    Attach a guest role of the monitor's own account:

    ```yaml
    Roles:
      unauthenticated: !GetAtt GuestRole.Arn   # a role of the same stack
    ```
    """
    if monitor.identity_pool is None or not monitor.env.account:
        yield NOT_APPLICABLE
        return
    yield from misplaced_links(monitor, "account")
