"""RUM-POOL-001."""

from __future__ import annotations

from typing import Iterator

from rumpolicy.engine import NOT_APPLICABLE, Undecided, Violation, rule
from rumpolicy.findings import Severity
from rumpolicy.model import IdentityPool
from rumpolicy.model.arns import shown
from rumpolicy.model.dialect import prop, property_snippet, render_for
from rumpolicy.model.flows import guests_allowed


@rule(id="RUM-POOL-001", name="pool-denies-guests", severity=Severity.ERROR, subject=IdentityPool,
      references=("https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch-RUM-get-started-authorization.html",))
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
    names = ", ".join(m.subject for m in pool.monitors)
    flag = prop(pool, "AllowUnauthenticatedIdentities")
    fix = property_snippet(pool, {"AllowUnauthenticatedIdentities": True})
    if node is None:
        yield Violation(pool, f"identity pool {pool.subject} does not set `{flag}`, so guests of app monitor "
                              f"{names} cannot get credentials", remediation=fix)
    elif allowed is False:
        yield Violation(node, f"`{flag}` is `{shown(node.value)}`; app monitor {names} needs unauthenticated "
                              "identities", remediation=fix)
    else:
        yield Undecided(node, f"`{flag}` is {render_for(pool, node.value)}, which could not be resolved to true "
                              "or false")
