"""A direct parser for the HCL that Terraform configurations are mostly written in, giving the very
trees that the parser driving python-hcl2's grammar gives (``terraform_syntax``), several times faster.

Lark's LALR parser spends about 25 µs per token (its contextual lexer, its parse table, a tree that is
then converted), which made parsing three quarters of a check of Terraform folders. Here one regular
expression finds each token and a recursive descent builds the ``terraform_nodes`` tree directly.

The grammar's parser stays the reference. This one reads only what it is sure to read exactly as the
grammar does, node for node and position for position, and otherwise declines: then the file (or the
template) is parsed by the grammar's parser as before, so what is accepted, what is refused and every
message stay what they were. It declines at any error (the grammar's parser words the message), at
template directives (``%{...}``), provider functions (``provider::x::f``), a keyword used as a name
(``for``, ``in``, ``if``...), layouts the grammar reads in ways of its own (two items on one line of
a body or an object, a line break between a block's labels and its ``{`` or inside the ends of a
``${...}``, a comment just before an operator, ``-``, ``.`` or ``[`` right after a heredoc), nesting
deeper than the grammar's converter allows, and at any exception of its own.
``tests/load/test_terraform_fast_parser.py`` compares the two parsers on every configuration of the
repository, on the benchmark's corpus and on generated and mutated configurations.

What the grammar does that is kept here on purpose, however odd:

- a newline or comment just before a binary operator other than ``-`` (or ``?``) continues the
  expression (python-hcl2's post-lexer); two of them do not;
- ``-12`` and ``-1.5`` are number tokens but ``-1`` is ``-`` applied to ``1`` (the grammar's
  ``INT_LITERAL`` needs a digit after the negative one); names may contain ``-`` (``a-1``);
- operators have their precedence and left associativity, ``!``/``-`` apply to a term only;
- an object key written as a bare name (or keyword) is its text; any other key is an expression;
- splat steps (``[*].a[0]``) are all taken into the splat.

Heights: the grammar's converter refuses trees deeper than ``MAX_DEPTH`` counting one level per parse
tree node. Each function here returns its node with its *height*: how far below the depth at which the
converter would meet the node it would go. A body's depth plus the height of each of its values must
stay within ``MAX_DEPTH``, or the grammar's parser is left to decide (and word the refusal).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from typing import Callable

from rumpolicy.findings import Span
from rumpolicy.load.terraform_nodes import (MAX_DEPTH, Attribute, Binary, Block, Body, Call, Conditional, Expr,
                                            ForExpr, GetAttr, Index, Literal, Name, ObjectExpr, Splat, TupleExpr,
                                            Unary, template)

# The grammar's terminals (hcl2.lark), as Lark compiles them, for the tokens read here.
_FLOAT_LITERAL = (r"(?:(?:(?:\-[0-9])+|(?:\-[0-9])?(?:[0-9])+)\.(?:[0-9])+(?:(?:e|E)(?:(?:\+|\-))?(?:[0-9])+)?"
          r"|(?:(?:\-[0-9])+|(?:\-[0-9])?(?:[0-9])+)(?:e|E)(?:(?:\+|\-))?(?:[0-9])+)")
_INT_LITERAL = r"(?:\-[0-9])?(?:[0-9])+"
_HEREDOC_TRIM = re.compile(r"<<-(?P<heredoc_trim>[a-zA-Z][a-zA-Z0-9._-]*)\r?\n(?:(?:.|\n)*?\r?\n)??\s*"
                           r"(?P=heredoc_trim)\r?\n")
_HEREDOC = re.compile(r"<<(?P<heredoc>[a-zA-Z][a-zA-Z0-9._-]*)\r?\n(?:(?:.|\n)*?\r?\n)??\s*(?P=heredoc)\r?\n")
_ESCAPED_INTERPOLATION = re.compile(r"\$\$\{[^}]*\}")
_ESCAPED_DIRECTIVE = re.compile(r"%%\{[^}]*\}")
_LINE_BREAK = re.compile(r"\n")
_STRING_CHARS = re.compile(r'(?:(?!\$\$\{)(?!\$\{)(?!%%\{)(?!%\{)[^"\\]|\\.|(?:\$(?!\$?\{))|(?:%(?!%?\{)))+')

# One token of code, after the blanks the grammar ignores. The alternatives are tried in the order
# Lark's lexer tries the terminals (a number before ``-``, ``...`` before ``.``, ``==`` before ``=``).
# A quoted string without ``$``, ``%``, ``\`` or a line break is one token; other strings are read
# part by part. Anything else (``$``, ``~``, ``\``, ``&`` alone, a character the grammar has no
# terminal for) matches nothing, and the parser declines.
_CODE = re.compile(
    r"[ \t\r]*(?:"
    r"(?P<nl>\n(?:[ \t\r]*\n)*)"
    r"|(?P<comment>#[^\n]*\n|//[^\n]*\n|/\*[\s\S]*?\*/)"
    r"|(?P<attr>[a-zA-Z_][a-zA-Z0-9_-]*)[ \t\r]*=(?![=>])"
    r"|(?P<name>[a-zA-Z_][a-zA-Z0-9_-]*)"
    r"|(?P<float>" + _FLOAT_LITERAL + r")"
    r"|(?P<int>" + _INT_LITERAL + r")"
    r'|(?P<string>"[^"\\$%\n]*")'
    r'|(?P<quote>")'
    r"|(?P<heredoc><<)"
    r"|(?P<op>\.\.\.|\.\*|\[\*\]|==|!=|<=|>=|&&|\|\||=>|::|%\{|[-+*/%<>!?=:,.(){}\[\]])"
    r"|(?P<end>\Z))")

# The groups of ``_CODE`` by number: ``_tokens`` dispatches on ``Match.lastindex``.
(_NEWLINE, _COMMENT, _ATTR, _NAME, _FLOAT, _INT, _STRING, _QUOTE, _HEREDOC_START, _OP, _END) = range(1, 12)
if _CODE.groupindex != {"nl": _NEWLINE, "comment": _COMMENT, "attr": _ATTR, "name": _NAME, "float": _FLOAT,
                        "int": _INT, "string": _STRING, "quote": _QUOTE, "heredoc": _HEREDOC_START, "op": _OP,
                        "end": _END}:
    raise ImportError("terraform_fast_parser: the groups of _CODE are not numbered as _tokens reads them")

# Operators after which python-hcl2's post-lexer joins a preceding newline (``-`` is left out: it
# also starts a negative number on the next line).
_JOINING = frozenset({"==", "!=", "<", ">", "<=", ">=", "*", "/", "%", "&&", "||", "+", "?"})
# Binary operators by precedence, lowest first (the grammar's ladder).
_PRECEDENCE = {"||": 1, "&&": 2, "==": 3, "!=": 3, "<": 4, ">": 4, "<=": 4, ">=": 4, "+": 5, "-": 5,
               "*": 6, "/": 6, "%": 6}
# Words the grammar lexes as its own terminals where they may be names: left to it.
_KEYWORDS = frozenset({"for", "in", "if", "for_each", "else", "endif", "endfor"})
_LITERALS = {"true": True, "false": False, "null": None}
# Tokens that end any expression before them (a newline left here is not joined to an operator).
_ENDS = frozenset({"nl", ",", "]", ")", "}", "end", "interp_end", ":", "=>", "..."})
_NL = "nl"
# Tokens that are the same wherever they are (a newline's or a string part's offset is never used).
_NL_TOKEN = (_NL, None, 0)
_NL_LINES = (_NL, "lines", 0)              # several line breaks (blank lines), read as one token
_COMMENT_TOKEN = (_NL, "comment", 0)
_STRING_END = ('end"', None, 0)
_INTERPOLATION = ("${", None, 0)
# The height of a heredoc with interpolations: it is parsed as a template at a depth that leaves this
# much room (see ``HEREDOC_ROOM``), so its tree is at most that deep below it.
HEREDOC_ROOM = 40
_HEREDOC_HEIGHT = 3 + HEREDOC_ROOM


class Declined(Exception):
    """The text uses something this parser leaves to the grammar's parser."""


# A heredoc token -> its expression: ``terraform_syntax.heredoc_expr`` (the same as the grammar's path).
HeredocReader = Callable[[str, str, Span, bool, int], Expr]


def parse_body(text: str, source: str, position: Callable[[int, int], Span], heredoc: HeredocReader) -> Body | None:
    """The body of a file, as ``terraform_syntax`` parses ``text`` (which already ends with the newline
    the grammar's parser is given); None when the grammar's parser is to decide."""
    try:
        parser = _Parser(text, source, position, heredoc)
        body = parser.body(0, top=True)
        return body
    except Exception:        # Declined, or anything unforeseen: the grammar's parser decides
        return None


def parse_value(text: str, source: str, position: Callable[[int, int], Span], heredoc: HeredocReader,
                depth: int) -> Expr | None:
    """The value of the one attribute ``text`` holds (``x = EXPR``), converted at ``depth``; None when the
    grammar's parser is to decide."""
    try:
        parser = _Parser(text, source, position, heredoc)
        body, heights = parser.body(0, top=True, value_heights=True)
        if body.block_list or len(body.attributes) != 1:
            return None
        (attribute,) = body.attributes.values()
        if depth + heights[attribute.name] > MAX_DEPTH:
            return None
        return attribute.expr
    except Exception:
        return None


# --------------------------------------------------------------------------------------------
# Tokens


def _tokens(text: str) -> list[tuple]:
    """``(kind, value, offset)`` for each token. Kinds: ``nl`` (a line break; value ``"lines"`` for
    several, ``"comment"`` for a comment), ``attr`` (a name and the ``=`` after it, which start an
    attribute or an object element: the commonest pair, read as one), ``name``, ``int``, ``float``,
    ``string`` (a whole simple string, its text as value), ``heredoc`` (value: the token and whether
    it trims), the parts of other strings (``"``, ``chars``, ``text``, ``${``, ``interp_end``,
    ``end"``), an operator or bracket by its text, and ``end``.

    python-hcl2's post-lexer is applied as it goes: a newline token just before an operator of
    ``_JOINING`` is dropped, so that the operator continues the expression.
    """
    out: list[tuple] = []
    append = out.append
    match = _CODE.match
    # "{" of code and "${" of an interpolation, open: the "}" that closes a "${" returns to its string.
    braces: list[str] = []
    pos = 0
    while True:
        m = match(text, pos)
        if m is None:
            raise Declined("a character the grammar has no token for")
        group = m.lastindex
        pos = m.end()
        if group == _NAME:
            append(("name", m.group(group), m.start(group)))
        elif group == _ATTR:
            append(("attr", m.group(group), m.start(group)))
        elif group == _NEWLINE:
            append(_NL_TOKEN if m.end() - m.start(group) == 1 else _NL_LINES)
        elif group == _OP:
            op = m.group(group)
            if op == "}" and braces and braces[-1] == "${":
                braces.pop()
                append(("interp_end", None, m.start(group)))
                pos = _string_parts(text, pos, out, braces)
                continue
            if op == "{":
                braces.append("{")
            elif op == "}":
                if braces:
                    braces.pop()
            elif op == "::" or op == "%{":
                raise Declined(f"{op!r} outside a string")
            if op in _JOINING and out and out[-1][0] == _NL:
                last = out[-1][1]
                if last is None:
                    out.pop()
                elif last == "comment":
                    # The comment becomes part of the operator's text, which the converter then
                    # does not know (it makes the expression Unsupported): the grammar's parser decides.
                    raise Declined("a comment joined to an operator")
                # Several line breaks: the post-lexer joins the last, the parser still meets a newline.
            append((op, None, m.start(group)))
        elif group == _STRING:
            append(("string", m.group(group)[1:-1], m.start(group)))
        elif group == _COMMENT:
            append(_COMMENT_TOKEN)
        elif group == _INT or group == _FLOAT:
            append(("int" if group == _INT else "float", m.group(group), m.start(group)))
        elif group == _QUOTE:
            append(('"', None, m.start(group)))
            pos = _string_parts(text, pos, out, braces)
        elif group == _HEREDOC_START:
            start = m.start(group)
            trim = _HEREDOC_TRIM.match(text, start)
            found = trim or _HEREDOC.match(text, start)
            if found is None:
                raise Declined("`<<` that starts no heredoc")
            append(("heredoc", (found.group(0), trim is not None), start))
            # The token ends with its line break, which the grammar's parser sees as no token of its
            # own: standing for it, a newline here makes the parser below stricter, never looser.
            append(_NL_TOKEN)
            pos = found.end()
        else:                            # the end of the text
            append(("end", None, pos))
            return out


def _string_parts(text: str, pos: int, out: list, braces: list[str]) -> int:
    """The parts of a quoted string from ``pos`` (after its ``"`` or after the ``}`` of one of its
    interpolations) up to its closing quote or its next ``${``; returns where code resumes.

    The parts are the grammar's terminals, tried in its lexer's order: ``$${...}`` and ``%%{...}``
    (the grammar's escapes, which run to the next ``}`` wherever it is), runs of other characters,
    ``${``. Their own positions are never used, so they have none.
    """
    length = len(text)
    while pos < length:
        char = text[pos]
        if char == '"':
            out.append(_STRING_END)
            return pos + 1
        if char == "$" and text.startswith("$${", pos):
            m = _ESCAPED_INTERPOLATION.match(text, pos)
            if m is None:
                raise Declined("`$${` without a `}`")
            out.append(("text", m.group(0)[1:], 0))
            pos = m.end()
            continue
        if char == "%" and text.startswith("%%{", pos):
            m = _ESCAPED_DIRECTIVE.match(text, pos)
            if m is None:
                raise Declined("`%%{` without a `}`")
            out.append(("text", m.group(0)[1:], 0))
            pos = m.end()
            continue
        if text.startswith("${", pos):
            braces.append("${")
            out.append(_INTERPOLATION)
            return pos + 2
        if text.startswith("%{", pos):
            raise Declined("a template directive")
        m = _STRING_CHARS.match(text, pos)
        if m is None:
            raise Declined("a backslash at the end of a line in a string")
        out.append(("chars", m.group(0), 0))
        pos = m.end()
    raise Declined("a string without its closing quote")


def _escapes(raw: str) -> str:
    """A run of string characters with its escapes resolved, by python-hcl2's own function (imported
    only for text that has a backslash)."""
    if "\\" not in raw:
        return raw
    from hcl2.utils import process_escape_sequences

    return process_escape_sequences(raw)


# --------------------------------------------------------------------------------------------
# Syntax


class _Parser:
    # Expressions nested deeper than this are left to the grammar's parser (real ones nest a few levels,
    # and its converter refuses most such nesting anyway): this parser's recursion stays far from
    # Python's limit.
    MAX_NESTING = 80

    def __init__(self, text: str, source: str, position: Callable[[int, int], Span], heredoc: HeredocReader):
        self.toks = _tokens(text)
        self.newlines = [m.start() for m in _LINE_BREAK.finditer(text)]
        self.i = 0
        self.source = source
        self.position = position
        self.heredoc = heredoc
        self.nesting = 0

    def skip_nl(self) -> bool:
        toks, i = self.toks, self.i
        start = i
        while toks[i][0] == _NL:
            i += 1
        self.i = i
        return i != start

    def expect(self, kind: str) -> tuple:
        tok = self.toks[self.i]
        if tok[0] != kind:
            raise Declined(f"{tok[0]} where {kind} was expected")
        self.i += 1
        return tok

    def span(self, tok: tuple) -> Span:
        """Where a token is, as the grammar's parser reports it: line, and column counted from 1."""
        offset = tok[2]
        line = bisect_right(self.newlines, offset)
        start = self.newlines[line - 1] + 1 if line else 0
        return self.position(line + 1, offset - start + 1)

    # -- bodies and blocks -----------------------------------------------------------------------
    def body(self, depth: int, *, top: bool = False, value_heights: bool = False):
        """A body whose blocks are at ``depth + 1`` (the grammar's converter counts so), up to its
        ``}`` (not taken) or the end of the text."""
        body = Body(self.source)
        attributes, blocks = body.attributes, body.block_list
        heights: dict[str, int] = {}
        toks = self.toks
        closer = "end" if top else "}"
        while True:
            self.skip_nl()
            tok = toks[self.i]
            if tok[0] == closer:
                return (body, heights) if value_heights else body
            self.i += 1
            if tok[0] == "attr":
                name = tok[1]
                if name in attributes:
                    raise Declined("a duplicate attribute")
                expr, height = self.expression()
                if depth + 1 + height > MAX_DEPTH:
                    raise Declined("nesting the converter refuses")
                attributes[name] = Attribute(name, expr, self.source, self.span(tok))
                heights[name] = height
            elif tok[0] == "name":
                blocks.append(self.block(tok, depth + 1))
            else:
                raise Declined("a body item that is not an attribute or a block")
            if toks[self.i][0] != _NL and toks[self.i][0] != closer:
                raise Declined("two items on one line")

    def block(self, type_tok: tuple, depth: int) -> Block:
        if depth > MAX_DEPTH:
            raise Declined("blocks nested deeper than the converter allows")
        labels = []
        toks = self.toks
        while True:
            tok = toks[self.i]
            kind = tok[0]
            if kind == "name" or kind == "string":
                labels.append(tok[1])
                self.i += 1
            elif kind == '"':
                label, _ = self.string()
                if not isinstance(label, Literal) or not isinstance(label.value, str):
                    raise Declined("a label that is not a literal string")
                labels.append(label.value)
            elif kind == "{":
                self.i += 1
                break
            else:
                raise Declined("a block header the grammar reads in its own way")
        body = self.body(depth)
        self.expect("}")
        return Block(type_tok[1], tuple(labels), body, self.source, self.span(type_tok))

    # -- expressions: each returns (node, height) ------------------------------------------------
    def expression(self) -> tuple[Expr, int]:
        toks, i = self.toks, self.i
        first = toks[i]
        kind = first[0]
        if (kind == "string" or kind == "int") and toks[i + 1][0] in _ENDS:
            # The most common value, a string or a number alone, without the descent below (which
            # would give the same node).
            self.i = i + 1
            return Literal(first[1] if kind == "string" else int(first[1]), self.span(first)), 1
        self.nesting += 1
        if self.nesting > self.MAX_NESTING:
            raise Declined("deep nesting")
        condition, height = self.binary(1)
        if self.toks[self.i][0] == "?":
            self.i += 1
            self.skip_nl()
            then, then_height = self.expression()
            self.skip_nl()
            self.expect(":")
            self.skip_nl()
            otherwise, otherwise_height = self.expression()
            condition = Conditional(condition, then, otherwise, self.span(first))
            height = 1 + max(height, then_height, otherwise_height)
        self.nesting -= 1
        return condition, height

    def binary(self, lowest: int) -> tuple[Expr, int]:
        """Operators of precedence ``lowest`` and above, left-associative (precedence climbing)."""
        toks = self.toks
        first = toks[self.i]
        left, height = self.unary()
        while True:
            op = toks[self.i][0]
            precedence = _PRECEDENCE.get(op)
            if precedence is None or precedence < lowest:
                return left, height
            self.i += 1
            self.skip_nl()
            right, right_height = self.binary(precedence + 1)
            left = Binary(op, left, right, self.span(first))
            height = 1 + max(height, right_height)

    def unary(self) -> tuple[Expr, int]:
        tok = self.toks[self.i]
        if tok[0] == "-" or tok[0] == "!":
            self.i += 1
            operand, height = self.term()
            return Unary(tok[0], operand, self.span(tok)), 1 + height
        return self.term()

    def term(self) -> tuple[Expr, int]:
        """An ``expr_term``: a primary and what follows it (attributes, indexes, splats)."""
        toks = self.toks
        first = toks[self.i]
        kind = first[0]
        if kind == "name":
            word = first[1]
            self.i += 1
            if word in _LITERALS:
                expr, height = Literal(_LITERALS[word], self.span(first)), 1
            elif word in _KEYWORDS:
                raise Declined("a keyword as a name")
            elif toks[self.i][0] == "(":
                self.i += 1
                expr, height = self.call(first)
            else:
                expr, height = Name(word, self.span(first)), 1
        elif kind == "string":
            self.i += 1
            expr, height = Literal(first[1], self.span(first)), 1
        elif kind == "int":
            self.i += 1
            expr, height = Literal(int(first[1]), self.span(first)), 1
        elif kind == "float":
            self.i += 1
            expr, height = Literal(float(first[1]), self.span(first)), 1
        elif kind == '"':
            expr, height = self.string()
        elif kind == "[":
            expr, height = self.tuple_or_for(first)
        elif kind == "{":
            expr, height = self.object_or_for(first)
        elif kind == "(":
            self.i += 1
            self.skip_nl()
            expr, height = self.expression()
            self.skip_nl()
            self.expect(")")
            height += 1
        elif kind == "heredoc":
            self.i += 1
            token, trim = first[1]
            if "${" in token:
                # Parsed at a depth that leaves HEREDOC_ROOM levels: deeper, it refuses, and so do we.
                expr = self.heredoc(token, self.source, self.span(first), trim, MAX_DEPTH - HEREDOC_ROOM - 1)
                height = _HEREDOC_HEIGHT
            else:
                expr, height = self.heredoc(token, self.source, self.span(first), trim, 0), 1
        else:
            raise Declined(f"{kind} where a value was expected")
        return self.postfix(first, expr, height)

    def postfix(self, first: tuple, expr: Expr, height: int) -> tuple[Expr, int]:
        toks = self.toks
        while True:
            tok = toks[self.i]
            kind = tok[0]
            if kind == ".":
                expr, height = self.dot_step(tok, expr), height + 2
            elif kind == "[":
                key, key_height = self.bracket_step()
                expr, height = Index(expr, key, self.span(tok)), 2 + max(height, key_height)
            elif kind == ".*" or kind == "[*]":
                self.i += 1
                steps = []
                inner = height
                while True:
                    step = toks[self.i]
                    if step[0] == ".":
                        found = self.dot_step(step, None)
                        steps.append(("attr", found) if isinstance(found, str) else ("index", found))
                    elif step[0] == "[":
                        key, key_height = self.bracket_step()
                        steps.append(("index", key))
                        inner = max(inner, key_height)
                    else:
                        break
                expr, height = Splat(expr, tuple(steps), self.span(first)), 2 + inner
            else:
                return expr, height

    def dot_step(self, dot: tuple, target: Expr | None):
        """``.name`` or ``.0`` after ``target``: the GetAttr or Index (for a splat step, with no target,
        the name or the index literal)."""
        step = self.toks[self.i + 1]
        if step[0] == "name":
            self.i += 2
            return step[1] if target is None else GetAttr(target, step[1], self.span(dot))
        if step[0] == "int" and step[1][0] != "-":
            self.i += 2
            key = Literal(int(step[1]), self.span(dot))
            return key if target is None else Index(target, key, self.span(dot))
        raise Declined("a `.` followed by neither a name nor an index")

    def bracket_step(self) -> tuple[Expr, int]:
        self.i += 1
        self.skip_nl()
        key, height = self.expression()
        self.skip_nl()
        self.expect("]")
        return key, height

    def call(self, name_tok: tuple) -> tuple[Expr, int]:
        """After ``name(``: the arguments, a trailing ``,`` or ``...`` allowed as the grammar allows them."""
        toks = self.toks
        args: list[Expr] = []
        height = -1
        expand = False
        self.skip_nl()
        if toks[self.i][0] == ")":
            self.i += 1
        else:
            while True:
                arg, arg_height = self.expression()
                args.append(arg)
                height = max(height, arg_height)
                if toks[self.i][0] == "...":
                    self.i += 1
                    expand = True
                    self.skip_nl()
                    self.expect(")")
                    break
                broken = self.skip_nl()
                kind = toks[self.i][0]
                if kind == ",":
                    self.i += 1
                    self.skip_nl()
                    if toks[self.i][0] == ")":
                        if broken:
                            raise Declined("a line break before a trailing comma")
                        self.i += 1
                        break
                    continue
                if kind == ")":
                    self.i += 1
                    break
                raise Declined("an argument list the grammar reads in its own way")
        node = Call(name_tok[1], tuple(args), expand, self.span(name_tok))
        return node, (2 + height if args else 1)

    def string(self) -> tuple[Expr, int]:
        """A quoted string read in parts (at its ``"``)."""
        toks = self.toks
        quote = toks[self.i]
        self.i += 1
        parts: list = []
        height = -1
        while True:
            tok = toks[self.i]
            kind = tok[0]
            self.i += 1
            if kind == "chars":
                parts.append(_escapes(tok[1]))
            elif kind == "text":
                parts.append(tok[1])
            elif kind == "${":
                if toks[self.i][0] == _NL:
                    raise Declined("a line break at the start of an interpolation")
                expr, expr_height = self.expression()
                self.expect("interp_end")
                parts.append(expr)
                height = max(height, expr_height)
            elif kind == 'end"':
                break
            else:
                raise Declined(f"{kind} in a string")
        return template(parts, self.span(quote)), (1 if height < 0 else 3 + height)

    def tuple_or_for(self, bracket: tuple) -> tuple[Expr, int]:
        toks = self.toks
        self.i += 1
        self.skip_nl()
        if toks[self.i][0] == "name" and toks[self.i][1] == "for":
            return self.for_expr(bracket, "]")
        items: list[Expr] = []
        height = -1
        while True:
            if toks[self.i][0] == "]":
                self.i += 1
                break
            item, item_height = self.expression()
            items.append(item)
            height = max(height, item_height)
            self.skip_nl()
            kind = toks[self.i][0]
            if kind == ",":
                self.i += 1
                self.skip_nl()
            elif kind != "]":
                raise Declined("a tuple the grammar reads in its own way")
        return TupleExpr(tuple(items), self.span(bracket)), (2 + height if items else 1)

    def object_or_for(self, brace: tuple) -> tuple[Expr, int]:
        toks = self.toks
        self.i += 1
        self.skip_nl()
        if toks[self.i][0] == "name" and toks[self.i][1] == "for":
            return self.for_expr(brace, "}")
        items: list[tuple[Expr, Expr]] = []
        height = -1
        while True:
            if toks[self.i][0] == "}":
                self.i += 1
                break
            tok = toks[self.i]
            if tok[0] == "attr":              # a bare key (its text, not evaluated) and its `=`
                self.i += 1
                if tok[1] in _LITERALS:       # true, false, null: literal values, not names
                    key, key_height = Literal(_LITERALS[tok[1]], self.span(tok)), 1
                else:
                    key, key_height = Literal(tok[1], self.span(tok)), 0
            else:
                key, key_height = self.object_key()
                kind = toks[self.i][0]
                if kind != "=" and kind != ":":
                    raise Declined("an object key the grammar reads in its own way")
                self.i += 1
            value, value_height = self.expression()
            items.append((key, value))
            height = max(height, key_height, value_height)
            separated = self.skip_nl()
            if toks[self.i][0] == ",":
                self.i += 1
                separated = True
                self.skip_nl()
            if toks[self.i][0] == "}":
                self.i += 1
                break
            if not separated:
                raise Declined("two object elements on one line")
        return ObjectExpr(tuple(items), self.span(brace)), (2 + height if items else 1)

    def object_key(self) -> tuple[Expr, int]:
        """A key before ``:`` or ``=`` (a bare one with ``=`` is an ``attr`` token): a bare name or
        keyword (its text, which the converter takes without evaluating), a string, or an expression in
        parentheses. The height of a bare key is 0: nothing is converted."""
        toks = self.toks
        tok = toks[self.i]
        kind = tok[0]
        if kind == "name" and toks[self.i + 1][0] == ":":
            self.i += 1
            if tok[1] in _LITERALS:           # true, false, null: literal values, not names
                return Literal(_LITERALS[tok[1]], self.span(tok)), 1
            return Literal(tok[1], self.span(tok)), 0
        if kind == "string":
            self.i += 1
            return Literal(tok[1], self.span(tok)), 1
        if kind == '"':
            return self.string()
        if kind == "(":
            self.i += 1
            self.skip_nl()
            key, height = self.expression()
            self.skip_nl()
            self.expect(")")
            return key, height + 1
        raise Declined("an object key the grammar reads in its own way")

    def for_expr(self, opener: tuple, closer: str) -> tuple[Expr, int]:
        """``[for k, v in c : v if k != ""]`` or ``{for k, v in c : k => v... if k != ""}`` (at ``for``)."""
        toks = self.toks
        self.i += 1
        self.skip_nl()
        key_var, value_var = None, self.variable()
        if toks[self.i][0] == ",":
            self.i += 1
            key_var, value_var = value_var, self.variable()
        self.skip_nl()
        in_tok = self.expect("name")
        if in_tok[1] != "in":
            raise Declined("a for expression without `in`")
        self.skip_nl()
        collection, height = self.expression()
        self.skip_nl()
        self.expect(":")
        self.skip_nl()
        key = None
        grouping = False
        if closer == "}":
            key, key_height = self.expression()
            self.expect("=>")
            self.skip_nl()
            value, value_height = self.expression()
            height = max(height, key_height, value_height)
            self.skip_nl()
            if toks[self.i][0] == "...":
                self.i += 1
                grouping = True
                self.skip_nl()
        else:
            value, value_height = self.expression()
            height = max(height, value_height)
            self.skip_nl()
        condition = None
        if toks[self.i][0] == "name" and toks[self.i][1] == "if":
            self.i += 1
            self.skip_nl()
            condition, condition_height = self.expression()
            height = max(height, condition_height)
            self.skip_nl()
        self.expect(closer)
        node = ForExpr(key_var, value_var, collection, key, value, condition, grouping, self.span(opener))
        return node, 2 + height

    def variable(self) -> str:
        tok = self.expect("name")
        if tok[1] in _KEYWORDS or tok[1] in _LITERALS:
            raise Declined("a keyword as a for variable")
        return tok[1]
