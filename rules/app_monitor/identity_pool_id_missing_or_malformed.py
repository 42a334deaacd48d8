"""RUM-MON-002."""

from __future__ import annotations

from typing import Iterator

from rumpolicy.aws import POOL_ID
from rumpolicy.chain.coverage import resource_policy_grants
from rumpolicy.engine import NOT_APPLICABLE, Undecided, Violation, rule
from rumpolicy.findings import Severity
from rumpolicy.model import AppMonitor
from rumpolicy.model.arns import split_literal
from rumpolicy.model.messages import Prop, Value
from rumpolicy.model.symbols import PSEUDO, Symbol, has_symbols, is_unknown, parts

MAX_LENGTH = 55      # botocore cognito-identity ``IdentityPoolId``


@rule(id="RUM-MON-002", name="identity-pool-id-missing-or-malformed", severity=Severity.ERROR,
      subject=AppMonitor,
      references=("https://docs.aws.amazon.com/cloudwatchrum/latest/APIReference/API_CreateAppMonitor.html",
                  "https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch-RUM-get-started-authorization.html"),
      messages={
          "grants-undecided": "the app monitor has `{guest_role}` but no `{pool_id}`, and whether its resource-based "
                              "policy authorizes browsers instead could not be decided",
          "pool-id-missing": "app monitor {monitor} sets `{guest_role}` `{role_arn}` but no `{pool_id}`, so the web "
                             "client gets no Cognito credentials",
          "pool-id-unresolved": "`{pool_id}` could not be resolved ({value}), so its format was not checked",
          "pool-id-not-string": "`{pool_id}` `{value}` is not a string",
          "pool-id-empty": "`{pool_id}` `{value}` is empty",
          "pool-id-upper-case": "`{pool_id}` `{value}` has upper-case letters in its GUID; identity pool ids use "
                                "lower-case hex",
          "pool-id-arn": "`{pool_id}` `{value}` is an ARN; `{pool_id}` takes the pool id (`REGION:GUID`)",
          "pool-id-malformed": "`{pool_id}` `{value}` is not an identity pool id of the form `REGION:GUID`",
          "pool-id-undecided": "`{pool_id}` `{value}` is only known at deployment and names no identity pool of "
                               "this input, so its format was not checked",
      })
def identity_pool_id_missing_or_malformed(monitor: AppMonitor) -> Iterator:
    """A Cognito-based app monitor does not declare a well-formed identity pool id.

    ## What it checks
    A monitor is Cognito-based when its `AppMonitorConfiguration` has an `IdentityPoolId` or a
    `GuestRoleArn` (a guest role only means something in Cognito's basic flow). Then:

    * `IdentityPoolId` must be set; `GuestRoleArn` without it is reported at `GuestRoleArn`;
    * a literal `IdentityPoolId` must have the form `REGION:GUID` with a lower-case GUID, at most
      55 characters (`^[a-z]{2,4}(-[a-z]+)+-\\d+:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`);
    * a `!Ref` to an identity pool of the same input is well-formed by construction; any other value
      only known at deployment (a parameter, an import) is reported as not checked (RUM-SRC-001).

    `AppMonitorConfiguration` alone is **not** taken as a sign of Cognito: it also carries sampling
    and telemetry settings for monitors authorized by a resource-based policy or by credentials the
    application vends itself. A monitor with no `IdentityPoolId`, no `GuestRoleArn` and no other
    authorization path is reported by RUM-MON-003 (a warning, since options 3 and 5 are legitimate
    and invisible to the linter), so that one missing fact is not reported twice, and a working
    option-3 setup never gets an error. Likewise a stray `GuestRoleArn` is not reported when the
    monitor is declared external (`Metadata: {rumpolicy: {authorization: external}}`) or its
    resource-based policy allows `rum:PutRumEvents`: the web client ignores `guestRoleArn` without
    `identityPoolId`, so it breaks nothing there.

    ## Why it matters
    The console snippet and the web client get no `identityPoolId`, so the client never obtains
    credentials and sends nothing ("No AWS credentials" in the aws-rum-web troubleshooting guide).
    The RUM API documents that Cognito-based monitors "must include" the pool id.

    ## Fix
    Name the identity pool the guests use:

    ```yaml
    AppMonitorConfiguration:
      IdentityPoolId: !Ref RumPool          # or a literal "eu-west-1:0a1b2c3d-...."
      GuestRoleArn: !GetAtt GuestRole.Arn   # only for the basic flow
    ```
    """
    node = monitor.identity_pool_id
    pool_id, guest_role = Prop(monitor, "IdentityPoolId"), Prop(monitor, "GuestRoleArn")
    if node is None:
        if monitor.guest_role_arn is None:
            yield NOT_APPLICABLE
            return
        if monitor.external_credentials:
            yield NOT_APPLICABLE
            return
        grants = resource_policy_grants(monitor) if monitor.resource_policies else False
        if grants is True:
            yield NOT_APPLICABLE
            return
        if grants is None:
            yield Undecided(monitor.guest_role_arn, "grants-undecided", guest_role=guest_role, pool_id=pool_id)
            return
        yield Violation(monitor.guest_role_arn, "pool-id-missing", monitor=monitor, guest_role=guest_role,
                        role_arn=Value(monitor, monitor.guest_role_arn.value), pool_id=pool_id)
        return
    value = node.value
    if is_unknown(value):
        yield Undecided(node, "pool-id-unresolved", pool_id=pool_id, value=value)
        return
    if not isinstance(value, str):
        yield Violation(node, "pool-id-not-string", pool_id=pool_id, value=Value(monitor, value))
        return
    if not has_symbols(value):
        problem = _literal_problem(value)
        if problem:
            yield Violation(node, problem, pool_id=pool_id, value=value)
        return
    if monitor.identity_pool is not None:
        return          # a reference to a pool of this input: its id is well-formed by construction
    sample = _with_sample_region(value)
    if sample is not None:
        problem = _literal_problem(sample)
        if problem:
            yield Violation(node, problem, pool_id=pool_id, value=Value(monitor, value))
        return
    yield Undecided(node, "pool-id-undecided", pool_id=pool_id, value=Value(monitor, value))


def _literal_problem(value: str) -> str | None:
    """The message id of what is wrong with a literal pool id, None when nothing is."""
    if POOL_ID.match(value) and len(value) <= MAX_LENGTH:
        return None
    if not value:
        return "pool-id-empty"
    fields = value.split(":", 1)
    if len(fields) == 2 and POOL_ID.match(fields[0] + ":" + fields[1].lower()):
        return "pool-id-upper-case"
    if value.startswith("arn:"):
        return "pool-id-arn"
    return "pool-id-malformed"


def _with_sample_region(value: str) -> str | None:
    """``${AWS::Region}:<guid>`` with a literal GUID: check it with a sample region."""
    pieces = parts(value)
    if not pieces or not isinstance(pieces[0], Symbol):
        return None
    if not (pieces[0].kind == PSEUDO and pieces[0].detail == "AWS::Region"):
        return None
    if any(isinstance(p, Symbol) for p in pieces[1:]):
        return None
    rest = split_literal(value, ":", 1)
    return "us-east-1:" + rest[1] if len(rest) == 2 else "us-east-1"
