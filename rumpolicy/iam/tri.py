"""Three-valued logic with the evidence attached.

``None`` means "cannot be decided from the input" (an unresolved intrinsic, a condition key the
caller did not supply). An ``Outcome`` carries, next to its value, the context keys and the reasons
that made it undecidable, and the combinators keep only the evidence of the operands that decided
the result: a clause that was unknown but did not matter (``False and unknown``) leaves no trace.
"""

from __future__ import annotations

from typing import Iterable, Optional

from rumpolicy.records import value_type

Tri = Optional[bool]
"""``True``, ``False`` or ``None`` (unknown)."""


@value_type
class Outcome:
    """A three-valued answer (true, false, unknown) with what made it unknown."""

    value: Tri
    missing: tuple[str, ...] = ()     # context keys that were not supplied and made this unknown
    reasons: tuple[str, ...] = ()     # why this is unknown, one sentence each


TRUE = Outcome(True)
FALSE = Outcome(False)


def unknown(reason: str, missing: Iterable[str] = ()) -> Outcome:
    return Outcome(None, tuple(missing), (reason,))


def known(value: bool) -> Outcome:
    return TRUE if value else FALSE


def negate(outcome: Outcome) -> Outcome:
    if outcome.value is None:
        return outcome
    return known(not outcome.value)


def all_of(outcomes: Iterable[Outcome]) -> Outcome:
    """Three-valued AND; stops at the first False, so later operands are not evaluated."""
    undecided: list[Outcome] = []
    for outcome in outcomes:
        if outcome.value is False:
            return FALSE
        if outcome.value is None:
            undecided.append(outcome)
    return _merge(undecided) if undecided else TRUE


def any_of(outcomes: Iterable[Outcome]) -> Outcome:
    """Three-valued OR; stops at the first True."""
    undecided: list[Outcome] = []
    for outcome in outcomes:
        if outcome.value is True:
            return TRUE
        if outcome.value is None:
            undecided.append(outcome)
    return _merge(undecided) if undecided else FALSE


def _merge(undecided: list[Outcome]) -> Outcome:
    return Outcome(None,
                   unique(key for o in undecided for key in o.missing),
                   unique(reason for o in undecided for reason in o.reasons))


def unique(items: Iterable[str]) -> tuple[str, ...]:
    """Items in first-seen order, without repeats (reasons read better in the order they arose)."""
    return tuple(dict.fromkeys(items))
