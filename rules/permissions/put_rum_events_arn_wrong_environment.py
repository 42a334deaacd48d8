"""RUM-PERM-003."""

from __future__ import annotations

from typing import Iterator

from rumpolicy.engine import NOT_APPLICABLE, Undecided, Violation, rule
from rumpolicy.findings import Severity
from rumpolicy.iam import match_resource
from rumpolicy.model import GuestRole
from rumpolicy.model.arns import parse_arn
from rumpolicy.chain.coverage import allowed, monitor_coverage
from rumpolicy.chain.grants import PUT_RUM_EVENTS, allowing, put_statement_fix
from rumpolicy.model.messages import Listed, Value
from rumpolicy.model.resources import Resource


@rule(id="RUM-PERM-003", name="put-rum-events-arn-wrong-environment", severity=Severity.ERROR, subject=GuestRole,
      references=("https://docs.aws.amazon.com/service-authorization/latest/reference/list_awscloudwatchrum.html",
                  "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html"),
      messages={
          "wrong-environment": "`{arn}` names {fields}, so it never matches app monitor {monitor}",
          "environment-undecided": "whether `{arn}` is in app monitor {monitor}'s environment is known only at "
                                   "deploy time ({fields})",
      })
def put_rum_events_arn_wrong_environment(guest: GuestRole) -> Iterator:
    """The guest role's `rum:PutRumEvents` ARN names another region, account or partition.

    ## What it checks
    When the role is not allowed `rum:PutRumEvents` on a monitor it serves (or that cannot be
    decided), every granting statement whose app-monitor ARN names this monitor is compared field by
    field with the monitor's environment: partition, region, account. A field that cannot match is
    an error; a literal field against a value known only at deploy time (`${AWS::Region}` of a stack
    without a pinned region) is reported as not decided.

    ## Why it matters
    A statement for `arn:aws:rum:us-east-1:...:appmonitor/web` never applies to the `web` monitor in
    `eu-west-1`: every browser gets 403. Copying a policy between regions or accounts is the usual
    cause.

    ## Fix
    Build the ARN from the stack's own pseudo parameters:

    ```yaml
    Resource: !Sub arn:${AWS::Partition}:rum:${AWS::Region}:${AWS::AccountId}:appmonitor/${Monitor}
    ```

    In Terraform, refer to the monitor's `arn` (`Resource = aws_rum_app_monitor.web.arn`).
    """
    if guest.role is None or not guest.monitors:
        yield NOT_APPLICABLE
        return
    grants = allowing(guest.role, PUT_RUM_EVENTS)
    for monitor, result in monitor_coverage(guest).items():
        verdict = allowed(result)
        if verdict is True or monitor.name is None or not isinstance(monitor.name.value, str):
            continue
        env = monitor.env
        for grant in grants:
            for node in grant.statement.resources or ():
                arn = parse_arn(node.value)
                if arn is None or arn.service != "rum" or arn.resource_type != "appmonitor":
                    continue
                if match_resource(arn.resource_id, monitor.name.value) is not True:
                    continue
                fields = (("partition", arn.partition, env.partition), ("region", arn.region, env.region),
                          ("account", arn.account, env.account))
                wrong = [(f, a, b) for f, a, b in fields if b and match_resource(a, b) is False]
                doubtful = [(f, a, b) for f, a, b in fields if not b or match_resource(a, b) is None]
                if wrong:
                    yield Violation(grant.at(node.location), "wrong-environment", arn=Value(guest, node.value),
                                    fields=_fields(guest, wrong, "instead of"), monitor=monitor,
                                    fix=put_statement_fix(guest, [monitor]))
                elif doubtful and verdict is None:
                    yield Undecided(grant.at(node.location), "environment-undecided", arn=Value(guest, node.value),
                                    monitor=monitor, fields=_fields(guest, doubtful, "against"))


def _fields(guest: Resource, rows: list[tuple[str, str, str]], relation: str) -> Listed:
    """``region `us-east-1` instead of `eu-west-1`, account ...``: each row (field, in the ARN, the
    monitor's) with its values as the input's dialect writes them; an unknown value of the monitor's
    as ``unknown``."""
    return Listed(tuple(Listed((field, " `", Value(guest, written), f"` {relation} `",
                                Value(guest, expected) if expected != "" else "unknown", "`"), separator="")
                        for field, written, expected in rows))
