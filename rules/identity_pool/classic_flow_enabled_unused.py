"""RUM-POOL-003."""

from __future__ import annotations

from typing import Iterator

from rumpolicy.engine import NOT_APPLICABLE, Undecided, Violation, rule
from rumpolicy.findings import Severity
from rumpolicy.model import IdentityPool
from rumpolicy.model.arns import shown
from rumpolicy.chain.flows import classic_flow, monitor_uses_basic_flow
from rumpolicy.model.dialect import Dialect, dialect_of
from rumpolicy.model.messages import Listed, Prop, ReplaceNode, Said, SetProperties


@rule(id="RUM-POOL-003", name="classic-flow-enabled-unused", severity=Severity.WARNING, subject=IdentityPool,
      fix="unsafe",
      references=("https://docs.datadoghq.com/security/default_rules/def-000-k8u",
                  "https://docs.aws.amazon.com/cognito/latest/developerguide/authentication-flow.html"),
      messages={
          "classic-unset": "identity pool {pool} does not set `{flag}`; whether the classic flow is then enabled is "
                           "disputed, so it was not checked (set it to false explicitly)",
          "classic-unused": "`{flag}` is `{value}`, but app monitor {monitors} uses only the enhanced flow (no "
                            "`{guest_role}`)",
          "classic-undecided": "`{flag}` is `{value}`, which could not be resolved to true or false",
      })
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

    `rumpolicy fix --unsafe-fixes` writes `false` where `true` is written. The fix is unsafe: the
    input shows only some of the pool's consumers, and an app monitor outside it, or a web client
    configured with `guestRoleArn` by hand, may use the basic flow, which would then stop working.
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
    flag = Prop(pool, "AllowClassicFlow")
    if node is None:
        yield Undecided(pool, "classic-unset", pool=pool, flag=flag)
    elif enabled is True:
        # ``shown`` (rumpolicy.model.arns) writes the value as the input spells it: `true`, not `True`.
        fix = SetProperties(pool, {"AllowClassicFlow": False})
        if dialect_of(pool) in (Dialect.CLOUDFORMATION, Dialect.TERRAFORM):
            # `rumpolicy fix`: `false` where `true` is written. Unsafe: a monitor outside the input, or a
            # web client written with `guestRoleArn` by hand, may use the pool's basic flow.
            fix = (fix, ReplaceNode(node.location, False))
        yield Violation(node, "classic-unused", flag=flag, value=Said(shown(node.value)),
                        monitors=Listed(tuple(pool.monitors)), guest_role=Prop(pool.monitors[0], "GuestRoleArn"),
                        fix=fix)
    else:
        yield Undecided(node, "classic-undecided", flag=flag, value=Said(shown(node.value)))
