"""RUM-POOL-001."""

from __future__ import annotations

from typing import Iterator

from rumpolicy.engine import NOT_APPLICABLE, Undecided, Violation, rule
from rumpolicy.findings import Severity
from rumpolicy.model import IdentityPool
from rumpolicy.model.flows import guests_allowed
from rumpolicy.model.arns import shown
from rumpolicy.model.symbols import render


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
    (see RUM-POOL-006), or switch the monitor to a resource-based policy.
    """
    if not pool.monitors:
        yield NOT_APPLICABLE
        return
    allowed = guests_allowed(pool)
    node = pool.allow_unauthenticated
    if allowed is True:
        return
    names = ", ".join(m.subject for m in pool.monitors)
    if node is None:
        yield Violation(pool, f"identity pool {pool.subject} does not set `AllowUnauthenticatedIdentities`, "
                              f"so guests of app monitor {names} cannot get credentials")
    elif allowed is False:
        yield Violation(node, f"`AllowUnauthenticatedIdentities` is `{shown(node.value)}`; app monitor {names} "
                              "needs unauthenticated identities")
    else:
        yield Undecided(node, f"`AllowUnauthenticatedIdentities` is {render(node.value)}, which could not be "
                              "resolved to true or false")
