"""RUM-POOL-001."""

from __future__ import annotations

from typing import Iterator

from rumpolicy.engine import NOT_APPLICABLE, Undecided, Violation, rule
from rumpolicy.findings import Severity
from rumpolicy.model import IdentityPool
from rumpolicy.model.arns import shown
from rumpolicy.chain.flows import guests_allowed
from rumpolicy.model.messages import Listed, Prop, Said, SetProperties, Value


@rule(id="RUM-POOL-001", name="pool-denies-guests", severity=Severity.ERROR, subject=IdentityPool,
      references=("https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch-RUM-get-started-authorization.html",),
      messages={
          "guests-unset": "identity pool {pool} does not set `{flag}`, so guests of app monitor {monitors} cannot get "
                          "credentials",
          "guests-denied": "`{flag}` is `{value}`; app monitor {monitors} needs unauthenticated identities",
          "guests-undecided": "`{flag}` is {value}, which could not be resolved to true or false",
      })
def pool_denies_guests(pool: IdentityPool) -> Iterator:
    """The identity pool a RUM app monitor uses does not allow unauthenticated identities.

    ## What it checks
    Every identity pool that an app monitor names in `IdentityPoolId` (or that attaches a guest role
    for one) must set `AllowUnauthenticatedIdentities` to `true`.

    ## Why it matters
    RUM's web client signs in as a guest: it calls `GetId` without logins. A pool without
    unauthenticated identities answers `NotAuthorizedException: Unauthenticated access is not
    supported for this identity pool.` and no browser ever sends telemetry.

    ## Fix
    Set `AllowUnauthenticatedIdentities: true` on the pool, preferably a pool dedicated to RUM
    (see RUM-POOL-006), or switch the monitor to a resource-based policy:

    ```yaml
    RumPool:
      Type: AWS::Cognito::IdentityPool
      Properties:
        AllowUnauthenticatedIdentities: true
    ```

    In Terraform:

    ```hcl
    resource "aws_cognito_identity_pool" "rum" {
      identity_pool_name               = "rum"
      allow_unauthenticated_identities = true
    }
    ```
    """
    if not pool.monitors:
        yield NOT_APPLICABLE
        return
    allowed = guests_allowed(pool)
    node = pool.allow_unauthenticated
    if allowed is True:
        return
    monitors = Listed(tuple(pool.monitors))
    flag = Prop(pool, "AllowUnauthenticatedIdentities")
    fix = SetProperties(pool, {"AllowUnauthenticatedIdentities": True})
    if node is None:
        yield Violation(pool, "guests-unset", pool=pool, flag=flag, monitors=monitors, fix=fix)
    elif allowed is False:
        # ``shown`` (rumpolicy.model.arns) writes the value as the input spells it: `false`, not `False`.
        yield Violation(node, "guests-denied", flag=flag, value=Said(shown(node.value)), monitors=monitors, fix=fix)
    else:
        yield Undecided(node, "guests-undecided", flag=flag, value=Value(pool, node.value))
