"""RUM-TRUST-002."""

from __future__ import annotations

from typing import Iterator

from rumpolicy.engine import NOT_APPLICABLE, Undecided, Violation, rule
from rumpolicy.findings import Severity
from rumpolicy.model import GuestRole
from rumpolicy.chain.grants import (AUD, cognito_trust_statements, has_glob, required_pools, same_pool,
                                    trust_policy, trust_statement_fix)
from rumpolicy.model.dialect import Dialect, dialect_of
from rumpolicy.model.messages import Listed, SetPath, Value
from rumpolicy.model.policy import ConditionClause, Statement
from rumpolicy.model.symbols import OPAQUE, token

PINNING = ("StringEquals", "StringLike", "StringEqualsIgnoreCase")


@rule(id="RUM-TRUST-002", name="guest-role-trust-missing-aud", severity=Severity.ERROR, subject=GuestRole, fix="safe",
      references=("https://docs.aws.amazon.com/cognito/latest/developerguide/role-trust-and-permissions.html",
                  "https://docs.aws.amazon.com/cognito/latest/developerguide/identity-pools-security-best-practices.html",
                  "https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRoleWithWebIdentity.html"),
      messages={
          "aud-missing": "the trust statement lets identities of any identity pool assume role {role}: it has no "
                         "`StringEquals` condition on `cognito-identity.amazonaws.com:aud`",
          "aud-wildcard": "`cognito-identity.amazonaws.com:aud` is compared with `{operator}` `{value}`, which "
                          "identities of other identity pools also match",
          "aud-undecided": "whether the `cognito-identity.amazonaws.com:aud` condition of role {role} admits "
                           "identity pool {pool} is known only at deploy time",
          "aud-other-pool": "`cognito-identity.amazonaws.com:aud` is `{values}`, not identity pool {pool} whose "
                            "guests assume role {role}",
      })
def guest_role_trust_missing_aud(guest: GuestRole) -> Iterator:
    """The guest role's trust policy does not pin the `aud` of the monitor's identity pool.

    ## What it checks
    Every trust statement that lets `cognito-identity.amazonaws.com` web identities assume the role
    must carry a `StringEquals` (or `ForAnyValue:StringEquals`) condition on
    `cognito-identity.amazonaws.com:aud`, and together the statements must admit the pool of every
    app monitor the role serves and of every pool that attaches it. Three cases, all errors:

    * no `aud` condition at all (or only negated ones): identities of *any* identity pool, in any
      account, can assume the role;
    * `StringLike` with a wildcard (`"*"`, `"us-east-1:*"`): the same exposure;
    * an `aud` that does not include the monitor's pool: the pool's guests are refused.

    Pool ids are compared exactly and case-sensitively; `!Ref RumPool` in the trust policy equals
    `!Ref RumPool` in the monitor, and two different pools of one template are different. Where one
    side is known only at deploy time (a literal id against `!Ref`, an `Fn::ImportValue`), the
    check is reported as not decided.

    ## Why it matters
    Without the `aud` pin, a user of an unintended identity pool can assume the role (STS
    `AssumeRoleWithWebIdentity` documentation), and IAM now refuses to create such trust policies,
    so the deploy fails. With a pin on another pool, STS answers `AccessDenied` to every browser.

    ## Fix
    Pin the monitor's pool exactly:

    ```yaml
    Condition:
      StringEquals:
        cognito-identity.amazonaws.com:aud: !Ref RumPool
      ForAnyValue:StringLike:
        cognito-identity.amazonaws.com:amr: unauthenticated
    ```

    In Terraform, in the `assume_role_policy` of the role:

    ```hcl
    Condition = {
      StringEquals             = { "cognito-identity.amazonaws.com:aud" = aws_cognito_identity_pool.rum.id }
      "ForAnyValue:StringLike" = { "cognito-identity.amazonaws.com:amr" = "unauthenticated" }
    }
    ```
    """
    doc = trust_policy(guest)
    statements = [s for s in cognito_trust_statements(doc)] if doc is not None else []
    if not statements:
        yield NOT_APPLICABLE           # RUM-TRUST-001 reports a missing Cognito trust
        return
    role = guest.role
    fix = trust_statement_fix(guest)
    pinned: list[tuple[Statement, list[ConditionClause]]] = []
    open_statement = False
    for statement in statements:
        if statement.unknown is not None:
            pinned.append((statement, []))
            continue
        clauses = [c for c in statement.conditions_on(AUD) if c.base_operator in PINNING]
        if not clauses:
            open_statement = True
            yield Violation(statement.node("Condition"), "aud-missing", role=role, fix=_pin(guest, statement, fix))
            continue
        for clause in clauses:
            globs = [v for v in clause.values if isinstance(v, str) and clause.base_operator == "StringLike"
                     and has_glob(v)]
            if globs:
                open_statement = True
                yield Violation(clause, "aud-wildcard", operator=clause.operator, value=Value(guest, globs[0]), fix=fix)
        pinned.append((statement, clauses))
    if open_statement:
        return                         # every pool is admitted; the exposure is reported above
    for need in required_pools(guest):
        verdicts = [_admits(statement, clauses, need.pool_id) for statement, clauses in pinned]
        if any(v is True for v in verdicts):
            continue
        if any(v is None for v in verdicts):
            yield Undecided(pinned[0][1][0] if pinned[0][1] else pinned[0][0], "aud-undecided", role=role,
                            pool=need.label)
            continue
        statement, clauses = pinned[0]
        values = Listed(tuple(Value(guest, v) for c in clauses for v in c.values))
        yield Violation(clauses[0], "aud-other-pool", values=values, pool=need.label, role=role, fix=fix)


def _pin(guest: GuestRole, statement: Statement, fix):
    """The fix of a statement without `aud`, with (CloudFormation, Terraform, bare IAM policies) the precise
    edit `rumpolicy fix` applies: `StringEquals` on `aud` equal to the pools the role serves, added to the
    statement's Condition. Safe: it admits exactly the pools that use the role. A bare policy refers to
    nothing: where the input names no pool for it, the pool id is a value not known in the input, and
    `rumpolicy fix` says so."""
    pools = [need.pool_id for need in required_pools(guest)]
    dialect = dialect_of(guest)
    if not pools and guest.role is not None and guest.role.bare:
        pools = [token(OPAQUE, "the id of the identity pool whose guests assume the role")]
    if not pools or dialect not in (Dialect.CLOUDFORMATION, Dialect.TERRAFORM, Dialect.API):
        return fix
    return (fix, SetPath(statement.location, ("Condition", "StringEquals", AUD), pools[0] if len(pools) == 1 else pools))


def _admits(statement: Statement, clauses: list[ConditionClause], pool_id: str) -> bool | None:
    """Do all the statement's `aud` clauses accept this pool id?"""
    if statement.unknown is not None or not clauses:
        return None
    results = []
    for clause in clauses:
        per_value = []
        for value in clause.values:
            if not isinstance(value, str):
                per_value.append(None)
            elif clause.base_operator == "StringLike" and has_glob(value):
                per_value.append(True)         # reported as an exposure above; it does admit the pool
            else:
                per_value.append(same_pool(value, pool_id))
        results.append(True if True in per_value else None if None in per_value else False)
    return False if False in results else None if None in results else True
