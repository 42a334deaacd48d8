"""Precise edits (``ReplaceNode``, ``SetPath``) as patches of a file's text, and patches applied.

A patch replaces ``text[start:end]``; an insertion has ``start == end``. Only the edited value's own
characters change: comments, key order, quoting and indentation of everything else stay as written.
YAML insertions are block lines at the indentation of the mapping's keys (or ``, key: value`` in a flow
mapping); JSON insertions are members at the indentation of their siblings, nested with the file's step.
A ``literal`` document (a bare IAM policy, which refers to nothing) takes only values known as literals.
"""

from __future__ import annotations

import re

from rumpolicy.findings import escape_pointer_token
from rumpolicy.fix.nodes import TextNode, Unfixable, text_nodes
from rumpolicy.fix.values import block_yaml, flow_yaml, json_value, known_literal, short_form, yaml_string
from rumpolicy.model.messages import ReplaceNode, SetPath

Patch = tuple[int, int, str]


class Document:
    """One file's text, what each of its values spans, and how it writes values."""

    def __init__(self, text: str, is_json: bool, *, literal: bool = False) -> None:
        self.text = text
        self.is_json = is_json
        self.literal = literal
        self.nodes = text_nodes(text)
        self.short = not is_json and short_form(text)
        self.step = _indent_step(text)

    def patches(self, edit) -> list[Patch]:
        if self.literal and isinstance(edit, (ReplaceNode, SetPath)):
            known_literal(edit.tree)           # Unfixable when a value is not known as a literal
        if isinstance(edit, ReplaceNode):
            return [self._replace(edit.location.pointer, edit.tree)]
        if isinstance(edit, SetPath):
            return self._set_path(edit.location.pointer, tuple(edit.path), edit.tree)
        raise Unfixable(f"{type(edit).__name__} is not an edit `rumpolicy fix` applies")

    def _node(self, pointer: str) -> TextNode:
        node = self.nodes.get(pointer)
        if node is None:
            raise Unfixable(f"no value at {pointer or '/'} in the text")
        if node.shared:
            raise Unfixable(f"the value at {pointer} is shared through a YAML anchor or alias")
        return node

    def _replace(self, pointer: str, tree: object) -> Patch:
        node = self._node(pointer)
        if node.kind == "scalar" and node.style in ("|", ">"):
            raise Unfixable(f"the value at {pointer} is a block scalar")
        if node.kind in ("map", "seq") and not node.flow:
            raise Unfixable(f"the value at {pointer} is a block collection")
        if self.is_json:
            return (node.start, node.end, json_value(tree, None, 0))
        style = node.style if node.kind == "scalar" and node.tag is None else None
        return (node.start, node.end, flow_yaml(tree, self.short, style))

    def _set_path(self, pointer: str, path: tuple[str, ...], tree: object) -> list[Patch]:
        here = pointer
        for index, key in enumerate(path):
            node = self._node(here)
            if node.kind != "map" or node.tag is not None:
                raise Unfixable(f"the value at {here or '/'} is not a mapping")
            if node.merged:
                raise Unfixable(f"the mapping at {here} has a YAML merge key")
            child = f"{here}/{escape_pointer_token(key)}"
            if key not in node.keys:
                return [self._insert(node, here, key, nested(path[index + 1:], tree))]
            if index == len(path) - 1:
                return [self._replace(child, tree)]
            here = child
        return [self._replace(here, tree)]

    def _insert(self, node: TextNode, pointer: str, key: str, value: object) -> Patch:
        text = self.text
        if self.is_json:
            if not node.keys:
                if not node.close:
                    return _no(pointer)
                return (node.close, node.close, f'"{_json_key(key)}": {json_value(value, None, 0)}')
            pad = node.key_columns[-1]
            end = self._last_member_end(node)
            if node.key_lines[-1] == _line_of(text, node.start):        # an object on one line
                return (end, end, f', "{_json_key(key)}": {json_value(value, None, 0)}')
            member = f'"{_json_key(key)}": ' + json_value(value, self.step, pad)
            return (end, end, ",\n" + " " * pad + member)
        if node.flow:
            if node.close is None:
                return _no(pointer)
            if not node.keys:
                return (node.close, node.close, f"{yaml_string(key)}: {flow_yaml(value, self.short)}")
            end = self._last_member_end(node)
            return (end, end, f", {yaml_string(key)}: {flow_yaml(value, self.short)}")
        if not node.keys:
            return _no(pointer)
        pad = node.key_columns[0]
        lines = block_yaml({key: value}, pad, self.step, self.short)
        end = node.end
        newline = text.find("\n", end)
        if end > 0 and text[end - 1] == "\n":          # a block scalar ends at the start of a line
            at = end
        elif newline < 0:
            return (len(text), len(text), "\n" + "\n".join(lines) + "\n")
        else:
            at = newline + 1
        return (at, at, "\n".join(lines) + "\n")

    def _last_member_end(self, node: TextNode) -> int:
        """Index after the last member's value of a flow mapping (before any space or bracket)."""
        end = node.close if node.close is not None else node.end
        while end > node.start and self.text[end - 1] in " \t\r\n":
            end -= 1
        return end


def _no(pointer: str) -> Patch:
    raise Unfixable(f"cannot add a key to the mapping at {pointer or '/'}")


def _json_key(key: str) -> str:
    import json

    return json.dumps(key, ensure_ascii=False)[1:-1]


def _line_of(text: str, index: int) -> int:
    return text.count("\n", 0, index)


def _indent_step(text: str) -> int:
    """The file's indentation step: the smallest indentation of a line, 2 when none is indented."""
    found = [len(m.group(1)) for m in re.finditer(r"^( +)\S", text, re.M)]
    return min(found) if found else 2


def nested(keys, value: object) -> object:
    """``value`` under ``keys``, outermost first: what a missing key of a ``SetPath`` is given."""
    for name in reversed(tuple(keys)):
        value = {name: value}
    return value


def apply_patches(text: str, patches: list[Patch]) -> str:
    """The text with non-overlapping patches applied (insertions at one point in the given order)."""
    ordered = sorted(enumerate(patches), key=lambda item: (item[1][0], item[1][1], item[0]))
    out, pos = [], 0
    for _, (start, end, new) in ordered:
        if start < pos:
            raise Unfixable("two edits overlap")
        out.append(text[pos:start])
        out.append(new)
        pos = end
    out.append(text[pos:])
    return "".join(out)


def overlaps(a: Patch, b: Patch) -> bool:
    """Do two patches of different findings touch the same characters? Two insertions at one point count:
    two edits that each create the same missing key (``Condition``) would insert it twice. The later one
    waits for the next pass, which sees the key the first one wrote."""
    if a == b:
        return False
    if a[0] == a[1] and b[0] == b[1]:
        return a[0] == b[0]
    if a[0] == a[1]:
        return b[0] < a[0] < b[1]
    if b[0] == b[1]:
        return a[0] < b[0] < a[1]
    return a[0] < b[1] and b[0] < a[1]
