"""Glob matching over strings that may hold symbolic tokens.

IAM globs know two wildcards, ``*`` (any run of characters, ``:`` and ``/`` included) and ``?`` (one
character). A string is turned into a tuple of *elements* first: a one-character ``str`` for a
literal character, a ``Wildcard`` for a glob character, a ``Symbol`` for a token (a value known only
at deploy time). Keeping literal ``*`` apart from ``Wildcard.STAR`` is what lets the policy variable
``${*}`` stand for a literal asterisk.

In a ``Resource`` pattern the wildcards of the first five ARN fields (``arn``, partition, service,
region, account: everything before the pattern's fifth ``:``) stay inside their field: ``?`` and a
``*`` that is not the last character of its field never match ``:``; a ``*`` that ends its field
may run on across ``:`` (IAM ``Resource`` element page, "Using wildcards in resource ARNs").
``arn_pattern`` marks those wildcards as ``ONE_IN_FIELD`` / ``STAR_IN_FIELD``; everything after
the fifth ``:`` is the resource field, where both wildcards match anything.

A match involving tokens is decided in two steps: first opaquely, where a token equals only the same
token (True then holds for every deploy); then, if that fails, with every token widened to ``*``: if
even then the two cannot meet, no deploy can make them match (False), otherwise the deploy decides
(None).
"""

from __future__ import annotations

import re
from enum import Enum
from functools import lru_cache
from typing import Union

from rumpolicy.iam.tri import Tri
from rumpolicy.model.symbols import MARK, PSEUDO, Symbol, parts


class Wildcard(Enum):
    STAR = "*"
    ONE = "?"
    STAR_IN_FIELD = "*:"      # a `*` inside one of the first five ARN fields: any run without `:`
    ONE_IN_FIELD = "?:"       # a `?` there: one character other than `:`


_STARS = (Wildcard.STAR, Wildcard.STAR_IN_FIELD)
_FIELD_BOUND = (Wildcard.STAR_IN_FIELD, Wildcard.ONE_IN_FIELD)
_ARN_PREFIX_COLONS = 5         # `arn:partition:service:region:account:` precede the resource field

# Tokens whose every value is free of `:`, so a field-bound `*` covers them for any deploy.
_COLON_FREE_PSEUDO = frozenset({"AWS::Region", "AWS::AccountId", "AWS::Partition", "AWS::URLSuffix",
                                "AWS::StackName"})


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


def arn_pattern(pattern: tuple[Element, ...]) -> tuple[Element, ...]:
    """Bind the wildcards of the first five ARN fields of a ``Resource`` pattern to their field.

    Fields are counted by the pattern's own literal ``:`` (after policy variables are substituted);
    a ``*`` ends its field when a ``:`` or the end of the pattern follows it.
    """
    out: list[Element] = []
    colons = 0
    last = len(pattern) - 1
    for i, element in enumerate(pattern):
        if element == ":":
            colons += 1
        elif colons < _ARN_PREFIX_COLONS:
            if element is Wildcard.ONE:
                element = Wildcard.ONE_IN_FIELD
            elif element is Wildcard.STAR and i < last and pattern[i + 1] != ":":
                element = Wildcard.STAR_IN_FIELD
        out.append(element)
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
    if MARK not in pattern and MARK not in action:
        return _action_regex(pattern).match(action) is not None     # the common case, compiled once
    return match_elements(elements(pattern, glob=True, fold=True), elements(action, glob=False, fold=True)) is True


@lru_cache(maxsize=4096)
def _action_regex(pattern: str) -> re.Pattern[str]:
    """A token-free ``Action`` glob as a case-insensitive regex: ``*`` and ``?`` run over ``:`` too."""
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(body + r"\Z", re.IGNORECASE | re.DOTALL)


def match_resource(pattern: str, value: str) -> Tri:
    """Case-sensitive glob match of a ``Resource`` entry against an ARN (RUM-IAM-005).

    Wildcards of the first five ARN fields stay in their field unless a ``*`` ends it
    (``arn_pattern``); in the resource field ``*`` and ``?`` match ``:`` too. None when tokens make
    it undecidable: ``arn:aws:rum:us-east-1:...`` against an ARN holding the ``AWS::Region`` token.
    """
    return match_elements(arn_pattern(elements(pattern, glob=True)), elements(value, glob=False))


def glob_intersects(a: str, b: str, *, arn: bool = False) -> bool:
    """Is there a string that both globs match? Tokens count as ``*``. Symmetric in ``a`` and ``b``.

    Answers "could this pattern ever match something that pattern matches", e.g. whether a
    ``Resource`` pattern can reach a monitor whose ARN is itself only known as a pattern; ``arn``
    reads both as ``Resource`` patterns (wildcards bound to their ARN field, see ``arn_pattern``).
    """
    shape = arn_pattern if arn else tuple
    return _intersects(_widen(shape(elements(a, glob=True))), _widen(shape(elements(b, glob=True))))


def _has_symbol(items: tuple[Element, ...]) -> bool:
    return any(isinstance(item, Symbol) for item in items)


def _widen(items: tuple[Element, ...]) -> tuple[Element, ...]:
    return tuple(Wildcard.STAR if isinstance(item, Symbol) else item for item in items)


def _accepts(element: Element, item: Element) -> bool:
    if element is Wildcard.ONE:
        return isinstance(item, str)       # one character; a token may stand for any number of them
    if element is Wildcard.ONE_IN_FIELD:
        return isinstance(item, str) and item != ":"
    return element == item


def _within_field(item: Element) -> bool:
    """Can a field-bound ``*`` run over this value item, whatever the deploy?"""
    if isinstance(item, Symbol):
        return item.kind == PSEUDO and item.detail in _COLON_FREE_PSEUDO
    return item != ":"


def _opaque_match(pattern: tuple[Element, ...], value: tuple[Element, ...]) -> bool:
    """Glob match where a token is an opaque item that only an equal token or ``*`` covers."""
    size = len(value)
    positions = {0}
    for element in pattern:
        if element is Wildcard.STAR:
            positions = set(range(min(positions), size + 1))
        elif element is Wildcard.STAR_IN_FIELD:
            reached: set[int] = set()
            for start in sorted(positions):
                if start in reached:
                    continue                # an earlier start already ran over this stretch
                end = start
                reached.add(end)
                while end < size and _within_field(value[end]):
                    end += 1
                    reached.add(end)
            positions = reached
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
        if ea in _STARS:
            stack.append((i + 1, j))
        if eb in _STARS:
            stack.append((i, j + 1))
        if ea is not None and eb is not None and _share_a_character(ea, eb):
            stack.append((i if ea in _STARS else i + 1, j if eb in _STARS else j + 1))
    return False


def _share_a_character(a: Element, b: Element) -> bool:
    """Can ``a`` and ``b`` both consume one same character? Field-bound wildcards never take ``:``."""
    if isinstance(a, Wildcard) and isinstance(b, Wildcard):
        return True                         # any character other than `:` will do
    if isinstance(a, Wildcard):
        return a not in _FIELD_BOUND or b != ":"
    if isinstance(b, Wildcard):
        return b not in _FIELD_BOUND or a != ":"
    return a == b
