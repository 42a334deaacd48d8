"""RUM-PERM-001."""

from __future__ import annotations

from typing import Iterator

from rumpolicy.engine import NOT_APPLICABLE, Undecided, Violation, rule
from rumpolicy.findings import Location, Severity
from rumpolicy.iam import EvaluationResult
from rumpolicy.model import GuestRole
from rumpolicy.chain.coverage import allowed, monitor_coverage
from rumpolicy.chain.grants import PUT_RUM_EVENTS, Grant, allowing, grants_on, put_statement_fix, relocate
from rumpolicy.model.messages import Listed, Said, Value


@rule(id="RUM-PERM-001", name="guest-role-cannot-put-rum-events", severity=Severity.ERROR, subject=GuestRole,
      references=("https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch-RUM-get-started-authorization.html",
                  "https://docs.aws.amazon.com/service-authorization/latest/reference/list_awscloudwatchrum.html",
                  "https://github.com/aws-observability/aws-rum-web/blob/main/docs/troubleshooting.md"),
      messages={
          "refused": "role {role} does not allow `rum:PutRumEvents` on `{arn}` (app monitor {monitor}): {reasons}",
          "refused-all": "role {role} allows `rum:PutRumEvents` on none of its app monitors {monitors}: {reasons}",
          "undecided": "whether role {role} allows `rum:PutRumEvents` on app monitor {monitors} could not be "
                       "decided: {reasons}",
      })
def guest_role_cannot_put_rum_events(guest: GuestRole) -> Iterator:
    """The guest role's effective permissions do not allow `rum:PutRumEvents` on its app monitor.

    ## What it checks
    For every app monitor a guest role serves (as `GuestRoleArn`, as the pool's `unauthenticated`
    role, or as a bare policy given with `--app-monitor`), the IAM evaluator decides whether a
    browser session of the role may call `rum:PutRumEvents` on
    `arn:<partition>:rum:<region>:<account>:appmonitor/<Name>`: inline and attached policies, the
    permissions boundary, the Cognito scope-down session policy (enhanced flow only) and the
    monitor's resource-based policy all take part.

    The rule fires when the role serves one monitor and is not allowed on it, or serves several and
    is allowed on none of them. A role allowed on some but not all of its monitors is RUM-XREF-005.
    Where the answer depends on what the input does not contain (a managed policy from elsewhere, a
    region known only at deploy time, a condition on the request), the check is reported as not
    decided, with the reasons.

    ## Why it matters
    Every signed `PutRumEvents` is refused with 403; the web client then drops its credentials,
    retries once and disables dispatch for the page. Re-using a pool and role from an older monitor
    is the usual cause.

    ## Fix
    Allow the action on the monitor's ARN, built from its **name**:

    ```yaml
    Policies:
      - PolicyName: put-rum-events
        PolicyDocument:
          Version: "2012-10-17"
          Statement:
            - Effect: Allow
              Action: rum:PutRumEvents
              Resource: !Sub arn:${AWS::Partition}:rum:${AWS::Region}:${AWS::AccountId}:appmonitor/${Monitor}
    ```

    In Terraform, refer to the monitor's `arn`:

    ```hcl
    resource "aws_iam_role_policy" "put_rum_events" {
      name = "put-rum-events"
      role = aws_iam_role.guest.id
      policy = jsonencode({
        Version = "2012-10-17"
        Statement = [{
          Effect   = "Allow"
          Action   = "rum:PutRumEvents"
          Resource = aws_rum_app_monitor.web.arn
        }]
      })
    }
    ```
    """
    if guest.role is None or not guest.monitors:
        yield NOT_APPLICABLE
        return
    coverage = monitor_coverage(guest)
    verdicts = {monitor: allowed(result) for monitor, result in coverage.items()}
    if any(v is True for v in verdicts.values()):
        return                              # all covered, or RUM-XREF-005 names the missing ones
    refused = [m for m, v in verdicts.items() if v is False]
    open_ = [m for m, v in verdicts.items() if v is None]
    if open_:
        first = coverage[open_[0]]
        reasons = Listed(tuple(_reasons(coverage[m]) for m in open_), separator="; ")
        yield Undecided(_doubt_location(guest, first), "undecided", role=guest.role, monitors=Listed(tuple(open_)),
                        reasons=reasons)
        return
    if not refused:
        return
    first = coverage[refused[0]]
    fix = put_statement_fix(guest, refused)
    where = _refusal_location(guest, first)
    if len(refused) == 1:
        monitor = refused[0]
        yield Violation(where, "refused", role=guest.role, arn=Value(guest, monitor.arn), monitor=monitor,
                        reasons=_reasons(first), fix=fix)
    else:
        yield Violation(where, "refused-all", role=guest.role, monitors=Listed(tuple(refused)), reasons=_reasons(first),
                        fix=fix)


def _reasons(result: EvaluationResult) -> Listed:
    """The evaluator's reasons (worded by ``rumpolicy.iam``), or that no policy allows it."""
    return Listed(tuple(Said(reason) for reason in result.reasons) or ("no policy allows it",), separator="; ")


def _refusal_location(guest: GuestRole, result: EvaluationResult) -> Location:
    """The Deny that decided, else the statement that comes closest (grants the action elsewhere), else the role."""
    for ref in result.deciding:
        if ref.statement.index >= 0:
            return relocate(guest.role, ref.policy, ref.statement.location)
    grants = allowing(guest.role, PUT_RUM_EVENTS)
    boundary = guest.role.permissions_boundary
    if boundary is not None and any(grants_on(g, PUT_RUM_EVENTS, m.arn) is True
                                    for g in grants for m in guest.monitors if m.arn):
        return boundary.location            # the role's own policies grant it: the boundary takes it away
    if grants:
        grant: Grant = grants[0]
        return grant.at(grant.statement.node("Resource") if grant.statement.resources is not None
                        else grant.statement.node("NotResource"))
    return guest.role.location


def _doubt_location(guest: GuestRole, result: EvaluationResult) -> Location:
    for ref in result.deciding:
        statement = ref.statement
        location = (statement.node("Condition") if statement.conditions else statement.location) \
            if statement.index >= 0 else ref.policy.location
        return relocate(guest.role, ref.policy, location)
    return guest.role.location
