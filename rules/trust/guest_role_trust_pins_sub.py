"""RUM-TRUST-006."""

from __future__ import annotations

from typing import Iterator

from rumpolicy.engine import NOT_APPLICABLE, Violation, rule
from rumpolicy.findings import Severity
from rumpolicy.model import GuestRole
from rumpolicy.chain.grants import SUB, cognito_trust_statements, describe_clause, trust_policy
from rumpolicy.model.messages import Said

PINNING = ("StringEquals", "StringLike", "StringEqualsIgnoreCase")


@rule(id="RUM-TRUST-006", name="guest-role-trust-pins-sub", severity=Severity.WARNING, subject=GuestRole,
      references=("https://docs.aws.amazon.com/cognito/latest/developerguide/iam-roles.html",),
      messages={
          "sub-pinned": "`{clause}` admits only the listed identities to guest role {role}, not every visitor",
      })
def guest_role_trust_pins_sub(guest: GuestRole) -> Iterator:
    """The guest role's trust policy pins `cognito-identity.amazonaws.com:sub`.

    ## What it checks
    No trust statement that admits `cognito-identity.amazonaws.com` on a role that anonymous
    guests assume may restrict `cognito-identity.amazonaws.com:sub` with a positive string operator
    (`StringEquals`, `StringLike` with anything but `*`).

    ## Why it matters
    Every browser gets its own Cognito identity id. Pinning `sub` ("limit access to specific
    identities") admits only the listed identities and locks every other visitor out.

    ## Fix
    Remove the `sub` condition from the guest role; keep `aud` and `amr`:

    ```yaml
    Condition:
      StringEquals:
        cognito-identity.amazonaws.com:aud: !Ref RumPool
      ForAnyValue:StringLike:
        cognito-identity.amazonaws.com:amr: unauthenticated
    ```
    """
    doc = trust_policy(guest)
    statements = cognito_trust_statements(doc) if doc is not None else []
    if not statements:
        yield NOT_APPLICABLE
        return
    for statement in statements:
        for clause in statement.conditions_on(SUB):
            if clause.base_operator not in PINNING:
                continue
            if clause.base_operator == "StringLike" and all(v == "*" for v in clause.values):
                continue
            yield Violation(clause, "sub-pinned", clause=Said(describe_clause(clause)), role=guest.role)
