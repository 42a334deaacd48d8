"""RUM-RBP-005."""

from __future__ import annotations

from typing import Iterator

from rumpolicy.engine import NOT_APPLICABLE, Undecided, Violation, rule
from rumpolicy.findings import Severity
from rumpolicy.model import ResourcePolicy
from rumpolicy.chain.grants import (PUT_RUM_EVENTS, covers_action, describe_clause, is_public, only_spoofable,
                                    readable_resource_policy)
from rumpolicy.model.messages import Listed, Said


@rule(id="RUM-RBP-005", name="resource-policy-public-write-unrestricted", severity=Severity.WARNING,
      subject=ResourcePolicy,
      references=("https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch-RUM-resource-policies.html",
                  "https://github.com/aws-observability/aws-rum-web/blob/main/docs/concepts/auth.md"),
      messages={
          "policy-unreadable": "the resource policy {policy} could not be read ({reason}), so public access was not "
                               "checked",
          "public-unconditional": "anyone can send `{action}` to this app monitor: the public statement has no "
                                  "condition",
          "public-spoofable": "the public statement is narrowed only by `{conditions}`, which any sender can set",
      })
def resource_policy_public_write_unrestricted(policy: ResourcePolicy) -> Iterator:
    """The app monitor's resource-based policy lets anyone write events without a narrowing condition.

    ## What it checks
    An `Allow` of `rum:PutRumEvents` for `Principal: "*"` (or `{"AWS": "*"}`) should carry at least
    one condition that narrows who can send: `aws:SourceIp`, `rum:alias`, or any other key the
    sender does not choose freely.

    * **warning** without any condition;
    * **info** when the only conditions are on `aws:referer` or `aws:UserAgent`, which every sender
      sets at will ("a speed bump, not a security control").

    ## Why it matters
    A public Allow is what unsigned clients need, and it lets anyone who learns the monitor's ID
    inject events; you pay for the ingestion and your dashboards show their data.

    ## Fix
    Narrow the public statement, for example to the `alias` your web client sends
    (aws-rum-web 1.20.0 or later):

    ```json
    {"Effect": "Allow", "Principal": "*", "Action": "rum:PutRumEvents",
     "Resource": "arn:aws:rum:us-east-1:123456789012:appmonitor/web",
     "Condition": {"StringEquals": {"rum:alias": "web-prod"}}}
    ```
    """
    doc, reason = readable_resource_policy(policy)
    if doc is None:
        if reason:
            yield Undecided(policy, "policy-unreadable", policy=policy, reason=Said(reason))
        else:
            yield NOT_APPLICABLE
        return
    for statement in doc.allow_statements():
        if not is_public(statement.principal) or not covers_action(statement, PUT_RUM_EVENTS):
            continue
        if not statement.conditions:
            yield Violation(statement.node("Principal"), "public-unconditional", action=PUT_RUM_EVENTS)
        elif only_spoofable(statement):
            # Each clause in backticks: the template opens the first and closes the last.
            conditions = Listed(tuple(Said(describe_clause(c)) for c in statement.conditions), separator="`; `")
            yield Violation(statement.node("Condition"), "public-spoofable", conditions=conditions,
                            severity=Severity.INFO)
