"""Blocks as they are written in a Terraform configuration, read the same way by the module evaluation,
the policy-document builder and the resource views: nested blocks with ``dynamic`` blocks expanded,
the names that refer to providers and iterators, where a block is, and how a value is named in a message.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rumpolicy.findings import Location, join_pointer
from rumpolicy.load.terraform_eval import Sink
from rumpolicy.load.terraform_nodes import Block, Body, GetAttr, Literal, Name
from rumpolicy.model import Unknown
from rumpolicy.model.symbols import render

if TYPE_CHECKING:
    from rumpolicy.load.terraform_modules import ModuleInstance


def expand_blocks(module: "ModuleInstance", body: Body, name: str, scope: dict, sink: Sink,
                  pointer: str) -> list[tuple[Block, dict]] | Unknown:
    """Nested ``name`` blocks in order, ``dynamic "name"`` blocks expanded when their ``for_each`` is known."""
    dynamics = [b for b in body.blocks("dynamic") if b.labels[:1] == (name,)]
    if not dynamics:
        return [(b, scope) for b in body.blocks(name)]
    ordered = sorted([*body.blocks(name), *dynamics], key=lambda b: (b.span.line, b.span.column) if b.span else (0, 0))
    out: list[tuple[Block, dict]] = []
    for block in ordered:
        if block.type == name:
            out.append((block, scope))
            continue
        for_each = block.body.attribute("for_each")
        contents = block.body.blocks("content")
        if for_each is None or len(contents) != 1:
            return sink.unknown(pointer, block.source, block.span, f"dynamic {name!r} block without for_each or content")
        iterator = block.body.attribute("iterator")
        iterator_name = provider_name(iterator.expr) if iterator is not None else name
        collection = module.evaluate(for_each, sink, scope, pointer)
        if isinstance(collection, dict):
            items = [(k, collection[k]) for k in sorted(collection)]
        elif isinstance(collection, list):
            items = list(enumerate(collection))
        else:
            reason = collection.reason if isinstance(collection, Unknown) else f"it is {shown(collection)}"
            return sink.unknown(pointer, block.source, block.span,
                                f"the for_each of dynamic {name!r} could not be resolved ({reason})")
        for key, value in items:
            out.append((contents[0], {**scope, iterator_name or name: {"key": key, "value": value}}))
    return out


def provider_name(expr: Any) -> str | None:
    """A name written as a bare word or a string: ``aws.west``, ``"aws"``, an iterator's name."""
    if isinstance(expr, Literal) and isinstance(expr.value, str):
        return expr.value
    if isinstance(expr, Name):
        return expr.name
    if isinstance(expr, GetAttr) and isinstance(expr.target, Name):
        return f"{expr.target.name}.{expr.name}"
    return None


def block_location(block: Block, mode: str) -> Location:
    return Location(block.source, join_pointer(f"/{mode}", *block.labels), block.span)


def shown(value: Any) -> str:
    """A value as a message names it (a count or for_each that is not a number or collection)."""
    if isinstance(value, str):
        return repr(render(value))
    return {list: "a list", dict: "an object", type(None): "null"}.get(type(value), repr(value))
