"""RUM-PERM-005."""

from __future__ import annotations

import fnmatch

from typing import Iterator

from rumpolicy.engine import NOT_APPLICABLE, Undecided, Violation, rule
from rumpolicy.findings import Severity
from rumpolicy.iam.action_sets import ActionSet
from rumpolicy.iam.actions import is_read_only, service_actions
from rumpolicy.model import GuestRole
from rumpolicy.chain.flows import basic_flow_possible
from rumpolicy.chain.grants import (LOG_EVENTS, PUT_RUM_EVENTS, identity_grants, put_statement_fix, sample,
                                    session_policy_services, survives_session_policy, unread_policies,
                                    worst_first)
from rumpolicy.model.dialect import Dialect, dialect_of
from rumpolicy.model.messages import Listed, ReplaceNode, Said, Value
from rumpolicy.model.symbols import has_symbols
from rumpolicy.records import value_type

# How the guests get what the entry grants (the end of the message), by the flows that reach the role.
_FLOWS = {
    "basic": " through the basic flow",                 # a monitor names the role as GuestRoleArn
    "maybe-basic": " if the basic flow reaches this role (nothing in the input disables it)",
    "read-only": "",                                    # basic flow, read-only actions of other services only
    "session-leaves": ", which Cognito's session policy still lets enhanced-flow guests use",
    "session-strips": ", which Cognito's session policy strips only while the classic flow stays disabled",
}
# What the entry grants: one action as written, a sample of the actions it matches, or (an open
# entry through the basic flow) every extra RUM action by name and the other services in words.
_GRANTS = {
    "action": "guests are granted `{entry}`",
    "actions": "`{entry}` grants guests {actions}",
}
_OPEN = {
    "open": "`{entry}` grants guests `{actions}` and every action of the other services",
    "open-except": "`{entry}` grants guests `{actions}` and every action of the other services except `{excluded}`",
    "open-matching": "`{entry}` grants guests `{actions}` and every other action matching `{patterns}`",
    "open-matching-except": "`{entry}` grants guests `{actions}` and every other action matching `{patterns}` "
                            "except `{excluded}`",
}
_BEYOND = " beyond `rum:PutRumEvents`"


@rule(id="RUM-PERM-005", name="guest-role-grants-extra-actions", severity=Severity.ERROR, subject=GuestRole, fix="safe",
      references=("https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AmazonCognitoUnAuthedIdentitiesSessionPolicy.html",
                  "https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AmazonCognitoUnauthenticatedIdentities.html",
                  "https://docs.aws.amazon.com/cognito/latest/developerguide/iam-roles.html"),
      messages={
          **{f"{shape}-{flow}": grants + _BEYOND + note for shape, grants in _GRANTS.items()
             for flow, note in _FLOWS.items()},
          **{f"{shape}-{flow}": grants + _BEYOND + _FLOWS[flow] for shape, grants in _OPEN.items()
             for flow in ("basic", "maybe-basic")},
          "policy-unread": "policy {policy} of role {role} is not in the input or could not be resolved, so which "
                           "actions it grants was not checked",
      })
def guest_role_grants_extra_actions(guest: GuestRole) -> Iterator:
    """The guest role allows actions other than `rum:PutRumEvents`.

    ## What it checks
    Every action an `Allow` statement of the guest role's identity policies grants (patterns such as
    `rum:*`, `s3:*` or `*`, and `NotAction`, are checked against the botocore action catalogue per
    service; for `*` and `NotAction` every RUM action is named and the other services are described by
    pattern, so the catalogue is never enumerated) other than `rum:PutRumEvents`:

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
    basic_flow = "basic" if reach else "maybe-basic"
    fix = put_statement_fix(guest, guest.monitors, comment="the guest role's only statement")
    for grant in identity_grants(guest.role):
        statement = grant.statement
        if not statement.is_allow:
            continue
        # (where, the entry as the message shows it, the action as written or None, what it grants)
        if statement.actions is not None:
            entries = [(node.location, Value(guest, node.value), node.value, ActionSet.matching(node.value))
                       for node in statement.actions if isinstance(node.value, str) and not has_symbols(node.value)]
        elif statement.not_actions is not None:
            excluded = tuple(n.value for n in statement.not_actions if isinstance(n.value, str))
            shown = Listed(("NotAction: ", Listed(tuple(Value(guest, v) for v in excluded))), separator="")
            entries = [(statement.node("NotAction"), shown, None, ActionSet.all_but(excluded))]
        else:
            continue
        for location, entry, written, actions in entries:
            finding = _assess(_granted(actions, basic), basic, basic_flow)
            if finding is None:
                continue
            severity, offending, flow, rest = finding
            if rest is not None:
                # An open set: every RUM action it grants by name, the other services by pattern.
                shape, params = _rest_of(rest)
                params["actions"] = Listed(tuple(offending), separator="`, `")
            elif len(offending) == 1 and written is not None and offending[0].lower() == written.lower():
                shape, params = "action", {}
            else:
                shape, params = "actions", {"actions": Said(sample(offending))}
            yield Violation(grant.at(location), f"{shape}-{flow}", entry=entry, severity=severity,
                            fix=_narrowed(guest, grant, location, written, fix), **params)
    for ref in unread_policies(guest.role):
        yield Undecided(ref.location, "policy-unread", policy=Value(guest, ref.label), role=guest.role)


def _narrowed(guest: GuestRole, grant, location, written: str | None, fix):
    """The fix, with (CloudFormation, Terraform, bare IAM policies) the precise edit `rumpolicy fix` applies
    when the entry is a RUM wildcard that covers `rum:PutRumEvents` (`rum:*`, `rum:Put*`): the entry becomes
    `rum:PutRumEvents`. Safe: the web client calls no other RUM action. Other entries (`*`, `s3:*`, named
    actions) are left to a person: the role may serve more than RUM."""
    if (written is None or grant.external
            or dialect_of(guest) not in (Dialect.CLOUDFORMATION, Dialect.TERRAFORM, Dialect.API)
            or not written.lower().startswith("rum:") or not fnmatch.fnmatchcase(PUT_RUM_EVENTS.lower(), written.lower())
            or written == PUT_RUM_EVENTS):
        return fix
    precise = ReplaceNode(location, PUT_RUM_EVENTS)
    return (fix, precise) if fix is not None else precise


@value_type(slots=False)
class _Granted:
    """What one entry grants, as far as the finding needs to know.

    ``actions`` are listed by name: every RUM action, the actions of the services the entry names,
    and in the enhanced flow those of the services Cognito's session policy can leave usable.
    ``rest`` is the open entry (``*``, ``NotAction``) whose other services' actions the message
    describes without listing them; None when nothing is left undescribed.
    """

    actions: frozenset[str]
    rest: ActionSet | None = None


def _granted(actions: ActionSet, basic: bool) -> _Granted:
    """Ask the catalogue only about the services that decide the finding (one botocore model each)."""
    named = frozenset(a for prefix in ("rum", *actions.named_services()) for a in actions.in_service(prefix))
    named |= _written_as_is(actions)
    if not actions.open:
        return _Granted(named)
    if not basic:
        services = session_policy_services()
        if services is None:
            return _Granted(actions.catalogue())
        # Cognito's session policy strips every other service for enhanced-flow guests.
        return _Granted(named | frozenset(a for prefix in services for a in actions.in_service(prefix)))
    if any(_is_extra_rum(a) for a in named):
        # Extra RUM actions already make it an error; the other services are described, not listed.
        return _Granted(named, actions)
    return _Granted(actions.catalogue() | named)      # the severity depends on which others it holds


def _written_as_is(actions: ActionSet) -> frozenset[str]:
    """An Action entry naming a service the catalogue does not know counts as written; an unknown
    name of a known service grants nothing (RUM-PERM-001 reports that)."""
    if actions.open:
        return frozenset()
    return frozenset(pattern for pattern in actions.include if not service_actions(pattern.partition(":")[0]))


def _rest_of(actions: ActionSet) -> tuple[str, dict[str, object]]:
    """How the message describes the actions of the other services an open entry grants: the shape
    (``open-except``: "every action of the other services except `iam:*`") and its parameters."""
    opening = actions.open_patterns()
    others = [p for p in actions.exclude if not p.lower().startswith("rum:")]
    if any(p.strip("*") == "" for p in opening):
        shape, params = "open", {}
    else:
        shape, params = "open-matching", {"patterns": Listed(opening, separator="`, `")}
    if others:
        shape += "-except"
        params["excluded"] = Listed(tuple(others), separator="`, `")
    return shape, params


def _is_extra_rum(action: str) -> bool:
    return action.lower().startswith("rum:") and action.lower() not in (PUT_RUM_EVENTS.lower(), LOG_EVENTS.lower())


def _assess(granted: _Granted, basic: bool,
            basic_flow: str) -> tuple[Severity, list[str], str, ActionSet | None] | None:
    """(severity, the actions to name, the flow of ``_FLOWS`` the message ends with, the open entry)."""
    actions = granted.actions
    rum = sorted(a for a in actions if _is_extra_rum(a))
    other = sorted(a for a in actions if not a.lower().startswith("rum:"))
    if basic:
        if granted.rest is not None:
            # Every extra RUM action is named (they are what makes it an error), then the rest in words.
            return Severity.ERROR, worst_first(rum) + _writes_first([a for a in other if not is_read_only(a)], other), \
                basic_flow, granted.rest
        writes = rum + [a for a in other if not is_read_only(a)]
        if writes:
            return Severity.ERROR, _writes_first(writes, rum + other), basic_flow, None
        if other:
            return Severity.WARNING, other, "read-only", None
        return None
    live = [a for a in other if survives_session_policy(a) is not False]
    if rum or live:
        flow = "session-leaves" if live else "session-strips"
        return Severity.WARNING, live + _writes_first(rum, rum), flow, None
    return None


def _writes_first(writes: list[str], everything: list[str]) -> list[str]:
    ordered = worst_first(writes)
    shown = set(ordered)
    return ordered + [a for a in everything if a not in shown]
