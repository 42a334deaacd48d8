"""RUM-RBP-001."""

from __future__ import annotations

from typing import Iterator

from rumpolicy.engine import NOT_APPLICABLE, Undecided, Violation, rule
from rumpolicy.findings import Severity
from rumpolicy.iam import match_action
from rumpolicy.iam.actions import expand
from rumpolicy.model import ResourcePolicy
from rumpolicy.chain.grants import PUT_RUM_EVENTS, readable_resource_policy, sample, worst_first
from rumpolicy.model.messages import Listed, Said, Value


@rule(id="RUM-RBP-001", name="resource-policy-unsupported-action", severity=Severity.WARNING,
      subject=ResourcePolicy,
      references=("https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch-RUM-resource-policies.html",
                  "https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/rum_resource_policy"),
      messages={
          "policy-unreadable": "the resource policy {policy} could not be read ({reason}), so its actions were not "
                               "checked",
          "not-action": "`NotAction: {values}` grants every other action; resource policies of app monitors "
                        "support only `{action}`",
          "action-unsupported": "action `{value}` is not supported in an app monitor's resource policy, which "
                                "supports only `{action}`",
          "action-covers-more": "action `{value}`, which also covers {covered}, is not supported in an app "
                                "monitor's resource policy, which supports only `{action}`",
      })
def resource_policy_unsupported_action(policy: ResourcePolicy) -> Iterator:
    """The app monitor's resource-based policy names an action other than `rum:PutRumEvents`.

    ## What it checks
    Every `Action` entry of every statement of an app monitor's resource-based policy must match
    `rum:PutRumEvents` and nothing else: `rum:PutRumMetricsDestination`, `rum:*`, `rum:Put*` or `*`
    are reported, and so is `NotAction`.

    ## Why it matters
    RUM documents `rum:PutRumEvents` as the only action its resource-based policies support. Whether
    `PutResourcePolicy` rejects other actions is not documented; at best they are dead text, at
    worst the deploy fails. The Terraform documentation's example (`rum:PutRumMetricsDestination`
    for `{"AWS": "*"}` on `"*"`) is a copy-paste hazard.

    ## Fix
    ```json
    {"Effect": "Allow", "Principal": "*", "Action": "rum:PutRumEvents",
     "Resource": "arn:aws:rum:us-east-1:123456789012:appmonitor/web"}
    ```
    """
    doc, reason = readable_resource_policy(policy)
    if doc is None:
        if reason:
            yield Undecided(policy, "policy-unreadable", policy=policy, reason=Said(reason))
        else:
            yield NOT_APPLICABLE
        return
    for statement in doc.statements:
        if statement.not_actions is not None:
            values = Listed(tuple(Value(policy, n.value) for n in statement.not_actions))
            yield Violation(statement.node("NotAction"), "not-action", values=values, action=PUT_RUM_EVENTS)
            continue
        for node in statement.actions or ():
            if not isinstance(node.value, str):
                continue
            extra = worst_first(a for a in expand(node.value) if a.lower() != PUT_RUM_EVENTS.lower())
            if match_action(node.value, PUT_RUM_EVENTS) and not extra:
                continue
            if extra and match_action(node.value, PUT_RUM_EVENTS):
                yield Violation(node, "action-covers-more", value=Value(policy, node.value),
                                covered=Said(sample(extra)), action=PUT_RUM_EVENTS)
            else:
                yield Violation(node, "action-unsupported", value=Value(policy, node.value), action=PUT_RUM_EVENTS)
