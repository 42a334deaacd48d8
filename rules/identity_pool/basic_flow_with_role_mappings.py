"""RUM-POOL-004."""

from __future__ import annotations

from typing import Iterator

from rumpolicy.engine import NOT_APPLICABLE, Undecided, Violation, rule
from rumpolicy.findings import Severity
from rumpolicy.model import IdentityPool
from rumpolicy.model.dialect import prop
from rumpolicy.model.flows import monitor_uses_basic_flow
from rumpolicy.model.symbols import has_symbols, is_unknown


@rule(id="RUM-POOL-004", name="basic-flow-with-role-mappings", severity=Severity.WARNING, subject=IdentityPool,
      references=("https://github.com/aws-observability/aws-rum-web/issues/172",))
def basic_flow_with_role_mappings(pool: IdentityPool) -> Iterator:
    """An app monitor uses the basic flow with an identity pool that has role mappings.

    ## What it checks
    When an app monitor of this pool sets `GuestRoleArn` (basic flow), no role attachment of the
    pool may carry `RoleMappings`.

    ## Why it matters
    Users report Cognito refusing the basic flow with "Basic (classic) flow is not supported with
    RoleMappings, please use enhanced flow." (`aws-observability/aws-rum-web#172`). Exactly when
    Cognito refuses (per provider or for the whole pool, for guests too) is not documented
    (requirements Q9), hence a warning rather than an error.

    ## Fix
    Drop `GuestRoleArn` from the monitor so that the web client uses the enhanced flow, or give RUM
    its own identity pool without role mappings:

    ```yaml
    RumPoolRoles:
      Type: AWS::Cognito::IdentityPoolRoleAttachment
      Properties:
        IdentityPoolId: !Ref RumPool
        Roles:
          unauthenticated: !GetAtt GuestRole.Arn
    ```
    """
    basic = [m for m in pool.monitors if monitor_uses_basic_flow(m)]
    if not basic:
        yield NOT_APPLICABLE
        return
    names = ", ".join(m.subject for m in basic)
    related = tuple(m.guest_role_arn.location for m in basic)
    for attachment in pool.attachments:
        node = attachment.role_mappings
        if node is None:
            continue
        value = node.value
        mappings = prop(attachment, "RoleMappings")
        if is_unknown(value) or has_symbols(value):
            yield Undecided(node, f"`{mappings}` of {attachment.subject} could not be resolved, so whether the "
                                  f"basic flow of app monitor {names} is refused was not checked")
        elif value:
            yield Violation(node, f"role attachment {attachment.subject} has `{mappings}`, but app monitor "
                                  f"{names} uses the basic flow (`{prop(basic[0], 'GuestRoleArn')}`)",
                            related=related)
