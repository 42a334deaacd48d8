"""RUM-RBP-004."""

from __future__ import annotations

from typing import Iterator

from rumpolicy.aws import ACCOUNT_ID
from rumpolicy.chain.grants import readable_resource_policy
from rumpolicy.engine import NOT_APPLICABLE, Undecided, Violation, rule
from rumpolicy.findings import Severity
from rumpolicy.model import ResourcePolicy
from rumpolicy.model.arns import parse_arn, same
from rumpolicy.model.messages import Said, Value


@rule(id="RUM-RBP-004", name="resource-policy-cross-account-principal", severity=Severity.ERROR,
      subject=ResourcePolicy,
      references=("https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch-RUM-resource-policies.html",),
      messages={
          "policy-unreadable": "the resource policy {policy} could not be read ({reason}), so its principals were "
                               "not checked",
          "other-account": "principal `{principal}` is in account {owner}, not in app monitor {monitor}'s account "
                           "{account}",
          "account-undecided": "whether principal `{principal}` is in app monitor {monitor}'s account is known only "
                               "at deploy time",
          "monitor-unknown": "whether principal `{principal}` is in the account of an app monitor that is not in "
                             "the input is known only at deploy time",
      })
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
            yield Undecided(policy, "policy-unreadable", policy=policy, reason=Said(reason))
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
                    yield Violation(node, "other-account", principal=Value(policy, value), owner=Value(policy, owner),
                                    monitor=monitor, account=Value(policy, account))
                elif verdict is None and monitor is not None:
                    yield Undecided(node, "account-undecided", principal=Value(policy, value), monitor=monitor)
                elif verdict is None:
                    yield Undecided(node, "monitor-unknown", principal=Value(policy, value))


def _account(value: str) -> str | None:
    if ACCOUNT_ID.match(value):
        return value
    arn = parse_arn(value)
    if arn is not None and arn.account:
        return arn.account
    return None
