"""RUM-PERM-007."""

from __future__ import annotations

from typing import Iterator

from rumpolicy.engine import NOT_APPLICABLE, Violation, rule
from rumpolicy.findings import Severity
from rumpolicy.model import GuestRole
from rumpolicy.chain.grants import PUT_RUM_EVENTS, allowing, browser_blockers, describe_clause, grants_on
from rumpolicy.model.messages import Listed, Said


@rule(id="RUM-PERM-007", name="put-rum-events-conditional-allow", severity=Severity.WARNING, subject=GuestRole,
      references=("https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html",
                  "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html"),
      messages={
          "browser-blocked": "`rum:PutRumEvents` on app monitor {monitor} is allowed only when `{clause}` holds, and "
                             "{why}",
          "conditional": "`rum:PutRumEvents` on app monitor {monitor} is allowed only when `{conditions}`",
      })
def put_rum_events_conditional_allow(guest: GuestRole) -> Iterator:
    """The guest role allows `rum:PutRumEvents` on its app monitor only under conditions.

    ## What it checks
    For every monitor the role serves, the statements that allow `rum:PutRumEvents` on its ARN
    (conditions set aside) are collected. If every one of them carries a `Condition`:

    * **warning** when a condition can never hold for a request from a browser: `aws:SourceVpc`,
      `aws:SourceVpce`, `aws:VpcSourceIp` (browsers are not in your VPC), `aws:CalledVia*`,
      `aws:ViaAWSService: true` (browsers call RUM directly), `aws:MultiFactorAuthPresent: true`
      (guest sessions have no MFA), `aws:PrincipalOrgID`/`aws:PrincipalOrgPaths` (holds only if the
      account is in that organization, which the input does not show). Negated and `...IfExists`
      forms hold when the key is absent and are not counted;
    * **info** otherwise: the message says under which conditions the grant holds.

    ## Why it matters
    A conditional grant that a browser request cannot satisfy is no grant: every event is refused
    with 403, although the policy reads as if it allowed them.

    ## Fix
    Drop the condition from the guest role's statement (narrow public writes with a resource-based
    policy condition such as `aws:SourceIp` or `rum:alias` instead, see RUM-RBP-005):

    ```yaml
    - Effect: Allow
      Action: rum:PutRumEvents
      Resource: !Sub arn:${AWS::Partition}:rum:${AWS::Region}:${AWS::AccountId}:appmonitor/${Monitor}
    ```
    """
    if guest.role is None or not guest.monitors:
        yield NOT_APPLICABLE
        return
    grants = allowing(guest.role, PUT_RUM_EVENTS)
    reported = set()
    for monitor in guest.monitors:
        if monitor.arn is None:
            continue
        granting = [g for g in grants if grants_on(g, PUT_RUM_EVENTS, monitor.arn) is True]
        if not granting or any(not g.statement.conditions for g in granting):
            continue
        for grant in granting:
            where = grant.at(grant.statement.node("Condition"))
            if where in reported:
                continue
            reported.add(where)
            blockers = browser_blockers(grant.statement)
            # The clauses and why a browser cannot satisfy one are worded by ``rumpolicy.chain.grants``.
            if blockers:
                clause, why = blockers[0]
                yield Violation(where, "browser-blocked", monitor=monitor, clause=Said(describe_clause(clause)),
                                why=Said(why))
            else:
                conditions = Listed(tuple(Said(describe_clause(c)) for c in grant.statement.conditions),
                                    separator="`; `")
                yield Violation(where, "conditional", monitor=monitor, conditions=conditions, severity=Severity.INFO)
