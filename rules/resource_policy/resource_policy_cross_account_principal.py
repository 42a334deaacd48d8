"""RUM-RBP-004."""

from __future__ import annotations

from typing import Iterator

from rumpolicy.engine import NOT_APPLICABLE, Undecided, Violation, rule
from rumpolicy.findings import Severity
from rumpolicy.model import ResourcePolicy
from rumpolicy.model.arns import ACCOUNT_ID, parse_arn, same
from rumpolicy.model.dialect import render_for
from rumpolicy.model.grants import readable_resource_policy


@rule(id="RUM-RBP-004", name="resource-policy-cross-account-principal", severity=Severity.ERROR,
      subject=ResourcePolicy,
      references=("https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch-RUM-resource-policies.html",))
def resource_policy_cross_account_principal(policy: ResourcePolicy) -> Iterator:
    """The app monitor's resource-based policy names a principal of another account.

    ## What it checks
    Every `AWS` principal of the policy (`Principal` and `NotPrincipal`) must be `"*"` or belong to
    the monitor's account: an account id, `arn:<partition>:iam::<account>:root`, a role, user or
    assumed-role ARN. A principal of another account is an error; one whose account cannot be
    compared with the monitor's (a literal account against a stack whose account is known only at
    deploy time) is reported as not decided.

    ## Why it matters
    "CloudWatch RUM resource based policies do not support cross-account access": the statement has
    no effect, and the partner's writer gets 403.

    ## Fix
    Let the partner send through a role in the monitor's account (or a proxy), and name that role:

    ```json
    "Principal": {"AWS": "arn:aws:iam::123456789012:role/partner-rum-writer"}
    ```
    """
    doc, reason = readable_resource_policy(policy)
    monitor = policy.monitor
    if doc is None:
        if reason:
            yield Undecided(policy, f"the resource policy {policy.subject} could not be read ({reason}), so its "
                                    "principals were not checked")
        else:
            yield NOT_APPLICABLE
        return
    account = monitor.env.account if monitor is not None else ""
    for statement in doc.statements:
        for principal in (statement.principal, statement.not_principal):
            if principal is None:
                continue
            for node in principal.values("AWS"):
                value = node.value
                if value == "*" or not isinstance(value, str):
                    continue
                owner = _account(value)
                if owner is None:
                    continue
                verdict = same(owner, account) if account else None
                if verdict is False:
                    yield Violation(node, f"principal `{render_for(policy, value)}` is in account "
                                          f"{render_for(policy, owner)}, not in app monitor {monitor.subject}'s "
                                          f"account {render_for(policy, account)}")
                elif verdict is None:
                    where = f"app monitor {monitor.subject}'s account" if monitor is not None else \
                        "the account of an app monitor that is not in the input"
                    yield Undecided(node, f"whether principal `{render_for(policy, value)}` is in {where} is known "
                                          "only at deploy time")


def _account(value: str) -> str | None:
    if ACCOUNT_ID.match(value):
        return value
    arn = parse_arn(value)
    if arn is not None and arn.account:
        return arn.account
    return None
