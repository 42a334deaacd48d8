"""RUM-XREF-002."""

from __future__ import annotations

from typing import Iterator

from rumpolicy.engine import NOT_APPLICABLE, Undecided, Violation, rule
from rumpolicy.findings import Severity
from rumpolicy.model import AppMonitor
from rumpolicy.model.arns import describe_place, is_literal, maybe_arn, parse_arn, same, undecided_place
from rumpolicy.model.coverage import enhanced_role_arns
from rumpolicy.model.symbols import is_unknown, render


@rule(id="RUM-XREF-002", name="guest-role-account-mismatch", severity=Severity.ERROR, subject=AppMonitor,
      references=("https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch-RUM-resource-policies.html",
                  "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html"))
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
    pool = monitor.identity_pool
    if pool is None:
        yield NOT_APPLICABLE
        return
    mine = monitor.env.account
    if not mine:
        yield NOT_APPLICABLE
        return
    for attachment, node in enhanced_role_arns(monitor):
        value = node.value
        if is_unknown(value):
            continue        # the loader reports the unresolved value
        arn = parse_arn(value)
        if arn is None:
            if not maybe_arn(value):
                continue    # not an ARN at all: RUM-TRUST/PERM rules cannot use it either; not an account question
            yield Undecided(node, f"the role `{render(value)}` attached to identity pool {pool.subject} is only known "
                                  "at deployment, so its account was not compared with the app monitor's")
            continue
        equal = same(arn.account, mine)
        if equal is False:
            yield Violation(node, f"role `{render(value)}` attached as `unauthenticated` to identity pool {pool.subject} "
                                  f"is in {describe_place(arn.account, 'account')}, but app monitor {monitor.subject} "
                                  f"is in {describe_place(mine, 'account')}")
        elif equal is None:
            yield Undecided(node, undecided_place("account", "guest role", arn.account, mine))
    if pool.env.account and (is_literal(pool.env.account) or is_literal(mine) or pool.env.account == mine):
        # Two unknowns (API output without --account) say nothing; the loader reports the missing environment.
        equal = same(pool.env.account, mine)
        where = monitor.identity_pool_id or monitor
        if equal is False:
            yield Violation(where, f"identity pool {pool.subject} is in {describe_place(pool.env.account, 'account')}, "
                                   f"but app monitor {monitor.subject} is in {describe_place(mine, 'account')}")
        elif equal is None:
            yield Undecided(where, undecided_place("account", "identity pool", pool.env.account, mine))
