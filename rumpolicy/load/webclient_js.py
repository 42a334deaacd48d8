"""JavaScript and TypeScript as far as the RUM web client needs it: parse with tree-sitter, find the
client, and evaluate the literals that configure it.

tree-sitter is a real, error-tolerant parser: a syntax error elsewhere in a bundle does not hide the
snippet. Only literals are evaluated: strings (template strings without substitutions), numbers,
booleans, ``null``/``undefined``, objects, arrays, ``+`` of two known strings, and identifiers bound by
``const`` to such a literal in an enclosing scope of the same file. Anything else (a ``let``, an import,
``import.meta.env.X``, a call) becomes ``Unknown`` with the reason, and is never guessed.

Positions are 1-based lines and character columns of the enclosing document: a ``<script>`` element's
text is parsed on its own and shifted to where it starts in the HTML.
"""

from __future__ import annotations

import re
from dataclasses import field
from functools import lru_cache
from typing import Any

from rumpolicy.findings import Span, escape_pointer_token
from rumpolicy.model.symbols import Unknown
from rumpolicy.records import record

# Packages whose `AwsRum` class starts a client, and the build each one is.
PACKAGES = {"aws-rum-web": "full", "@aws-rum/web-slim": "slim"}
MAX_DEPTH = 64
_TS_WRAPPERS = {"parenthesized_expression", "as_expression", "satisfies_expression", "non_null_expression",
                "type_assertion"}
_FUNCTIONS = {"function_expression", "function", "arrow_function"}
_SCOPES = {"program", "statement_block", "switch_case", "switch_default", "class_static_block"}
_ESCAPE = re.compile(r"\\(u\{[0-9a-fA-F]+\}|u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|[0-7]{1,3}|\r\n|[\s\S])")
_SIMPLE_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "v": "\v", "\n": "", "\r\n": "",
                   "\r": "", "\u2028": "", "\u2029": ""}
_QUERY = """
(new_expression constructor: (_) @constructor) @new
(call_expression) @call
(comment) @comment
(import_statement) @import
(variable_declarator value: (call_expression function: (identifier) @require)) @required
"""


@lru_cache(maxsize=None)
def _language(grammar: str):
    """The tree-sitter language for "javascript", "typescript" or "tsx" (imported on first use only)."""
    import tree_sitter

    if grammar == "javascript":
        import tree_sitter_javascript

        return tree_sitter.Language(tree_sitter_javascript.language())
    import tree_sitter_typescript

    raw = tree_sitter_typescript.language_tsx() if grammar == "tsx" else tree_sitter_typescript.language_typescript()
    return tree_sitter.Language(raw)


@lru_cache(maxsize=None)
def _query(grammar: str):
    import tree_sitter

    return tree_sitter.Query(_language(grammar), _QUERY)


def _text(node) -> str:
    return node.text.decode("utf-8", "replace")


def _short(node, limit: int = 60) -> str:
    text = " ".join(_text(node).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def decode_string(raw: str) -> str:
    """The value of a JavaScript string literal's body (without its quotes)."""

    def one(match: re.Match) -> str:
        escape = match.group(1)
        if escape in _SIMPLE_ESCAPES:
            return _SIMPLE_ESCAPES[escape]
        if escape.startswith("u{"):
            code = int(escape[2:-1], 16)
            return chr(code) if code <= 0x10FFFF else "\ufffd"
        if escape[0] in "ux" and len(escape) > 1:
            return chr(int(escape[1:], 16))
        if escape[0] in "01234567":
            return chr(int(escape, 8))
        return escape

    return _ESCAPE.sub(one, raw)


def parse_number(raw: str) -> int | float | None:
    text = raw.replace("_", "")
    try:
        if text.endswith("n"):
            return int(text[:-1], 0)
        if text[:2].lower() in ("0x", "0o", "0b"):
            return int(text, 0)
        if re.fullmatch(r"0[0-7]+", text):        # legacy octal
            return int(text, 8)
        value = float(text)
    except ValueError:
        return None
    return int(value) if value.is_integer() and re.fullmatch(r"\d+", text) else value


@record
class ClientCall:
    """One place that starts a web client: the CDN loader or ``new AwsRum(...)``."""

    form: str                          # "cdn" | "npm"
    node: Any                          # the call or new expression
    arguments: list                    # argument nodes, comments left out
    build: str | None = None           # npm: the package the constructor comes from
    build_span: Span | None = None


@record
class Script:
    """One parsed piece of JavaScript: a file, or a ``<script>`` element shifted to its place in the page."""

    text: str
    grammar: str = "javascript"
    line: int = 1                      # where the text starts in its document (1-based line)
    column: int = 0                    # ... and 0-based character column
    tree: Any = None
    source: bytes = b""
    line_starts: list[int] = field(default_factory=list)
    imports: dict[str, tuple[str, Any]] = field(default_factory=dict)   # local name -> (module, source node)
    namespaces: dict[str, tuple[str, Any]] = field(default_factory=dict)  # `import * as rum` -> (module, node)

    def parse(self) -> None:
        import tree_sitter

        self.source = self.text.encode("utf-8", "surrogatepass")
        self.tree = tree_sitter.Parser(_language(self.grammar)).parse(self.source)
        self.line_starts = [0] + [m.end() for m in re.finditer(rb"\n", self.source)]

    # -- positions -----------------------------------------------------------------------------
    def span(self, node) -> Span:
        row, byte_column = node.start_point
        start = self.line_starts[row] if row < len(self.line_starts) else 0
        column = len(self.source[start:start + byte_column].decode("utf-8", "replace"))
        if row == 0:
            column += self.column
        return Span(self.line + row, column + 1)

    # -- finding the client --------------------------------------------------------------------
    def scan(self) -> tuple[list[ClientCall], list[tuple[Span, str]], set[str]]:
        """Client calls, comments (span, text) and the client commands called (setAwsCredentials ...)."""
        import tree_sitter

        captures = tree_sitter.QueryCursor(_query(self.grammar)).captures(self.tree.root_node)
        for node in captures.get("import", []):
            self._import(node)
        for node in captures.get("required", []):
            self._require(node)
        calls: list[ClientCall] = []
        commands: set[str] = set()
        for node in captures.get("new", []):
            build = self._constructor_build(node.child_by_field_name("constructor"))
            if build is not False:
                module, source = build if build else (None, None)
                calls.append(ClientCall("npm", node, _arguments(node), PACKAGES.get(module) if module else None,
                                        self.span(source) if source is not None else None))
        for node in captures.get("call", []):
            callee = _unwrap(node.child_by_field_name("function"))
            if callee is not None and callee.type in _FUNCTIONS and self._is_loader(node, callee):
                calls.append(ClientCall("cdn", node, _arguments(node)))
            command = _command(node, callee)
            if command:
                commands.add(command)
        comments = [(self.span(n), _text(n)) for n in captures.get("comment", [])]
        calls.sort(key=lambda c: c.node.start_byte)
        return calls, comments, commands

    def _import(self, node) -> None:
        source = node.child_by_field_name("source")
        if source is None:
            return
        module = decode_string(_text(source)[1:-1])
        if module not in PACKAGES:
            return
        for spec in _descendants(node, {"import_specifier", "namespace_import"}):
            if spec.type == "namespace_import":
                names = [c for c in spec.named_children if c.type == "identifier"]
                if names:
                    self.namespaces[_text(names[-1])] = (module, source)
                continue
            name = spec.child_by_field_name("name")
            alias = spec.child_by_field_name("alias") or name
            if name is not None and _text(name) == "AwsRum":
                self.imports[_text(alias)] = (module, source)

    def _require(self, declarator) -> None:
        """``const { AwsRum } = require('aws-rum-web')`` and ``const rum = require('@aws-rum/web-slim')``."""
        call = declarator.child_by_field_name("value")
        if _text(call.child_by_field_name("function")) != "require":
            return
        arguments = _arguments(call)
        if not arguments or arguments[0].type != "string":
            return
        module = decode_string(_text(arguments[0])[1:-1])
        if module not in PACKAGES:
            return
        pattern = declarator.child_by_field_name("name")
        if pattern is None:
            return
        if pattern.type == "identifier":
            self.namespaces[_text(pattern)] = (module, arguments[0])
            return
        for item in pattern.named_children:
            if item.type == "shorthand_property_identifier_pattern" and _text(item) == "AwsRum":
                self.imports["AwsRum"] = (module, arguments[0])
            elif item.type == "pair_pattern":
                key, value = item.child_by_field_name("key"), item.child_by_field_name("value")
                if key is not None and value is not None and _text(key) == "AwsRum" and value.type == "identifier":
                    self.imports[_text(value)] = (module, arguments[0])

    def _constructor_build(self, constructor):
        """``(module, source node)`` when it is aws-rum-web's ``AwsRum``; None: ``AwsRum`` of unknown origin;
        False: another class."""
        constructor = _unwrap(constructor)
        if constructor is None:
            return False
        if constructor.type == "identifier":
            name = _text(constructor)
            if name in self.imports:
                return self.imports[name]
            return None if name == "AwsRum" else False
        if constructor.type == "member_expression":
            prop = constructor.child_by_field_name("property")
            target = _unwrap(constructor.child_by_field_name("object"))
            if prop is None or _text(prop) != "AwsRum":
                return False
            if target is not None and target.type == "identifier" and _text(target) in self.namespaces:
                return self.namespaces[_text(target)]
            return None
        return False

    @staticmethod
    def _is_loader(call, function) -> bool:
        """The CDN snippet: an immediately invoked function with the snippet's arguments, whose body sets up
        ``window.AwsRumClient`` or whose fifth argument is the web client's script (``cwr.js``)."""
        arguments = _arguments(call)
        if len(arguments) < 5:
            return False
        if b"AwsRumClient" in function.text:
            return True
        url = arguments[4]
        return url.type in ("string", "template_string") and \
            re.search(rb"cwr(-slim)?(\.min)?\.js", url.text) is not None


def _arguments(call) -> list:
    arguments = call.child_by_field_name("arguments")
    if arguments is None:
        return []
    return [a for a in arguments.named_children if a.type != "comment"]


def _unwrap(node):
    while node is not None and node.type in _TS_WRAPPERS:
        inner = [c for c in node.named_children if c.type != "comment"]
        if not inner:
            return None
        node = inner[-1] if node.type == "type_assertion" else inner[0]   # `<T>x`: the type comes first
    return node


def _descendants(node, types: set[str]):
    stack = [node]
    while stack:
        current = stack.pop()
        if current.type in types:
            yield current
        stack.extend(reversed(current.named_children))


def _command(call, callee) -> str | None:
    """``x.setAwsCredentials(...)`` or ``cwr('setAwsCredentials', ...)``: the command it runs."""
    if callee is None:
        return None
    if callee.type == "member_expression":
        prop = callee.child_by_field_name("property")
        return _text(prop) if prop is not None else None
    if callee.type == "identifier":
        arguments = _arguments(call)
        if arguments and arguments[0].type == "string":
            return decode_string(_text(arguments[0])[1:-1])
    return None


# --- evaluating literals --------------------------------------------------------------------------------


@record
class Evaluation:
    """Values with the position of each (pointer -> span), and the objects that are open to other keys."""

    spans: dict[str, Span] = field(default_factory=dict)
    open_objects: dict[str, tuple[str, Span]] = field(default_factory=dict)   # pointer -> (why, where)


class Evaluator:
    def __init__(self, script: Script, evaluation: Evaluation):
        self.script = script
        self.out = evaluation

    def value(self, node, pointer: str, *, record: bool = True, depth: int = 0, seen: frozenset = frozenset()):
        """The value of an expression; ``record``: note its own position under ``pointer``."""
        node = _unwrap(node) or node
        if record:
            self.out.spans[pointer] = self.script.span(node)
        if depth > MAX_DEPTH:
            return Unknown("the value nests too deeply to be read")
        kind = node.type
        if kind == "string":
            return decode_string(_text(node)[1:-1])
        if kind == "template_string":
            if any(c.type == "template_substitution" for c in node.named_children):
                return Unknown(f"the template string `{_short(node)}` is filled in at run time")
            return decode_string(_text(node)[1:-1])
        if kind == "number":
            number = parse_number(_text(node))
            return number if number is not None else Unknown(f"`{_short(node)}` is not a number rumpolicy reads")
        if kind in ("true", "false"):
            return kind == "true"
        if kind in ("null", "undefined"):
            return None
        if kind == "object":
            return self._object(node, pointer, depth, seen)
        if kind == "array":
            return [self.value(item, f"{pointer}/{i}", depth=depth + 1, seen=seen)
                    for i, item in enumerate(c for c in node.named_children if c.type != "comment")]
        if kind == "identifier":
            return self.identifier(node, pointer, record=record, depth=depth, seen=seen)
        if kind == "unary_expression":
            return self._unary(node, pointer, depth, seen)
        if kind == "binary_expression":
            return self._binary(node, pointer, depth, seen)
        if kind in _FUNCTIONS:
            return Unknown("a function")
        if kind == "call_expression":
            return Unknown(f"`{_short(node)}` is computed at run time")
        if kind in ("member_expression", "subscript_expression"):
            if _text(node).startswith(("import.meta.env", "process.env")):
                return Unknown(f"`{_short(node)}` is set when the site is built")
            return Unknown(f"`{_short(node)}` is not a constant of this file")
        if kind == "ternary_expression":
            return Unknown(f"`{_short(node)}` is chosen at run time")
        if kind == "regex":
            return Unknown("a regular expression")
        return Unknown(f"`{_short(node)}` is not a literal")

    def _object(self, node, pointer: str, depth: int, seen: frozenset) -> dict:
        out: dict[str, Any] = {}
        for member in node.named_children:
            if member.type == "pair":
                key_node = member.child_by_field_name("key")
                key = self._key(key_node)
                if key is None:
                    self.out.open_objects.setdefault(pointer, (f"the computed key `{_short(key_node)}`",
                                                               self.script.span(key_node)))
                    continue
                child = f"{pointer}/{escape_pointer_token(key)}"
                self.out.spans[child] = self.script.span(key_node)
                out[key] = self.value(member.child_by_field_name("value"), child, record=False,
                                      depth=depth + 1, seen=seen)
            elif member.type == "shorthand_property_identifier":
                child = f"{pointer}/{escape_pointer_token(_text(member))}"
                self.out.spans[child] = self.script.span(member)
                out[_text(member)] = self.identifier(member, child, record=False, depth=depth + 1, seen=seen)
            elif member.type == "spread_element":
                self.out.open_objects.setdefault(pointer, (f"`{_short(member)}`", self.script.span(member)))
            elif member.type == "method_definition":
                name = member.child_by_field_name("name")
                key = self._key(name) if name is not None else None
                if key is not None:
                    self.out.spans[f"{pointer}/{escape_pointer_token(key)}"] = self.script.span(name)
                    out[key] = Unknown("a function")
        return out

    @staticmethod
    def _key(node) -> str | None:
        if node is None:
            return None
        if node.type in ("property_identifier", "identifier", "private_property_identifier"):
            return _text(node)
        if node.type == "string":
            return decode_string(_text(node)[1:-1])
        if node.type == "number":
            number = parse_number(_text(node))
            return str(number) if number is not None else None
        return None

    def _unary(self, node, pointer: str, depth: int, seen: frozenset):
        operator = node.child_by_field_name("operator")
        argument = node.child_by_field_name("argument")
        op = _text(operator) if operator is not None else ""
        if op == "void":
            return None
        if argument is None:
            return Unknown(f"`{_short(node)}` is not a literal")
        value = self.value(argument, pointer, record=False, depth=depth + 1, seen=seen)
        if isinstance(value, Unknown):
            return value
        if op == "!":
            return not value
        if op == "-" and isinstance(value, (int, float)) and not isinstance(value, bool):
            return -value
        if op == "+" and isinstance(value, (int, float)) and not isinstance(value, bool):
            return value
        return Unknown(f"`{_short(node)}` is not a literal")

    def _binary(self, node, pointer: str, depth: int, seen: frozenset):
        operator = node.child_by_field_name("operator")
        if operator is None or _text(operator) != "+":
            return Unknown(f"`{_short(node)}` is computed at run time")
        left = self.value(node.child_by_field_name("left"), pointer, record=False, depth=depth + 1, seen=seen)
        right = self.value(node.child_by_field_name("right"), pointer, record=False, depth=depth + 1, seen=seen)
        if isinstance(left, Unknown):
            return left
        if isinstance(right, Unknown):
            return right
        if isinstance(left, str) and isinstance(right, str):
            return left + right
        return Unknown(f"`{_short(node)}` is computed at run time")

    # -- names ---------------------------------------------------------------------------------
    def identifier(self, node, pointer: str, *, record: bool, depth: int, seen: frozenset):
        name = _text(node)
        if name == "undefined":
            return None
        if name in ("NaN", "Infinity"):
            return float(name.lower() if name == "NaN" else "inf")
        binding = self.binding(node, name)
        if isinstance(binding, Unknown):
            return binding
        if binding.start_byte in seen:
            return Unknown(f"`{name}` is defined in terms of itself")
        return self.value(binding, pointer, record=record, depth=depth + 1, seen=seen | {binding.start_byte})

    def binding(self, node, name: str):
        """The initializer of the ``const`` that ``name`` refers to at ``node``, else Unknown with the reason."""
        current = node
        while current is not None:
            parent = current.parent
            if parent is None:
                break
            if parent.type in _FUNCTIONS or parent.type in ("method_definition", "function_declaration"):
                params = parent.child_by_field_name("parameters") or parent.child_by_field_name("parameter")
                if params is not None and any(_text(i) == name for i in _descendants(params, {"identifier"})):
                    return Unknown(f"`{name}` is a function parameter, known only at run time")
            if parent.type in _SCOPES:
                found = self._declared_in(parent, name)
                if found is not None:
                    return found
            current = parent
        if name in self.script.imports or name in self.script.namespaces:
            return Unknown(f"`{name}` is imported")
        return Unknown(f"`{name}` is not a constant of this file")

    def _declared_in(self, scope, name: str):
        for statement in scope.named_children:
            declaration = statement
            if statement.type == "export_statement":
                declaration = statement.child_by_field_name("declaration")
                if declaration is None:
                    continue
            if declaration.type == "import_statement" and any(
                    _text(i) == name for i in _descendants(declaration, {"identifier"})):
                return Unknown(f"`{name}` is imported from {_short(declaration.child_by_field_name('source'))}")
            if declaration.type not in ("lexical_declaration", "variable_declaration"):
                continue
            keyword = _text(declaration.children[0]) if declaration.children else "var"
            for declarator in declaration.named_children:
                if declarator.type != "variable_declarator":
                    continue
                target = declarator.child_by_field_name("name")
                if target is None:
                    continue
                if target.type != "identifier":
                    if any(_text(i) == name for i in _descendants(target, {"identifier",
                                                                           "shorthand_property_identifier_pattern"})):
                        return Unknown(f"`{name}` is taken apart from `{_short(declarator)}`")
                    continue
                if _text(target) != name:
                    continue
                value = declarator.child_by_field_name("value")
                if keyword != "const":
                    return Unknown(f"`{name}` is declared with `{keyword}`, so its value when the client starts "
                                   "cannot be told")
                if value is None:
                    return Unknown(f"`{name}` has no value")
                return value
        return None
