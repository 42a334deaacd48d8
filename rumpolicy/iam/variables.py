"""Policy variables (``${aws:username}``) in ``Resource`` and condition values (RUM-IAM-009).

Substitution happens only in documents with ``"Version": "2012-10-17"``; elsewhere ``${...}`` is
literal text. Supported: ``${key}``, ``${key, 'default'}`` (``''`` is a quote inside the default),
and ``${*}``, ``${?}``, ``${$}`` for the literal characters. A substituted value is literal: its
``*`` is no wildcard.

A variable whose key has no value (absent, or multivalued: multivalued keys cannot be variables)
takes its default; without one the value is "effectively null" and matches nothing (IAM policy
variables page, "Policy variables with no value"). A key the caller did not supply under
``missing_keys="unknown"`` makes the value undecidable instead.
"""

from __future__ import annotations

import json

from rumpolicy.iam.context import KeyState, RequestContext, Scalar
from rumpolicy.iam.globs import Element, elements
from rumpolicy.model.symbols import Symbol, parts
from rumpolicy.records import value_type

VARIABLES_VERSION = "2012-10-17"
_LITERAL_VARIABLES = ("*", "?", "$")


@value_type
class Expanded:
    """A policy value with its ``${...}`` variables replaced from the request context."""

    elements: tuple[Element, ...] | None    # None: a variable has no value, the value matches nothing
    missing: tuple[str, ...] = ()           # keys not supplied: the value is undecidable


def scalar_text(value: Scalar) -> str:
    """How IAM compares a JSON scalar as text: ``true``, ``5``, ``1.5``."""
    return value if isinstance(value, str) else json.dumps(value)


def expand(text: str, context: RequestContext, *, variables: bool, glob: bool,
           fold: bool = False) -> Expanded:
    """``text`` as elements, with its policy variables substituted when ``variables`` is on."""
    if not variables:
        return Expanded(elements(text, glob=glob, fold=fold))
    out: list[Element] = []
    missing: list[str] = []
    has_no_value = False
    for part in parts(text):
        if isinstance(part, Symbol):
            out.append(part)
            continue
        for kind, piece in _scan(part):
            if kind == "text":
                out.extend(elements(piece, glob=glob, fold=fold))
                continue
            value = _resolve(piece, context, glob=glob, fold=fold)
            if isinstance(value, _Missing):
                missing.append(value.key)
            elif value is None:
                has_no_value = True
            else:
                out.extend(value)
    if missing:
        return Expanded(None, tuple(missing))
    return Expanded(None if has_no_value else tuple(out))


@value_type
class _Missing:
    """A policy variable whose context key the request does not supply."""

    key: str


def _scan(text: str) -> list[tuple[str, str]]:
    """Split literal text into ("text", ...) and ("var", inner) pieces; a ``${`` never closed is text."""
    pieces: list[tuple[str, str]] = []
    pos = 0
    while True:
        start = text.find("${", pos)
        end = _closing_brace(text, start + 2) if start >= 0 else -1
        if end < 0:
            pieces.append(("text", text[pos:]))
            return pieces
        pieces.append(("text", text[pos:start]))
        pieces.append(("var", text[start + 2:end]))
        pos = end + 1


def _closing_brace(text: str, pos: int) -> int:
    quoted = False
    for i in range(pos, len(text)):
        if text[i] == "'":
            quoted = not quoted
        elif text[i] == "}" and not quoted:
            return i
    return -1


def _resolve(inner: str, context: RequestContext, *, glob: bool,
             fold: bool) -> tuple[Element, ...] | _Missing | None:
    """The substitution for ``${inner}``: its elements, the missing key, or None (no value)."""
    name = inner.strip()
    if name in _LITERAL_VARIABLES:
        return (name,)
    key, comma, default_text = name.partition(",")
    key = key.strip()
    default = _default(default_text) if comma else None
    if not key or (comma and default is None):
        # Not a variable IAM understands: the text stays as written, wildcards included.
        return elements("${" + inner + "}", glob=glob, fold=fold)
    found = context.lookup(key)
    if found.state is KeyState.UNKNOWN:
        return _Missing(key)
    if found.state is KeyState.PRESENT and not found.multivalued:
        return elements(scalar_text(found.values[0]), glob=False, fold=fold)
    return None if default is None else elements(default, glob=False, fold=fold)


def _default(text: str) -> str | None:
    text = text.strip()
    if len(text) < 2 or text[0] != "'" or text[-1] != "'":
        return None
    body = text[1:-1]
    if body.replace("''", "").count("'"):
        return None
    return body.replace("''", "'")
