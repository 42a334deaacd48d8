"""RUM-TRUST-004."""

from __future__ import annotations

from typing import Iterator

from rumpolicy.engine import NOT_APPLICABLE, Violation, rule
from rumpolicy.findings import Severity
from rumpolicy.model import GuestRole
from rumpolicy.chain.grants import ASSUME_ACTIONS, covers_action, is_wildcard_principal, trust_policy
from rumpolicy.model.messages import Listed


@rule(id="RUM-TRUST-004", name="guest-role-trust-wildcard-principal", severity=Severity.ERROR, subject=GuestRole,
      references=("https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html",
                  "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html"),
      messages={
          "not-principal": "`Allow` with `NotPrincipal` lets every principal but those listed assume guest role {role}",
          "wildcard-principal": "principal `\"*\"` lets anyone assume guest role {role}",
          "wildcard-principal-kinds": "principal `{{\"{kinds}\": \"*\"}}` lets anyone assume guest role {role}",
      })
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
            yield Violation(statement.node("NotPrincipal"), "not-principal", role=guest.role)
            continue
        if is_wildcard_principal(statement.principal):
            principal = statement.principal
            if principal.wildcard:
                yield Violation(statement.node("Principal"), "wildcard-principal", role=guest.role)
            else:
                # `{"AWS": "*"}, {"Federated": "*"}`: the template writes the first and last braces.
                kinds = Listed(tuple(kind for kind, node in principal.entries if node.value == "*"),
                               separator='": "*"}, {"')
                yield Violation(statement.node("Principal"), "wildcard-principal-kinds", kinds=kinds, role=guest.role)
