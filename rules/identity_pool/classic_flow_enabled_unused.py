"""RUM-POOL-003."""

from __future__ import annotations

from typing import Iterator

from rumpolicy.engine import NOT_APPLICABLE, Undecided, Violation, rule
from rumpolicy.findings import Severity
from rumpolicy.model import IdentityPool
from rumpolicy.model.arns import shown
from rumpolicy.model.dialect import prop, property_snippet
from rumpolicy.model.flows import classic_flow, monitor_uses_basic_flow


@rule(id="RUM-POOL-003", name="classic-flow-enabled-unused", severity=Severity.WARNING, subject=IdentityPool,
      references=("https://docs.datadoghq.com/security/default_rules/def-000-k8u",
                  "https://docs.aws.amazon.com/cognito/latest/developerguide/authentication-flow.html"))
def classic_flow_enabled_unused(pool: IdentityPool) -> Iterator:
    """The identity pool enables the classic flow, but none of its app monitors uses it.

    ## What it checks
    For an identity pool that RUM app monitors use, `AllowClassicFlow: true` is reported when no
    monitor of the pool sets `GuestRoleArn` (so every web client uses the enhanced flow).

    When `AllowClassicFlow` is not set, whether the classic flow is then available is disputed
    (requirements Q3), so the rule reports it as not checked (RUM-SRC-001) instead of passing it:
    set the flag explicitly to get a definite answer. Pools that no app monitor of the input uses
    are not RUM's and are not judged.

    ## Why it matters
    With the classic flow enabled, anyone can take the pool id from your page, get an OpenID token
    with `GetOpenIdToken` and call `sts:AssumeRoleWithWebIdentity` on any role whose trust policy
    accepts the pool, without the scope-down session policy Cognito adds in the enhanced flow.
    Nothing of RUM needs that when the monitors use the enhanced flow.

    ## Fix
    ```yaml
    RumPool:
      Type: AWS::Cognito::IdentityPool
      Properties:
        AllowUnauthenticatedIdentities: true
        AllowClassicFlow: false
    ```

    In Terraform (`false` is also the provider's default when `allow_classic_flow` is not written):

    ```hcl
    resource "aws_cognito_identity_pool" "rum" {
      identity_pool_name               = "rum"
      allow_unauthenticated_identities = true
      allow_classic_flow               = false
    }
    ```
    """
    if not pool.monitors:
        yield NOT_APPLICABLE
        return
    if any(monitor_uses_basic_flow(m) for m in pool.monitors) or any(c.uses_basic_flow for c in pool.web_clients):
        return
    node = pool.allow_classic_flow
    enabled = classic_flow(pool)
    if enabled is False:
        return
    names = ", ".join(m.subject for m in pool.monitors)
    flag = prop(pool, "AllowClassicFlow")
    if node is None:
        yield Undecided(pool, f"identity pool {pool.subject} does not set `{flag}`; whether the classic flow is "
                              "then enabled is disputed, so it was not checked (set it to false explicitly)")
    elif enabled is True:
        yield Violation(node, f"`{flag}` is `{shown(node.value)}`, but app monitor {names} uses only the enhanced "
                              f"flow (no `{prop(pool.monitors[0], 'GuestRoleArn')}`)",
                        remediation=property_snippet(pool, {"AllowClassicFlow": False}))
    else:
        yield Undecided(node, f"`{flag}` is `{shown(node.value)}`, which could not be resolved to true or false")
