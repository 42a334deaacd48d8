"""RUM-RBP-007."""

from __future__ import annotations

from dataclasses import replace
from typing import Iterator

from rumpolicy.engine import NOT_APPLICABLE, Undecided, Violation, rule
from rumpolicy.findings import Severity
from rumpolicy.iam import statement_matches
from rumpolicy.model import ResourcePolicy
from rumpolicy.model.grants import (PUT_RUM_EVENTS, describe_clause, readable_resource_policy,
                                    signed_browser_context, signed_browser_principal)


@rule(id="RUM-RBP-007", name="resource-policy-deny-blocks-signed", severity=Severity.ERROR, subject=ResourcePolicy,
      references=("https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch-RUM-resource-policies.html",
                  "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html"))
def resource_policy_deny_blocks_signed(policy: ResourcePolicy) -> Iterator:
    """A `Deny` in the app monitor's resource-based policy also blocks Cognito-signed browsers.

    ## What it checks
    Every `Deny` statement of the policy is evaluated with the IAM evaluator for the request a
    Cognito-signed browser makes: `rum:PutRumEvents` on the monitor's ARN, by the guest role's
    session (the monitor's `GuestRoleArn`, else its pool's `unauthenticated` role), over HTTPS,
    from outside any VPC, with source IP, referer and alias unknown.

    * **error** when the Deny applies whatever the request's unknown values are: it blocks every
      signed request;
    * **warning** when it applies depending on the request (a condition on `aws:SourceIp`,
      `aws:referer`, `rum:alias` ...): signed traffic is blocked too whenever the condition holds.
      The documentation's own example, `Deny` with `NotIpAddress aws:SourceIp 198.51.100.252`,
      denies every address *except* that one, Cognito-signed browsers included.

    A Deny whose principal is not the guest role's session (another role) is not reported; one
    whose principal cannot be compared is reported as not decided.

    ## Why it matters
    An explicit Deny in a resource-based policy wins over every Allow of the guest role, so a
    statement written to block unsigned abusers stops the monitor's own visitors too.

    ## Fix
    To block some addresses, list them with `IpAddress` (not `NotIpAddress`):

    ```json
    {"Effect": "Deny", "Principal": "*", "Action": "rum:PutRumEvents",
     "Resource": "arn:aws:rum:us-east-1:123456789012:appmonitor/web",
     "Condition": {"IpAddress": {"aws:SourceIp": "198.51.100.252"}}}
    ```
    """
    doc, reason = readable_resource_policy(policy)
    monitor = policy.monitor
    if doc is None or not any(s.is_deny for s in doc.statements):
        if reason:
            yield Undecided(policy, f"the resource policy {policy.subject} could not be read ({reason}), so its "
                                    "Deny statements were not checked")
        else:
            yield NOT_APPLICABLE
        return
    if monitor is None or monitor.arn is None:
        yield Undecided(policy, f"the app monitor of {policy.subject} is not in the input or has no resolvable name, "
                                "so whether its Deny statements block signed browsers was not checked")
        return
    principal = signed_browser_principal(monitor)
    context = signed_browser_context(principal)
    for statement in doc.deny_statements():
        unconditional = statement_matches(replace(statement, conditions=()), PUT_RUM_EVENTS, monitor.arn, context,
                                          missing_keys="unknown", principal=principal, kind="resource",
                                          version=doc.version)
        if unconditional is False:
            continue
        if unconditional is None:
            yield Undecided(statement, "whether this Deny names the guest role's session (the principal Cognito-signed "
                                       f"browsers of app monitor {monitor.subject} use) could not be decided")
            continue
        applies = statement_matches(statement, PUT_RUM_EVENTS, monitor.arn, context, missing_keys="unknown",
                                    principal=principal, kind="resource", version=doc.version)
        if applies is True:
            yield Violation(statement, f"this Deny blocks every `{PUT_RUM_EVENTS}` to app monitor {monitor.subject}, "
                                       "Cognito-signed browsers included")
        elif applies is None:
            conditions = "; ".join(f"`{describe_clause(c)}`" for c in statement.conditions)
            negated = [c for c in statement.conditions if c.base_operator.lower().startswith(("not", "stringnot",
                                                                                              "arnnot"))]
            hint = (" (it denies every value except the listed ones)" if negated else "")
            yield Violation(statement.node("Condition"),
                            f"this Deny also blocks Cognito-signed browsers of app monitor {monitor.subject} whenever "
                            f"{conditions} holds{hint}", severity=Severity.WARNING)
