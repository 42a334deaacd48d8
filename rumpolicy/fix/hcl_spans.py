"""Where each value of a Terraform (HCL native syntax) text is, by the loader's JSON pointers: start, end,
and how its members are laid out. The loader's source map has start positions only; an edit by span
needs ends too, so this scans the text itself: blocks and attributes, and inside attribute values the
object and tuple expressions of ``jsonencode({...})``, with bracket matching that skips strings
(``${...}`` included), heredocs and comments.

Pointers are the loader's: ``/resource/<type>/<name>/<attribute>``, a nested block by its index among the
blocks of its type (``/resource/aws_iam_role/x/inline_policy/0/policy``), and ``jsonencode``'s argument at
the attribute's own pointer (``.../assume_role_policy/Statement/0/Condition``). A heredoc is a ``string``
node whose ``inner`` span is its content (read as JSON by the caller). A block node also records where its
type keyword starts (``head``): the loader's source map places a block there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from rumpolicy.findings import escape_pointer_token
from rumpolicy.fix.nodes import Unfixable

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_\-]*")
_HEREDOC = re.compile(r"<<(-?)([A-Za-z_][A-Za-z0-9_]*)[ \t]*\n")
_CLOSERS = {"(": ")", "[": "]", "{": "}"}


@dataclass
class HclNode:
    kind: str                      # "block", "map" (object expression), "seq" (tuple), "string", "heredoc", "expr"
    start: int                     # first character of the value (a block: its ``{``)
    end: int                       # index after the value
    column: int                    # 0-based column of the line's first character where the member starts
    close: int | None = None       # block, map, seq: index of the closing bracket
    keys: list[str] = field(default_factory=list)         # block: attribute names; map: keys, in order
    key_columns: list[int] = field(default_factory=list)
    key_lines: list[int] = field(default_factory=list)
    key_widths: list[int] = field(default_factory=list)   # columns from the key's start to its ``=``
    member_ends: list[int] = field(default_factory=list)  # index after each member's value
    inner: tuple[int, int] | None = None                  # heredoc: its content
    head: int | None = None                               # block: index of its type keyword (``statement``)


class _Scanner:
    def __init__(self, text: str) -> None:
        self.text = text
        self.nodes: dict[str, HclNode] = {}

    # -- characters ----------------------------------------------------------------------------
    def column(self, at: int) -> int:
        return at - (self.text.rfind("\n", 0, at) + 1)

    def line(self, at: int) -> int:
        return self.text.count("\n", 0, at)

    def skip(self, at: int, newlines: bool = True) -> int:
        """Past spaces and comments (and newlines when ``newlines``)."""
        text, n = self.text, len(self.text)
        while at < n:
            c = text[at]
            if c in " \t\r" or (newlines and c == "\n"):
                at += 1
            elif c == "#" or text.startswith("//", at):
                eol = text.find("\n", at)
                at = n if eol < 0 else eol
            elif text.startswith("/*", at):
                close = text.find("*/", at + 2)
                if close < 0:
                    raise Unfixable("an unterminated comment")
                at = close + 2
            else:
                break
        return at

    def string_end(self, at: int) -> int:
        """Index after the quoted string starting at ``at`` (templates ``${...}`` skipped as expressions)."""
        text, n, i = self.text, len(self.text), at + 1
        while i < n:
            c = text[i]
            if c == "\\":
                i += 2
            elif c == '"':
                return i + 1
            elif c == "\n":
                break
            elif text.startswith("${", i) or text.startswith("%{", i):
                if text.startswith("$${", i - 1) or text.startswith("%%{", i - 1):
                    i += 2
                    continue
                i = self.balanced(i + 1)
            else:
                i += 1
        raise Unfixable("an unterminated string")

    def heredoc_end(self, at: int) -> tuple[int, int, int]:
        """(content start, content end, index after the closing marker) of the heredoc at ``at``."""
        match = _HEREDOC.match(self.text, at)
        if match is None:
            raise Unfixable("a heredoc it cannot read")
        marker = re.compile(r"^[ \t]*" + re.escape(match.group(2)) + r"[ \t]*$", re.M)
        close = marker.search(self.text, match.end())
        if close is None:
            raise Unfixable("an unterminated heredoc")
        return match.end(), close.start(), close.end()

    def balanced(self, at: int) -> int:
        """Index after the bracket group opening at ``at``."""
        text, n, stack, i = self.text, len(self.text), [_CLOSERS[self.text[at]]], at + 1
        while i < n:
            i = self.skip(i)
            if i >= n:
                break
            c = text[i]
            if c == '"':
                i = self.string_end(i)
            elif text.startswith("<<", i) and _HEREDOC.match(text, i):
                i = self.heredoc_end(i)[2]
            elif c in _CLOSERS:
                stack.append(_CLOSERS[c])
                i += 1
            elif c in ")]}":
                if c != stack.pop():
                    raise Unfixable("unbalanced brackets")
                i += 1
                if not stack:
                    return i
            else:
                i += 1
        raise Unfixable("unbalanced brackets")

    # -- structure -----------------------------------------------------------------------------
    def body(self, at: int, pointer: str | None, node: HclNode | None) -> int:
        """Read a body up to its ``}`` (or the end); returns the index of the ``}`` (or the end)."""
        text, n = self.text, len(self.text)
        counts: dict[str, int] = {}
        while True:
            at = self.skip(at)
            if at >= n or text[at] == "}":
                return at
            match = _IDENT.match(text, at)
            if match is None:
                raise Unfixable(f"unexpected {text[at]!r} at line {self.line(at) + 1}")
            name, key_at = match.group(), at
            at = self.skip(match.end(), newlines=False)
            if text[at] == "=" and not text.startswith("==", at):
                value_at = self.skip(at + 1, newlines=False)
                child = None if pointer is None else f"{pointer}/{escape_pointer_token(name)}"
                end = self.expression(value_at, child, self.column(key_at))
                if node is not None:
                    node.keys.append(name)
                    node.key_columns.append(self.column(key_at))
                    node.key_lines.append(self.line(key_at))
                    node.key_widths.append(at - key_at)
                    node.member_ends.append(end)
                at = end
                continue
            labels = []
            while at < n and text[at] != "{":
                if text[at] == '"':
                    end = self.string_end(at)
                    labels.append(text[at + 1:end - 1])
                else:
                    label = _IDENT.match(text, at)
                    if label is None:
                        raise Unfixable(f"unexpected {text[at]!r} at line {self.line(at) + 1}")
                    labels.append(label.group())
                    end = label.end()
                at = self.skip(end, newlines=False)
            if at >= n:
                raise Unfixable("an unterminated block")
            if pointer is None and node is None:           # top level: /resource/<type>/<name>
                child = "/" + "/".join(escape_pointer_token(p) for p in [name, *labels])
            elif pointer is not None:
                index = counts.get(name, 0)
                counts[name] = index + 1
                child = f"{pointer}/{escape_pointer_token(name)}/{index}"
            else:
                child = None
            block = HclNode("block", at, at, self.column(key_at), head=key_at)
            close = self.body(at + 1, child, block)
            if close >= n:
                raise Unfixable("an unterminated block")
            block.close, block.end = close, close + 1
            if child is not None and child not in self.nodes:
                self.nodes[child] = block
            at = close + 1

    def expression(self, at: int, pointer: str | None, column: int) -> int:
        """Read one expression; record its node; returns the index after it."""
        text, n = self.text, len(self.text)
        if text.startswith("jsonencode(", at):
            inner = self.skip(at + len("jsonencode("))
            end = self.expression(inner, pointer, column)
            end = self.skip(end)
            if end >= n or text[end] != ")":
                self._forget(pointer)
                return self.rest(at, pointer, column)
            return self.rest(at, None, column, end + 1)
        if at < n and text[at] == "{":
            node = HclNode("map", at, at, column)
            close = self.members(at + 1, pointer, node, "}")
            node.close, node.end = close, close + 1
            return self.rest(at, pointer, column, close + 1, node)
        if at < n and text[at] == "[":
            node = HclNode("seq", at, at, column)
            close = self.members(at + 1, pointer, node, "]")
            node.close, node.end = close, close + 1
            return self.rest(at, pointer, column, close + 1, node)
        if at < n and text[at] == '"':
            end = self.string_end(at)
            return self.rest(at, pointer, column, end, HclNode("string", at, end, column))
        if text.startswith("<<", at) and _HEREDOC.match(text, at):
            start, stop, end = self.heredoc_end(at)
            return self.rest(at, pointer, column, end, HclNode("heredoc", at, end, column, inner=(start, stop)))
        return self.rest(at, pointer, column)

    def rest(self, at: int, pointer: str | None, column: int, end: int | None = None,
             node: HclNode | None = None) -> int:
        """The end of an expression whose first part ends at ``end``: a value followed by more (``.id``, an
        operator) is an ``expr`` and nothing inside it is editable."""
        text, n = self.text, len(self.text)
        i = at if end is None else end
        plain = end is not None
        while i < n:
            j = self.skip(i, newlines=False)
            if j >= n or text[j] in "\n,)]}":
                break
            if text.startswith("#", j) or text.startswith("//", j):
                break
            plain = False
            c = text[j]
            if c == '"':
                i = self.string_end(j)
            elif text.startswith("<<", j) and _HEREDOC.match(text, j):
                i = self.heredoc_end(j)[2]
            elif c in _CLOSERS:
                i = self.balanced(j)
            else:
                i = j + 1
        stop = i
        while stop > at and text[stop - 1] in " \t\r":
            stop -= 1
        if pointer is not None:
            if plain and node is not None:
                self.nodes[pointer] = node
            else:
                self._forget(pointer)
                self.nodes[pointer] = HclNode("expr", at, stop, column)
        return stop

    def _forget(self, pointer: str | None) -> None:
        """Drop the nodes recorded inside a value that turned out not to be a plain one."""
        if pointer is None:
            return
        for key in [k for k in self.nodes if k == pointer or k.startswith(pointer + "/")]:
            del self.nodes[key]

    def members(self, at: int, pointer: str | None, node: HclNode, closer: str) -> int:
        """Members of an object (``key = value`` or ``key: value``) or a tuple, up to ``closer``."""
        text, n, index = self.text, len(self.text), 0
        while True:
            at = self.skip(at)
            if at >= n:
                raise Unfixable("unbalanced brackets")
            if text[at] == closer:
                return at
            if text[at] == ",":
                at += 1
                continue
            if closer == "]":
                child = None if pointer is None else f"{pointer}/{index}"
                end = self.expression(at, child, self.column(at))
                node.member_ends.append(end)
                index += 1
                at = end
                continue
            key_at = at
            if text[at] == '"':
                key_end = self.string_end(at)
                key = _unquote(text[at + 1:key_end - 1])
            else:
                match = _IDENT.match(text, at)
                if match is None:
                    raise Unfixable(f"an object key it cannot read at line {self.line(at) + 1}")
                key_end, key = match.end(), match.group()
            at = self.skip(key_end, newlines=False)
            if at >= n or text[at] not in "=:":
                raise Unfixable(f"an object key it cannot read at line {self.line(key_at) + 1}")
            child = None if pointer is None or key is None else f"{pointer}/{escape_pointer_token(key)}"
            end = self.expression(self.skip(at + 1, newlines=False), child, self.column(key_at))
            node.keys.append(key)
            node.key_columns.append(self.column(key_at))
            node.key_lines.append(self.line(key_at))
            node.key_widths.append(at - key_at)
            node.member_ends.append(end)
            at = end


def _unquote(raw: str) -> str | None:
    """A quoted key's value; None when it holds a template (then it names no fixed key)."""
    if "${" in raw.replace("$${", "") or "%{" in raw.replace("%%{", ""):
        return None
    import json

    try:
        return json.loads(f'"{raw}"')
    except ValueError:
        return None


def hcl_nodes(text: str) -> dict[str, HclNode]:
    """Every value of a Terraform file by pointer; Unfixable when the text is not HCL this scanner reads."""
    scanner = _Scanner(text)
    end = scanner.body(0, None, None)
    if end < len(text):
        raise Unfixable(f"unexpected '}}' at line {scanner.line(end) + 1}")
    return scanner.nodes
