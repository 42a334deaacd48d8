"""RUM-POOL-002."""

from __future__ import annotations

from typing import Iterator

from rumpolicy.engine import NOT_APPLICABLE, Undecided, Violation, rule
from rumpolicy.findings import Severity
from rumpolicy.model import IdentityPool
from rumpolicy.model.arns import shown
from rumpolicy.model.flows import classic_flow, monitor_uses_basic_flow


@rule(id="RUM-POOL-002", name="classic-flow-disabled-for-basic-flow", severity=Severity.ERROR,
      subject=IdentityPool,
      references=("https://github.com/aws-observability/aws-rum-web/blob/main/docs/troubleshooting.md",
                  "https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/cognito_identity_pool"))
def classic_flow_disabled_for_basic_flow(pool: IdentityPool) -> Iterator:
    """An app monitor uses the basic (classic) flow, but its identity pool does not enable it.

    ## What it checks
    When an app monitor names this pool in `IdentityPoolId` and also sets `GuestRoleArn`, console
    snippets carry `guestRoleArn` and the web client uses the basic flow
    (`GetId` → `GetOpenIdToken` → `sts:AssumeRoleWithWebIdentity`). The pool must then set
    `AllowClassicFlow: true`.

    * `AllowClassicFlow` explicitly `false` → error.
    * `AllowClassicFlow` not set → warning: whether an unset flag lets `GetOpenIdToken` through is
      disputed (requirements Q3: `aws/aws-cli#7652` reports it works, and the aws-rum-web example
      stack relies on it), so the rule neither calls a possibly working setup broken nor stays silent.
    * A provider default (Terraform's `allow_classic_flow` defaults to `false` and is sent
      explicitly) counts as explicitly `false`.

    ## Why it matters
    `GetOpenIdToken` fails with `InvalidParameterException: Basic (classic) flow is not enabled,
    please use enhanced flow.`; older clients then call STS with `WebIdentityToken=undefined` and get
    `InvalidIdentityToken`. No telemetry is sent.

    ## Fix
    Either enable the classic flow on the pool,

    ```yaml
    RumPool:
      Type: AWS::Cognito::IdentityPool
      Properties:
        AllowUnauthenticatedIdentities: true
        AllowClassicFlow: true
    ```

    or, better, drop `GuestRoleArn` from the monitor so that the client uses the enhanced flow
    (and keep `AllowClassicFlow: false`, see RUM-POOL-003).
    """
    basic = [m for m in pool.monitors if monitor_uses_basic_flow(m)]
    if not basic:
        yield NOT_APPLICABLE
        return
    names = ", ".join(m.subject for m in basic)
    related = tuple(m.guest_role_arn.location for m in basic)
    node = pool.allow_classic_flow
    enabled = classic_flow(pool)
    if enabled is True:
        return
    if node is None:
        yield Violation(pool, f"identity pool {pool.subject} does not set `AllowClassicFlow`, but app monitor "
                              f"{names} uses the basic flow (`GuestRoleArn`)",
                        severity=Severity.WARNING, related=related)
    elif enabled is False and pool.classic_flow_defaulted:
        yield Violation(pool, f"identity pool {pool.subject} leaves the classic flow at its default "
                              f"`{shown(node.value)}`, but app monitor {names} uses the basic flow (`GuestRoleArn`)",
                        related=related)
    elif enabled is False:
        yield Violation(node, f"`AllowClassicFlow` is `{shown(node.value)}`, but app monitor {names} uses the "
                              "basic flow (`GuestRoleArn`)", related=related)
    else:
        yield Undecided(node, f"`AllowClassicFlow` is `{shown(node.value)}`, which could not be resolved to true "
                              "or false, so the basic flow of app monitor " + names + " was not checked")
