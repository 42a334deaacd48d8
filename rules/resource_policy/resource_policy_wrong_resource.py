"""RUM-RBP-003."""

from __future__ import annotations

from typing import Iterator

from rumpolicy.engine import NOT_APPLICABLE, Undecided, Violation, rule
from rumpolicy.findings import Severity
from rumpolicy.iam import match_resource
from rumpolicy.model import ResourcePolicy
from rumpolicy.chain.grants import readable_resource_policy
from rumpolicy.model.messages import Listed, Said, Value


@rule(id="RUM-RBP-003", name="resource-policy-wrong-resource", severity=Severity.ERROR, subject=ResourcePolicy,
      references=("https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch-RUM-resource-policies.html",),
      messages={
          "policy-unreadable": "the resource policy could not be read ({reason}), so whether {policy} names its "
                               "monitor's ARN was not checked",
          "monitor-unknown": "the app monitor it belongs to is not in the input or has no resolvable name, so "
                             "whether {policy} names its monitor's ARN was not checked",
          "not-resource-excludes": "`NotResource` excludes app monitor {monitor} (`{arn}`), so the statement never "
                                   "applies",
          "resource-wildcard": "`Resource: \"*\"` in the policy of app monitor {monitor}; name `{arn}`",
          "resource-undecided": "whether `{values}` is app monitor {monitor} (`{arn}`) is known only at deploy time",
          "resource-other": "`Resource: {values}` is not app monitor {monitor} (`{arn}`), so the statement never "
                            "applies",
      })
def resource_policy_wrong_resource(policy: ResourcePolicy) -> Iterator:
    """A statement of the app monitor's resource-based policy names another resource.

    ## What it checks
    Every statement's `Resource` must match the ARN of the app monitor the policy is attached to,
    `arn:<partition>:rum:<region>:<account>:appmonitor/<Name>`:

    * **error** when no entry of the statement matches it (another monitor's ARN, the monitor's ID
      instead of its name, another region): the statement never applies;
    * **info** for `"*"`: harmless on a resource policy, which covers only its own monitor, but
      it hides which monitor the statement is meant for.

    A `NotResource` that excludes this monitor is an error too. Where the monitor's region or
    account is known only at deploy time and the policy writes literal ones, the check is reported
    as not decided.

    ## Why it matters
    A statement whose resource is another monitor is silently ignored: a public Allow never opens
    the monitor to unsigned clients (403 `MissingAuthenticationTokenException`), a Deny never
    protects it. Copying a policy from a staging monitor is the usual cause.

    ## Fix
    Name this monitor:

    ```json
    "Resource": "arn:aws:rum:us-east-1:123456789012:appmonitor/web"
    ```
    """
    doc, reason = readable_resource_policy(policy)
    monitor = policy.monitor
    if doc is None or monitor is None or monitor.arn is None:
        if doc is not None or reason:
            if reason:
                yield Undecided(policy, "policy-unreadable", reason=Said(reason), policy=policy)
            else:
                yield Undecided(policy, "monitor-unknown", policy=policy)
        else:
            yield NOT_APPLICABLE
        return
    arn = monitor.arn
    shown = Value(policy, arn)
    for statement in doc.statements:
        if statement.not_resources is not None:
            matches = [match_resource(n.value, arn) for n in statement.not_resources if isinstance(n.value, str)]
            if True in matches:
                yield Violation(statement.node("NotResource"), "not-resource-excludes", monitor=monitor, arn=shown)
            continue
        if not statement.resources:
            continue
        verdicts = []
        for node in statement.resources:
            if node.value == "*":
                verdicts.append(True)
                yield Violation(node, "resource-wildcard", monitor=monitor, arn=shown, severity=Severity.INFO)
                continue
            verdicts.append(match_resource(node.value, arn) if isinstance(node.value, str) else None)
        if True in verdicts:
            continue
        values = Listed(tuple(Value(policy, n.value) for n in statement.resources))
        if None in verdicts:
            yield Undecided(statement.node("Resource"), "resource-undecided", values=values, monitor=monitor, arn=shown)
        else:
            yield Violation(statement.node("Resource"), "resource-other", values=values, monitor=monitor, arn=shown)
