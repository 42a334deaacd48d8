"""Glob matching over strings that may hold symbolic tokens.

IAM globs know two wildcards, ``*`` (any run of characters, ``:`` and ``/`` included) and ``?`` (one
character). A string is turned into a tuple of *elements* first: a one-character ``str`` for a
literal character, a ``Wildcard`` for a glob character, a ``Symbol`` for a token (a value known only
at deploy time). Keeping literal ``*`` apart from ``Wildcard.STAR`` is what lets the policy variable
``${*}`` stand for a literal asterisk.

A match involving tokens is decided in two steps: first opaquely, where a token equals only the same
token (True then holds for every deploy); then, if that fails, with every token widened to ``*``: if
even then the two cannot meet, no deploy can make them match (False), otherwise the deploy decides
(None).
"""

from __future__ import annotations

from enum import Enum
from typing import Union

from rumpolicy.iam.tri import Tri
from rumpolicy.model.symbols import Symbol, parts


class Wildcard(Enum):
    STAR = "*"
    ONE = "?"


Element = Union[str, Wildcard, Symbol]


def elements(text: str, *, glob: bool, fold: bool = False) -> tuple[Element, ...]:
    """Split ``text`` into elements; ``glob`` makes ``*``/``?`` wildcards, ``fold`` lower-cases literals.

    Only literal characters are folded: tokens name deploy-time values and keep their identity.
    """
    out: list[Element] = []
    for part in parts(text):
        if isinstance(part, Symbol):
            out.append(part)
            continue
        for char in part.lower() if fold else part:
            if glob and char == "*":
                out.append(Wildcard.STAR)
            elif glob and char == "?":
                out.append(Wildcard.ONE)
            else:
                out.append(char)
    return tuple(out)


def match_elements(pattern: tuple[Element, ...], value: tuple[Element, ...]) -> Tri:
    """Does the glob ``pattern`` match the literal ``value``, for every deploy (True), none (False)?"""
    if _opaque_match(pattern, value):
        return True
    if not _has_symbol(pattern) and not _has_symbol(value):
        return False
    return None if _intersects(_widen(pattern), _widen(value)) else False


def match_action(pattern: str, action: str) -> bool:
    """Case-insensitive glob match of an ``Action`` entry against ``prefix:name`` (RUM-IAM-003).

    ``*`` and ``?`` range over the whole string, so ``rum:*Events`` and ``*`` match
    ``rum:PutRumEvents``. False also when only a deploy-time token could make them match.
    """
    return match_elements(elements(pattern, glob=True, fold=True), elements(action, glob=False, fold=True)) is True


def match_resource(pattern: str, value: str) -> Tri:
    """Case-sensitive glob match of a ``Resource`` entry against an ARN (RUM-IAM-005).

    ``*`` and ``?`` may match across ``:`` (IAM Resource element page). None when tokens make it
    undecidable: ``arn:aws:rum:us-east-1:...`` against an ARN holding the ``AWS::Region`` token.
    """
    return match_elements(elements(pattern, glob=True), elements(value, glob=False))


def glob_intersects(a: str, b: str) -> bool:
    """Is there a string that both globs match? Tokens count as ``*``. Symmetric in ``a`` and ``b``.

    Answers "could this pattern ever match something that pattern matches", e.g. whether a
    ``Resource`` pattern can reach a monitor whose ARN is itself only known as a pattern.
    """
    return _intersects(_widen(elements(a, glob=True)), _widen(elements(b, glob=True)))


def _has_symbol(items: tuple[Element, ...]) -> bool:
    return any(isinstance(item, Symbol) for item in items)


def _widen(items: tuple[Element, ...]) -> tuple[Element, ...]:
    return tuple(Wildcard.STAR if isinstance(item, Symbol) else item for item in items)


def _accepts(element: Element, item: Element) -> bool:
    if element is Wildcard.ONE:
        return isinstance(item, str)       # one character; a token may stand for any number of them
    return element == item


def _opaque_match(pattern: tuple[Element, ...], value: tuple[Element, ...]) -> bool:
    """Glob match where a token is an opaque item that only an equal token or ``*`` covers."""
    size = len(value)
    positions = {0}
    for element in pattern:
        if element is Wildcard.STAR:
            positions = set(range(min(positions), size + 1))
        else:
            positions = {i + 1 for i in positions if i < size and _accepts(element, value[i])}
        if not positions:
            return False
    return size in positions


def _intersects(a: tuple[Element, ...], b: tuple[Element, ...]) -> bool:
    """Search the product of the two glob automata for a common accepted string."""
    end = (len(a), len(b))
    seen: set[tuple[int, int]] = set()
    stack = [(0, 0)]
    while stack:
        state = stack.pop()
        if state in seen:
            continue
        seen.add(state)
        if state == end:
            return True
        i, j = state
        ea = a[i] if i < len(a) else None
        eb = b[j] if j < len(b) else None
        if ea is Wildcard.STAR:
            stack.append((i + 1, j))
        if eb is Wildcard.STAR:
            stack.append((i, j + 1))
        if ea is not None and eb is not None and (
                isinstance(ea, Wildcard) or isinstance(eb, Wildcard) or ea == eb):
            stack.append((i if ea is Wildcard.STAR else i + 1, j if eb is Wildcard.STAR else j + 1))
    return False
