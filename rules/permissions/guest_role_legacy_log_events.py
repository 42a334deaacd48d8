"""RUM-PERM-008."""

from __future__ import annotations

from typing import Iterator

from rumpolicy.engine import NOT_APPLICABLE, Undecided, Violation, rule
from rumpolicy.findings import Severity
from rumpolicy.model import GuestRole
from rumpolicy.chain.grants import (LOG_EVENTS, PUT_RUM_EVENTS, action_nodes, allowing, identity_grants,
                                    put_statement_fix)
from rumpolicy.model.messages import Value


@rule(id="RUM-PERM-008", name="guest-role-legacy-log-events", severity=Severity.ERROR, subject=GuestRole,
      references=("https://github.com/aws-observability/aws-rum-web/pull/19",),
      messages={
          "legacy-undecided": "role {role} grants `rum:LogEvents`; whether another of its policies grants "
                              "`rum:PutRumEvents` could not be read",
          "legacy-action": "`{action}` is the legacy action; role {role} grants no `rum:PutRumEvents`, which the web "
                           "client calls",
      })
def guest_role_legacy_log_events(guest: GuestRole) -> Iterator:
    """The guest role grants only the legacy `rum:LogEvents`, not `rum:PutRumEvents`.

    ## What it checks
    A guest role whose identity policies allow `rum:LogEvents` (or a pattern such as `rum:Log*`) but
    no statement of which allows `rum:PutRumEvents` on any resource.

    ## Why it matters
    The web client switched from `LogEvents` to the `PutRumEvents` API in 2021; existing monitors had
    to add a statement for the new action. A role with only the old action is refused every event.

    ## Fix
    Replace the action:

    ```yaml
    - Effect: Allow
      Action: rum:PutRumEvents
      Resource: !Sub arn:${AWS::Partition}:rum:${AWS::Region}:${AWS::AccountId}:appmonitor/${Monitor}
    ```
    """
    if guest.role is None:
        yield NOT_APPLICABLE
        return
    legacy = [g for g in allowing(guest.role, LOG_EVENTS) if action_nodes(g.statement, LOG_EVENTS)]
    if not legacy:
        yield NOT_APPLICABLE
        return
    if allowing(guest.role, PUT_RUM_EVENTS):
        return
    unreadable = [g for g in identity_grants(guest.role) if g.statement.unknown is not None]
    if unreadable or any(ref.document is None or ref.document.unknown for ref in guest.role.policies):
        yield Undecided(legacy[0].at(legacy[0].statement.location), "legacy-undecided", role=guest.role)
        return
    fix = put_statement_fix(guest, guest.monitors, comment=f"instead of {LOG_EVENTS}")
    for grant in legacy:
        node = action_nodes(grant.statement, LOG_EVENTS)[0]
        yield Violation(grant.at(node.location), "legacy-action", action=Value(guest, node.value), role=guest.role,
                        fix=fix)
