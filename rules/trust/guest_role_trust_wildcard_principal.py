"""RUM-TRUST-004."""

from __future__ import annotations

from typing import Iterator

from rumpolicy.engine import NOT_APPLICABLE, Violation, rule
from rumpolicy.findings import Severity
from rumpolicy.model import GuestRole
from rumpolicy.model.grants import ASSUME_ACTIONS, covers_action, is_wildcard_principal, trust_policy


@rule(id="RUM-TRUST-004", name="guest-role-trust-wildcard-principal", severity=Severity.ERROR, subject=GuestRole,
      references=("https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html",
                  "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html"))
def guest_role_trust_wildcard_principal(guest: GuestRole) -> Iterator:
    """The guest role's trust policy lets a wildcard principal assume it.

    ## What it checks
    No `Allow` statement of the trust policy of a role that browsers assume may name
    `Principal: "*"`, `{"AWS": "*"}` or `{"Federated": "*"}`, or use `NotPrincipal` (everyone but
    the listed principals), for an action matching `sts:AssumeRole`,
    `sts:AssumeRoleWithWebIdentity` or `sts:AssumeRoleWithSAML` (`sts:AssumeRole*`, `sts:*`, `*`,
    and `NotAction` forms included). Conditions do not lift the finding: a wildcard principal is
    one forgotten condition away from "anyone".

    ## Why it matters
    The guest role's ARN is public by design (it is in every page's snippet). A wildcard principal
    lets any AWS account, or any web identity provider, assume it and use its permissions.

    ## Fix
    Name the Cognito federated principal and pin the pool:

    ```yaml
    - Effect: Allow
      Principal:
        Federated: cognito-identity.amazonaws.com
      Action: sts:AssumeRoleWithWebIdentity
      Condition:
        StringEquals:
          cognito-identity.amazonaws.com:aud: !Ref RumPool
        ForAnyValue:StringLike:
          cognito-identity.amazonaws.com:amr: unauthenticated
    ```
    """
    doc = trust_policy(guest)
    if doc is None:
        yield NOT_APPLICABLE
        return
    for statement in doc.allow_statements():
        if not any(covers_action(statement, action) for action in ASSUME_ACTIONS):
            continue
        if statement.not_principal is not None:
            yield Violation(statement.node("NotPrincipal"),
                            f"`Allow` with `NotPrincipal` lets every principal but those listed assume guest role "
                            f"{guest.role.subject}")
            continue
        if is_wildcard_principal(statement.principal):
            principal = statement.principal
            shown = '"*"' if principal.wildcard else ", ".join(
                f'{{"{kind}": "*"}}' for kind, node in principal.entries if node.value == "*")
            yield Violation(statement.node("Principal"),
                            f"principal `{shown}` lets anyone assume guest role {guest.role.subject}")
