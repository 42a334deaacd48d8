"""RUM-XREF-005."""

from __future__ import annotations

from typing import Iterator

from rumpolicy.engine import NOT_APPLICABLE, Undecided, Violation, rule
from rumpolicy.findings import Severity
from rumpolicy.iam.evaluator import Decision
from rumpolicy.model import GuestRole
from rumpolicy.chain.coverage import monitor_coverage
from rumpolicy.chain.grants import put_statement_fix
from rumpolicy.model.messages import Listed, Said, Value


@rule(id="RUM-XREF-005", name="shared-role-misses-monitor", severity=Severity.ERROR, subject=GuestRole,
      references=("https://github.com/aws-observability/aws-rum-web/blob/main/docs/troubleshooting.md",),
      messages={
          "misses-monitor": "role {role} allows `rum:PutRumEvents` on app monitor {covered} but not on app monitor "
                            "{monitor} (`{arn}`), which it also serves",
          "coverage-undecided": "whether role {role} allows `rum:PutRumEvents` on app monitor {monitor} could not be "
                                "decided: {reasons}",
          "coverage-undecided-no-reason": "whether role {role} allows `rum:PutRumEvents` on app monitor {monitor} "
                                          "could not be decided: the evaluation could not be decided",
      })
def shared_role_misses_monitor(guest: GuestRole) -> Iterator:
    """A guest role shared by several app monitors does not allow `rum:PutRumEvents` on one of them.

    ## What it checks
    When one guest role serves several app monitors (a shared identity pool whose `unauthenticated`
    role it is, or several monitors naming it in `GuestRoleArn`), the role must allow
    `rum:PutRumEvents` on every monitor's ARN
    (`arn:<partition>:rum:<region>:<account>:appmonitor/<Name>`). The role's identity policies,
    permissions boundary, the Cognito session policy (for monitors reached only through the
    enhanced flow) and the monitor's resource-based policy are evaluated for the browser's role
    session.

    The rule reports one finding per monitor the role does not cover, when it covers at least one
    other. A role that covers none of its monitors, or serves only one, is reported by RUM-PERM-001
    instead, so that one missing grant is reported once. Monitors whose answer depends on values only
    known at deployment are reported as not checked (RUM-SRC-001).

    ## Why it matters
    Re-using a pool and role for a new monitor is the usual cause of `PutRumEvents` 403s: the role
    still lists only the first monitor. The web client then disables dispatch for the page and the
    new monitor stays empty.

    ## Fix
    List every monitor the role serves:

    ```yaml
    - Effect: Allow
      Action: rum:PutRumEvents
      Resource:
        - !Sub arn:${AWS::Partition}:rum:${AWS::Region}:${AWS::AccountId}:appmonitor/web
        - !Sub arn:${AWS::Partition}:rum:${AWS::Region}:${AWS::AccountId}:appmonitor/admin
    ```

    In Terraform:

    ```hcl
    policy = jsonencode({
      Version = "2012-10-17"
      Statement = [{
        Effect   = "Allow"
        Action   = "rum:PutRumEvents"
        Resource = [aws_rum_app_monitor.web.arn, aws_rum_app_monitor.admin.arn]
      }]
    })
    ```
    """
    if len(guest.monitors) < 2:
        yield NOT_APPLICABLE
        return
    coverage = monitor_coverage(guest)
    covered = [m for m, result in coverage.items() if result.decision is Decision.ALLOW]
    if not covered:
        yield NOT_APPLICABLE
        return
    grants = [ref for m in covered for ref in coverage[m].deciding
              if ref.kind == "identity" and ref.statement.index >= 0]
    where = grants[0].statement.node("Resource") if grants else (guest.role or guest)
    names = Listed(tuple(covered))
    missing = [m for m, result in coverage.items() if result.decision is Decision.DENY]
    for monitor, result in coverage.items():
        if result.decision is Decision.UNKNOWN:
            if result.reasons:     # worded by the evaluation (rumpolicy.iam.evaluator, rumpolicy.chain.coverage)
                yield Undecided(where, "coverage-undecided", role=guest, monitor=monitor,
                                reasons=Listed(tuple(Said(reason) for reason in result.reasons), separator="; "))
            else:
                yield Undecided(where, "coverage-undecided-no-reason", role=guest, monitor=monitor)
    fix = put_statement_fix(guest, covered + missing)
    for monitor in missing:
        yield Violation(where, "misses-monitor", role=guest, covered=names, monitor=monitor,
                        arn=Value(guest, monitor.arn), related=tuple(u.via for u in guest.uses if u.monitor is monitor),
                        fix=fix)
