"""Three-valued IAM policy evaluation: ALLOW, DENY or UNKNOWN, with the statements that decided.

The order follows the IAM evaluation-logic page (RUM-IAM-001):

1. an explicit ``Deny`` that surely applies, in any policy of any kind, decides DENY;
2. every SCP level (the principal's) and every RCP level (the resource's) must allow;
3. same account: the identity-based policies (intersected with the permissions boundary and the
   session policy, when given) **or** a resource-based policy must allow; cross-account: both;
4. nothing allows: DENY, with a reason naming the layer that lacked an Allow.

Whatever could not be decided (a statement the model could not interpret, a condition key the caller
did not supply, a token that only the deploy resolves) keeps the answer UNKNOWN instead of guessing:
an applicable Deny of unknown applicability turns ALLOW into UNKNOWN, never DENY into anything.

Where IAM's own documentation leaves the outcome open, the evaluator computes both readings and says
UNKNOWN only when they differ: a resource-based policy naming the role (not the session ARN) while a
boundary or session policy is present, and a caller whose account is a deploy-time token.
"""

from __future__ import annotations

from enum import Enum
from typing import Any, Iterable, Iterator, Mapping, Sequence, Union

from rumpolicy.iam.conditions import evaluate_conditions
from rumpolicy.iam.context import RequestContext
from rumpolicy.iam.globs import arn_pattern, elements, match_elements
from rumpolicy.iam.principals import PrincipalMatch, RequestPrincipal, match_principal
from rumpolicy.iam.tri import FALSE, TRUE, Outcome, Tri, all_of, any_of, known, negate, unique, unknown
from rumpolicy.iam.variables import VARIABLES_VERSION, expand
from rumpolicy.model.arns import parse_arn
from rumpolicy.model.locator import FixedLocator
from rumpolicy.model.policy import Node, PolicyDocument, Statement, parse_policy
from rumpolicy.model.symbols import render
from rumpolicy.records import value_type

PolicyLike = Union[PolicyDocument, dict, str]

KIND_LABELS = {
    "identity": "identity-based policy",
    "boundary": "permissions boundary",
    "session": "session policy",
    "resource": "resource-based policy",
    "scp": "service control policy",
    "rcp": "resource control policy",
}
_PRINCIPAL_KINDS = ("resource", "rcp")        # the kinds whose statements name principals
_NO_IDENTITY_ALLOW = "no identity-based policy allows it"
_NO_RESOURCE_ALLOW = "no resource-based policy allows it"
_CROSS_ACCOUNT = "cross-account request: "


class Decision(str, Enum):
    ALLOW = "allow"
    DENY = "deny"
    UNKNOWN = "unknown"


@value_type(slots=False)
class PolicySet:
    """Every policy that takes part in one request, by kind."""

    identity: Sequence[PolicyLike] = ()            # identity-based policies of the principal
    boundary: Sequence[PolicyLike] | None = None   # None: no boundary; []: a boundary allowing nothing
    session: Sequence[PolicyLike] | None = None    # session policies (Cognito's scope-down); None: none
    resource: Sequence[PolicyLike] = ()            # trust policy of a role, RUM app-monitor policy
    scps: Sequence[Sequence[PolicyLike]] = ()      # one list per organization level; every level must allow
    rcps: Sequence[Sequence[PolicyLike]] = ()


@value_type(slots=False)
class StatementRef:
    """One statement, the document it belongs to, and the kind of policy that document is."""

    policy: PolicyDocument
    statement: Statement
    kind: str                                      # a key of KIND_LABELS

    def __hash__(self) -> int:
        # The model's statements hold a dict, so the generated field hash would raise.
        return hash((self.kind, self.statement.index, self.statement.sid))

    def describe(self) -> str:
        label = self.policy.name or f"{self.policy.location.source}{self.policy.location.pointer}"
        head = f"{KIND_LABELS.get(self.kind, self.kind)} {label!r}"
        if self.statement.index < 0:
            return head
        sid = self.statement.sid
        return f"{head} statement {sid!r}" if sid else f"{head} statement #{self.statement.index}"


@value_type(slots=False)
class EvaluationResult:
    """The decision of IAM's evaluation logic for one request, with the statements that decided it."""

    decision: Decision
    deciding: tuple[StatementRef, ...]     # the Deny(s) that decided, the Allow(s) that granted, or the doubtful ones
    reasons: tuple[str, ...]               # why UNKNOWN, or which layer lacked an Allow
    unknown_keys: tuple[str, ...]          # context keys whose absence from the context made it UNKNOWN

    def __bool__(self) -> bool:
        raise TypeError("an EvaluationResult has three outcomes; compare .decision with Decision.ALLOW")


def evaluate(policies: PolicySet | Sequence[PolicyLike] | PolicyLike, action: str, resource: str,
             context: Mapping[str, Any] | None = None, *, missing_keys: str = "unknown",
             principal: RequestPrincipal | None = None) -> EvaluationResult:
    """Would IAM allow ``action`` on ``resource``?

    ``policies`` is a PolicySet, or identity-based policies alone (a sequence, or one document).
    ``context`` maps condition keys (case-insensitive) to values; see ``RequestContext`` for
    ``missing_keys``. Never raises on malformed policies: what cannot be read is UNKNOWN.
    """
    request = _Request(action, resource, RequestContext(context, missing_keys), principal)
    policy_set = policies if isinstance(policies, PolicySet) else PolicySet(identity=_sequence(policies))
    layers = _Layers.of(policy_set, anonymous=principal is not None and principal.anonymous)

    denies = [(ref, outcome) for kind, docs in layers.all()
              for ref, outcome, _ in _scan(docs, kind, request, "Deny")]
    sure = tuple(ref for ref, outcome in denies if outcome.value is True)
    if sure:
        return EvaluationResult(Decision.DENY, _distinct(sure),
                                unique(f"explicitly denied by {ref.describe()}" for ref in sure), ())
    allow = _allow(layers, request)
    if allow.value is False:
        return EvaluationResult(Decision.DENY, (), _merge_lacks(allow.reasons), ())
    doubtful_denies = [(ref, outcome) for ref, outcome in denies if outcome.value is None]
    if allow.value is True and not doubtful_denies:
        return EvaluationResult(Decision.ALLOW, _distinct(allow.grants), (), ())
    undecided = [allow] if allow.value is None else []
    if doubtful_denies:
        undecided.append(_Verdict(
            None, doubts=tuple(ref for ref, _ in doubtful_denies),
            reasons=tuple(f"{ref.describe()} may deny it: {reason}"
                          for ref, outcome in doubtful_denies for reason in outcome.reasons),
            missing=tuple(key for _, outcome in doubtful_denies for key in outcome.missing)))
    return EvaluationResult(Decision.UNKNOWN,
                            _distinct(ref for v in undecided for ref in v.doubts),
                            unique(reason for v in undecided for reason in v.reasons),
                            unique(key for v in undecided for key in v.missing))


def statement_matches(statement: Statement, action: str, resource: str,
                      context: Mapping[str, Any] | None = None, *, missing_keys: str = "unknown",
                      principal: RequestPrincipal | None = None, kind: str = "identity",
                      version: str | None = VARIABLES_VERSION) -> Tri:
    """Does this statement apply to the request (whatever its Effect)? None when undecidable.

    ``kind`` says what policy the statement is in (principals count only in resource-based ones and
    RCPs; a resource-based statement without ``Resource`` covers its own resource) and ``version``
    is the document's ``Version`` (policy variables are substituted only for 2012-10-17).
    """
    request = _Request(action, resource, RequestContext(context, missing_keys), principal)
    return _applicability(statement, kind, version, request).outcome.value


@value_type(slots=False)
class _Request:
    """One request as the evaluator asks it: action, resource, context and caller."""

    action: str
    resource: str
    context: RequestContext
    principal: RequestPrincipal | None


@value_type(slots=False)
class _Layers:
    """The parsed documents of a PolicySet; an unsigned request has no principal-side policies."""

    identity: tuple[PolicyDocument, ...]
    boundary: tuple[PolicyDocument, ...] | None
    session: tuple[PolicyDocument, ...] | None
    resource: tuple[PolicyDocument, ...]
    scps: tuple[tuple[PolicyDocument, ...], ...]
    rcps: tuple[tuple[PolicyDocument, ...], ...]
    anonymous: bool

    @classmethod
    def of(cls, policy_set: PolicySet, *, anonymous: bool) -> _Layers:
        def docs(policies: Any) -> tuple[PolicyDocument, ...]:
            return tuple(_document(p) for p in _sequence(policies))

        def optional(policies: Any) -> tuple[PolicyDocument, ...] | None:
            return None if policies is None else docs(policies)

        if anonymous:
            return cls((), None, None, docs(policy_set.resource), (),
                       tuple(docs(level) for level in policy_set.rcps), True)
        return cls(docs(policy_set.identity), optional(policy_set.boundary), optional(policy_set.session),
                   docs(policy_set.resource), tuple(docs(level) for level in policy_set.scps),
                   tuple(docs(level) for level in policy_set.rcps), False)

    def all(self) -> Iterator[tuple[str, tuple[PolicyDocument, ...]]]:
        yield "identity", self.identity
        yield "boundary", self.boundary or ()
        yield "session", self.session or ()
        yield "resource", self.resource
        for level in self.scps:
            yield "scp", level
        for level in self.rcps:
            yield "rcp", level


def _sequence(policies: Any) -> Sequence[Any]:
    """One document (or anything else) given where a list is expected is a list of one."""
    return policies if isinstance(policies, (list, tuple)) else (policies,)


def _document(policy: Any) -> PolicyDocument:
    if isinstance(policy, PolicyDocument):
        return policy
    return parse_policy(policy, "", FixedLocator("<policy>"))


@value_type(slots=False)
class _Verdict:
    """A partial answer (does this layer allow?) with the statements and reasons behind it."""

    value: Tri
    grants: tuple[StatementRef, ...] = ()
    doubts: tuple[StatementRef, ...] = ()
    reasons: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()


_ALLOWED = _Verdict(True)


def _and(verdicts: Iterable[_Verdict]) -> _Verdict:
    verdicts = list(verdicts)
    failed = [v for v in verdicts if v.value is False]
    if failed:
        return _Verdict(False, reasons=unique(r for v in failed for r in v.reasons))
    undecided = [v for v in verdicts if v.value is None]
    if undecided:
        return _undecided(undecided)
    return _Verdict(True, grants=tuple(ref for v in verdicts for ref in v.grants))


def _or(verdicts: Iterable[_Verdict]) -> _Verdict:
    verdicts = list(verdicts)
    granted = [v for v in verdicts if v.value is True]
    if granted:
        return _Verdict(True, grants=tuple(ref for v in granted for ref in v.grants))
    undecided = [v for v in verdicts if v.value is None]
    if undecided:
        return _undecided(undecided)
    return _Verdict(False, reasons=unique(r for v in verdicts for r in v.reasons))


def _undecided(verdicts: list[_Verdict], *, extra_reasons: tuple[str, ...] = (),
               extra_doubts: tuple[StatementRef, ...] = ()) -> _Verdict:
    return _Verdict(None,
                    doubts=extra_doubts + tuple(ref for v in verdicts for ref in v.doubts),
                    reasons=unique(extra_reasons + tuple(r for v in verdicts for r in v.reasons)),
                    missing=unique(k for v in verdicts for k in v.missing))


def _prefixed(verdict: _Verdict, prefix: str) -> _Verdict:
    if verdict.value is not False:
        return verdict
    return _Verdict(False, reasons=tuple(prefix + r for r in verdict.reasons))


@value_type(slots=False)
class _Match:
    """A statement that applies to the request, and how surely."""

    ref: StatementRef
    outcome: Outcome
    exact: bool          # a resource-based grant that names the caller's own ARN


def _allow(layers: _Layers, request: _Request) -> _Verdict:
    org = _and([*(_allowed(level, "scp", request, f"no service control policy at level {i} allows it")
                  for i, level in enumerate(layers.scps, 1)),
                *(_allowed(level, "rcp", request, f"no resource control policy at level {i} allows it")
                  for i, level in enumerate(layers.rcps, 1))])
    if org.value is False:
        return org
    resource_matches = list(_matches(layers.resource, "resource", request))
    resource_any = _verdict(resource_matches, _NO_RESOURCE_ALLOW)
    if layers.anonymous:
        identity_side = _Verdict(False, reasons=("an unsigned request has no identity-based policies",))
        return _and([_or([identity_side, resource_any]), org])
    limits = [_allowed(docs, kind, request, lack) for docs, kind, lack in (
        (layers.boundary, "boundary", "the permissions boundary does not allow it"),
        (layers.session, "session", "the session policy does not allow it")) if docs is not None]
    limit = _and(limits) if limits else _ALLOWED
    identity_side = _and([_allowed(layers.identity, "identity", request, _NO_IDENTITY_ALLOW), limit])

    same = _or([identity_side, resource_any])
    if limits:
        same = _role_or_session(identity_side, resource_matches, resource_any, limit, same)
    cross = _prefixed(_and([identity_side, resource_any]), _CROSS_ACCOUNT)
    same_account = _same_account(request)
    if same_account is True:
        grant = same
    elif same_account is False:
        grant = cross
    elif same.value == cross.value:
        grant = same
    else:
        grant = _undecided([v for v in (same, cross) if v.value is not False],
                           extra_reasons=("whether the caller is in the resource's account is known "
                                          "only at deploy time",),
                           extra_doubts=same.grants)
    return _and([grant, org])


def _role_or_session(identity_side: _Verdict, matches: list[_Match], resource_any: _Verdict,
                     limit: _Verdict, unlimited: _Verdict) -> _Verdict:
    """A resource-based grant with a boundary or session policy present (RUM-IAM-001 nuance).

    A grant naming the session ARN is not limited by the boundary or the session policy ([IAM-EVAL],
    resource-based policies). For a grant naming the role ARN, an account, ``*`` or a provider,
    RUM-IAM-001 asks not to guess (how RUM treats Cognito sessions here is open question Q10), so
    both readings, limited and unlimited, are computed and only their disagreement is UNKNOWN.
    """
    exact = _verdict([m for m in matches if m.exact or m.outcome.value is None], _NO_RESOURCE_ALLOW)
    limited = _or([identity_side, exact, _and([resource_any, limit])])
    if limited.value == unlimited.value:
        return unlimited
    return _undecided(
        [v for v in (limited, unlimited) if v.value is None],
        extra_reasons=("the resource-based policy allows it by naming the role (or an account, `*` or "
                       "a provider) rather than the session ARN; whether the permissions boundary or "
                       "session policy limits such a grant is not decided here",) + limit.reasons,
        extra_doubts=resource_any.grants)


def _same_account(request: _Request) -> Tri:
    """Is the caller in the resource's account? Assumed so when either account is not known."""
    principal = request.principal
    own = principal.account_id if principal is not None else None
    arn = parse_arn(request.resource)
    if own is None or arn is None or not arn.account:
        return True
    return match_elements(elements(own, glob=False), elements(arn.account, glob=False))


def _allowed(docs: Iterable[PolicyDocument], kind: str, request: _Request, lack: str) -> _Verdict:
    return _verdict(list(_matches(docs, kind, request)), lack)


def _matches(docs: Iterable[PolicyDocument], kind: str, request: _Request) -> Iterator[_Match]:
    for ref, outcome, exact in _scan(docs, kind, request, "Allow"):
        yield _Match(ref, outcome, exact)


def _verdict(matches: list[_Match], lack: str) -> _Verdict:
    grants = tuple(m.ref for m in matches if m.outcome.value is True)
    if grants:
        return _Verdict(True, grants=grants)
    doubtful = [m for m in matches if m.outcome.value is None]
    if doubtful:
        return _Verdict(None, doubts=tuple(m.ref for m in doubtful),
                        reasons=tuple(f"{m.ref.describe()} may allow it: {reason}"
                                      for m in doubtful for reason in m.outcome.reasons),
                        missing=unique(key for m in doubtful for key in m.outcome.missing))
    return _Verdict(False, reasons=(lack,))


def _scan(docs: Iterable[PolicyDocument], kind: str, request: _Request,
          effect: str) -> Iterator[tuple[StatementRef, Outcome, bool]]:
    """Statements that may have ``effect``, with whether they apply to the request.

    A statement whose Effect is neither ``Allow`` nor ``Deny`` (IAM would reject its document)
    counts as both, and so does a document that could not be resolved at all.
    """
    for doc in docs:
        if doc.unknown is not None:
            placeholder = Statement(-1, doc.location, {}, unknown=doc.unknown)
            ref = StatementRef(doc, placeholder, kind)
            yield ref, unknown(f"the document could not be read: {doc.unknown}"), False
            continue
        for statement in doc.statements:
            if statement.effect in ("Allow", "Deny") and statement.effect != effect:
                continue
            match = _applicability(statement, kind, doc.version, request)
            yield StatementRef(doc, statement, kind), match.outcome, match.exact


def _applicability(statement: Statement, kind: str, version: str | None, request: _Request) -> PrincipalMatch:
    if statement.unknown is not None:
        return PrincipalMatch(unknown(f"the statement cannot be interpreted: {statement.unknown}"))
    variables = version == VARIABLES_VERSION
    principal = PrincipalMatch(TRUE)

    def principal_check() -> Outcome:
        nonlocal principal
        if kind in _PRINCIPAL_KINDS and (kind == "resource" or statement.principal is not None
                                         or statement.not_principal is not None):
            principal = match_principal(statement, request.principal)
        return principal.outcome

    outcome = all_of(check() for check in (
        lambda: _action_outcome(statement, request),
        lambda: _resource_outcome(statement, kind, request, variables),
        principal_check,
        lambda: evaluate_conditions(statement.conditions, request.context, variables=variables)))
    return PrincipalMatch(outcome, principal.exact and outcome.value is True)


def _action_outcome(statement: Statement, request: _Request) -> Outcome:
    if statement.actions is not None:
        return _any_pattern(statement.actions, request.action, fold=True)
    if statement.not_actions is not None:
        return negate(_any_pattern(statement.not_actions, request.action, fold=True))
    return unknown("the statement has neither `Action` nor `NotAction`")


def _resource_outcome(statement: Statement, kind: str, request: _Request, variables: bool) -> Outcome:
    if statement.resources is not None:
        return any_of(_resource_entry(n, request, variables) for n in statement.resources)
    if statement.not_resources is not None:
        return negate(any_of(_resource_entry(n, request, variables) for n in statement.not_resources))
    if kind == "resource":
        return TRUE                       # a resource-based policy covers the resource it is attached to
    return unknown("the statement has neither `Resource` nor `NotResource`")


def _any_pattern(patterns: tuple[Node, ...], value: str, *, fold: bool) -> Outcome:
    target = elements(value, glob=False, fold=fold)
    return any_of(_undecidable(match_elements(elements(n.value, glob=True, fold=fold), target), n.value, value)
                  for n in patterns)


def _resource_entry(node: Node, request: _Request, variables: bool) -> Outcome:
    expanded = expand(node.value, request.context, variables=variables, glob=True)
    if expanded.missing:
        keys = ", ".join(f"`{k}`" for k in expanded.missing)
        return unknown(f"resource `{render(node.value)}` uses policy variable {keys}, which is not in the context",
                       expanded.missing)
    if expanded.elements is None:
        return FALSE                      # a policy variable without a value matches nothing
    return _undecidable(match_elements(arn_pattern(expanded.elements), elements(request.resource, glob=False)),
                        node.value, request.resource)


def _undecidable(value: Tri, pattern: str, target: str) -> Outcome:
    if value is None:
        return unknown(f"whether `{render(pattern)}` matches `{render(target)}` is known only at deploy time")
    return known(value)


def _distinct(refs: Iterable[StatementRef]) -> tuple[StatementRef, ...]:
    """Each statement once: a doubtful one may be both a possible Allow and a possible Deny."""
    seen: dict[tuple[int, int, str], StatementRef] = {}
    for ref in refs:
        seen.setdefault((id(ref.policy), ref.statement.index, ref.kind), ref)
    return tuple(seen.values())


def _merge_lacks(reasons: tuple[str, ...]) -> tuple[str, ...]:
    """Say "no identity-based or resource-based policy allows it" once rather than twice."""
    for prefix in ("", _CROSS_ACCOUNT):
        pair = (prefix + _NO_IDENTITY_ALLOW, prefix + _NO_RESOURCE_ALLOW)
        if all(r in reasons for r in pair):
            merged = prefix + "no identity-based or resource-based policy allows it"
            reasons = unique(merged if r in pair else r for r in reasons)
    return reasons
