"""RUM-RBP-007."""

from __future__ import annotations

from dataclasses import replace
from typing import Iterator

from rumpolicy.engine import NOT_APPLICABLE, Undecided, Violation, rule
from rumpolicy.findings import Severity
from rumpolicy.iam import statement_matches
from rumpolicy.model import ResourcePolicy
from rumpolicy.chain.grants import (PUT_RUM_EVENTS, describe_clause, readable_resource_policy,
                                    signed_browser_context, signed_browser_principal)
from rumpolicy.model.messages import Listed, Said


@rule(id="RUM-RBP-007", name="resource-policy-deny-blocks-signed", severity=Severity.ERROR, subject=ResourcePolicy,
      references=("https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch-RUM-resource-policies.html",
                  "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html"),
      messages={
          "policy-unreadable": "the resource policy {policy} could not be read ({reason}), so its Deny statements "
                               "were not checked",
          "monitor-unknown": "the app monitor of {policy} is not in the input or has no resolvable name, so whether "
                             "its Deny statements block signed browsers was not checked",
          "principal-undecided": "whether this Deny names the guest role's session (the principal Cognito-signed "
                                 "browsers of app monitor {monitor} use) could not be decided",
          "deny-all": "this Deny blocks every `{action}` to app monitor {monitor}, Cognito-signed browsers included",
          "deny-conditional": "this Deny also blocks Cognito-signed browsers of app monitor {monitor} whenever "
                              "`{conditions}` holds",
          "deny-conditional-negated": "this Deny also blocks Cognito-signed browsers of app monitor {monitor} "
                                      "whenever `{conditions}` holds (it denies every value except the listed ones)",
      })
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
            yield Undecided(policy, "policy-unreadable", policy=policy, reason=Said(reason))
        else:
            yield NOT_APPLICABLE
        return
    if monitor is None or monitor.arn is None:
        yield Undecided(policy, "monitor-unknown", policy=policy)
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
            yield Undecided(statement, "principal-undecided", monitor=monitor)
            continue
        applies = statement_matches(statement, PUT_RUM_EVENTS, monitor.arn, context, missing_keys="unknown",
                                    principal=principal, kind="resource", version=doc.version)
        if applies is True:
            yield Violation(statement, "deny-all", action=PUT_RUM_EVENTS, monitor=monitor)
        elif applies is None:
            # Each clause in backticks: the template opens the first and closes the last.
            conditions = Listed(tuple(Said(describe_clause(c)) for c in statement.conditions), separator="`; `")
            negated = [c for c in statement.conditions if c.base_operator.lower().startswith(("not", "stringnot",
                                                                                              "arnnot"))]
            yield Violation(statement.node("Condition"), "deny-conditional-negated" if negated else "deny-conditional",
                            monitor=monitor, conditions=conditions, severity=Severity.WARNING)
