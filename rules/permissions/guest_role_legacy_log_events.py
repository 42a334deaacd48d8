"""RUM-PERM-008."""

from __future__ import annotations

from typing import Iterator

from rumpolicy.engine import NOT_APPLICABLE, Undecided, Violation, rule
from rumpolicy.findings import Severity
from rumpolicy.model import GuestRole
from rumpolicy.model.dialect import render_for
from rumpolicy.model.grants import (LOG_EVENTS, PUT_RUM_EVENTS, action_nodes, allowing, identity_grants,
                                    put_statement_snippet)


@rule(id="RUM-PERM-008", name="guest-role-legacy-log-events", severity=Severity.ERROR, subject=GuestRole,
      references=("https://github.com/aws-observability/aws-rum-web/pull/19",))
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
        yield Undecided(legacy[0].at(legacy[0].statement.location),
                        f"role {guest.role.subject} grants `{LOG_EVENTS}`; whether another of its policies grants "
                        f"`{PUT_RUM_EVENTS}` could not be read")
        return
    fix = put_statement_snippet(guest, guest.monitors, comment=f"instead of {LOG_EVENTS}")
    for grant in legacy:
        node = action_nodes(grant.statement, LOG_EVENTS)[0]
        yield Violation(grant.at(node.location),
                        f"`{render_for(guest, node.value)}` is the legacy action; role {guest.role.subject} grants no "
                        f"`{PUT_RUM_EVENTS}`, which the web client calls", remediation=fix)
