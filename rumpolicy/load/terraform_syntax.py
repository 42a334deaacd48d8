"""Terraform configuration files (``*.tf``, ``*.tf.json``, ``*.tfvars``) -> located syntax trees.

HCL is parsed by python-hcl2's grammar (``hcl2.parses_to_tree``): its Lark parse tree carries the
line and column of every token, so every attribute, block and nested value keeps its position. The
dictionaries of ``hcl2.loads`` are not used: they turn expressions back into ``"${...}"`` strings
that would have to be parsed again, and in the pinned version its ``with_meta`` option adds no
line numbers. Both syntaxes become the same small expression tree (``terraform_nodes``: ``Literal``,
``Template``, ``Name``, ``GetAttr``, ``Call`` ...), which ``terraform_eval`` evaluates.

The grammar's parser costs about 25 µs per token, so most files are read by ``terraform_fast_parser``
instead, which builds the very tree the grammar's parser gives here, or declines and leaves the file to
it (errors always go to it, so its messages stay the only ones).

Templates that the grammar keeps as one token (heredocs) and the strings of the JSON syntax are
split here into literal parts and ``${...}`` interpolations, each interpolation parsed as an HCL
expression. Template directives (``%{if}``, ``%{for}``) are kept as ``Unsupported``: the
evaluator reports them as unresolved rather than guessing what they render.

Nothing here raises on input but ``SourceError``, with a line and column where one is known.
"""

from __future__ import annotations

import functools
import os
import re
import sys
from typing import Any, Callable, Iterator

from rumpolicy.findings import Span, join_pointer
from rumpolicy.load import terraform_fast_parser as fast_parser
from rumpolicy.load.source import SourceError, parse_json
from rumpolicy.load.terraform_nodes import (MAX_DEPTH, Attribute, Binary, Block, Body, Call, Conditional, ConfigFile,
                                            Expr, ForExpr, GetAttr, Index, Literal, Name, ObjectExpr, Splat, TupleExpr,
                                            Unary, Unsupported, template)

# Top-level block types of the JSON syntax and how many labels each has.
JSON_LABELS = {"resource": 2, "data": 2, "module": 1, "variable": 1, "output": 1, "provider": 1,
               "locals": 0, "terraform": 0, "moved": 0, "import": 0, "check": 1, "removed": 0}


# --------------------------------------------------------------------------------------------
# HCL


def parse_hcl(text: str, path: str) -> ConfigFile:
    """Parse one ``.tf`` file; raises ``SourceError`` on invalid input."""
    body = _guarded(lambda: _parse_body(text, path))
    return ConfigFile(path, body, list(body.block_list))


def _parse_body(text: str, path: str) -> Body:
    # The direct parser reads most files; what it declines, the grammar's parser reads (and refuses
    # with its messages). Both are given the text with a final newline, which ends the last attribute.
    _refuse_costly(text)
    body = fast_parser.parse_body(text + "\n", path, Span, heredoc_expr)     # Span: the identity, one call less
    if body is None:
        body = _Converter(path, _identity).body(_lark_tree(text, scanned=True).children[0], 0)
    return body


def _identity(line: int, column: int) -> Span:
    return Span(line, column)


@functools.lru_cache(maxsize=1)
def _parser():
    """python-hcl2's grammar and post-lexer, without ``propagate_positions``.

    hcl2's own parser has Lark work out the position of every rule as it reduces it, which takes
    about 40% of the parse; tokens carry their positions anyway, so the converter takes a rule's
    position from its first token instead. Building the parse table takes a second, so it is cached
    under ``$XDG_CACHE_HOME/rumpolicy`` (like the IAM action index); where that cannot be written,
    hcl2's own parser (cached in its package) is used.
    """
    import hcl2
    import lark
    from hcl2.parser import parser as hcl2_parser
    from hcl2.postlexer import PostLexer

    grammar = os.path.join(os.path.dirname(hcl2.__file__), "hcl2.lark")
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    folder = os.path.join(base, "rumpolicy")
    version = getattr(hcl2, "__version__", "unknown")
    cached = os.path.join(folder, f"hcl2-{version}-lark-{lark.__version__}-py{sys.version_info[0]}"
                                  f"{sys.version_info[1]}.lark")
    if not os.path.isfile(cached):
        try:
            os.makedirs(folder, exist_ok=True)
            writable = os.access(folder, os.W_OK)
        except OSError:
            writable = False
        if not writable:
            return hcl2_parser()
    # Lark checks the file against the grammar, the options (this path among them) and its version.
    return lark.Lark.open(grammar, cache=cached, parser="lalr", propagate_positions=False, postlex=PostLexer())


def _lark_tree(text: str, *, scanned: bool = False):
    """The grammar's parse tree of ``text`` (``scanned``: ``_refuse_costly`` has already passed it)."""
    from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

    # Lark builds the whole tree before the converter can count its depth: a million nested brackets
    # cost it minutes and a gigabyte. Counting them first costs one pass over the text.
    if not scanned:
        _refuse_costly(text)
    try:
        # A final newline ends the last attribute, as hcl2.parses_to_tree does.
        return _parser().parse(text + "\n")
    except UnexpectedToken as error:
        token = error.token
        if token.type == "$END":
            what = "end of the file"
        else:
            shown = str(token).strip() or repr(str(token))
            what = repr(shown if len(shown) <= 30 else shown[:30] + "...")
        raise SourceError(f"invalid HCL: unexpected {what}", _error_span(error, text)) from None
    except UnexpectedCharacters as error:
        char = text[error.pos_in_stream] if 0 <= error.pos_in_stream < len(text) else ""
        raise SourceError(f"invalid HCL: unexpected character {char!r}", _error_span(error, text)) from None
    except UnexpectedEOF as error:
        raise SourceError("invalid HCL: unexpected end of the file", _error_span(error, text)) from None
    except UnexpectedInput as error:
        raise SourceError("invalid HCL", _error_span(error, text)) from None


# Lark's patterns for strings, comments and heredocs keep about 200 bytes of backtracking state per
# character they match (a 2 MB heredoc peaks at 450 MiB). Policies are at most 10 KB (IAM quotas)
# and user data 16 KB, so a longer one is refused rather than paid for.
MAX_TOKEN_CHARS = 256 * 1024
_HEREDOC_START = re.compile(r"<<-?([a-zA-Z][a-zA-Z0-9._-]*)\r?\n")
_OPENERS, _CLOSERS = "[{(", "]})"
# The characters the scan stops at, in code and inside a quoted string; the rest is skipped by the regex.
_CODE_STOP = re.compile(r'[\[\]{}()"#/<]')
_STRING_STOP = re.compile(r'["\\$%\n]')


def _refuse_costly(text: str, limit: int = MAX_DEPTH) -> None:
    """Raise ``SourceError`` at the first bracket nested deeper than ``limit``, or at the start of a
    string, comment or heredoc longer than ``MAX_TOKEN_CHARS``.

    Brackets in comments, in string literals and in heredocs are text, not nesting, so they are
    skipped; the expressions of ``${...}``/``%{...}`` inside a quoted string are parsed with the file
    and counted. (Heredoc bodies are parsed later, one interpolation at a time, and checked then.)
    """

    # Most files cannot be refused at all: no token is longer than the text, and nesting ``limit``
    # deep takes more than ``limit`` opening brackets. Counting those is a fraction of the scan.
    if len(text) <= MAX_TOKEN_CHARS and text.count("[") + text.count("{") + text.count("(") <= limit:
        return

    def refuse(message: str, at: int) -> None:
        line = text.count("\n", 0, at) + 1
        column = at - (text.rfind("\n", 0, at) + 1) + 1
        raise SourceError(message, Span(line, column))

    def bounded(what: str, start: int, end: int) -> int:
        if end - start > MAX_TOKEN_CHARS:
            refuse(f"the {what} is longer than {MAX_TOKEN_CHARS:,} characters", start)
        return end

    string_start = 0
    # One entry per open construct: a bracket, or '"' for a quoted string (whose interpolations
    # push a '{' that, when closed, returns to the string).
    stack: list[str] = []
    # How many of its entries are brackets, and how many are quoted strings (kept as counts: this scan
    # runs over every file, and counting the stack at each bracket was a fifth of its time).
    brackets = quotes = 0
    index, length = 0, len(text)
    while index < length:
        in_string = bool(stack) and stack[-1] == '"'
        stop = (_STRING_STOP if in_string else _CODE_STOP).search(text, index)
        if stop is None:
            if in_string:
                bounded("string", string_start, length)
            break
        index = stop.start()
        char = text[index]
        if in_string:
            if char == "\\":
                index += 2
                continue
            if char == '"':
                stack.pop()
                quotes -= 1
                if not quotes:
                    bounded("string", string_start, index)
            elif text.startswith(("$${", "%%{"), index):
                index += 3
                continue
            elif text.startswith(("${", "%{"), index):
                stack.append("{")
                brackets += 1
                index += 1
            elif char == "\n":
                stack.pop()                       # an unterminated string: the parser reports it
                quotes -= 1
            index += 1
            continue
        if char == '"':
            if not quotes:
                string_start = index
            stack.append('"')
            quotes += 1
        elif char == "#" or text.startswith("//", index):
            end = text.find("\n", index)
            index = bounded("comment", index, length if end < 0 else end)
            continue
        elif text.startswith("/*", index):
            end = text.find("*/", index + 2)
            index = bounded("comment", index, length if end < 0 else end + 2)
            continue
        elif char == "<" and text.startswith("<<", index):
            heredoc = _HEREDOC_START.match(text, index)
            if heredoc is not None:
                index = bounded("heredoc", index, _heredoc_end(text, heredoc.end(), heredoc.group(1)))
                continue
        elif char in _OPENERS:
            if brackets >= limit:
                refuse(f"the configuration nests deeper than {limit} levels", index)
            stack.append(char)
            brackets += 1
        elif char in _CLOSERS:
            if stack:
                if stack.pop() == '"':
                    quotes -= 1
                else:
                    brackets -= 1
        index += 1


def _heredoc_end(text: str, start: int, marker: str) -> int:
    """Index just after the line that closes a heredoc whose body starts at ``start``."""
    index = start
    while index < len(text):
        end = text.find("\n", index)
        end = len(text) if end < 0 else end
        if text[index:end].strip() == marker:
            return end
        index = end + 1
    return len(text)


def _error_span(error, text: str) -> Span | None:
    line, column = getattr(error, "line", None), getattr(error, "column", None)
    if isinstance(line, int) and isinstance(column, int) and line > 0:
        return Span(line, max(column, 1))
    # The end of the input: lark reports -1; point after the last character.
    lines = text.split("\n")
    return Span(len(lines), len(lines[-1]) + 1)


def _guarded(build: Callable[[], Any]) -> Any:
    try:
        return build()
    except SourceError:
        raise
    except RecursionError:
        raise SourceError("the configuration nests too deeply") from None
    except MemoryError:
        raise SourceError("the configuration is too large to load") from None
    except Exception as error:  # any other parser failure is still a property of the input
        raise SourceError(f"cannot parse HCL: {error}") from None


_OPERATORS = {"==", "!=", "<", ">", "<=", ">=", "+", "-", "*", "/", "%", "&&", "||"}


class _Converter:
    """Lark parse tree -> ``Expr``/``Body``. ``position`` maps parser positions to file positions
    (the identity for a file, an offset for an interpolation parsed out of a heredoc)."""

    def __init__(self, source: str, position: Callable[[int, int], Span]):
        from lark import Token

        self.source = source
        self.position = position
        self.token = Token

    def span(self, node) -> Span | None:
        if not isinstance(node, self.token):
            meta = node.meta
            if not meta.empty:
                return self.position(meta.line, meta.column)
            node = _first_token(node, self.token)
            if node is None:
                return None
        return self.position(node.line, node.column) if node.line is not None else None

    # -- structure -----------------------------------------------------------------------------
    def body(self, tree, depth: int) -> Body:
        body = Body(self.source)
        for item in tree.children:
            kind = getattr(item, "data", None)
            if kind == "attribute":
                name = _name_of(item.children[0])
                if name in body.attributes:
                    first = body.attributes[name].span
                    where = f" (first at line {first.line})" if first else ""
                    raise SourceError(f"duplicate attribute {name!r}{where}", self.span(item))
                body.attributes[name] = Attribute(name, self.expr(_trees(item)[1], depth + 1),
                                                  self.source, self.span(item))
            elif kind == "block":
                body.block_list.append(self.block(item, depth + 1))
        return body

    def block(self, tree, depth: int) -> Block:
        if depth > MAX_DEPTH:
            raise SourceError(f"blocks nest deeper than {MAX_DEPTH} levels", self.span(tree))
        children = _trees(tree)
        kind = _name_of(children[0])
        labels = []
        inner = None
        for child in children[1:]:
            if child.data == "body":
                inner = child
            elif child.data == "string":
                labels.append(self.string_label(child))
            elif child.data in ("identifier", "keyword", "literal_value"):
                labels.append(_name_of(child))
        body = self.body(inner, depth) if inner is not None else Body(self.source)
        return Block(kind, tuple(labels), body, self.source, self.span(tree))

    def string_label(self, tree) -> str:
        value = self.expr(tree, 0)
        if isinstance(value, Literal) and isinstance(value.value, str):
            return value.value
        raise SourceError("a block label must be a literal string", self.span(tree))

    # -- expressions ---------------------------------------------------------------------------
    def expr(self, tree, depth: int) -> Expr:
        if depth > MAX_DEPTH:
            raise SourceError(f"the expression nests deeper than {MAX_DEPTH} levels", self.span(tree))
        kind = tree.data
        span = self.span(tree)
        if kind == "expr_term":
            inner = _trees(tree)
            # A parenthesized expression, or a single term.
            return self.expr(inner[0], depth + 1)
        method = getattr(self, "_" + kind, None)
        if method is None:
            return Unsupported(f"`{kind}` expressions are not evaluated", span)
        return method(tree, span, depth + 1)

    def _int_lit(self, tree, span, depth):
        return Literal(int(tree.children[0]), span)

    def _float_lit(self, tree, span, depth):
        return Literal(float(tree.children[0]), span)

    def _literal_value(self, tree, span, depth):
        text = str(tree.children[0])
        return Literal({"true": True, "false": False, "null": None}[text], span)

    def _identifier(self, tree, span, depth):
        return Name(str(tree.children[0]), span)

    def _keyword(self, tree, span, depth):
        return Name(str(tree.children[0]), span)

    def _string(self, tree, span, depth):
        from hcl2.utils import process_escape_sequences

        parts: list = []
        for part in tree.children:
            if isinstance(part, self.token):
                continue                                    # the quotes
            (piece,) = part.children
            if isinstance(piece, self.token):
                if piece.type == "ESCAPED_INTERPOLATION":
                    parts.append(str(piece)[1:])            # "$${x}" is the literal "${x}"
                elif piece.type == "ESCAPED_DIRECTIVE":
                    parts.append(str(piece)[1:])
                else:
                    parts.append(process_escape_sequences(str(piece)))
            elif piece.data == "interpolation":
                parts.append(self.expr(_trees(piece)[0], depth + 1))
            else:
                return Unsupported("template directives (`%{...}`) are not evaluated", span)
        return template(parts, span)

    def _template_string(self, tree, span, depth):
        return Unsupported("escaped strings inside template directives are not evaluated", span)

    def _heredoc_template(self, tree, span, depth):
        return self.heredoc(str(tree.children[0]), span, trim=False, depth=depth)

    def _heredoc_template_trim(self, tree, span, depth):
        return self.heredoc(str(tree.children[0]), span, trim=True, depth=depth)

    def heredoc(self, token: str, span: Span | None, *, trim: bool, depth: int) -> Expr:
        return heredoc_expr(token, self.source, span, trim, depth)

    def _tuple(self, tree, span, depth):
        return TupleExpr(tuple(self.expr(item, depth) for item in _trees(tree)), span)

    def _object(self, tree, span, depth):
        items = []
        for element in _trees(tree):
            key_tree, value_tree = _trees(element)
            key_inner = _trees(key_tree)[0]
            if key_inner.data == "keyword":
                key: Expr = Literal(str(key_inner.children[0]), self.span(key_inner))
            else:
                terms = _trees(key_inner) if key_inner.data == "expr_term" else []
                bare = (key_inner.data == "expr_term" and len(key_inner.children) == 1
                        and len(terms) == 1 and terms[0].data == "identifier")
                key = (Literal(str(terms[0].children[0]), self.span(key_inner)) if bare
                       else self.expr(key_inner, depth))
            items.append((key, self.expr(value_tree, depth)))
        return ObjectExpr(tuple(items), span)

    def _function_call(self, tree, span, depth):
        names = [str(c.children[0]) for c in tree.children if getattr(c, "data", None) == "identifier"]
        name = "::".join(names) if len(names) > 1 else names[0]
        args: tuple = ()
        expand = False
        for child in tree.children:
            if getattr(child, "data", None) == "arguments":
                args = tuple(self.expr(a, depth) for a in _trees(child))
                expand = any(isinstance(c, self.token) and c.type == "ELLIPSIS" for c in child.children)
        if len(names) > 1:
            return Unsupported(f"provider function {name} is not evaluated", span)
        return Call(name, args, expand, span)

    def _get_attr_expr_term(self, tree, span, depth):
        target, step = _trees(tree)
        return GetAttr(self.expr(target, depth), _name_of(_trees(step)[0]), self.span(step))

    def _index_expr_term(self, tree, span, depth):
        target, step = _trees(tree)
        return Index(self.expr(target, depth), self.index_key(step, depth), self.span(step))

    def index_key(self, step, depth) -> Expr:
        if step.data == "short_index":
            return Literal(int(step.children[-1]), self.span(step))
        return self.expr(_trees(step)[0], depth)

    def _attr_splat_expr_term(self, tree, span, depth):
        return self.splat(tree, span, depth)

    def _full_splat_expr_term(self, tree, span, depth):
        return self.splat(tree, span, depth)

    def splat(self, tree, span, depth):
        target, splat = _trees(tree)
        steps = []
        for step in _trees(splat):
            if step.data == "get_attr":
                steps.append(("attr", _name_of(_trees(step)[0])))
            else:
                steps.append(("index", self.index_key(step, depth)))
        return Splat(self.expr(target, depth), tuple(steps), span)

    def _conditional(self, tree, span, depth):
        condition, then, otherwise = (t for t in _trees(tree) if t.data != "new_line_or_comment")
        return Conditional(self.expr(condition, depth), self.expr(then, depth), self.expr(otherwise, depth), span)

    def _binary_op(self, tree, span, depth):
        left, term = _trees(tree)[:2]
        operator_tree, right = _trees(term)
        op = str(operator_tree.children[0]).strip()
        if op not in _OPERATORS:
            return Unsupported(f"operator {op!r} is not evaluated", span)
        return Binary(op, self.expr(left, depth), self.expr(right, depth), span)

    def _unary_op(self, tree, span, depth):
        op = str(tree.children[0]).strip()
        return Unary(op, self.expr(_trees(tree)[0], depth), span)

    def _for_tuple_expr(self, tree, span, depth):
        return self.for_expr(tree, span, depth, is_object=False)

    def _for_object_expr(self, tree, span, depth):
        return self.for_expr(tree, span, depth, is_object=True)

    def for_expr(self, tree, span, depth, *, is_object: bool):
        intro = next(t for t in _trees(tree) if t.data == "for_intro")
        names = [str(t.children[0]) for t in _trees(intro) if t.data == "identifier"]
        collection = next(t for t in _trees(intro) if t.data not in ("identifier", "new_line_or_comment"))
        key_var, value_var = (names[0], names[1]) if len(names) == 2 else (None, names[0])
        bodies = [t for t in _trees(tree) if t.data not in ("for_intro", "for_cond", "new_line_or_comment")]
        condition_tree = next((t for t in _trees(tree) if t.data == "for_cond"), None)
        condition = self.expr(_trees(condition_tree)[-1], depth) if condition_tree is not None else None
        grouping = any(isinstance(c, self.token) and c.type == "ELLIPSIS" for c in tree.children)
        if is_object:
            key, value = (self.expr(t, depth) for t in bodies[:2])
        else:
            key, value = None, self.expr(bodies[0], depth)
        return ForExpr(key_var, value_var, self.expr(collection, depth), key, value, condition, grouping, span)


def heredoc_expr(token: str, source: str, span: Span | None, trim: bool, depth: int) -> Expr:
    """The template of a heredoc token (``<<EOT`` or ``<<-EOT``), located below ``span`` (the token's)."""
    # "<<EOT\n" body "EOT\n": the first line is the marker, the last the closing marker.
    lines = token.split("\n")
    content = lines[1:-2]
    indent = 0
    if trim:
        widths = [len(line) - len(line.lstrip(" \t")) for line in content if line.strip()]
        indent = min(widths) if widths else 0
        content = [line[indent:] for line in content]
    text = "\n".join(content) + ("\n" if content else "")
    if span is None:
        return parse_template(text, source, None, depth=depth)
    first = span.line + 1
    return parse_template(text, source, None, depth=depth,
                          position=lambda line, column: Span(first + line - 1, column + indent))


def _first_token(tree, token_class: type):
    """The first token under a rule: where the rule starts."""
    node = tree
    while not isinstance(node, token_class):
        # Rules with no token at all (an empty body) are never the first child of a rule that has one.
        if not node.children:
            return None
        node = node.children[0]
    return node


def _trees(tree) -> list:
    """The child trees that carry meaning: no punctuation tokens, no newlines or comments."""
    return [c for c in tree.children if hasattr(c, "data") and c.data != "new_line_or_comment"]


def _name_of(tree) -> str:
    return str(tree.children[0])


# --------------------------------------------------------------------------------------------
# Templates given as text (heredocs, strings of the JSON syntax)


def parse_template(text: str, source: str, span: Span | None, *, depth: int = 0,
                   position: Callable[[int, int], Span] | None = None) -> Expr:
    """Split ``text`` into literal parts and ``${...}`` expressions.

    ``position`` maps (line, column) inside ``text`` to the file; without it every part is at ``span``.
    """
    if "${" not in text and "%{" not in text:
        return Literal(text, span if position is None else position(1, 1))
    parts: list = []
    literal: list[str] = []
    index = 0
    length = len(text)
    while index < length:
        if text.startswith("$${", index) or text.startswith("%%{", index):
            literal.append(text[index + 1:index + 3])
            index += 3
            continue
        if text.startswith("%{", index):
            return Unsupported("template directives (`%{...}`) are not evaluated",
                               span if position is None else position(1, 1))
        if text.startswith("${", index):
            end = _interpolation_end(text, index + 2)
            here = _offset_span(text, index, position) or span
            if end < 0:
                raise SourceError("invalid template: `${` without its closing `}`", here)
            inner = text[index + 2:end].strip()
            inner = inner.removeprefix("~").removesuffix("~").strip()
            parts.append("".join(literal))
            literal = []
            parts.append(parse_expression(inner, source, here, depth=depth + 1, fixed=position is None))
            index = end + 1
            continue
        literal.append(text[index])
        index += 1
    parts.append("".join(literal))
    return template(parts, span if position is None else position(1, 1))


def _offset_span(text: str, offset: int, position: Callable[[int, int], Span] | None) -> Span | None:
    if position is None:
        return None
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return position(line, column)


def _interpolation_end(text: str, start: int) -> int:
    """Index of the ``}`` closing an interpolation whose content starts at ``start``; -1 if none."""
    depth = 0
    index = start
    length = len(text)
    while index < length:
        char = text[index]
        if char == '"':
            index = _string_end(text, index + 1)
            continue
        if char == "{":
            depth += 1
        elif char == "}":
            if depth == 0:
                return index
            depth -= 1
        index += 1
    return -1


def _string_end(text: str, index: int) -> int:
    length = len(text)
    while index < length:
        char = text[index]
        if char == "\\":
            index += 2
            continue
        if char == '"':
            return index + 1
        if text.startswith("${", index):
            end = _interpolation_end(text, index + 2)
            if end < 0:
                return length
            index = end + 1
            continue
        index += 1
    return length


_PREFIX = "x = "


def parse_expression(text: str, source: str, span: Span | None, *, depth: int = 0, fixed: bool = False) -> Expr:
    """Parse one HCL expression given as text, located at ``span`` (``fixed``: every part of it there,
    for text whose own positions are not known, such as a JSON string with escapes)."""
    if depth > MAX_DEPTH:
        raise SourceError(f"the expression nests deeper than {MAX_DEPTH} levels", span)
    if not text:
        raise SourceError("invalid template: empty `${}`", span)

    def position(line: int, column: int) -> Span:
        if span is None or fixed:
            return span or Span(line, column)
        if line == 1:
            return Span(span.line, span.column + 2 + column - 1 - len(_PREFIX))
        return Span(span.line + line - 1, column)

    full = _PREFIX + text + "\n"
    try:
        _refuse_costly(full)
        expr = fast_parser.parse_value(full + "\n", source, position, heredoc_expr, depth)
        if expr is not None:
            return expr
        tree = _lark_tree(full, scanned=True)
    except SourceError as error:
        raise SourceError(f"invalid expression in template `${{{_short(text)}}}`: "
                          f"{error.message.removeprefix('invalid HCL: ')}", span) from None
    attributes = [c for c in _trees(tree.children[0]) if c.data == "attribute"]
    if len(attributes) != 1:
        raise SourceError(f"invalid expression in template `${{{_short(text)}}}`", span)
    return _Converter(source, position).expr(_trees(attributes[0])[1], depth)


def _short(text: str) -> str:
    return text if len(text) <= 40 else text[:37] + "..."


# --------------------------------------------------------------------------------------------
# JSON syntax


class JsonBody:
    """A body of the JSON syntax, read lazily: a property is an attribute or blocks as it is asked for."""

    __slots__ = ("value", "pointer", "source", "span_for")

    def __init__(self, value: dict, pointer: str, source: str, span_for: Callable[[str], Span | None]):
        self.value, self.pointer, self.source, self.span_for = value, pointer, source, span_for

    def names(self) -> list[str]:
        return [k for k in self.value if k != "//"]

    def attribute(self, name: str) -> Attribute | None:
        if name == "//" or name not in self.value:
            return None
        pointer = join_pointer(self.pointer, name)
        return Attribute(name, json_expr(self.value[name], pointer, self.source, self.span_for), self.source,
                         self.span_for(pointer))

    def is_blocks(self, kind: str) -> bool:
        """Whether the property can be read as blocks: an object, or a list of objects."""
        value = self.value.get(kind)
        return isinstance(value, dict) or (isinstance(value, list) and bool(value)
                                           and all(isinstance(v, dict) for v in value))

    def blocks(self, kind: str) -> list[Block]:
        if kind == "//" or not self.is_blocks(kind):
            return []
        labels = 1 if kind == "dynamic" else 0      # "dynamic": {"statement": {...}}
        try:
            return list(json_blocks(kind, self.value[kind], join_pointer(self.pointer, kind), labels, (),
                                    self.source, self.span_for))
        except SourceError:
            return []      # not block-shaped below the top: Terraform's schema check rejects it, not ours


def json_body(value: Any, pointer: str, source: str, span_for: Callable[[str], Span | None]) -> Body:
    if not isinstance(value, dict):
        raise SourceError(f"a block body must be a JSON object, not {_json_type(value)}", span_for(pointer))
    return Body(source, json=JsonBody(value, pointer, source, span_for))


def json_blocks(kind: str, value: Any, pointer: str, labels_left: int, labels: tuple[str, ...], source: str,
                span_for: Callable[[str], Span | None]) -> Iterator[Block]:
    """The blocks a JSON property stands for: an object (or list of objects) per remaining label."""
    if isinstance(value, list):
        for index, item in enumerate(value):
            yield from json_blocks(kind, item, join_pointer(pointer, index), labels_left, labels, source, span_for)
        return
    if not isinstance(value, dict):
        raise SourceError(f"`{kind}` must be a JSON object, not {_json_type(value)}", span_for(pointer))
    if labels_left == 0:
        yield Block(kind, labels, json_body(value, pointer, source, span_for), source, span_for(pointer))
        return
    for label, inner in value.items():
        if label == "//":
            continue
        yield from json_blocks(kind, inner, join_pointer(pointer, label), labels_left - 1, (*labels, label),
                               source, span_for)


def json_expr(value: Any, pointer: str, source: str, span_for: Callable[[str], Span | None]) -> Expr:
    span = span_for(pointer)
    if isinstance(value, str):
        return parse_template(value, source, span)
    if isinstance(value, list):
        return TupleExpr(tuple(json_expr(v, join_pointer(pointer, i), source, span_for)
                               for i, v in enumerate(value)), span)
    if isinstance(value, dict):
        return ObjectExpr(tuple((Literal(k, span_for(join_pointer(pointer, k))),
                                 json_expr(v, join_pointer(pointer, k), source, span_for))
                                for k, v in value.items() if k != "//"), span)
    return Literal(value, span)


def parse_json_config(text: str, path: str) -> ConfigFile:
    """Parse one ``.tf.json`` file."""
    parsed = parse_json(text, path)
    data = parsed.data
    if not isinstance(data, dict):
        raise SourceError(f"a Terraform JSON file must hold an object, not {_json_type(data)}", parsed.span_for(""))
    body = json_body(data, "", path, parsed.span_for)

    def build() -> list[Block]:
        blocks: list[Block] = []
        for kind, value in data.items():
            if kind == "//":
                continue
            labels = JSON_LABELS.get(kind)
            if labels is None:
                raise SourceError(f"unknown top-level block type {kind!r}", parsed.span_for(join_pointer("", kind)))
            blocks.extend(json_blocks(kind, value, join_pointer("", kind), labels, (), path, parsed.span_for))
        return blocks

    return ConfigFile(path, body, _guarded(build))


def _json_type(value: Any) -> str:
    return {list: "a list", str: "a string", bool: "a boolean", int: "a number", float: "a number",
            type(None): "null", dict: "an object"}.get(type(value), type(value).__name__)


# --------------------------------------------------------------------------------------------
# Variable definition files


def parse_tfvars(text: str, path: str) -> dict[str, Attribute]:
    """``name = value`` pairs of a ``.tfvars`` (HCL) or ``.tfvars.json`` file."""
    if path.endswith(".json"):
        parsed = parse_json(text, path)
        if not isinstance(parsed.data, dict):
            raise SourceError("a variable definitions file must hold a JSON object", parsed.span_for(""))
        return {name: Attribute(name, _json_literal(value, join_pointer("", name), parsed.span_for), path,
                                parsed.span_for(join_pointer("", name)))
                for name, value in parsed.data.items()}
    config = parse_hcl(text, path)
    if config.body.block_list:
        block = config.body.block_list[0]
        raise SourceError(f"a variable definitions file holds only `name = value` lines, not a `{block.type}` "
                          "block", block.span)
    return dict(config.body.attributes)


def _json_literal(value: Any, pointer: str, span_for: Callable[[str], Span | None]) -> Expr:
    """Values of ``.tfvars.json`` are literal: their strings are not templates."""
    span = span_for(pointer)
    if isinstance(value, list):
        return TupleExpr(tuple(_json_literal(v, join_pointer(pointer, i), span_for) for i, v in enumerate(value)), span)
    if isinstance(value, dict):
        return ObjectExpr(tuple((Literal(k, span), _json_literal(v, join_pointer(pointer, k), span_for))
                                for k, v in value.items()), span)
    return Literal(value, span)

