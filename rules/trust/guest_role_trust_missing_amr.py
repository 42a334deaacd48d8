"""RUM-TRUST-003."""

from __future__ import annotations

from dataclasses import replace
from typing import Iterator

from rumpolicy.engine import NOT_APPLICABLE, Undecided, Violation, rule
from rumpolicy.findings import Severity
from rumpolicy.iam import RequestPrincipal, statement_matches
from rumpolicy.model import GuestRole
from rumpolicy.chain.flows import classic_flow
from rumpolicy.chain.grants import (AMR, ASSUME_WEB_IDENTITY, COGNITO, UNAUTHENTICATED, cognito_trust_statements,
                                    describe_clause, trust_policy, trust_statement_fix)
from rumpolicy.model.dialect import Dialect, dialect_of
from rumpolicy.model.messages import ReplaceNode, Said, SetPath
from rumpolicy.model.policy import Statement

SET_OPERATORS = ("ForAnyValue:StringLike", "ForAnyValue:StringEquals")


@rule(id="RUM-TRUST-003", name="guest-role-trust-missing-amr", severity=Severity.WARNING, subject=GuestRole,
      fix="safe",
      references=("https://docs.aws.amazon.com/cognito/latest/developerguide/role-trust-and-permissions.html",
                  "https://docs.aws.amazon.com/cognito/latest/developerguide/identity-pools-security-best-practices.html",
                  "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html"),
      messages={
          "amr-missing": "the trust statement has no condition on `cognito-identity.amazonaws.com:amr`, so "
                         "authenticated identities of the pool can assume guest role {role} too",
          "amr-single-valued": "`{clause}` compares the multivalued `amr` key without `ForAnyValue:`",
          "amr-authenticated-too": "`{clause}` admits authenticated identities as well as guests",
          "amr-no-guests": "`{clause}` admits no unauthenticated identity, so guests cannot assume role {role}",
          "amr-undecided": "whether the `cognito-identity.amazonaws.com:amr` condition of role {role} admits "
                           "guests could not be decided",
      })
def guest_role_trust_missing_amr(guest: GuestRole) -> Iterator:
    """The guest role's trust policy does not limit `amr` to unauthenticated identities.

    ## What it checks
    The trust statements that admit `cognito-identity.amazonaws.com` should carry
    `ForAnyValue:StringLike` (or `ForAnyValue:StringEquals`) on `cognito-identity.amazonaws.com:amr`
    with the value `unauthenticated`. Four cases:

    * **error**: every statement's `amr` condition admits only `authenticated` (or provider
      names), so guests cannot assume the role at all;
    * **warning**: a statement has no `amr` condition, so authenticated identities of the pool
      can assume the guest role too;
    * **warning**: `amr` is compared with a single-valued operator (`StringEquals`, `StringLike`)
      or with `ForAllValues:`; `amr` is multivalued, and `ForAllValues:` is true when the key is
      absent;
    * **info**: the values admit both `authenticated` and `unauthenticated` identities (a role
      shared by both; it works, but is not least privilege).

    Whether a statement admits guests is decided by the IAM evaluator with the request of an
    unauthenticated identity (`amr` = `["unauthenticated"]`).

    ## Why it matters
    Cognito puts `unauthenticated` into the multivalued `amr` claim of guest identities. Matching it
    with a set operator is the documented pattern; anything else either locks the guests out or lets
    signed-in users take the guest role.

    ## Fix
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

    `rumpolicy fix` (CloudFormation, Terraform) adds `ForAnyValue:StringLike` `amr` `unauthenticated`
    to a statement that has no `amr` condition, and writes `unauthenticated` for the value of a
    `ForAnyValue:` `amr` condition that admits no guest; not when a pool of the input may give the role to signed-in
    identities too (attached as `authenticated`, through role mappings, or by the classic flow of a pool
    with login providers). A single-valued operator is left to you.
    """
    doc = trust_policy(guest)
    statements = cognito_trust_statements(doc) if doc is not None else []
    if not statements:
        yield NOT_APPLICABLE
        return
    role = guest.role
    fix = trust_statement_fix(guest)
    refused: list[Statement] = []
    findings = []
    undecided = []
    for statement in statements:
        if statement.unknown is not None:
            undecided.append(statement)
            continue
        clauses = statement.conditions_on(AMR)
        if not clauses:
            findings.append(Violation(statement.node("Condition"), "amr-missing", role=role,
                                      fix=_limit_to_guests(guest, statement, fix)))
            continue
        guests = _admits(statement, role.arn, UNAUTHENTICATED, doc.version)
        if guests is False:
            refused.append(statement)
            continue
        if guests is None:
            undecided.append(statement)
            continue
        plain = [c for c in clauses if c.operator not in SET_OPERATORS and c.set_qualifier != "ForAnyValue"]
        if plain:
            findings.append(Violation(plain[0], "amr-single-valued", clause=Said(describe_clause(plain[0])), fix=fix))
            continue
        if _admits(statement, role.arn, "authenticated", doc.version) is True:
            findings.append(Violation(clauses[0], "amr-authenticated-too", clause=Said(describe_clause(clauses[0])),
                                      severity=Severity.INFO))
    if refused and not findings and not undecided and len(refused) == len(statements):
        clause = refused[0].conditions_on(AMR)[0]
        yield Violation(clause, "amr-no-guests", clause=Said(describe_clause(clause)), role=role,
                        severity=Severity.ERROR, fix=_admit_guests(guest, refused[0], fix))
        return
    yield from findings
    if undecided and not findings and not any(s not in refused and s not in undecided for s in statements):
        yield Undecided(undecided[0], "amr-undecided", role=role)


# The dialects whose inputs `rumpolicy fix` edits (API: bare IAM policies; its other inputs are reported).
_EDITED = (Dialect.CLOUDFORMATION, Dialect.TERRAFORM, Dialect.API)


def _limit_to_guests(guest: GuestRole, statement: Statement, fix):
    """The fix of a statement without `amr`, with (CloudFormation, Terraform, bare IAM policies) the precise
    edit `rumpolicy fix` applies: `ForAnyValue:StringLike` on `amr` equal to `unauthenticated`, added to the
    statement's Condition. Safe: the role is a guest role (a pool attaches it as `unauthenticated`, or a monitor names it), and no pool
    of the input may give it to authenticated identities too (``_maybe_authenticated_role``): the
    identities it keeps out have a role of their own. Otherwise the fix is advice only.

    Only into a `Condition` that is written: a statement without one lacks `aud` too, and RUM-TRUST-002's
    fix creates the `Condition` (two edits that both created it would write the key twice); the next
    pass of `rumpolicy fix` then adds `amr` to it."""
    if (dialect_of(guest) not in _EDITED or _maybe_authenticated_role(guest)
            or "Condition" not in statement.fields):
        return fix
    return (fix, SetPath(statement.location, ("Condition", "ForAnyValue:StringLike", AMR), UNAUTHENTICATED))


def _admit_guests(guest: GuestRole, statement: Statement, fix):
    """The fix of a guest role whose statements admit no guest, with (CloudFormation, Terraform, bare IAM
    policies) the precise edit: the value of the first statement's one `ForAnyValue:` `amr` clause becomes
    `unauthenticated`. Safe on the terms of ``_limit_to_guests``: no guest can assume the role today, and no authenticated
    identity is given it. Other shapes (several clauses, a single-valued operator) are advice only."""
    clauses = statement.conditions_on(AMR)
    if (dialect_of(guest) not in _EDITED or _maybe_authenticated_role(guest)
            or len(clauses) != 1 or clauses[0].operator not in SET_OPERATORS):
        return fix
    return (fix, ReplaceNode(clauses[0].location, UNAUTHENTICATED))


def _maybe_authenticated_role(guest: GuestRole) -> bool:
    """Could a pool of the input give this role to authenticated identities as well: attached as
    `authenticated`, through role mappings, or (the classic flow) to any signed-in identity of the pool?"""
    arn = guest.role.arn if guest.role is not None else None
    pools = list(guest.pools) + [m.identity_pool for m in guest.monitors if m.identity_pool is not None]
    for pool in pools:
        if pool.has_login_providers and classic_flow(pool) is not False:
            return True
        for attachment in pool.attachments:
            node = attachment.role_arn("authenticated")
            if attachment.role_mappings is not None or attachment.roles_unknown:
                return True
            if node is not None and (not isinstance(node.value, str) or node.value == arn):
                return True
    return False


def _admits(statement: Statement, role_arn: object, kind: str, version: str | None) -> bool | None:
    """Do the statement's `amr` clauses hold for an identity whose `amr` is ``[kind]``?"""
    only_amr = replace(statement, conditions=tuple(statement.conditions_on(AMR)))
    return statement_matches(only_amr, ASSUME_WEB_IDENTITY, role_arn if isinstance(role_arn, str) else "*",
                             {AMR: [kind]}, missing_keys="unknown", principal=RequestPrincipal(federated=COGNITO),
                             kind="resource", version=version)
