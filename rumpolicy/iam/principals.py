"""Who makes the request, and whether a ``Principal``/``NotPrincipal`` names them (RUM-IAM-007).

Only resource-based policies (trust policies, the RUM app-monitor policy) and RCPs name principals;
identity-based policies, boundaries, session policies and SCPs apply to their principal by
attachment. Principal values have no wildcards except the bare ``*``; anything else with ``*`` or
``?`` is a document IAM rejects, so it is unknown here.
"""

from __future__ import annotations


from rumpolicy.iam.globs import elements, match_elements
from rumpolicy.iam.tri import FALSE, TRUE, Outcome, any_of, known, negate, unknown
from rumpolicy.model.arns import ACCOUNT_ID, parse_arn
from rumpolicy.model.policy import Principal, Statement
from rumpolicy.model.symbols import Symbol, parts, render
from rumpolicy.records import value_type


@value_type(slots=False)
class RequestPrincipal:
    """The caller. Fields left None do not apply to it (a web identity has no ``service``).

    ``RequestPrincipal()`` with nothing set is a signed caller about whom nothing else is known.
    """

    arn: str | None = None            # arn:aws:iam::123456789012:role/guest, or the session ARN
    account: str | None = None
    federated: str | None = None      # "cognito-identity.amazonaws.com" for web-identity assumption
    service: str | None = None
    anonymous: bool = False           # unsigned request (RUM resource-policy option)
    role_arn: str | None = None       # for an assumed-role session: the role it came from

    @property
    def account_id(self) -> str | None:
        """The account: given, or read from the ARN (possibly a deploy-time token)."""
        if self.account:
            return self.account
        for candidate in (self.arn, self.role_arn):
            parsed = parse_arn(candidate)
            if parsed is not None and parsed.account:
                return parsed.account
        return None

    @property
    def is_aws_identity(self) -> bool:
        return bool(self.arn or self.role_arn or self.account)

    @property
    def described(self) -> bool:
        """Is anything known about the caller beyond "signed"?"""
        return self.anonymous or self.is_aws_identity or bool(self.federated or self.service)


@value_type
class PrincipalMatch:
    """Whether a statement's principal covers the caller, and whether it names the caller exactly."""

    outcome: Outcome
    exact: bool = False      # surely named by the caller's own ARN (session ARN for a role session)


def match_principal(statement: Statement, principal: RequestPrincipal | None) -> PrincipalMatch:
    """Does the statement's ``Principal`` (or ``NotPrincipal``) cover the caller?"""
    if statement.principal is not None:
        return _match(statement.principal, principal)
    if statement.not_principal is not None:
        return PrincipalMatch(negate(_match(statement.not_principal, principal).outcome))
    return PrincipalMatch(unknown("a resource-based statement needs `Principal` or `NotPrincipal`"))


def _match(element: Principal, principal: RequestPrincipal | None) -> PrincipalMatch:
    if element.wildcard:
        return PrincipalMatch(TRUE)               # everyone, unsigned callers included
    if principal is None:
        return PrincipalMatch(unknown("the request principal is not given"))
    results = [(kind, node.value, _entry(kind, node.value, principal)) for kind, node in element.entries]
    exact = any(kind == "AWS" and principal.arn is not None and outcome.value is True
                and _equal(value, principal.arn) is True for kind, value, outcome in results)
    return PrincipalMatch(any_of(outcome for _, _, outcome in results), exact)


def _entry(kind: str, value: str, principal: RequestPrincipal) -> Outcome:
    if kind == "AWS":
        return _aws(value, principal)
    if kind == "Federated":
        return _field(value, principal.federated, principal, "federated identity provider")
    if kind == "Service":
        return _field(value, principal.service, principal, "service principal")
    if kind == "CanonicalUser":
        return FALSE if principal.described else unknown("the caller's canonical user id is not known")
    return unknown(f"principal type `{kind}` is not understood")


def _aws(value: str, principal: RequestPrincipal) -> Outcome:
    if value == "*":
        if principal.anonymous:
            return unknown('`{"AWS": "*"}` may not cover unsigned requests (requirements Q16); '
                           'use `"Principal": "*"` for anonymous access')
        if principal.is_aws_identity or not principal.described:
            return TRUE
        return unknown('whether `{"AWS": "*"}` covers a web-identity or service caller is not decided')
    if any(isinstance(p, str) and ("*" in p or "?" in p) for p in parts(value)):
        return unknown(f"principal `{render(value)}` has a wildcard; IAM accepts only the bare `*`")
    if not principal.is_aws_identity:
        return FALSE if principal.described else unknown("the request principal's ARN is not given")
    arn = parse_arn(value)
    if arn is not None and arn.service == "iam" and arn.resource == "root":
        return _account(arn.account, principal)
    if arn is not None:
        return any_of(_tri(_equal(value, candidate))
                      for candidate in (principal.arn, principal.role_arn) if candidate is not None)
    if ACCOUNT_ID.match(value):
        return _account(value, principal)
    if all(isinstance(p, Symbol) for p in parts(value)):
        # A deploy-time value (`!Ref AWS::AccountId`, an imported ARN): an account or an ARN.
        return any_of([_account(value, principal),
                       *(_tri(_equal(value, c)) for c in (principal.arn, principal.role_arn) if c is not None)])
    return unknown(f"principal `{render(value)}` is neither an account id nor an ARN")


def _account(account: str, principal: RequestPrincipal) -> Outcome:
    own = principal.account_id
    if own is None:
        return unknown("the request principal's account is not known")
    return _tri(_equal(account, own))


def _field(value: str, given: str | None, principal: RequestPrincipal, what: str) -> Outcome:
    if given is None:
        return FALSE if principal.described else unknown(f"the caller's {what} is not given")
    return _tri(_equal(value, given))


def _equal(a: str, b: str) -> bool | None:
    return match_elements(elements(a, glob=False), elements(b, glob=False))


def _tri(value: bool | None) -> Outcome:
    return unknown("the principal is known only at deploy time") if value is None else known(value)
