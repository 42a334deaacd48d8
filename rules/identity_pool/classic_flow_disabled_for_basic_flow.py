"""RUM-POOL-002."""

from __future__ import annotations

from typing import Iterator

from rumpolicy.engine import NOT_APPLICABLE, Undecided, Violation, rule
from rumpolicy.findings import Severity
from rumpolicy.model import IdentityPool
from rumpolicy.model.arns import shown
from rumpolicy.chain.flows import classic_flow, monitor_uses_basic_flow
from rumpolicy.findings import Location
from rumpolicy.model.dialect import Dialect, dialect_of, property_path
from rumpolicy.model.messages import Listed, Prop, ReplaceNode, Said, SetPath, SetProperties


@rule(id="RUM-POOL-002", name="classic-flow-disabled-for-basic-flow", severity=Severity.ERROR,
      subject=IdentityPool, fix="safe",
      references=("https://github.com/aws-observability/aws-rum-web/blob/main/docs/troubleshooting.md",
                  "https://github.com/aws/aws-cli/issues/7652",
                  "https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/cognito_identity_pool"),
      messages={
          "classic-unset": "identity pool {pool} does not set `{flag}`, and app monitor {monitors} uses the basic flow "
                           "(`{guest_role}`): this works today through undocumented behaviour; set `{flag}: true` "
                           "explicitly",
          "classic-default-off": "identity pool {pool} does not set `{flag}`, so the provider's default `{value}` "
                                 "disables the classic flow, but app monitor {monitors} uses the basic flow "
                                 "(`{guest_role}`)",
          "classic-off": "`{flag}` is `{value}`, but app monitor {monitors} uses the basic flow (`{guest_role}`)",
          "classic-undecided": "`{flag}` is `{value}`, which could not be resolved to true or false, so the basic "
                               "flow of app monitor {monitors} was not checked",
      })
def classic_flow_disabled_for_basic_flow(pool: IdentityPool) -> Iterator:
    """An app monitor uses the basic (classic) flow, but its identity pool does not enable it.

    ## What it checks
    When an app monitor names this pool in `IdentityPoolId` and also sets `GuestRoleArn`, console
    snippets carry `guestRoleArn` and the web client uses the basic flow
    (`GetId` → `GetOpenIdToken` → `sts:AssumeRoleWithWebIdentity`). A web client configuration in
    the input that sets both `identityPoolId` (this pool) and `guestRoleArn` uses it just the same.
    The pool must then set `AllowClassicFlow: true`.

    * `AllowClassicFlow` explicitly `false` → error.
    * `AllowClassicFlow` not set (a CloudFormation pool without the property, AWS CLI output or a
      live pool whose description lacks the field) → info: the setup works today through
      undocumented behaviour. Cognito lets `GetOpenIdToken` through on pools created without the
      flag; only an explicit `false` gives the error below
      ([aws/aws-cli#7652](https://github.com/aws/aws-cli/issues/7652)). AWS's own RUM samples
      (aws-samples `serverless-patterns/cloudwatch-rum-cognito`, `cloudwatch-rum-demo`, the
      aws-rum-web example stack) use the basic flow with the flag unset and are published as
      working. Since no AWS documentation promises this, the finding recommends setting the flag
      explicitly, and the fix attached to it does so. It is info rather than a warning so that a
      working setup passes `--fail-on warning`.
    * Terraform: an `aws_cognito_identity_pool` without `allow_classic_flow` gets the provider's
      default, `false`, which the provider sends explicitly; that counts as explicitly `false`, and
      the finding says it comes from the default. A plan shows the default as a value; rumpolicy
      tells it from a written `false` by the plan's configuration.

    ## Why it matters
    `GetOpenIdToken` fails with `InvalidParameterException: Basic (classic) flow is not enabled,
    please use enhanced flow.`; older clients then call STS with `WebIdentityToken=undefined` and get
    `InvalidIdentityToken`. No telemetry is sent.

    ## Fix
    Either enable the classic flow on the pool explicitly (also when it is unset and works today),

    ```yaml
    RumPool:
      Type: AWS::Cognito::IdentityPool
      Properties:
        AllowUnauthenticatedIdentities: true
        AllowClassicFlow: true
    ```

    In Terraform, set it on the pool (the provider's default is `false`):

    ```hcl
    resource "aws_cognito_identity_pool" "rum" {
      identity_pool_name               = "rum"
      allow_unauthenticated_identities = true
      allow_classic_flow               = true
    }
    ```

    or, better, drop `GuestRoleArn` (`guest_role_arn`) from the monitor so that the client uses the
    enhanced flow (and keep `AllowClassicFlow: false`, see RUM-POOL-003).
    """
    basic = [m for m in pool.monitors if monitor_uses_basic_flow(m)]
    clients = [c for c in pool.web_clients if c.uses_basic_flow]     # `identityPoolId` and `guestRoleArn`
    if not basic and not clients:
        yield NOT_APPLICABLE
        return
    # A web client that makes a monitor use the basic flow is named beside it (or alone, without one).
    monitors = Listed(tuple(basic) + tuple(
        Listed((c.monitor, " (its ", c, " sets `guestRoleArn`)"), separator="") if c.monitor is not None
        else Listed(("of ", c), separator="") for c in clients if c.monitor not in basic or c.monitor is None))
    related = tuple(m.guest_role_arn.location for m in basic) + tuple(c.guest_role_arn.location for c in clients)
    node = pool.allow_classic_flow
    enabled = classic_flow(pool)
    if enabled is True:
        return
    flag = Prop(pool, "AllowClassicFlow")
    guest_role = Prop(basic[0] if basic else clients[0], "GuestRoleArn")     # what makes it the basic flow
    # A fix's comment is text of the fix, not a message: it names the property as the monitor's dialect does.
    fix = SetProperties(pool, {"AllowClassicFlow": True},
                        f"or, better, drop {guest_role.words()} so that the web client uses the enhanced flow")
    # ``shown`` (rumpolicy.model.arns) writes the value as the input spells it: `false`, not `False`.
    value = Said(shown(node.value)) if node is not None else None
    # `rumpolicy fix` (CloudFormation): write `AllowClassicFlow: true` where it is, or into the pool's Properties.
    if dialect_of(pool) in (Dialect.CLOUDFORMATION, Dialect.TERRAFORM):
        where = pool.location
        path = (("Properties", "AllowClassicFlow") if dialect_of(pool) is Dialect.CLOUDFORMATION
                else tuple(property_path(pool, "AllowClassicFlow")))
        precise = (ReplaceNode(node.location, True) if node is not None and not pool.classic_flow_defaulted else
                   SetPath(Location(where.source, where.pointer, where.span), path, True))
        fix = (fix, precise)
    else:
        precise = None
    if node is None:
        # Unset works today (aws/aws-cli#7652), but only by undocumented behaviour: info, with the fix.
        explicit = SetProperties(pool, {"AllowClassicFlow": True},
                                 "set explicitly: the basic flow then no longer depends on undocumented behaviour")
        explicit = (explicit, precise) if precise is not None else explicit
        yield Violation(pool, "classic-unset", pool=pool, flag=flag, monitors=monitors, guest_role=guest_role,
                        severity=Severity.INFO, related=related, fix=explicit)
    elif enabled is False and pool.classic_flow_defaulted:
        yield Violation(pool, "classic-default-off", pool=pool, flag=flag, value=value, monitors=monitors,
                        guest_role=guest_role, related=related, fix=fix)
    elif enabled is False:
        yield Violation(node, "classic-off", flag=flag, value=value, monitors=monitors, guest_role=guest_role,
                        related=related, fix=fix)
    else:
        yield Undecided(node, "classic-undecided", flag=flag, value=value, monitors=monitors)
