"""RUM-PERM-002."""

from __future__ import annotations

from typing import Iterator

from rumpolicy.engine import NOT_APPLICABLE, Violation, rule
from rumpolicy.findings import Severity
from rumpolicy.iam import match_resource
from rumpolicy.model import GuestRole
from rumpolicy.model.arns import is_literal
from rumpolicy.chain.coverage import allowed, monitor_coverage
from rumpolicy.chain.grants import PUT_RUM_EVENTS, UUID, allowing, appmonitor_name, is_monitor_id, put_statement_fix
from rumpolicy.model.messages import Value


@rule(id="RUM-PERM-002", name="put-rum-events-arn-not-monitor-name", severity=Severity.ERROR, subject=GuestRole,
      references=("https://docs.aws.amazon.com/service-authorization/latest/reference/list_awscloudwatchrum.html",
                  "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html"),
      messages={
          "monitor-id": "`{arn}` names app monitor {monitor} by its ID; IAM authorizes `rum:PutRumEvents` on the ARN "
                        "with its name `{name}`",
          "name-case": "`{arn}` spells the app monitor name `{segment}`, but it is `{name}` and ARNs compare "
                       "case-sensitively",
      })
def put_rum_events_arn_not_monitor_name(guest: GuestRole) -> Iterator:
    """The guest role's `rum:PutRumEvents` ARN names the app monitor by its ID or in the wrong case.

    ## What it checks
    When the role is not allowed `rum:PutRumEvents` on a monitor it serves (see RUM-PERM-001), the
    statements that grant the action are searched for the likely cause: an app-monitor ARN whose
    last segment is the monitor's **ID** (a UUID, or `!GetAtt Monitor.Id`) or its name spelled in a
    different case (`appmonitor/Web` for a monitor named `web`).

    `!GetAtt Monitor.Id` is known only at deploy time, so the evaluator cannot tell that it differs
    from the name; it is an ID, a UUID, and never equals a name that is not UUID-shaped, so this
    rule reports it even while RUM-PERM-001 reports the coverage as not decided.

    ## Why it matters
    IAM authorizes `PutRumEvents` on `arn:<partition>:rum:<region>:<account>:appmonitor/<Name>`
    although the request URL carries the monitor's ID, and ARNs compare case-sensitively. Such a
    statement never matches, and every browser gets 403.

    ## Fix
    Build the ARN from the monitor's name, exactly as written (`!Ref` of an `AWS::RUM::AppMonitor`
    is its name):

    ```yaml
    Resource: !Sub arn:${AWS::Partition}:rum:${AWS::Region}:${AWS::AccountId}:appmonitor/${Monitor}
    ```
    """
    if guest.role is None or not guest.monitors:
        yield NOT_APPLICABLE
        return
    grants = allowing(guest.role, PUT_RUM_EVENTS)
    seen: set = set()
    for monitor, result in monitor_coverage(guest).items():
        if allowed(result) is True or monitor.name is None or not is_literal(monitor.name.value):
            continue
        name = monitor.name.value
        for grant in grants:
            for node in grant.statement.resources or ():
                segment = appmonitor_name(node.value)
                if segment is None or (node.location, monitor.subject) in seen:
                    continue
                arn = Value(guest, node.value)
                if is_monitor_id(segment) and not UUID.match(name):
                    found = Violation(grant.at(node.location), "monitor-id", arn=arn, monitor=monitor, name=name,
                                      fix=put_statement_fix(guest, [monitor]))
                elif allowed(result) is False and is_literal(segment) and match_resource(segment, name) is False \
                        and match_resource(segment.lower(), name.lower()) is True:
                    found = Violation(grant.at(node.location), "name-case", arn=arn, segment=segment, name=name,
                                      fix=put_statement_fix(guest, [monitor]))
                else:
                    continue
                seen.add((node.location, monitor.subject))
                yield found
