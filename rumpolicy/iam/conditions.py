"""The ``Condition`` element (RUM-IAM-008): operators, set qualifiers, ``IfExists`` and ``Null``.

All clauses AND; the values listed for one key OR (for a negated operator the request value must
match none of them, which reads as AND). Semantics, from the IAM condition-operator pages:

* a key absent from the request makes a clause false, except that negated operators
  (``StringNotEquals``, ``ArnNotLike``, ``NotIpAddress``, ...) are then true, ``...IfExists`` is
  true, ``ForAllValues:`` is true and ``ForAnyValue:`` is false;
* ``ForAnyValue:`` asks whether some request value satisfies the operator, ``ForAllValues:``
  whether every one does; for a negated operator "satisfies" means "matches none of the policy
  values";
* without a qualifier, a multivalued request value is read like ``ForAnyValue:`` for positive
  operators and ``ForAllValues:`` for negated ones (IAM leaves this case unspecified; this reading
  never lets a negated operator pass while one request value matches);
* an operator this module does not know, or a malformed policy value, makes the clause unknown;
  a request value of the wrong type does not match;
* numbers are integers or decimals as the condition-operator page states them (``-12``, ``0.5``):
  ``1_000``, `` 12 ``, ``+5``, ``1e3``, ``nan`` and ``inf`` are not numbers (``_number``).
"""

from __future__ import annotations

import math
import operator as op
import re
from typing import TYPE_CHECKING, Any, Callable, Iterable

from rumpolicy.iam.context import KeyState, Lookup, RequestContext, Scalar
from rumpolicy.iam.globs import Element, elements, match_elements
from rumpolicy.iam.tri import FALSE, TRUE, Outcome, all_of, any_of, known, negate, unknown
from rumpolicy.iam.variables import expand, scalar_text
from rumpolicy.model.policy import ConditionClause
from rumpolicy.model.symbols import Unknown, has_symbols
from rumpolicy.records import value_type

if TYPE_CHECKING:
    from decimal import Decimal

_QUALIFIERS = {"foranyvalue": "ForAnyValue", "forallvalues": "ForAllValues"}


@value_type
class _Operator:
    """What a condition operator's name means: its family of values and its modifiers."""

    family: str                  # "string" | "arn" | "numeric" | "date" | "bool" | "binary" | "ip" | "null"
    negated: bool = False
    fold: bool = False           # StringEqualsIgnoreCase
    like: bool = False           # StringLike: the policy value is a glob
    relation: Callable[[Any, Any], bool] = op.eq


_RELATIONS = {"Equals": (op.eq, False), "NotEquals": (op.eq, True), "LessThan": (op.lt, False),
              "LessThanEquals": (op.le, False), "GreaterThan": (op.gt, False),
              "GreaterThanEquals": (op.ge, False)}

OPERATORS: dict[str, _Operator] = {
    "StringEquals": _Operator("string"),
    "StringNotEquals": _Operator("string", negated=True),
    "StringEqualsIgnoreCase": _Operator("string", fold=True),
    "StringNotEqualsIgnoreCase": _Operator("string", negated=True, fold=True),
    "StringLike": _Operator("string", like=True),
    "StringNotLike": _Operator("string", negated=True, like=True),
    "ArnEquals": _Operator("arn"),
    "ArnLike": _Operator("arn"),
    "ArnNotEquals": _Operator("arn", negated=True),
    "ArnNotLike": _Operator("arn", negated=True),
    "Bool": _Operator("bool"),
    "BinaryEquals": _Operator("binary"),
    "IpAddress": _Operator("ip"),
    "NotIpAddress": _Operator("ip", negated=True),
    "Null": _Operator("null"),
    **{f"Numeric{name}": _Operator("numeric", negated=neg, relation=rel)
       for name, (rel, neg) in _RELATIONS.items()},
    **{f"Date{name}": _Operator("date", negated=neg, relation=rel)
       for name, (rel, neg) in _RELATIONS.items()},
}


def evaluate_conditions(clauses: Iterable[ConditionClause], context: RequestContext,
                        *, variables: bool) -> Outcome:
    """Do all clauses of a ``Condition`` block hold for this request?"""
    return all_of(evaluate_clause(clause, context, variables=variables) for clause in clauses)


def evaluate_clause(clause: ConditionClause, context: RequestContext, *, variables: bool) -> Outcome:
    where = f"condition `{clause.operator}` on `{clause.key}`"
    qualifier, name, if_exists = _split_operator(clause.operator)
    spec = OPERATORS.get(name)
    if spec is None:
        return unknown(f"{where}: unsupported condition operator")
    if spec.family == "null" and (qualifier or if_exists):
        return unknown(f"{where}: `Null` takes neither a set qualifier nor `IfExists`")
    if any(isinstance(v, Unknown) for v in clause.values):
        return unknown(f"{where}: a condition value could not be resolved")
    found = context.lookup(clause.key)
    if found.state is KeyState.UNKNOWN:
        return unknown(f"{where}: condition key `{clause.key}` is not in the context", (clause.key,))
    if spec.family == "null":
        return _null(clause.values, found, where)
    if found.state is KeyState.ABSENT:
        if if_exists or qualifier == "ForAllValues":
            return TRUE
        if qualifier == "ForAnyValue":
            return FALSE
        return known(spec.negated)

    def satisfies(request_value: Scalar) -> Outcome:
        matched = any_of(_compare(spec, request_value, policy_value, context, variables, where)
                         for policy_value in clause.values)
        return negate(matched) if spec.negated else matched

    if qualifier == "ForAllValues" or (qualifier is None and spec.negated):
        return all_of(satisfies(v) for v in found.values)
    return any_of(satisfies(v) for v in found.values)


def _split_operator(operator: str) -> tuple[str | None, str, bool]:
    """``ForAnyValue:StringLikeIfExists`` -> ("ForAnyValue", "StringLike", True)."""
    qualifier = None
    head, colon, rest = operator.partition(":")
    if colon and head.lower() in _QUALIFIERS:
        qualifier, operator = _QUALIFIERS[head.lower()], rest
    if_exists = operator.endswith("IfExists")
    return qualifier, operator[: -len("IfExists")] if if_exists else operator, if_exists


def _null(values: tuple, found: Lookup, where: str) -> Outcome:
    """``Null: true`` holds when the key is absent, ``Null: false`` when it is present."""
    present = found.state is KeyState.PRESENT
    results = []
    for value in values:
        text = scalar_text(value).lower() if isinstance(value, (str, bool)) else None
        if text not in ("true", "false"):
            results.append(unknown(f"{where}: `Null` expects true or false, not {value!r}"))
        else:
            results.append(known((text == "true") != present))
    return any_of(results)


def _compare(spec: _Operator, request_value: Scalar, policy_value: Scalar, context: RequestContext,
             variables: bool, where: str) -> Outcome:
    """Does one request value match one policy value (the positive form of the operator)?"""
    if spec.family in ("string", "arn", "bool"):
        policy = _policy_elements(spec, policy_value, context, variables, where)
        if isinstance(policy, Outcome):
            return policy
        if spec.family == "arn":
            return _arn_match(policy, elements(scalar_text(request_value), glob=False), where)
        if spec.family == "bool" and _bool_text(policy) is None:
            return unknown(f"{where}: `Bool` expects true or false, not {policy_value!r}")
        fold = spec.fold or spec.family == "bool"
        return _tri(match_elements(policy, elements(scalar_text(request_value), glob=False, fold=fold)), where)
    if spec.family == "binary":
        return _tri(match_elements(elements(scalar_text(policy_value), glob=False),
                                   elements(scalar_text(request_value), glob=False)), where)
    if spec.family == "ip":
        return _ip_match(policy_value, request_value, where)
    parse = _number if spec.family == "numeric" else _instant
    policy_number, request_number = parse(policy_value), parse(request_value)
    if policy_number is _SYMBOLIC or request_number is _SYMBOLIC:
        return unknown(f"{where}: the value is known only at deploy time")
    if policy_number is None:
        # What IAM makes of such a policy value is not documented: say so rather than guess.
        kind = "an integer or decimal number" if spec.family == "numeric" else "a valid date"
        return unknown(f"{where}: {policy_value!r} is not {kind}")
    if request_number is None:
        return FALSE
    return known(spec.relation(request_number, policy_number))


def _policy_elements(spec: _Operator, value: Scalar, context: RequestContext,
                     variables: bool, where: str) -> tuple[Element, ...] | Outcome:
    """The policy value as elements, or the Outcome when a variable leaves it without a value."""
    glob = spec.like or spec.family == "arn"
    fold = spec.fold or spec.family == "bool"
    expanded = expand(scalar_text(value), context, variables=variables, glob=glob, fold=fold)
    if expanded.missing:
        keys = ", ".join(f"`{k}`" for k in expanded.missing)
        return unknown(f"{where}: policy variable key {keys} is not in the context", expanded.missing)
    if expanded.elements is None:
        return FALSE                      # a variable with no value equals nothing
    return expanded.elements


def _tri(value: bool | None, where: str) -> Outcome:
    if value is None:
        return unknown(f"{where}: the value is known only at deploy time")
    return known(value)


def _bool_text(policy: tuple[Element, ...]) -> str | None:
    if any(not isinstance(e, str) for e in policy):
        return "symbolic"
    text = "".join(policy)                # type: ignore[arg-type]
    return text if text in ("true", "false") else None


def _arn_match(policy: tuple[Element, ...], request: tuple[Element, ...], where: str) -> Outcome:
    """``ArnEquals``/``ArnLike``: each of the six ``:``-separated fields is globbed on its own."""
    request_fields = _arn_fields(request)
    policy_fields = _arn_fields(policy)
    if request_fields is None:
        return FALSE
    if policy_fields is None:
        if ":" in policy:
            return FALSE
        return _tri(match_elements(policy, request), where)       # "*" and the like
    return all_of(_tri(match_elements(p, r), where) for p, r in zip(policy_fields, request_fields))


def _arn_fields(items: tuple[Element, ...]) -> list[tuple[Element, ...]] | None:
    fields: list[list[Element]] = [[]]
    for item in items:
        if item == ":" and len(fields) < 6:
            fields.append([])
        else:
            fields[-1].append(item)
    return [tuple(f) for f in fields] if len(fields) == 6 else None


def _ip_match(policy_value: Scalar, request_value: Scalar, where: str) -> Outcome:
    import ipaddress                      # only IP conditions need it

    if has_symbols(policy_value) or has_symbols(request_value):
        return unknown(f"{where}: the value is known only at deploy time")
    if not isinstance(policy_value, str):
        return unknown(f"{where}: {policy_value!r} is not an IP address or CIDR range")
    try:
        network = ipaddress.ip_network(policy_value.strip(), strict=False)
    except ValueError:
        return unknown(f"{where}: {policy_value!r} is not an IP address or CIDR range")
    try:
        address = ipaddress.ip_address(scalar_text(request_value).strip())
    except ValueError:
        return FALSE
    return known(address in network)


class _Symbolic:
    """Marker: a numeric or date value holds a deploy-time token."""


_SYMBOLIC = _Symbolic()


# IAM's numeric operators compare "an integer or decimal value" (condition operators page): an
# optional minus, digits, and optionally a point followed by digits. Python's float() also reads
# `1_000`, ` 12 `, `+5`, `1e3`, `nan` and `infinity`, none of which that grammar admits.
_DECIMAL = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")


def _number(value: Scalar) -> Decimal | _Symbolic | None:
    """An integer or decimal as IAM reads it, exactly (``Decimal``: no float rounding); None if it is none.

    JSON numbers count as written; text must be the plain decimal form, nothing around it.
    """
    from decimal import Decimal     # only numeric and date conditions need it: kept off the start-up path

    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value)) if math.isfinite(value) else None
    if not isinstance(value, str):
        return None
    if has_symbols(value):
        return _SYMBOLIC
    if _DECIMAL.fullmatch(value) is None:
        return None
    return Decimal(value)


def _instant(value: Scalar) -> Decimal | float | _Symbolic | None:
    """A date as epoch seconds: ISO 8601 (naive means UTC) or epoch seconds as number or text."""
    number = _number(value)
    if number is not None:
        return number if isinstance(number, _Symbolic) else float(number)
    if not isinstance(value, str):
        return None
    from datetime import datetime, timezone     # only date conditions need it

    try:
        moment = datetime.fromisoformat(value.strip())
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=timezone.utc)
        return moment.timestamp()
    except (ValueError, OverflowError, OSError):
        return None
