"""RUM-POOL-004."""

from __future__ import annotations

from typing import Iterator

from rumpolicy.engine import NOT_APPLICABLE, Undecided, Violation, rule
from rumpolicy.findings import Severity
from rumpolicy.model import IdentityPool
from rumpolicy.chain.flows import monitor_uses_basic_flow
from rumpolicy.model.messages import Listed, Prop
from rumpolicy.model.symbols import has_symbols, is_unknown


@rule(id="RUM-POOL-004", name="basic-flow-with-role-mappings", severity=Severity.WARNING, subject=IdentityPool,
      references=("https://github.com/aws-observability/aws-rum-web/issues/172",),
      messages={
          "mappings-unresolved": "`{mappings}` of {attachment} could not be resolved, so whether the basic flow of "
                                 "app monitor {monitors} is refused was not checked",
          "mappings-with-basic-flow": "role attachment {attachment} has `{mappings}`, but app monitor {monitors} "
                                      "uses the basic flow (`{guest_role}`)",
      })
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
    monitors = Listed(tuple(basic))
    related = tuple(m.guest_role_arn.location for m in basic)
    for attachment in pool.attachments:
        node = attachment.role_mappings
        if node is None:
            continue
        value = node.value
        mappings = Prop(attachment, "RoleMappings")
        if is_unknown(value) or has_symbols(value):
            yield Undecided(node, "mappings-unresolved", mappings=mappings, attachment=attachment, monitors=monitors)
        elif value:
            yield Violation(node, "mappings-with-basic-flow", attachment=attachment, mappings=mappings,
                            monitors=monitors, guest_role=Prop(basic[0], "GuestRoleArn"), related=related)
