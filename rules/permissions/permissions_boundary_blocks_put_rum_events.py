"""RUM-PERM-006."""

from __future__ import annotations

from typing import Iterator

from rumpolicy.engine import NOT_APPLICABLE, Undecided, Violation, rule
from rumpolicy.findings import Severity
from rumpolicy.iam import Decision, PolicySet, evaluate
from rumpolicy.model import GuestRole
from rumpolicy.chain.coverage import BASIC_SESSION, session_principal
from rumpolicy.chain.grants import PUT_RUM_EVENTS
from rumpolicy.model.messages import Listed, Said, Value


@rule(id="RUM-PERM-006", name="permissions-boundary-blocks-put-rum-events", severity=Severity.ERROR,
      subject=GuestRole,
      references=("https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html",
                  "https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html"),
      messages={
          "boundary-missing": "permissions boundary {boundary} of role {role} is not in the input, so whether it "
                              "allows `rum:PutRumEvents` was not checked",
          "boundary-refuses": "permissions boundary {boundary} of role {role} does not allow `rum:PutRumEvents` on "
                              "app monitor {monitors}",
          "boundary-undecided": "whether permissions boundary {boundary} allows `rum:PutRumEvents` on app monitor "
                                "{monitors} could not be decided: {reasons}",
      })
def permissions_boundary_blocks_put_rum_events(guest: GuestRole) -> Iterator:
    """The guest role's permissions boundary does not allow `rum:PutRumEvents` on its app monitor.

    ## What it checks
    When the guest role has a `PermissionsBoundary`, the boundary policy alone is evaluated with the
    IAM evaluator for `rum:PutRumEvents` on the ARN of every monitor the role serves. A boundary that
    does not allow it is an error; a boundary whose document is not in the input (an ARN of a policy
    managed elsewhere) or whose answer depends on deploy-time values is reported as not decided.

    ## Why it matters
    A boundary is an intersection: whatever it does not allow is implicitly denied, however broad
    the role's own policies are. Every browser gets 403.

    ## Fix
    Add the action to the boundary policy (or attach a boundary that allows it):

    ```yaml
    - Effect: Allow
      Action: rum:PutRumEvents
      Resource: !Sub arn:${AWS::Partition}:rum:${AWS::Region}:${AWS::AccountId}:appmonitor/${Monitor}
    ```
    """
    role = guest.role
    if role is None or (role.permissions_boundary is None and role.boundary is None) or not guest.monitors:
        yield NOT_APPLICABLE
        return
    where = role.permissions_boundary or role.boundary
    boundary = role.boundary
    label = Value(role, boundary.arn if boundary is not None and boundary.arn else
                  role.permissions_boundary.value if role.permissions_boundary is not None else "boundary")
    if boundary is None or boundary.document is None:
        yield Undecided(where, "boundary-missing", boundary=label, role=role)
        return
    principal = session_principal(role, BASIC_SESSION)
    refused, open_, reasons = [], [], []
    for monitor in guest.monitors:
        if monitor.arn is None:
            continue
        result = evaluate(PolicySet(identity=[boundary.document]), PUT_RUM_EVENTS, monitor.arn, None,
                          missing_keys="unknown", principal=principal)
        if result.decision is Decision.DENY:
            refused.append(monitor)
        elif result.decision is Decision.UNKNOWN:
            open_.append(monitor)
            reasons.extend(result.reasons)
    if refused:
        yield Violation(where, "boundary-refuses", boundary=label, role=role, monitors=Listed(tuple(refused)))
    if open_:
        # The evaluator's reasons (worded by ``rumpolicy.iam``), each once.
        yield Undecided(where, "boundary-undecided", boundary=label, monitors=Listed(tuple(open_)),
                        reasons=Listed(tuple(Said(r) for r in dict.fromkeys(reasons)), separator="; "))
