"""Turns JSON pointers into located ``Location`` objects for one input."""

from __future__ import annotations

from typing import Callable, Protocol

from rumpolicy.findings import Location, Span, join_pointer
from rumpolicy.records import value_type


class Locator(Protocol):
    def at(self, pointer: str) -> Location: ...


@value_type
class SourceLocator:
    """Locations inside one parsed file: spans come from the parser's source map."""

    source: str
    span_for: Callable[[str], Span | None]

    def at(self, pointer: str) -> Location:
        return Location(self.source, pointer, self.span_for(pointer))


@value_type
class EmbeddedLocator:
    """Locations inside a JSON document embedded as a string (a policy in a string property).

    The pointer continues into the embedded document; the line and column are those of the
    string itself, which is what an editor can jump to.
    """

    outer: Locator
    base: str

    def at(self, pointer: str) -> Location:
        here = self.outer.at(self.base)
        return Location(here.source, self.base + pointer, here.span)


@value_type
class FixedLocator:
    """Every pointer maps to one place (live accounts, CLI arguments)."""

    source: str
    base: str = ""
    span: Span | None = None

    def at(self, pointer: str) -> Location:
        return Location(self.source, self.base + pointer, self.span)


def child(pointer: str, *tokens: object) -> str:
    return join_pointer(pointer, *tokens)
