"""RUM-PERM-004."""

from __future__ import annotations

from typing import Iterator

from rumpolicy.engine import NOT_APPLICABLE, Undecided, Violation, rule
from rumpolicy.findings import Severity
from rumpolicy.model import GuestRole
from rumpolicy.chain.grants import (PUT_RUM_EVENTS, allowing, has_glob, monitor_arn_reference, put_statement_fix,
                                    unread_policies)
from rumpolicy.model.dialect import Dialect, dialect_of
from rumpolicy.model.messages import Listed, ReplaceNode, Value
from rumpolicy.model.symbols import OPAQUE, token


@rule(id="RUM-PERM-004", name="put-rum-events-wildcard-resource", severity=Severity.WARNING, subject=GuestRole,
      fix="unsafe",
      references=("https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch-RUM-get-started-authorization.html",
                  "https://github.com/aws-observability/aws-rum-web/issues/488"),
      messages={
          "not-resource": "`NotResource: {values}` lets guest credentials call `rum:PutRumEvents` on every other app "
                          "monitor, not only app monitor {monitors}",
          "not-resource-unserved": "`NotResource: {values}` lets guest credentials call `rum:PutRumEvents` on every "
                                   "other app monitor, not only the app monitors it is meant for",
          "wildcard": "`Resource: {value}` lets guest credentials call `rum:PutRumEvents` on every app monitor it "
                      "matches, not only app monitor {monitors}",
          "wildcard-unserved": "`Resource: {value}` lets guest credentials call `rum:PutRumEvents` on every app "
                               "monitor it matches, not only the app monitors it is meant for",
          "wildcard-external": "`Resource: {value}` (from policy {policy}) lets guest credentials call "
                               "`rum:PutRumEvents` on every app monitor it matches, not only app monitor {monitors}",
          "wildcard-external-unserved": "`Resource: {value}` (from policy {policy}) lets guest credentials call "
                                        "`rum:PutRumEvents` on every app monitor it matches, not only the app "
                                        "monitors it is meant for",
          "policy-unread": "policy {policy} of role {role} is not in the input or could not be resolved, so which "
                           "resources it grants was not checked",
      })
def put_rum_events_wildcard_resource(guest: GuestRole) -> Iterator:
    """The guest role may write RUM events to more app monitors than the ones it serves.

    ## What it checks
    Every statement of the guest role's identity policies that allows `rum:PutRumEvents` should list
    the ARNs of the monitors the role serves. A `Resource` with a wildcard (`"*"`,
    `arn:aws:rum:*:*:*`, `arn:aws:rum:<region>:<account>:appmonitor/*`, `appmonitor/web-*`) or a
    `NotResource` is reported, including one that comes from an attached managed policy such as
    `AmazonCognitoUnauthenticatedIdentities` (reported where it is attached).

    ## Why it matters
    Guest credentials are public by design: anyone can obtain them from the page. With a wildcard
    resource, anyone can inject events into every app monitor of the account, not only this one.

    ## Fix
    List the monitor ARNs:

    ```yaml
    - Effect: Allow
      Action: rum:PutRumEvents
      Resource: !Sub arn:${AWS::Partition}:rum:${AWS::Region}:${AWS::AccountId}:appmonitor/${Monitor}
    ```

    In Terraform:

    ```hcl
    policy = jsonencode({
      Version = "2012-10-17"
      Statement = [{
        Effect   = "Allow"
        Action   = "rum:PutRumEvents"
        Resource = aws_rum_app_monitor.web.arn   # not "*" or "arn:aws:rum:*:*:appmonitor/*"
      }]
    })
    ```
    """
    if guest.role is None:
        yield NOT_APPLICABLE
        return
    # Whom the role is for: its monitors, or ("-unserved": no monitor of the input names it) in general.
    served = {"monitors": Listed(tuple(guest.monitors))} if guest.monitors else {}
    unserved = "" if guest.monitors else "-unserved"
    fix = put_statement_fix(guest, guest.monitors)
    seen = set()
    for grant in allowing(guest.role, PUT_RUM_EVENTS):
        statement = grant.statement
        if statement.not_resources is not None:
            where = grant.at(statement.node("NotResource"))
            values = Listed(tuple(Value(guest, n.value) for n in statement.not_resources))
            if where not in seen:
                seen.add(where)
                yield Violation(where, f"not-resource{unserved}", values=values, fix=fix, **served)
            continue
        for node in statement.resources or ():
            if not isinstance(node.value, str) or not has_glob(node.value):
                continue
            where = grant.at(node.location)
            if where in seen:
                continue
            seen.add(where)
            if grant.external:
                yield Violation(where, f"wildcard-external{unserved}", value=Value(guest, node.value),
                                policy=Value(guest, grant.label), fix=fix, **served)
            else:
                yield Violation(where, f"wildcard{unserved}", value=Value(guest, node.value),
                                fix=_listed(guest, statement, node, fix), **served)
    for ref in unread_policies(guest.role):
        yield Undecided(ref.location, "policy-unread", policy=Value(guest, ref.label), role=guest.role)


def _listed(guest: GuestRole, statement, node, fix):
    """The fix, with (CloudFormation, Terraform, bare IAM policies) the precise edit `rumpolicy fix
    --unsafe-fixes` applies: the wildcard becomes the ARNs of the monitors of the input that use the role.
    Unsafe: a monitor outside the input that shares the role would lose access. Only for a statement whose
    actions are all RUM actions. A bare policy refers to nothing: where the input names no monitor for it
    (`--app-monitor`), the ARN is a value not known in the input, and `rumpolicy fix` says so."""
    arns = [monitor_arn_reference(guest, m) for m in guest.monitors if m.arn]
    if not arns and guest.role.bare:
        arns = [token(OPAQUE, "the ARN of the app monitor the role serves")]
    actions = statement.actions or ()
    if (not arns or dialect_of(guest) not in (Dialect.CLOUDFORMATION, Dialect.TERRAFORM, Dialect.API) or not actions
            or not all(isinstance(a.value, str) and a.value.lower().startswith("rum:") for a in actions)):
        return fix
    whole = node.location.pointer == statement.node("Resource").pointer
    if whole or len(arns) == 1:
        precise = ReplaceNode(node.location, arns[0] if len(arns) == 1 else arns)
        return (fix, precise) if fix is not None else precise
    return fix
