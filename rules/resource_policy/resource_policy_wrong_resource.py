"""RUM-RBP-003."""

from __future__ import annotations

from typing import Iterator

from rumpolicy.engine import NOT_APPLICABLE, Undecided, Violation, rule
from rumpolicy.findings import Severity
from rumpolicy.iam import match_resource
from rumpolicy.model import ResourcePolicy
from rumpolicy.model.dialect import render_for
from rumpolicy.model.grants import readable_resource_policy


@rule(id="RUM-RBP-003", name="resource-policy-wrong-resource", severity=Severity.ERROR, subject=ResourcePolicy,
      references=("https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch-RUM-resource-policies.html",))
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
            what = (f"the resource policy could not be read ({reason})" if reason else
                    "the app monitor it belongs to is not in the input or has no resolvable name")
            yield Undecided(policy, f"{what}, so whether {policy.subject} names its monitor's ARN was not checked")
        else:
            yield NOT_APPLICABLE
        return
    arn = monitor.arn
    shown = render_for(policy, arn)
    for statement in doc.statements:
        if statement.not_resources is not None:
            matches = [match_resource(n.value, arn) for n in statement.not_resources if isinstance(n.value, str)]
            if True in matches:
                yield Violation(statement.node("NotResource"),
                                f"`NotResource` excludes app monitor {monitor.subject} (`{shown}`), so the "
                                "statement never applies")
            continue
        if not statement.resources:
            continue
        verdicts = []
        for node in statement.resources:
            if node.value == "*":
                verdicts.append(True)
                yield Violation(node, f"`Resource: \"*\"` in the policy of app monitor {monitor.subject}; name "
                                      f"`{shown}`", severity=Severity.INFO)
                continue
            verdicts.append(match_resource(node.value, arn) if isinstance(node.value, str) else None)
        if True in verdicts:
            continue
        values = ", ".join(render_for(policy, n.value) for n in statement.resources)
        if None in verdicts:
            yield Undecided(statement.node("Resource"), f"whether `{values}` is app monitor {monitor.subject} "
                                                        f"(`{shown}`) is known only at deploy time")
        else:
            yield Violation(statement.node("Resource"),
                            f"`Resource: {values}` is not app monitor {monitor.subject} (`{shown}`), so the "
                            "statement never applies")
