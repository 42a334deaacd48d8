"""Precise edits (``ReplaceNode``, ``SetPath``) as patches of a Terraform file's text.

Where values are: ``rumpolicy.fix.hcl_spans``. How values are written: as the configuration writes them,
by the snippet writer of ``rumpolicy.model.dialect`` (``_Hcl``), so that a fix refers to what the input
refers to (``aws_cognito_identity_pool.x.id`` as a bare expression, ``"${...}"`` inside a string), strings
are quoted and lists are ``["a"]``. A new member goes on its own line after the last one, at its
siblings' indentation with its ``=`` aligned to theirs (as ``terraform fmt`` aligns a group); in a one-line
object it follows the last member after ``, ``.

A policy in a heredoc (``<<EOF ... EOF``) is JSON: its content is edited as JSON text
(``rumpolicy.fix.apply.Document``), with references as ``"${aws_rum_app_monitor.x.arn}"``.

A policy rendered by ``data "aws_iam_policy_document"`` is edited in the data block: a replaced value where
the edit's span places it, and a ``Condition`` key set (``SetPath``) as a ``condition { test variable values }``
block of the ``statement`` block the span places the statement at (its ``values`` replaced when a block with
that test and variable is there). A ``SetPath`` at ``/resource`` with the path ``(<type>, <name>)`` writes a new
resource block at the end of the file. A policy in a quoted string, or a value in a module other than the
root, is not edited (``Unfixable`` says which).
"""

from __future__ import annotations

import json
import re

from rumpolicy.findings import escape_pointer_token
from rumpolicy.fix.apply import Document, Patch, nested
from rumpolicy.fix.hcl_spans import HclNode, hcl_nodes
from rumpolicy.fix.nodes import Unfixable
from rumpolicy.model.dialect import _Hcl
from rumpolicy.model.messages import ReplaceNode, SetPath
from rumpolicy.model.symbols import IMPORT, MARK, OPAQUE, Symbol, parts, render


class TerraformDocument:
    """One ``.tf`` file's text, what each of its values spans, and how it writes values."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.nodes = hcl_nodes(text)

    def patches(self, edit) -> list[Patch]:
        pointer = edit.location.pointer
        if pointer == "/resource" and isinstance(edit, SetPath):
            _check_value(edit.tree)
            return [self._new_block(tuple(edit.path), edit.tree)]
        if not pointer.startswith(("/resource/", "/data/")):
            raise Unfixable(f"no value at {pointer or '/'} in the text (only root-module resources are edited)")
        _check_value(edit.tree)
        try:
            heredoc = self._heredoc_of(pointer)
        except Unfixable:
            # A policy rendered by ``data "aws_iam_policy_document"`` is reached through a reference
            # (``data.aws_iam_policy_document.x.json``): the edit's span names the value in the data block.
            if isinstance(edit, ReplaceNode) and (node := self._at_span(edit.location.span)) is not None:
                return [(node.start, node.end, _Hcl("").expression(edit.tree, node.column))]
            if isinstance(edit, SetPath):
                found = self._statement_at_span(edit.location.span)
                if found is None:
                    raise Unfixable(f"the policy at {pointer} is written elsewhere (its `aws_iam_policy_document` "
                                    "statement was not found in the text)") from None
                return [self._in_statement(*found, tuple(edit.path), edit.tree)]
            raise
        if heredoc is not None:
            return self._in_heredoc(heredoc, edit)
        if isinstance(edit, ReplaceNode):
            return [self._replace(pointer, edit.tree)]
        if isinstance(edit, SetPath):
            return self._set_path(pointer, tuple(edit.path), edit.tree)
        raise Unfixable(f"{type(edit).__name__} is not an edit `rumpolicy fix` applies")

    # -- HCL ---------------------------------------------------------------------------------------
    def _node(self, pointer: str) -> HclNode:
        node = self.nodes.get(pointer)
        if node is None:
            raise Unfixable(f"no value at {pointer} in the text")
        return node

    def _replace(self, pointer: str, tree: object) -> Patch:
        node = self._node(pointer)
        if node.kind == "block":
            raise Unfixable(f"the value at {pointer} is a block")
        if node.kind == "heredoc":
            raise Unfixable(f"the value at {pointer} is a heredoc")
        return (node.start, node.end, _Hcl("").expression(tree, node.column))

    def _set_path(self, pointer: str, path: tuple[str, ...], tree: object) -> list[Patch]:
        here = pointer
        for index, key in enumerate(path):
            node = self._node(here)
            if node.kind not in ("map", "block"):
                raise Unfixable(f"the value at {here} is not an object")
            child = f"{here}/{escape_pointer_token(key)}"
            if key not in node.keys:
                if child in self.nodes:                 # a nested block of that name
                    raise Unfixable(f"{key} at {here} is a block")
                return [self._insert(node, here, key, nested(path[index + 1:], tree))]
            if index == len(path) - 1:
                return [self._replace(child, tree)]
            here = child
        return [self._replace(here, tree)]

    def _insert(self, node: HclNode, pointer: str, key: str, value: object) -> Patch:
        text = self.text
        name = _Hcl.key(key)
        if node.kind == "block" and name != key:
            raise Unfixable(f"{key!r} is not an attribute name")
        if not node.keys:
            if node.close is None:
                raise Unfixable(f"cannot add a key to the object at {pointer}")
            if node.kind == "map" and "\n" not in text[node.start:node.close]:
                return (node.close, node.close, f" {name} = {_Hcl('').expression(value, node.column)} ")
            pad = _line_indent(text, node.start) + 2
            at = text.rfind("\n", 0, node.close) + 1
            if text[at:node.close].strip():
                raise Unfixable(f"cannot add a key to the object at {pointer}")
            return (at, at, " " * pad + f"{name} = {_Hcl('').expression(value, pad)}\n")
        last = len(node.keys) - 1
        end = node.member_ends[last]
        pad = node.key_columns[last]
        rendered = _Hcl("").expression(value, pad)
        if node.kind == "map" and node.key_lines[last] == _line_of(text, node.start):   # one line: `{ a = 1 }`
            return (end, end, f", {name} = {rendered}")
        width = node.key_widths[last]
        if width <= len(name) + 1 or _line_of(text, end) != node.key_lines[last]:   # a multi-line value ends a group
            width = len(name) + 1
        return (end, end, "\n" + " " * pad + name.ljust(width - 1) + " = " + rendered)

    def _offset(self, span) -> int | None:
        """The index of ``span`` (1-based line and column) in the text."""
        if span is None or not span.line or not span.column:
            return None
        offset = 0
        for _ in range(span.line - 1):
            offset = self.text.find("\n", offset) + 1
            if offset == 0:
                return None
        return offset + span.column - 1

    def _at_span(self, span) -> HclNode | None:
        """The string or plain value of a data block that starts at ``span`` (1-based line and column)."""
        at = self._offset(span)
        if at is None:
            return None
        for pointer, node in self.nodes.items():
            if pointer.startswith("/data/aws_iam_policy_document/") and node.start == at and node.kind == "string":
                return node
        return None

    # -- new blocks ----------------------------------------------------------------------------------
    def _statement_at_span(self, span) -> tuple[str, HclNode] | None:
        """The ``statement`` block of an ``aws_iam_policy_document`` whose keyword is at ``span``."""
        at = self._offset(span)
        if at is None:
            return None
        for pointer, node in self.nodes.items():
            if node.kind == "block" and node.head == at and _STATEMENT.match(pointer):
                return pointer, node
        return None

    def _in_statement(self, pointer: str, block: HclNode, path: tuple[str, ...], tree: object) -> Patch:
        """``Condition.<test>.<variable>`` of a policy statement as a ``condition`` block of its ``statement``:
        the ``values`` of a block with that test and variable replaced, else a new block at the statement's end."""
        if len(path) != 3 or path[0] != "Condition":
            raise Unfixable(f"the statement at {pointer} is an `aws_iam_policy_document` block: only a `condition` "
                            "is added to it")
        test, variable = path[1], path[2]
        values = list(tree) if isinstance(tree, (list, tuple)) else [tree]
        if f"{pointer}/dynamic/0" in self.nodes:
            raise Unfixable(f"the statement at {pointer} has `dynamic` blocks")
        index = 0
        while (found := f"{pointer}/condition/{index}") in self.nodes:
            written = [_literal(self.text, self.nodes.get(f"{found}/{name}")) for name in ("test", "variable")]
            if None in written:
                raise Unfixable(f"the condition at {found} is not written as literal strings")
            if written == [test, variable]:
                return self._replace(f"{found}/values", values)
            index += 1
        if block.close is None:
            raise Unfixable(f"cannot add a block to the statement at {pointer}")
        at = self.text.rfind("\n", 0, block.close) + 1
        if at <= block.start or self.text[at:block.close].strip():
            raise Unfixable(f"the statement at {pointer} is written on one line")
        pad = block.key_columns[0] if block.keys else block.column + 2
        body = _Hcl("").body({"test": test, "variable": variable, "values": values}, pad + 2)
        return (at, at, " " * pad + "condition {\n" + body + "\n" + " " * pad + "}\n")

    def _new_block(self, path: tuple[str, ...], tree: object) -> Patch:
        """A new ``resource "<type>" "<name>"`` block with ``tree`` as its body, at the end of the file."""
        if len(path) != 2 or not all(_LABEL.match(p) for p in path) or not isinstance(tree, dict):
            raise Unfixable(f"a new resource is named by its type and name, not {'.'.join(path)!r}")
        if f"/resource/{path[0]}/{path[1]}" in self.nodes:
            raise Unfixable(f"the file already has a resource {path[0]}.{path[1]}")
        text = self.text
        lead = "" if not text.strip() or text.endswith("\n\n") else "\n" if text.endswith("\n") else "\n\n"
        block = f'resource "{path[0]}" "{path[1]}" {{\n' + _Hcl("").body(tree, 2) + "\n}\n"
        return (len(text), len(text), lead + block)

    # -- heredoc JSON --------------------------------------------------------------------------------
    def _heredoc_of(self, pointer: str) -> tuple[str, HclNode] | None:
        here = pointer
        while here.count("/") > 3:
            node = self.nodes.get(here)
            if node is not None:
                if node.kind == "heredoc":
                    return here, node
                if node.kind == "string" and here != pointer:
                    raise Unfixable(f"the policy at {here} is a quoted string (only heredoc JSON is edited)")
                if node.kind == "expr" and here != pointer:
                    raise Unfixable(f"the value at {here} is an expression rumpolicy does not edit")
                return None
            here = here.rsplit("/", 1)[0]
        return None

    def _in_heredoc(self, found: tuple[str, HclNode], edit) -> list[Patch]:
        prefix, node = found
        start, stop = node.inner
        content = self.text[start:stop]
        if "%{" in content:
            raise Unfixable(f"the policy at {prefix} uses template directives")
        document = Document(content, True)
        inner = edit.location.pointer[len(prefix):]
        location = type(edit.location)(edit.location.source, inner, None)
        moved = (ReplaceNode(location, _interpolated(edit.tree)) if isinstance(edit, ReplaceNode)
                 else SetPath(location, edit.path, _interpolated(edit.tree)))
        return [(start + a, start + b, new) for a, b, new in document.patches(moved)]


_STATEMENT = re.compile(r"^/data/aws_iam_policy_document/[^/]+/statement/\d+$")
_LABEL = re.compile(r"^[A-Za-z_][A-Za-z0-9_\-]*$")


def _literal(text: str, node: HclNode | None) -> str | None:
    """A quoted string's value, None when it is not a plain literal (a template, an expression)."""
    if node is None or node.kind != "string":
        return None
    raw = text[node.start + 1:node.end - 1]
    if "${" in raw or "%{" in raw:
        return None
    try:
        return json.loads(f'"{raw}"')
    except ValueError:
        return None


def _check_value(tree: object) -> None:
    """Unfixable when the value holds a token Terraform cannot write, or one from another module."""
    if isinstance(tree, dict):
        for item in tree.values():
            _check_value(item)
    elif isinstance(tree, (list, tuple)):
        for item in tree:
            _check_value(item)
    elif isinstance(tree, str) and MARK in tree:
        for piece in parts(tree):
            if isinstance(piece, Symbol) and (piece.kind in (IMPORT, OPAQUE) or piece.detail.startswith("module.")):
                raise Unfixable(f"the value {render(tree)} is not known in the input")


def _interpolated(tree: object) -> object:
    """A value for JSON in a heredoc: tokens as ``${reference}`` in strings; literal ``${`` is refused."""
    if isinstance(tree, dict):
        return {k: _interpolated(v) for k, v in tree.items()}
    if isinstance(tree, (list, tuple)):
        return [_interpolated(v) for v in tree]
    if not isinstance(tree, str):
        return tree
    out = []
    for piece in parts(tree):
        if isinstance(piece, str):
            if "${" in piece or "%{" in piece:
                raise Unfixable(f"the value {piece!r} would read as a template in a heredoc")
            out.append(piece)
        else:
            reference = _Hcl("").reference(piece)
            if reference is None:
                raise Unfixable(f"the value {render(tree)} is not known in the input")
            out.append("${" + reference + "}")
    return "".join(out)


def _line_of(text: str, index: int) -> int:
    return text.count("\n", 0, index)


def _line_indent(text: str, index: int) -> int:
    begin = text.rfind("\n", 0, index) + 1
    line = text[begin:index]
    return len(line) - len(line.lstrip(" "))
