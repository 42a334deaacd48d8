"""IAM policy documents, normalized once so that rules and the evaluator never walk raw dicts.

Spellings are kept as written (``Effect: allow`` stays ``allow``); shapes are normalized
(a single ``Statement`` object becomes a one-item tuple, a string ``Action`` a one-item tuple).
What does not fit the grammar is kept as a ``problem`` with its location, so that a rule can say
so, and the statement is marked ``unknown`` so that the evaluator never guesses about it.
"""

from __future__ import annotations

import json
from typing import Any, Iterator

from rumpolicy.findings import Location
from rumpolicy.model.locator import EmbeddedLocator, Locator, child
from rumpolicy.model.symbols import Unknown
from rumpolicy.records import value_type

STATEMENT_KEYS = {
    "Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction",
    "Resource", "NotResource", "Condition",
}
SET_QUALIFIERS = ("ForAnyValue:", "ForAllValues:")


@value_type
class Node:
    """A value from the input together with where it was written."""

    value: Any
    location: Location


@value_type
class Problem:
    """The input does not fit the expected grammar here."""

    message: str
    location: Location


@value_type
class ConditionClause:
    """One ``operator: {key: values}`` pair of a Condition block."""

    operator: str                  # as written: "ForAnyValue:StringLike", "StringEqualsIfExists"
    key: str                       # as written: "cognito-identity.amazonaws.com:aud"
    values: tuple[Any, ...]        # str (possibly symbolic), bool, number, or Unknown
    location: Location             # of the key inside the operator block

    @property
    def set_qualifier(self) -> str | None:
        for qualifier in SET_QUALIFIERS:
            if self.operator.lower().startswith(qualifier.lower()):
                return qualifier[:-1]
        return None

    @property
    def base_operator(self) -> str:
        """Operator without set qualifier and without ``IfExists``, e.g. ``StringLike``."""
        op = self.operator
        if self.set_qualifier:
            op = op.split(":", 1)[1]
        if op.endswith("IfExists"):
            op = op[: -len("IfExists")]
        return op

    @property
    def if_exists(self) -> bool:
        return self.operator.endswith("IfExists")

    def key_is(self, name: str) -> bool:
        # Condition key names are case-insensitive.
        return self.key.lower() == name.lower()


@value_type
class Principal:
    """``Principal`` or ``NotPrincipal``: the bare ``"*"`` or a map of type -> values."""

    location: Location
    wildcard: bool = False                         # the bare string "*"
    entries: tuple[tuple[str, Node], ...] = ()     # ("AWS" | "Federated" | "Service" | ..., value)

    def values(self, kind: str) -> list[Node]:
        return [node for k, node in self.entries if k == kind]

    def kinds(self) -> set[str]:
        return {k for k, _ in self.entries}


@value_type
class Statement:
    """One statement of a policy document, its elements as written, each with where it is."""

    index: int
    location: Location
    fields: dict[str, Location]                    # element name as written -> location of its key
    sid: str | None = None
    effect: str | None = None                      # as written; "Allow"/"Deny" are the valid spellings
    principal: Principal | None = None
    not_principal: Principal | None = None
    actions: tuple[Node, ...] | None = None
    not_actions: tuple[Node, ...] | None = None
    resources: tuple[Node, ...] | None = None
    not_resources: tuple[Node, ...] | None = None
    conditions: tuple[ConditionClause, ...] = ()
    unknown: str | None = None                     # why this statement cannot be interpreted

    @property
    def is_allow(self) -> bool:
        return self.effect == "Allow"

    @property
    def is_deny(self) -> bool:
        return self.effect == "Deny"

    def node(self, element: str) -> Location:
        """Location of an element (``"Condition"``, ``"Resource"``...), else of the statement."""
        return self.fields.get(element, self.location)

    def conditions_on(self, key: str) -> list[ConditionClause]:
        return [c for c in self.conditions if c.key_is(key)]

    def action_patterns(self) -> list[str]:
        return [n.value for n in self.actions or () if isinstance(n.value, str)]


@value_type
class PolicyDocument:
    """A parsed IAM policy document: its statements, and the problems or unknowns that kept parts of it from being
    read."""

    location: Location
    version: str | None = None
    statements: tuple[Statement, ...] = ()
    problems: tuple[Problem, ...] = ()
    unknown: str | None = None                     # the whole document could not be resolved
    text_bytes: int | None = None                  # UTF-8 size when it was given as a string
    name: str | None = None                        # PolicyName / Sid-free label for messages

    def allow_statements(self) -> Iterator[Statement]:
        return (s for s in self.statements if s.is_allow)

    def deny_statements(self) -> Iterator[Statement]:
        return (s for s in self.statements if s.is_deny)

    @property
    def fully_known(self) -> bool:
        return self.unknown is None and all(s.unknown is None for s in self.statements)


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _string_nodes(value: Any, pointer: str, where: Locator, element: str,
                  problems: list[Problem]) -> tuple[tuple[Node, ...], bool]:
    """Action/Resource-like values: a string or a list of strings. Returns (nodes, fully_valid)."""
    nodes: list[Node] = []
    ok = True
    if isinstance(value, Unknown):
        return (), False
    items = value if isinstance(value, list) else [value]
    if isinstance(value, list) and not value:
        problems.append(Problem(f"`{element}` is an empty list", where.at(pointer)))
        return (), False
    for i, item in enumerate(items):
        item_pointer = child(pointer, i) if isinstance(value, list) else pointer
        if isinstance(item, str):
            nodes.append(Node(item, where.at(item_pointer)))
        elif isinstance(item, Unknown):
            ok = False
        else:
            problems.append(Problem(
                f"`{element}` must be a string or a list of strings, not {_described(item)}",
                where.at(item_pointer)))
            ok = False
    return tuple(nodes), ok


def type_name(value: Any) -> str:
    """A parsed JSON/YAML value's type as messages name it: ``a list``, ``an object``, ``null``."""
    return {bool: "a boolean", int: "a number", float: "a number", str: "a string", dict: "an object",
            list: "a list", type(None): "null"}.get(type(value), type(value).__name__)


def _described(value: Any) -> str:
    """``a number 5``, ``a list ["x"]``; ``null`` alone, since its text would only repeat it."""
    return "null" if value is None else f"{type_name(value)} {_short(value)}"


def _short(value: Any) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= 40 else text[:37] + "..."


def _principal(value: Any, pointer: str, where: Locator, element: str,
               problems: list[Problem]) -> tuple[Principal | None, bool]:
    location = where.at(pointer)
    if value == "*":
        return Principal(location, wildcard=True), True
    if isinstance(value, Unknown):
        return None, False
    if not isinstance(value, dict):
        problems.append(Problem(f"`{element}` must be \"*\" or an object, not {type_name(value)}", location))
        return None, False
    entries: list[tuple[str, Node]] = []
    ok = True
    for kind, raw in value.items():
        nodes, valid = _string_nodes(raw, child(pointer, kind), where, f"{element}.{kind}", problems)
        ok = ok and valid
        entries.extend((kind, n) for n in nodes)
    return Principal(location, entries=tuple(entries)), ok


def _conditions(value: Any, pointer: str, where: Locator,
                problems: list[Problem]) -> tuple[tuple[ConditionClause, ...], bool]:
    if isinstance(value, Unknown):
        return (), False
    if not isinstance(value, dict):
        problems.append(Problem(f"`Condition` must be an object, not {type_name(value)}", where.at(pointer)))
        return (), False
    clauses: list[ConditionClause] = []
    ok = True
    for operator, block in value.items():
        op_pointer = child(pointer, operator)
        if isinstance(block, Unknown):
            ok = False
            continue
        if not isinstance(block, dict):
            problems.append(Problem(
                f"condition operator `{operator}` must map keys to values, not {type_name(block)}",
                where.at(op_pointer)))
            ok = False
            continue
        for key, raw_values in block.items():
            key_pointer = child(op_pointer, key)
            values = []
            for i, item in enumerate(_as_list(raw_values)):
                if isinstance(item, (str, bool, int, float)) or isinstance(item, Unknown):
                    values.append(item)
                else:
                    problems.append(Problem(
                        f"condition value for `{key}` must be a string, number or boolean, not {type_name(item)}",
                        where.at(child(key_pointer, i) if isinstance(raw_values, list) else key_pointer)))
                    ok = False
            if any(isinstance(v, Unknown) for v in values):
                ok = False
            clauses.append(ConditionClause(operator, key, tuple(values), where.at(key_pointer)))
    return tuple(clauses), ok


def _statement(raw: Any, index: int, pointer: str, where: Locator, problems: list[Problem]) -> Statement:
    location = where.at(pointer)
    if isinstance(raw, Unknown):
        return Statement(index, location, {}, unknown=raw.reason)
    if not isinstance(raw, dict):
        problems.append(Problem(f"a statement must be an object, not {type_name(raw)} {_short(raw)}", location))
        return Statement(index, location, {}, unknown="the statement is not an object")
    fields = {key: where.at(child(pointer, key)) for key in raw}
    local: list[Problem] = []
    for key in raw:
        if key not in STATEMENT_KEYS:
            local.append(Problem(f"unknown statement element `{key}`", fields[key]))
    effect = raw.get("Effect")
    unresolved: str | None = None
    if isinstance(effect, Unknown):
        # `Effect: !If [Cond, Allow, Deny]` on a condition only the deploy decides: not malformed,
        # merely unknown, so the evaluator counts the statement as possibly either.
        unresolved, effect = f"`Effect` could not be resolved: {effect.reason}", None
    elif "Effect" not in raw:
        local.append(Problem("statement has no `Effect`", location))
    elif not isinstance(effect, str):
        local.append(Problem(f"`Effect` must be a string, not {type_name(effect)}", fields["Effect"]))
        effect = None
    valid = True
    kwargs: dict[str, Any] = {}
    for element, attr in (("Action", "actions"), ("NotAction", "not_actions"),
                          ("Resource", "resources"), ("NotResource", "not_resources")):
        if element in raw:
            nodes, ok = _string_nodes(raw[element], child(pointer, element), where, element, local)
            kwargs[attr] = nodes
            valid = valid and ok
    if "Action" in raw and "NotAction" in raw:
        local.append(Problem("statement has both `Action` and `NotAction`", location))
    if "Action" not in raw and "NotAction" not in raw:
        local.append(Problem("statement has neither `Action` nor `NotAction`", location))
    if "Resource" in raw and "NotResource" in raw:
        local.append(Problem("statement has both `Resource` and `NotResource`", location))
    for element, attr in (("Principal", "principal"), ("NotPrincipal", "not_principal")):
        if element in raw:
            principal, ok = _principal(raw[element], child(pointer, element), where, element, local)
            kwargs[attr] = principal
            valid = valid and ok
    if "Condition" in raw:
        clauses, ok = _conditions(raw["Condition"], child(pointer, "Condition"), where, local)
        kwargs["conditions"] = clauses
        valid = valid and ok
    sid = raw.get("Sid") if isinstance(raw.get("Sid"), str) else None
    unknown = None
    if local:
        problems.extend(local)
        unknown = local[0].message
    elif unresolved is not None:
        unknown = unresolved
    elif not valid:
        unknown = "part of the statement could not be resolved"
    elif effect is not None and effect not in ("Allow", "Deny"):
        unknown = f"`Effect` is {effect!r}; IAM accepts only \"Allow\" or \"Deny\""
        problems.append(Problem(unknown, fields.get("Effect", location)))
    return Statement(index, location, fields, sid=sid, effect=effect, unknown=unknown, **kwargs)


def parse_policy(value: Any, pointer: str, where: Locator, *, name: str | None = None) -> PolicyDocument:
    """Normalize a policy document given as an object or as a JSON string.

    ``pointer`` is where the document (or the string holding it) is in the input.
    """
    location = where.at(pointer)
    text_bytes = None
    if isinstance(value, Unknown):
        return PolicyDocument(location, unknown=value.reason, name=name)
    if isinstance(value, str):
        text_bytes = len(value.encode("utf-8"))
        try:
            value = json.loads(value, strict=False)  # tokens hold \x00, a control character
        except (ValueError, RecursionError) as exc:
            detail = exc.msg if isinstance(exc, json.JSONDecodeError) else "nesting too deep"
            where_in = f" (line {exc.lineno}, column {exc.colno} of the string)" if isinstance(exc, json.JSONDecodeError) else ""
            problem = Problem(f"policy document is not valid JSON: {detail}{where_in}", location)
            return PolicyDocument(location, problems=(problem,), unknown=problem.message,
                                  text_bytes=text_bytes, name=name)
        where = EmbeddedLocator(where, pointer)
        pointer = ""
    problems: list[Problem] = []
    if not isinstance(value, dict):
        problem = Problem(f"policy document must be an object, not {type_name(value)}", location)
        return PolicyDocument(location, problems=(problem,), unknown=problem.message,
                              text_bytes=text_bytes, name=name)
    version = value.get("Version")
    if version is not None and not isinstance(version, str):
        problems.append(Problem(f"`Version` must be a string, not {type_name(version)}",
                                where.at(child(pointer, "Version"))))
        version = None
    for key in value:
        if key not in ("Version", "Id", "Statement"):
            problems.append(Problem(f"unknown policy element `{key}`", where.at(child(pointer, key))))
    statements: list[Statement] = []
    unknown = None
    raw_statements = value.get("Statement")
    st_pointer = child(pointer, "Statement")
    if "Statement" not in value:
        problems.append(Problem("policy document has no `Statement`", location))
        unknown = "the document has no statements"
    elif isinstance(raw_statements, Unknown):
        unknown = raw_statements.reason
    elif isinstance(raw_statements, dict):
        statements.append(_statement(raw_statements, 0, st_pointer, where, problems))
    elif isinstance(raw_statements, list):
        for i, raw in enumerate(raw_statements):
            statements.append(_statement(raw, i, child(st_pointer, i), where, problems))
    else:
        problems.append(Problem(
            f"`Statement` must be an object or a list of objects, not {type_name(raw_statements)} {_short(raw_statements)}",
            where.at(st_pointer)))
        unknown = "`Statement` is malformed"
    return PolicyDocument(location, version=version, statements=tuple(statements), problems=tuple(problems),
                          unknown=unknown, text_bytes=text_bytes, name=name)


@value_type
class PolicyRef:
    """A policy that applies to a role: its document when the input has it, else just its ARN."""

    location: Location                    # where the attachment is declared
    document: PolicyDocument | None       # None: not in the input (an AWS managed or external policy)
    arn: str | None = None
    name: str | None = None
    kind: str = "inline"                  # "inline" | "managed"

    @property
    def label(self) -> str:
        return self.name or self.arn or "policy"

