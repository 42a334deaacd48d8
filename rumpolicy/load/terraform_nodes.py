"""The syntax tree of a Terraform configuration: expressions, attributes, blocks and bodies, located.

Both parsers of ``terraform_syntax`` (the direct one for the common syntax and the one driving
python-hcl2's grammar) and the JSON syntax build these, and ``terraform_eval`` evaluates them. Every
node keeps the ``Span`` of the first token it is written with.
"""

from __future__ import annotations

from dataclasses import field
from typing import TYPE_CHECKING, Any

from rumpolicy.findings import Span
from rumpolicy.records import record

if TYPE_CHECKING:
    from rumpolicy.load.terraform_syntax import JsonBody

# Deep enough for any real configuration, shallow enough for the converter's recursion: each level of
# the Lark tree costs one Python frame here and a few in the evaluator.
MAX_DEPTH = 150


# --------------------------------------------------------------------------------------------
# Expressions


class Expr:
    __slots__ = ("span",)


class Literal(Expr):
    __slots__ = ("value",)

    def __init__(self, value: Any, span: Span | None):
        self.value, self.span = value, span


class Template(Expr):
    """``"a${b}c"``: literal parts and expressions, concatenated."""

    __slots__ = ("parts",)

    def __init__(self, parts: tuple, span: Span | None):
        self.parts, self.span = parts, span


class Unsupported(Expr):
    """Syntax that is parsed but not evaluated (template directives); ``reason`` says what."""

    __slots__ = ("reason",)

    def __init__(self, reason: str, span: Span | None):
        self.reason, self.span = reason, span


class TupleExpr(Expr):
    __slots__ = ("items",)

    def __init__(self, items: tuple, span: Span | None):
        self.items, self.span = items, span


class ObjectExpr(Expr):
    """``{k = v}``; ``items`` holds ``(key, value)`` with the key a ``Literal`` for bare names."""

    __slots__ = ("items",)

    def __init__(self, items: tuple, span: Span | None):
        self.items, self.span = items, span


class Name(Expr):
    """A root name: ``var``, ``local``, ``aws_iam_role``, ``count``, a ``for`` variable ..."""

    __slots__ = ("name",)

    def __init__(self, name: str, span: Span | None):
        self.name, self.span = name, span


class GetAttr(Expr):
    __slots__ = ("target", "name")

    def __init__(self, target: Expr, name: str, span: Span | None):
        self.target, self.name, self.span = target, name, span


class Index(Expr):
    __slots__ = ("target", "key")

    def __init__(self, target: Expr, key: Expr, span: Span | None):
        self.target, self.key, self.span = target, key, span


class Splat(Expr):
    """``x[*].a.b`` / ``x.*.a``: ``steps`` (("attr", name) or ("index", Expr)) apply to each element."""

    __slots__ = ("target", "steps")

    def __init__(self, target: Expr, steps: tuple, span: Span | None):
        self.target, self.steps, self.span = target, steps, span


class Call(Expr):
    __slots__ = ("name", "args", "expand")

    def __init__(self, name: str, args: tuple, expand: bool, span: Span | None):
        self.name, self.args, self.expand, self.span = name, args, expand, span


class Conditional(Expr):
    __slots__ = ("condition", "then", "otherwise")

    def __init__(self, condition: Expr, then: Expr, otherwise: Expr, span: Span | None):
        self.condition, self.then, self.otherwise, self.span = condition, then, otherwise, span


class Binary(Expr):
    __slots__ = ("op", "left", "right")

    def __init__(self, op: str, left: Expr, right: Expr, span: Span | None):
        self.op, self.left, self.right, self.span = op, left, right, span


class Unary(Expr):
    __slots__ = ("op", "operand")

    def __init__(self, op: str, operand: Expr, span: Span | None):
        self.op, self.operand, self.span = op, operand, span


class ForExpr(Expr):
    """``[for k, v in c : v if k != ""]`` and ``{for k, v in c : k => v...}``."""

    __slots__ = ("key_var", "value_var", "collection", "key", "value", "condition", "grouping")

    def __init__(self, key_var: str | None, value_var: str, collection: Expr, key: Expr | None, value: Expr,
                 condition: Expr | None, grouping: bool, span: Span | None):
        self.key_var, self.value_var, self.collection = key_var, value_var, collection
        self.key, self.value, self.condition, self.grouping, self.span = key, value, condition, grouping, span


# --------------------------------------------------------------------------------------------
# Bodies and blocks


@record(slots=True)
class Attribute:
    name: str
    expr: Expr
    source: str
    span: Span | None


@record(slots=True)
class Block:
    type: str
    labels: tuple[str, ...]
    body: "Body"
    source: str
    span: Span | None


@record(slots=True)
class Body:
    """Attributes and nested blocks as written. In the JSON syntax, which names are blocks depends on
    the schema, so a JSON body answers ``blocks(name)`` by reading that property as blocks."""

    source: str
    attributes: dict[str, Attribute] = field(default_factory=dict)
    block_list: list[Block] = field(default_factory=list)
    json: "JsonBody | None" = None

    def attribute(self, name: str) -> Attribute | None:
        if self.json is not None:
            return self.json.attribute(name)
        return self.attributes.get(name)

    def attribute_names(self) -> list[str]:
        if self.json is not None:
            return self.json.names()
        return list(self.attributes)

    def blocks(self, kind: str) -> list[Block]:
        if self.json is not None:
            return self.json.blocks(kind)
        return [b for b in self.block_list if b.type == kind]

    def has_blocks(self, kind: str) -> bool:
        if self.json is not None:
            return self.json.is_blocks(kind)
        return any(b.type == kind for b in self.block_list)


@record(slots=True)
class ConfigFile:
    path: str
    body: Body
    top_blocks: list[Block]



def template(parts: list, span: Span | None) -> Expr:
    """A quoted template from its parts (strings and expressions): adjacent strings joined, empty ones
    dropped, a template of one string a ``Literal``."""
    merged: list = []
    for part in parts:
        if isinstance(part, str) and merged and isinstance(merged[-1], str):
            merged[-1] += part
        elif part != "":
            merged.append(part)
    if not merged:
        return Literal("", span)
    if len(merged) == 1 and isinstance(merged[0], str):
        return Literal(merged[0], span)
    return Template(tuple(merged), span)

