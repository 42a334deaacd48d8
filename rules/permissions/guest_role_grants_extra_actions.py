"""RUM-PERM-005."""

from __future__ import annotations

from typing import Iterator

from rumpolicy.engine import NOT_APPLICABLE, Undecided, Violation, rule
from rumpolicy.findings import Severity
from rumpolicy.iam import match_action
from rumpolicy.iam.actions import expand, is_read_only, service_actions
from rumpolicy.model import GuestRole
from rumpolicy.model.dialect import render_for
from rumpolicy.model.flows import basic_flow_possible
from rumpolicy.model.grants import (LOG_EVENTS, PUT_RUM_EVENTS, identity_grants, put_statement_snippet, sample,
                                    survives_session_policy, unread_policies, worst_first)
from rumpolicy.model.symbols import has_symbols


@rule(id="RUM-PERM-005", name="guest-role-grants-extra-actions", severity=Severity.ERROR, subject=GuestRole,
      references=("https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AmazonCognitoUnAuthedIdentitiesSessionPolicy.html",
                  "https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AmazonCognitoUnauthenticatedIdentities.html",
                  "https://docs.aws.amazon.com/cognito/latest/developerguide/iam-roles.html"))
def guest_role_grants_extra_actions(guest: GuestRole) -> Iterator:
    """The guest role allows actions other than `rum:PutRumEvents`.

    ## What it checks
    Every action an `Allow` statement of the guest role's identity policies grants (patterns such as
    `rum:*`, `s3:*` or `*`, and `NotAction`, are expanded against the botocore action catalogue)
    other than `rum:PutRumEvents`:

    * another `rum:` action (`rum:PutResourcePolicy`, `rum:UpdateAppMonitor`,
      `rum:GetAppMonitorData` ...): **error** when the basic flow can reach the role (a monitor names
      it as `GuestRoleArn`, or a pool attaching it allows or leaves unset the classic flow, or the
      pools are not in the input), **warning** when only the enhanced flow can (Cognito's
      scope-down session policy strips them, until someone enables the classic flow);
    * a non-RUM action: **warning**, and **error** when the basic flow can reach the role and the
      action is not read-only (by its name: `Get`, `List`, `Describe` ...). In the enhanced flow only,
      Cognito's session policy `AmazonCognitoUnAuthedIdentitiesSessionPolicy` removes most actions;
      only those it leaves usable (`polly:*`, `translate:*`, `kms:Decrypt`, several `geo:*` ...) are
      reported, and the message says so.

    The legacy `rum:LogEvents` is left to RUM-PERM-008. An action of a service the catalogue does not
    know is reported as written.

    ## Why it matters
    Guest credentials are handed to every visitor of the page. With `rum:*` through the basic flow,
    anyone can make the monitor public (`rum:PutResourcePolicy`), change or delete it, or read other
    visitors' sessions (`rum:GetAppMonitorData`); any other write action is as public.

    ## Fix
    Give the guest role exactly one statement:

    ```yaml
    - Effect: Allow
      Action: rum:PutRumEvents
      Resource: !Sub arn:${AWS::Partition}:rum:${AWS::Region}:${AWS::AccountId}:appmonitor/${Monitor}
    ```

    In Terraform, the role's only policy:

    ```hcl
    resource "aws_iam_role_policy" "put_rum_events" {
      name = "put-rum-events"
      role = aws_iam_role.guest.id
      policy = jsonencode({
        Version = "2012-10-17"
        Statement = [{
          Effect   = "Allow"
          Action   = "rum:PutRumEvents"          # not "rum:*" or "*"
          Resource = aws_rum_app_monitor.web.arn
        }]
      })
    }
    ```
    """
    if guest.role is None:
        yield NOT_APPLICABLE
        return
    reach = basic_flow_possible(guest)
    basic = reach is not False
    # Say how sure we are that the basic flow reaches the role: a monitor names it, or nothing rules it out.
    basic_note = " through the basic flow" if reach else " if the basic flow reaches this role (nothing in the input disables it)"
    fix = put_statement_snippet(guest, guest.monitors, comment="the guest role's only statement")
    for grant in identity_grants(guest.role):
        statement = grant.statement
        if not statement.is_allow:
            continue
        if statement.actions is not None:
            entries = [(node.location, render_for(guest, node.value), _granted(node.value))
                       for node in statement.actions if isinstance(node.value, str) and not has_symbols(node.value)]
        elif statement.not_actions is not None:
            excluded = [n.value for n in statement.not_actions if isinstance(n.value, str)]
            granted = frozenset(a for a in expand("*") if not any(match_action(p, a) for p in excluded))
            entries = [(statement.node("NotAction"), "NotAction: " + ", ".join(render_for(guest, v) for v in excluded),
                        granted)]
        else:
            continue
        for location, shown, actions in entries:
            finding = _assess(actions, basic, basic_note)
            if finding is None:
                continue
            severity, offending, note = finding
            if len(offending) == 1 and offending[0].lower() == shown.lower():
                message = f"guests are granted `{shown}` beyond `{PUT_RUM_EVENTS}`{note}"
            else:
                message = f"`{shown}` grants guests {sample(offending)} beyond `{PUT_RUM_EVENTS}`{note}"
            yield Violation(grant.at(location), message, severity=severity, remediation=fix)
    for ref in unread_policies(guest.role):
        yield Undecided(ref.location, f"policy {render_for(guest, ref.label)} of role {guest.role.subject} is not in "
                                      "the input or could not be resolved, so which actions it grants was not checked")


def _granted(pattern: str) -> frozenset[str]:
    """What an Action entry grants; an unknown service's action as written, an unknown RUM name as nothing."""
    actions = expand(pattern)
    if actions:
        return actions
    prefix, colon, _ = pattern.partition(":")
    if not colon or "*" in prefix or "?" in prefix or service_actions(prefix):
        return frozenset()            # a misspelt action of a known service grants nothing (RUM-PERM-001)
    return frozenset({pattern})


def _assess(actions: frozenset[str], basic: bool, basic_note: str) -> tuple[Severity, list[str], str] | None:
    rum = sorted(a for a in actions if a.lower().startswith("rum:")
                 and a.lower() not in (PUT_RUM_EVENTS.lower(), LOG_EVENTS.lower()))
    other = sorted(a for a in actions if not a.lower().startswith("rum:"))
    if basic:
        writes = [a for a in rum + other if a in rum or not is_read_only(a)]
        if writes:
            return Severity.ERROR, _writes_first(writes, rum + other), basic_note
        if other:
            return Severity.WARNING, other, ""
        return None
    live = [a for a in other if survives_session_policy(a) is not False]
    if rum or live:
        note = (", which Cognito's session policy still lets enhanced-flow guests use" if live else
                ", which Cognito's session policy strips only while the classic flow stays disabled")
        return Severity.WARNING, live + _writes_first(rum, rum), note
    return None


def _writes_first(writes: list[str], everything: list[str]) -> list[str]:
    ordered = worst_first(writes)
    return ordered + [a for a in everything if a not in ordered]
