"""RUM-TRUST-005."""

from __future__ import annotations

from typing import Iterator

from rumpolicy.engine import NOT_APPLICABLE, Undecided, Violation, rule
from rumpolicy.findings import Severity
from rumpolicy.iam import Decision, PolicySet, RequestPrincipal, evaluate
from rumpolicy.model import GuestRole
from rumpolicy.model.messages import Said
from rumpolicy.chain.grants import AMR, ASSUME_WEB_IDENTITY, AUD, COGNITO, UNAUTHENTICATED, required_pools, trust_policy


@rule(id="RUM-TRUST-005", name="guest-role-trust-denies-cognito", severity=Severity.ERROR, subject=GuestRole,
      references=("https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html",),
      messages={
          "deny": "trust statement #{index} denies `sts:AssumeRoleWithWebIdentity` to Cognito guests of role {role}",
          "deny-undecided": "whether trust statement #{index} denies Cognito guests of role {role} could not be "
                            "decided: {reasons}",
      })
def guest_role_trust_denies_cognito(guest: GuestRole) -> Iterator:
    """A `Deny` in the guest role's trust policy blocks Cognito guests.

    ## What it checks
    The trust policy is evaluated with the IAM evaluator for the request a guest makes: principal
    `Federated: cognito-identity.amazonaws.com`, action `sts:AssumeRoleWithWebIdentity`, context
    `cognito-identity.amazonaws.com:aud` = the pool's id and `cognito-identity.amazonaws.com:amr` =
    `["unauthenticated"]`. A `Deny` that surely applies (including `NotAction`, `NotPrincipal` and
    `NotResource` forms) is an error; one whose conditions depend on what the input does not say
    is reported as not decided.

    ## Why it matters
    An explicit deny wins over every allow: guests never get credentials, whatever the Allow says.

    ## Fix
    Remove the `Deny`, or narrow it so that it does not match `sts:AssumeRoleWithWebIdentity` by
    `cognito-identity.amazonaws.com`. For example, `{"Effect": "Deny", "Principal": "*",
    "NotAction": "sts:AssumeRole"}` also denies `sts:AssumeRoleWithWebIdentity`; list that action
    too, or drop the statement.
    """
    doc = trust_policy(guest)
    if doc is None or not any(s.effect == "Deny" for s in doc.statements):
        yield NOT_APPLICABLE
        return
    role = guest.role
    resource = role.arn if isinstance(role.arn, str) else f"arn:aws:iam::000000000000:role/{role.subject}"
    pools = [need.pool_id for need in required_pools(guest)] or [None]
    reported: set[int] = set()
    undecided: set[int] = set()
    for pool_id in pools:
        context = {AMR: [UNAUTHENTICATED]}
        if pool_id is not None:
            context[AUD] = pool_id
        result = evaluate(PolicySet(resource=[doc]), ASSUME_WEB_IDENTITY, resource, context,
                          missing_keys="unknown", principal=RequestPrincipal(federated=COGNITO))
        # Statements whose Effect is misspelt are RUM-SRC-000's; only real Deny statements are judged here.
        denies = [ref.statement for ref in result.deciding if ref.statement.effect == "Deny"]
        if result.decision is Decision.DENY:
            for statement in denies:
                if statement.index not in reported:
                    reported.add(statement.index)
                    yield Violation(statement, "deny", index=statement.index, role=role)
        elif result.decision is Decision.UNKNOWN:
            for statement in denies:
                if statement.index in reported or statement.index in undecided or statement.index < 0:
                    continue
                undecided.add(statement.index)
                reasons = "; ".join(r for r in result.reasons if "may deny" in r) or "; ".join(result.reasons)
                yield Undecided(statement, "deny-undecided", index=statement.index, role=role, reasons=Said(reasons))
