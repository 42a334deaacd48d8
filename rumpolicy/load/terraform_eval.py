"""Evaluate Terraform expressions (``terraform_syntax``) into plain values, symbolically where needed.

Values are what Terraform would compute before apply: strings, numbers, booleans, ``None`` (null),
lists and dicts. What is known only after apply keeps a name: ``aws_cognito_identity_pool.rum.id``
is the token ``${aws_cognito_identity_pool.rum.id}`` (``rumpolicy.model.symbols``), the region of
``data.aws_region.current`` is the same ``AWS::Region`` token CloudFormation's pseudo parameter
gives, so policies written either way compare the same. A value that cannot be evaluated at all (an
unsupported function, a condition on an unknown) becomes ``Unknown(reason)`` and is recorded with
its location in the ``Sink``; the loader reports it as RUM-SRC-001. Nothing is ever guessed.

Every evaluation writes, for the JSON pointer of each value it builds, the file and position of
the expression that produced it (``Sink.spans``), so a policy written with ``jsonencode`` or a
``data "aws_iam_policy_document"`` is located statement by statement, in whichever file the
statement is written.

The evaluator knows expressions and functions; names (``var``, ``local``, resources, ``data``,
``module``) are resolved by a ``Context`` (``terraform_modules.ModuleInstance``), which returns plain
values or ``Lazy`` objects that resolve their attributes on demand.
"""

from __future__ import annotations

import json
import math
import os
import re
from typing import Any, Callable, Protocol

from rumpolicy.findings import Span, join_pointer
from rumpolicy.load.terraform_nodes import (MAX_DEPTH, Binary, Call, Conditional, Expr, ForExpr, GetAttr, Index,
                                            Literal, Name, ObjectExpr, Splat, Template, TupleExpr, Unary, Unsupported)
from rumpolicy.model.symbols import ATTR, MARK, OPAQUE, REF, Symbol, Unknown, parts, token

Loc = tuple[str, "Span | None"]


class Sink:
    """Where evaluated values came from (pointer -> file and span) and what could not be evaluated."""

    __slots__ = ("spans", "unresolved")

    def __init__(self) -> None:
        self.spans: dict[str, Loc] = {}
        self.unresolved: dict[tuple[str, str], Loc] = {}

    def place(self, pointer: str, source: str, span: Span | None) -> None:
        if pointer not in self.spans:
            self.spans[pointer] = (source, span)

    def unknown(self, pointer: str, source: str, span: Span | None, reason: str) -> Unknown:
        self.unresolved.setdefault((pointer, reason), (source, span))
        return Unknown(reason)

    def opaque(self, pointer: str, source: str, span: Span | None, reason: str) -> str:
        self.unresolved.setdefault((pointer, reason), (source, span))
        return opaque_token(reason, source, span)

    def merge(self, other: "Sink", pointer: str) -> None:
        """Add what ``other`` recorded relative to its root, below ``pointer``; the root itself stays
        where the reference to it is written."""
        for relative, where in other.spans.items():
            if relative and pointer + relative not in self.spans:
                self.spans[pointer + relative] = where
        for (relative, reason), where in other.unresolved.items():
            self.unresolved.setdefault((pointer + relative, reason), where)

    def locate(self, pointer: str) -> Loc | None:
        """The nearest recorded place at or above ``pointer``."""
        while True:
            where = self.spans.get(pointer)
            if where is not None or not pointer:
                return where
            pointer = pointer[: max(pointer.rfind("/"), 0)]


def opaque_token(reason: str, source: str, span: Span | None) -> str:
    # The place keeps two different unknowns with the same reason from comparing equal.
    where = f"{os.path.basename(source)}:{span.line}" if span else os.path.basename(source)
    return token(OPAQUE, f"{reason} ({where})")


class Lazy:
    """A name that is not a value by itself (``var``, ``aws_iam_role``, a resource instance ...)."""

    description = "this reference"

    def attr(self, ev: "Evaluator", name: str, site: "Site") -> Any:
        return site.unknown(f"{self.description} has no attribute {name!r}")

    def index(self, ev: "Evaluator", key: Any, site: "Site") -> Any:
        return site.unknown(f"{self.description} cannot be indexed")


class JsonText(str):
    """The string ``jsonencode`` produced, remembering the value it encodes.

    A policy given as ``jsonencode({...})`` is then read from the value, so that its statements are
    located where they are written, while rules that measure the string still see the string.
    """

    structure: Any

    def __new__(cls, text: str, structure: Any) -> "JsonText":
        made = super().__new__(cls, text)
        made.structure = structure
        return made


class Context(Protocol):
    def root(self, ev: "Evaluator", name: str, site: "Site") -> Any: ...

    def read_file(self, path: str, site: "Site") -> str | Unknown: ...


class Site:
    """Where an expression is evaluated: its pointer in the value being built, its file and span."""

    __slots__ = ("pointer", "source", "span", "sink")

    def __init__(self, pointer: str, source: str, span: Span | None, sink: Sink):
        self.pointer, self.source, self.span, self.sink = pointer, source, span, sink

    def unknown(self, reason: str) -> Unknown:
        return self.sink.unknown(self.pointer, self.source, self.span, reason)

    def opaque(self, reason: str) -> str:
        return self.sink.opaque(self.pointer, self.source, self.span, reason)

    def note(self, reason: str) -> None:
        """Record that a value here is known only after apply (reported as RUM-SRC-001)."""
        self.sink.unresolved.setdefault((self.pointer, reason), (self.source, self.span))

    def at(self, expr: Expr, pointer: str | None = None) -> "Site":
        return Site(self.pointer if pointer is None else pointer, self.source, expr.span or self.span, self.sink)


class Evaluator:
    """Evaluates the expressions of one module instance; ``context`` resolves its names."""

    def __init__(self, context: Context) -> None:
        self.context = context
        self.depth = 0

    def evaluate(self, expr: Expr, source: str, pointer: str, sink: Sink, scope: dict[str, Any] | None = None) -> Any:
        site = Site(pointer, source, expr.span, sink)
        sink.place(pointer, source, expr.span)
        return self.value(expr, site, scope or {})

    # -- dispatch --------------------------------------------------------------------------------
    def value(self, expr: Expr, site: Site, scope: dict[str, Any]) -> Any:
        if self.depth >= MAX_DEPTH:
            return site.unknown(f"the evaluation nests deeper than {MAX_DEPTH} levels")
        self.depth += 1
        try:
            return _DISPATCH[type(expr)](self, expr, site, scope)
        finally:
            self.depth -= 1

    def _literal(self, expr: Literal, site: Site, scope) -> Any:
        value = expr.value
        if isinstance(value, str) and MARK in value:
            return site.opaque("a string contains a NUL character, which is reserved for deploy-time values")
        return value

    def _template(self, expr: Template, site: Site, scope) -> Any:
        if len(expr.parts) == 1:
            # "${x}" is x itself, whatever its type.
            return self.value(expr.parts[0], site.at(expr.parts[0]), scope)
        texts = []
        for part in expr.parts:
            if isinstance(part, str):
                texts.append(part if MARK not in part else site.opaque("a string contains a NUL character"))
                continue
            here = site.at(part)
            texts.append(self.text(self.value(part, here, scope), here, "a template"))
        return "".join(texts)

    def text(self, value: Any, site: Site, where: str) -> str:
        """A value as a template or function renders it into a string."""
        if isinstance(value, str):
            return value
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, (int, float)):
            return number_text(value)
        if isinstance(value, Unknown):
            return opaque_token(value.reason, site.source, site.span)
        if value is None:
            return site.opaque(f"a null value cannot be used in {where}")
        return site.opaque(f"{_type_name(value)} cannot be used in {where}")

    def _unsupported(self, expr: Unsupported, site: Site, scope) -> Any:
        return site.unknown(expr.reason)

    def _tuple(self, expr: TupleExpr, site: Site, scope) -> Any:
        out = []
        for index, item in enumerate(expr.items):
            pointer = join_pointer(site.pointer, index)
            site.sink.place(pointer, site.source, item.span)
            out.append(self.value(item, site.at(item, pointer), scope))
        return out

    def _object(self, expr: ObjectExpr, site: Site, scope) -> Any:
        out: dict[str, Any] = {}
        for key_expr, value_expr in expr.items:
            key = self.value(key_expr, site.at(key_expr), scope)
            if isinstance(key, bool) or isinstance(key, (int, float)):
                key = self.text(key, site, "an object key")
            if not isinstance(key, str):
                return site.at(key_expr).unknown(f"an object key is {_type_name(key)}, not a string")
            if MARK in key:
                return site.at(key_expr).unknown("an object key is known only after apply")
            pointer = join_pointer(site.pointer, key)
            site.sink.place(pointer, site.source, key_expr.span)
            out[key] = self.value(value_expr, site.at(value_expr, pointer), scope)
        return out

    def _name(self, expr: Name, site: Site, scope) -> Any:
        if expr.name in scope:
            return scope[expr.name]
        return self.context.root(self, expr.name, site)

    def _get_attr(self, expr: GetAttr, site: Site, scope) -> Any:
        target = self.value(expr.target, site, scope)
        return self.get_attr(target, expr.name, site.at(expr))

    def get_attr(self, target: Any, name: str, site: Site) -> Any:
        if isinstance(target, Lazy):
            return target.attr(self, name, site)
        if isinstance(target, Unknown):
            return target
        if isinstance(target, dict):
            if name in target:
                return target[name]
            return site.unknown(f"the object has no attribute {name!r}")
        known_later = _single_token(target)
        if known_later is not None:
            # An attribute of a value known after apply (an object output of another state, say).
            return token(ATTR, f"{known_later.detail}.{name}")
        return site.unknown(f"{_type_name(target)} has no attribute {name!r}")

    def _index(self, expr: Index, site: Site, scope) -> Any:
        target = self.value(expr.target, site, scope)
        key = self.value(expr.key, site.at(expr.key), scope)
        return self.index(target, key, site.at(expr))

    def index(self, target: Any, key: Any, site: Site) -> Any:
        if isinstance(target, Lazy):
            return target.index(self, key, site)
        if isinstance(target, Unknown):
            return target
        if isinstance(key, Unknown):
            return key
        if isinstance(target, list):
            position = _as_index(key)
            if position is None:
                return site.unknown(f"a list index must be a whole number, not {_describe(key)}")
            if not 0 <= position < len(target):
                return site.unknown(f"index {position} is out of range for a list of {len(target)}")
            return target[position]
        if isinstance(target, dict):
            if isinstance(key, (int, float)) and not isinstance(key, bool):
                key = number_text(key)
            if not isinstance(key, str) or MARK in key:
                return site.unknown(f"the key {_describe(key)} cannot be looked up before apply")
            if key not in target:
                return site.unknown(f"the map has no key {key!r}")
            return target[key]
        known_later = _single_token(target)
        if known_later is not None and isinstance(key, (str, int)) and not isinstance(key, bool) \
                and MARK not in str(key):
            shown = f"[{key}]" if isinstance(key, int) else f'["{key}"]'
            return token(ATTR, f"{known_later.detail}{shown}")
        return site.unknown(f"{_type_name(target)} cannot be indexed")

    def _splat(self, expr: Splat, site: Site, scope) -> Any:
        target = self.value(expr.target, site, scope)
        if isinstance(target, Unknown):
            return target
        items = [] if target is None else target if isinstance(target, list) else [target]
        out = []
        for item in items:
            for kind, step in expr.steps:
                if kind == "attr":
                    item = self.get_attr(item, step, site.at(expr))
                else:
                    item = self.index(item, self.value(step, site.at(step), scope), site.at(expr))
            out.append(item)
        return out

    def _call(self, expr: Call, site: Site, scope) -> Any:
        function = FUNCTIONS.get(expr.name)
        if function is None:
            return site.unknown(f"function {expr.name}() is not evaluated")
        if expr.name in LAZY_FUNCTIONS:
            return function(self, expr, site, scope)
        args = []
        for arg in expr.args:
            value = self.value(arg, site.at(arg, site.pointer), scope)
            if isinstance(value, Unknown) and expr.name not in PARTIAL_FUNCTIONS:
                return value             # recorded where it arose
            args.append(value)
        if expr.expand and args:
            last = args.pop()
            if isinstance(last, Unknown):
                return last
            if not isinstance(last, list):
                return site.unknown(f"the expanded argument of {expr.name}() is {_type_name(last)}, not a list")
            args.extend(last)
        try:
            return function(self, args, site)
        except _CallError as error:
            return site.unknown(f"{expr.name}(): {error}")

    def _conditional(self, expr: Conditional, site: Site, scope) -> Any:
        condition = self.value(expr.condition, site.at(expr.condition), scope)
        decided = condition if isinstance(condition, bool) else _as_bool(condition)
        if decided is not None:
            branch = expr.then if decided else expr.otherwise
            return self.value(branch, site.at(branch), scope)
        # Both branches alike need no decision.
        first = self.value(expr.then, site.at(expr.then), scope)
        second = self.value(expr.otherwise, site.at(expr.otherwise), scope)
        if same(first, second) and not has_unknown(first):
            return first
        reason = condition.reason if isinstance(condition, Unknown) else f"{_describe(condition)} is not a boolean"
        return site.unknown(f"depends on a condition that cannot be decided before apply ({reason})")

    def _binary(self, expr: Binary, site: Site, scope) -> Any:
        op = expr.op
        left = self.value(expr.left, site.at(expr.left), scope)
        if op in ("&&", "||"):
            decisive = op == "||"
            left_bool = _as_bool(left)
            if left_bool is decisive:
                return decisive
            right_bool = _as_bool(self.value(expr.right, site.at(expr.right), scope))
            if right_bool is decisive:
                return decisive
            if left_bool is None or right_bool is None:
                return site.at(expr).unknown(f"the operands of {op} cannot be decided before apply")
            return not decisive
        right = self.value(expr.right, site.at(expr.right), scope)
        if op in ("==", "!="):
            equal = equals(left, right)
            if equal is None:
                return site.at(expr).unknown(f"{_describe(left)} {op} {_describe(right)} cannot be decided before apply")
            return equal if op == "==" else not equal
        a, b = _as_number(left), _as_number(right)
        if a is None or b is None:
            return site.at(expr).unknown(f"{_describe(left)} {op} {_describe(right)} needs two known numbers")
        try:
            return _ARITHMETIC[op](a, b)
        except (ZeroDivisionError, OverflowError, ValueError):
            return site.at(expr).unknown(f"{number_text(a)} {op} {number_text(b)} has no value")

    def _unary(self, expr: Unary, site: Site, scope) -> Any:
        operand = self.value(expr.operand, site.at(expr.operand), scope)
        if expr.op == "!":
            decided = _as_bool(operand)
            return site.at(expr).unknown(f"!{_describe(operand)} cannot be decided") if decided is None else not decided
        number = _as_number(operand)
        return site.at(expr).unknown(f"-{_describe(operand)} needs a known number") if number is None else -number

    def _for(self, expr: ForExpr, site: Site, scope) -> Any:
        collection = self.value(expr.collection, site.at(expr.collection), scope)
        if isinstance(collection, Unknown):
            return collection
        if isinstance(collection, dict):
            pairs = [(key, collection[key]) for key in sorted(collection)]
        elif isinstance(collection, list):
            pairs = list(enumerate(collection))
        else:
            return site.at(expr).unknown(f"a for expression cannot iterate over {_type_name(collection)}")
        out_list: list = []
        out_map: dict[str, Any] = {}
        for key, item in pairs:
            inner = dict(scope)
            inner[expr.value_var] = item
            if expr.key_var is not None:
                inner[expr.key_var] = key
            if expr.condition is not None:
                keep = _as_bool(self.value(expr.condition, site.at(expr.condition), inner))
                if keep is None:
                    return site.at(expr.condition).unknown("the condition of a for expression cannot be decided")
                if not keep:
                    continue
            if expr.key is None:
                pointer = join_pointer(site.pointer, len(out_list))
                out_list.append(self.value(expr.value, site.at(expr.value, pointer), inner))
                continue
            name = self.value(expr.key, site.at(expr.key), inner)
            if isinstance(name, (int, float)) and not isinstance(name, bool):
                name = number_text(name)
            if not isinstance(name, str) or MARK in name:
                return site.at(expr.key).unknown("a key of a for expression is not known before apply")
            pointer = join_pointer(site.pointer, name)
            value = self.value(expr.value, site.at(expr.value, pointer), inner)
            if expr.grouping:
                out_map.setdefault(name, []).append(value)
            elif name in out_map:
                return site.at(expr.key).unknown(f"a for expression produces the key {name!r} twice")
            else:
                out_map[name] = value
        return out_list if expr.key is None else out_map


_DISPATCH: dict[type, Callable] = {
    Literal: Evaluator._literal, Template: Evaluator._template, Unsupported: Evaluator._unsupported,
    TupleExpr: Evaluator._tuple, ObjectExpr: Evaluator._object, Name: Evaluator._name,
    GetAttr: Evaluator._get_attr, Index: Evaluator._index, Splat: Evaluator._splat, Call: Evaluator._call,
    Conditional: Evaluator._conditional, Binary: Evaluator._binary, Unary: Evaluator._unary,
    ForExpr: Evaluator._for,
}

_ARITHMETIC: dict[str, Callable[[float, float], Any]] = {
    "+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b, "/": lambda a, b: a / b,
    "%": lambda a, b: math.fmod(a, b), "<": lambda a, b: a < b, ">": lambda a, b: a > b,
    "<=": lambda a, b: a <= b, ">=": lambda a, b: a >= b,
}


# --------------------------------------------------------------------------------------------
# Value helpers


def number_text(value: int | float) -> str:
    """A number as Terraform prints it: ``1`` for 1.0, ``0.5`` for 0.5."""
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e21:
            return str(int(value))
        return repr(value)
    return str(value)


def _type_name(value: Any) -> str:
    if isinstance(value, Unknown):
        return f"an unknown value ({value.reason})"
    if isinstance(value, Lazy):
        return value.description
    if isinstance(value, bool):
        return "a boolean"
    return {dict: "an object", list: "a list", str: "a string", int: "a number", float: "a number",
            JsonText: "a string", type(None): "null"}.get(type(value), type(value).__name__)


def _describe(value: Any) -> str:
    from rumpolicy.model.symbols import render

    if isinstance(value, str):
        shown = render(value)
        return repr(shown if len(shown) <= 60 else shown[:57] + "...")
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return number_text(value)
    return _type_name(value)


def _single_token(value: Any) -> Symbol | None:
    """The symbol a string consists of, when it is exactly one ``REF``/``ATTR`` token."""
    if not isinstance(value, str) or not value.startswith(MARK):
        return None
    pieces = parts(value)
    if len(pieces) == 1 and isinstance(pieces[0], Symbol) and pieces[0].kind in (REF, ATTR):
        return pieces[0]
    return None


def _as_bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value in ("true", "false"):
        return value == "true"
    return None


def _as_number(value: Any) -> int | float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, str) and MARK not in value:
        try:
            number = float(value)
        except ValueError:
            return None
        return int(number) if number.is_integer() and "." not in value and "e" not in value.lower() else number
    return None


def _as_index(value: Any) -> int | None:
    number = _as_number(value)
    if number is None or (isinstance(number, float) and not number.is_integer()):
        return None
    return int(number)


def has_unknown(value: Any) -> bool:
    if isinstance(value, (Unknown, Lazy)):
        return True
    if isinstance(value, list):
        return any(map(has_unknown, value))
    if isinstance(value, dict):
        return any(map(has_unknown, value.values()))
    return False


def same(first: Any, second: Any) -> bool:
    """Structural equality that tells ``True`` from ``1``."""
    if type(first) is not type(second) and not (isinstance(first, str) and isinstance(second, str)):
        return False
    if isinstance(first, list):
        return len(first) == len(second) and all(map(same, first, second))
    if isinstance(first, dict):
        return first.keys() == second.keys() and all(same(v, second[k]) for k, v in first.items())
    return first == second


def equals(left: Any, right: Any) -> bool | None:
    """Terraform ``==``: types must match; symbolic strings compare equal only to themselves, and
    differ from a literal only when their literal parts cannot match it."""
    if isinstance(left, (Unknown, Lazy)) or isinstance(right, (Unknown, Lazy)):
        return None
    if isinstance(left, str) and isinstance(right, str):
        if left == right:
            return True
        if MARK in left and MARK in right:
            return None
        if MARK not in left and MARK not in right:
            return False
        symbolic, literal = (left, right) if MARK in left else (right, left)
        pattern = "".join(re.escape(p) if isinstance(p, str) else ".*" for p in parts(symbolic))
        return None if re.fullmatch(pattern, literal, re.DOTALL) else False
    if isinstance(left, list) and isinstance(right, list):
        if len(left) != len(right):
            return False
        results = [equals(a, b) for a, b in zip(left, right)]
        return False if False in results else None if None in results else True
    if isinstance(left, dict) and isinstance(right, dict):
        if left.keys() != right.keys():
            return False
        results = [equals(left[k], right[k]) for k in left]
        return False if False in results else None if None in results else True
    if isinstance(left, bool) or isinstance(right, bool):
        return type(left) is type(right) and left == right
    if isinstance(left, (int, float)) and isinstance(right, (int, float)):
        return left == right
    return left is None and right is None if left is None or right is None else False


def concrete(value: Any, site: Site) -> Any:
    """``value`` with references that are not values (a whole resource, ``var``) made ``Unknown``."""
    if isinstance(value, Lazy):
        return site.unknown(f"{value.description} is not a value that can be checked")
    if isinstance(value, list):
        return [concrete(v, site) for v in value]
    if isinstance(value, dict) and any(isinstance(v, (Lazy, list, dict)) for v in value.values()):
        return {k: concrete(v, site) for k, v in value.items()}
    return value


# --------------------------------------------------------------------------------------------
# JSON


def json_text(value: Any, site: Site) -> str:
    """``jsonencode``: compact JSON with sorted keys and Go's HTML escapes, tokens kept raw."""
    if isinstance(value, JsonText) or isinstance(value, str):
        return '"' + "".join(_json_string(p) if isinstance(p, str) else p.text for p in parts(value)) + '"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, (int, float)):
        if isinstance(value, float) and not math.isfinite(value):
            return json_text(opaque_token("a number that JSON cannot hold", site.source, site.span), site)
        return number_text(value)
    if isinstance(value, list):
        return "[" + ",".join(json_text(v, site) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ",".join(f"{json_text(k, site)}:{json_text(value[k], site)}" for k in sorted(value)) + "}"
    reason = value.reason if isinstance(value, Unknown) else f"{_type_name(value)} cannot be encoded"
    return '"' + opaque_token(reason, site.source, site.span) + '"'


def _json_string(text: str) -> str:
    encoded = json.dumps(text, ensure_ascii=False)[1:-1]
    return (encoded.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def _from_json(data: Any) -> Any:
    if isinstance(data, float) and data.is_integer():
        return int(data)
    if isinstance(data, list):
        return [_from_json(v) for v in data]
    if isinstance(data, dict):
        return {k: _from_json(v) for k, v in data.items()}
    return data


# --------------------------------------------------------------------------------------------
# Functions


class _CallError(Exception):
    """A function cannot produce a value from these arguments; the message says why."""


def _needs_known(args: list) -> None:
    for arg in args:
        if isinstance(arg, Unknown):
            raise _CallError(arg.reason)
        if isinstance(arg, Lazy):
            raise _CallError(f"{arg.description} is not a value")


def _string_arg(value: Any, what: str, *, literal: bool = False) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return number_text(value)
    if not isinstance(value, str):
        raise _CallError(f"{what} is {_type_name(value)}, not a string")
    if literal and MARK in value:
        raise _CallError(f"{what} {_describe(value)} is known only after apply")
    return value


def _list_arg(value: Any, what: str) -> list:
    if not isinstance(value, list):
        raise _CallError(f"{what} is {_type_name(value)}, not a list")
    return value


def _fn_jsonencode(ev: Evaluator, args: list, site: Site) -> Any:
    if len(args) != 1:
        raise _CallError("takes one argument")
    value = concrete(args[0], site)
    if isinstance(value, Unknown):
        return value
    return JsonText(json_text(value, site), value)


def _fn_jsondecode(ev: Evaluator, args: list, site: Site) -> Any:
    if len(args) != 1:
        raise _CallError("takes one argument")
    (text,) = args
    if isinstance(text, JsonText):
        return text.structure
    _needs_known(args)
    text = _string_arg(text, "the argument", literal=True)
    try:
        return _from_json(json.loads(text))
    except (ValueError, RecursionError):
        raise _CallError("the argument is not valid JSON") from None


_FORMAT_VERB = re.compile(r"%(?:(%)|([-+# 0]*)(\d*)(?:\.(\d+))?([sdvqftb]))")


def _fn_format(ev: Evaluator, args: list, site: Site) -> Any:
    if not args:
        raise _CallError("needs a format string")
    _needs_known(args[:1])
    spec = _string_arg(args[0], "the format string", literal=True)
    values = list(args[1:])
    out = []
    position = 0
    used = 0
    for match in _FORMAT_VERB.finditer(spec):
        out.append(spec[position:match.start()])
        position = match.end()
        if match.group(1):
            out.append("%")
            continue
        if used >= len(values):
            raise _CallError("has fewer arguments than verbs")
        value = values[used]
        used += 1
        verb = match.group(5)
        if match.group(2) or match.group(3) or match.group(4) or verb not in ("s", "d", "v", "q"):
            raise _CallError(f"the verb {match.group(0)!r} is not evaluated")
        if isinstance(value, Unknown):
            out.append(opaque_token(value.reason, site.source, site.span))
        elif verb == "d":
            number = _as_number(value)
            if number is None or (isinstance(number, float) and not number.is_integer()):
                raise _CallError(f"%d needs a whole number, not {_describe(value)}")
            out.append(str(int(number)))
        elif verb == "q":
            out.append(json_text(_string_arg(value, "a %q argument"), site))
        else:
            out.append(ev.text(value, site, "format()"))
    out.append(spec[position:])
    if "%" in spec[position:]:
        raise _CallError(f"the format string {_describe(spec)} has a verb that is not evaluated")
    return "".join(out)


def _fn_join(ev: Evaluator, args: list, site: Site) -> Any:
    if len(args) < 2:
        raise _CallError("needs a separator and at least one list")
    _needs_known(args)
    separator = _string_arg(args[0], "the separator")
    texts = []
    for arg in args[1:]:
        for item in _list_arg(arg, "an argument"):
            texts.append(ev.text(item, site, "join()"))
    return separator.join(texts)


def _fn_concat(ev: Evaluator, args: list, site: Site) -> Any:
    _needs_known(args)
    out: list = []
    for arg in args:
        out.extend(_list_arg(arg, "an argument"))
    return out


def _fn_merge(ev: Evaluator, args: list, site: Site) -> Any:
    _needs_known(args)
    out: dict = {}
    for arg in args:
        if arg is None:
            continue
        if not isinstance(arg, dict):
            raise _CallError(f"an argument is {_type_name(arg)}, not an object")
        out.update(arg)
    return out


def _fn_tostring(ev: Evaluator, args: list, site: Site) -> Any:
    if len(args) != 1:
        raise _CallError("takes one argument")
    (value,) = args
    if value is None or isinstance(value, (Unknown, str)):
        return value
    if isinstance(value, (bool, int, float)):
        return ev.text(value, site, "tostring()")
    raise _CallError(f"{_type_name(value)} cannot be converted to a string")


def _fn_tonumber(ev: Evaluator, args: list, site: Site) -> Any:
    _needs_known(args)
    value = args[0] if args else None
    if value is None:
        return None
    number = _as_number(value)
    if number is None:
        raise _CallError(f"{_describe(value)} is not a number")
    return number


def _fn_tobool(ev: Evaluator, args: list, site: Site) -> Any:
    _needs_known(args)
    value = args[0] if args else None
    if value is None:
        return None
    decided = _as_bool(value)
    if decided is None:
        raise _CallError(f"{_describe(value)} is not a boolean")
    return decided


def _fn_tolist(ev: Evaluator, args: list, site: Site) -> Any:
    _needs_known(args)
    return _list_arg(args[0] if args else None, "the argument")


def _fn_toset(ev: Evaluator, args: list, site: Site) -> Any:
    _needs_known(args)
    items = _list_arg(args[0] if args else None, "the argument")
    unique: list = []
    for item in items:
        if not any(same(item, seen) for seen in unique):
            unique.append(item)
    # Terraform iterates a set of strings in lexical order.
    if all(isinstance(i, str) and MARK not in i for i in unique):
        unique.sort()
    return unique


def _fn_tomap(ev: Evaluator, args: list, site: Site) -> Any:
    _needs_known(args)
    value = args[0] if args else None
    if not isinstance(value, dict):
        raise _CallError(f"{_type_name(value)} is not an object")
    return value


def _literal_text_function(transform: Callable[[str], str]) -> Callable:
    def function(ev: Evaluator, args: list, site: Site) -> Any:
        _needs_known(args)
        if len(args) != 1:
            raise _CallError("takes one argument")
        return transform(_string_arg(args[0], "the argument", literal=True))
    return function


def _fn_replace(ev: Evaluator, args: list, site: Site) -> Any:
    _needs_known(args)
    if len(args) != 3:
        raise _CallError("takes three arguments")
    text = _string_arg(args[0], "the string", literal=True)
    search = _string_arg(args[1], "the search string", literal=True)
    if len(search) > 1 and search.startswith("/") and search.endswith("/"):
        raise _CallError("regular-expression replacement is not evaluated")
    return text.replace(search, _string_arg(args[2], "the replacement", literal=True))


def _fn_split(ev: Evaluator, args: list, site: Site) -> Any:
    _needs_known(args)
    if len(args) != 2:
        raise _CallError("takes two arguments")
    separator = _string_arg(args[0], "the separator", literal=True)
    if not separator:
        raise _CallError("the separator is empty")
    return _string_arg(args[1], "the string", literal=True).split(separator)


def _fn_lookup(ev: Evaluator, args: list, site: Site) -> Any:
    if len(args) not in (2, 3):
        raise _CallError("takes two or three arguments")
    _needs_known(args[:2])
    mapping, key = args[0], _string_arg(args[1], "the key", literal=True)
    if not isinstance(mapping, dict):
        raise _CallError(f"the first argument is {_type_name(mapping)}, not a map")
    if key in mapping:
        return mapping[key]
    if len(args) == 3:
        return args[2]
    raise _CallError(f"the map has no key {key!r} and there is no default")


def _fn_element(ev: Evaluator, args: list, site: Site) -> Any:
    _needs_known(args)
    if len(args) != 2:
        raise _CallError("takes two arguments")
    items = _list_arg(args[0], "the first argument")
    position = _as_index(args[1])
    if position is None or not items:
        raise _CallError("needs a non-empty list and a whole-number index")
    return items[position % len(items)]


def _fn_length(ev: Evaluator, args: list, site: Site) -> Any:
    _needs_known(args)
    (value,) = args if len(args) == 1 else (None,)
    if isinstance(value, (list, dict)):
        return len(value)
    if isinstance(value, str) and MARK not in value:
        return len(value)
    raise _CallError(f"the length of {_describe(value)} is not known before apply")


def _fn_coalesce(ev: Evaluator, args: list, site: Site) -> Any:
    for arg in args:
        if isinstance(arg, (Unknown, Lazy)):
            raise _CallError("an argument is known only after apply")
        if arg is not None and arg != "":
            return arg
    raise _CallError("every argument is null or empty")


def _fn_compact(ev: Evaluator, args: list, site: Site) -> Any:
    _needs_known(args)
    items = _list_arg(args[0] if args else None, "the argument")
    if any(isinstance(i, Unknown) for i in items):
        raise _CallError("an item is known only after apply")
    return [i for i in items if i is not None and i != ""]


def _fn_flatten(ev: Evaluator, args: list, site: Site) -> Any:
    _needs_known(args)

    def flat(items: list) -> list:
        out: list = []
        for item in items:
            if isinstance(item, Unknown):
                raise _CallError("an item is known only after apply")
            out.extend(flat(item) if isinstance(item, list) else [item])
        return out

    return flat(_list_arg(args[0] if args else None, "the argument"))


def _fn_distinct(ev: Evaluator, args: list, site: Site) -> Any:
    _needs_known(args)
    unique: list = []
    for item in _list_arg(args[0] if args else None, "the argument"):
        if not any(same(item, seen) for seen in unique):
            unique.append(item)
    return unique


def _fn_contains(ev: Evaluator, args: list, site: Site) -> Any:
    _needs_known(args)
    if len(args) != 2:
        raise _CallError("takes two arguments")
    results = [equals(item, args[1]) for item in _list_arg(args[0], "the first argument")]
    if True in results:
        return True
    if None in results:
        raise _CallError("an item cannot be compared before apply")
    return False


def _fn_keys(ev: Evaluator, args: list, site: Site) -> Any:
    _needs_known(args)
    value = args[0] if args else None
    if not isinstance(value, dict):
        raise _CallError(f"the argument is {_type_name(value)}, not a map")
    return sorted(value)


def _fn_values(ev: Evaluator, args: list, site: Site) -> Any:
    _needs_known(args)
    value = args[0] if args else None
    if not isinstance(value, dict):
        raise _CallError(f"the argument is {_type_name(value)}, not a map")
    return [value[k] for k in sorted(value)]


def _fn_one(ev: Evaluator, args: list, site: Site) -> Any:
    _needs_known(args)
    items = _list_arg(args[0] if args else None, "the argument")
    if len(items) > 1:
        raise _CallError("the list has more than one item")
    return items[0] if items else None


def _fn_startswith(ev: Evaluator, args: list, site: Site) -> Any:
    return _affix(args, str.startswith, 0)


def _fn_endswith(ev: Evaluator, args: list, site: Site) -> Any:
    return _affix(args, str.endswith, -1)


def _affix(args: list, test: Callable[[str, str], bool], end: int) -> Any:
    _needs_known(args)
    if len(args) != 2:
        raise _CallError("takes two arguments")
    text = _string_arg(args[0], "the string")
    affix = _string_arg(args[1], "the prefix or suffix", literal=True)
    if MARK not in text:
        return test(text, affix)
    known = parts(text)[end]
    if isinstance(known, str) and len(known) >= len(affix):
        return test(known, affix)
    raise _CallError(f"{_describe(text)} is known only after apply")


def _fn_file(ev: Evaluator, args: list, site: Site) -> Any:
    _needs_known(args)
    if len(args) != 1:
        raise _CallError("takes one argument")
    return ev.context.read_file(_string_arg(args[0], "the path", literal=True), site)


def _fn_templatefile(ev: Evaluator, expr: Call, site: Site, scope: dict) -> Any:
    from rumpolicy.load.source import SourceError
    from rumpolicy.load.terraform_syntax import parse_template

    if len(expr.args) != 2:
        return site.unknown("templatefile() takes two arguments")
    path = ev.value(expr.args[0], site.at(expr.args[0]), scope)
    variables = ev.value(expr.args[1], site.at(expr.args[1]), scope)
    if isinstance(path, Unknown):
        return path
    if not isinstance(path, str) or MARK in path:
        return site.unknown(f"templatefile(): the path {_describe(path)} is not known before apply")
    if not isinstance(variables, dict):
        return site.unknown(f"templatefile(): the variables are {_type_name(variables)}, not an object")
    text = ev.context.read_file(path, site)
    if isinstance(text, Unknown):
        return text
    try:
        template = parse_template(text, site.source, site.span)
    except SourceError as error:
        return site.unknown(f"templatefile(): {path}: {error.message}")
    # The template sees only its variables (and functions), not the module's names.
    return Evaluator(_TemplateContext(ev.context)).value(template, site, dict(variables))


class _TemplateContext:
    def __init__(self, outer: Context) -> None:
        self.outer = outer

    def root(self, ev: Evaluator, name: str, site: Site) -> Any:
        return site.unknown(f"the template uses {name!r}, which is not among its variables")

    def read_file(self, path: str, site: Site) -> Any:
        return self.outer.read_file(path, site)


def _fn_try(ev: Evaluator, expr: Call, site: Site, scope: dict) -> Any:
    # The first argument that evaluates; an argument that cannot be evaluated here may or may not
    # fail in Terraform, so the answer is open unless the first one is known.
    for arg in expr.args:
        value = ev.value(arg, site.at(arg), scope)
        if not has_unknown(value):
            return value
        return site.unknown("try(): whether its first argument fails cannot be decided before apply")
    return site.unknown("try() needs at least one argument")


def _fn_path_part(transform: Callable[[str], str]) -> Callable:
    def function(ev: Evaluator, args: list, site: Site) -> Any:
        _needs_known(args)
        return transform(_string_arg(args[0] if args else None, "the path", literal=True))
    return function


FUNCTIONS: dict[str, Callable] = {
    "jsonencode": _fn_jsonencode, "jsondecode": _fn_jsondecode, "format": _fn_format, "join": _fn_join,
    "concat": _fn_concat, "merge": _fn_merge, "tostring": _fn_tostring, "tonumber": _fn_tonumber,
    "tobool": _fn_tobool, "tolist": _fn_tolist, "toset": _fn_toset, "tomap": _fn_tomap,
    "lower": _literal_text_function(str.lower), "upper": _literal_text_function(str.upper),
    "trimspace": _literal_text_function(str.strip), "chomp": _literal_text_function(lambda s: s.rstrip("\r\n")),
    "replace": _fn_replace, "split": _fn_split, "lookup": _fn_lookup, "element": _fn_element,
    "length": _fn_length, "coalesce": _fn_coalesce, "compact": _fn_compact, "flatten": _fn_flatten,
    "distinct": _fn_distinct, "contains": _fn_contains, "keys": _fn_keys, "values": _fn_values,
    "one": _fn_one, "startswith": _fn_startswith, "endswith": _fn_endswith, "file": _fn_file,
    "templatefile": _fn_templatefile, "try": _fn_try,
    "basename": _fn_path_part(os.path.basename), "dirname": _fn_path_part(os.path.dirname),
}
# Functions that see their argument expressions, not values.
LAZY_FUNCTIONS = frozenset({"templatefile", "try"})
# Functions that render an unknown argument into their result instead of being unknown as a whole.
PARTIAL_FUNCTIONS = frozenset({"jsonencode", "format", "join", "tostring"})
