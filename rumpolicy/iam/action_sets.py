"""What an ``Action`` entry or a ``NotAction`` element grants, kept as patterns instead of a list.

``NotAction: iam:*`` covers some 23,000 catalogued actions. Listing them all to ask about the thirty
of RUM made one such statement cost seconds, so an ``ActionSet`` keeps the include patterns (one must
match) and the exclude patterns (none may match) and answers per action (``in``) or per service
(``in_service``: one botocore model). Whether the set reaches services it does not name is a
question about patterns (``open``, ``reaches``), answered without the catalogue. ``catalogue``
still lists everything, for the rare question that needs it.
"""

from __future__ import annotations

from rumpolicy.iam.globs import Wildcard, elements, glob_intersects, match_action
from rumpolicy.records import value_type


@value_type(slots=False)
class ActionSet:
    """A set of IAM actions as patterns: what an ``Action`` or ``NotAction`` list names."""

    include: tuple[str, ...]
    exclude: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        # IAM wants `service:action` or `*`: an entry such as `a*` or `foo` names no action at all.
        object.__setattr__(self, "include", tuple(p for p in self.include if _names_actions(p)))
        object.__setattr__(self, "exclude", tuple(p for p in self.exclude if _names_actions(p)))

    @classmethod
    def matching(cls, pattern: str) -> ActionSet:
        """What one ``Action`` entry grants."""
        return cls((pattern,))

    @classmethod
    def all_but(cls, excluded: tuple[str, ...]) -> ActionSet:
        """What a ``NotAction`` element grants: every action its patterns do not match."""
        return cls(("*",), tuple(excluded))

    def __contains__(self, action: str) -> bool:
        return (any(match_action(p, action) for p in self.include)
                and not any(match_action(p, action) for p in self.exclude))

    @property
    def open(self) -> bool:
        """Does an include pattern leave the service open (``*``, ``*:Get*``, ``s3*:*``)?"""
        return bool(self.open_patterns())

    def open_patterns(self) -> tuple[str, ...]:
        """The include patterns that reach services they do not name."""
        return tuple(p for p in self.include if _service_part(p) is None)

    def named_services(self) -> tuple[str, ...]:
        """The services that include patterns name literally (``s3`` of ``s3:Get*``), lower-cased."""
        return tuple(dict.fromkeys(prefix for p in self.include if (prefix := _service_part(p))))

    def reaches(self, prefix: str) -> bool:
        """Could the set hold an action of this service? Patterns only: no model is read."""
        whole = f"{prefix.lower()}:*"
        return (any(glob_intersects(p.lower(), whole) for p in self.include)
                and not any(_covers_service(p, prefix) for p in self.exclude))

    def in_service(self, prefix: str) -> frozenset[str]:
        """The catalogued actions of one service in the set, as ``prefix:Name``."""
        from rumpolicy.iam.actions import service_actions

        prefix = prefix.lower()
        if not self.reaches(prefix):
            return frozenset()
        return frozenset(action for name in service_actions(prefix) if (action := f"{prefix}:{name}") in self)

    def catalogue(self) -> frozenset[str]:
        """Every catalogued action in the set: the whole index is read (see ``rumpolicy.iam.actions``)."""
        from rumpolicy.iam.actions import catalogue_index

        index = catalogue_index()
        return frozenset(action for prefix, names in index.items() if self.reaches(prefix)
                         for name in names if (action := f"{prefix}:{name}") in self)


def _names_actions(pattern: str) -> bool:
    return ":" in pattern or pattern.strip("*") == ""


def _service_part(pattern: str) -> str | None:
    """The literal service prefix of a pattern (``s3`` of ``s3:Get*``); None when wildcards reach into it."""
    prefix, colon, _ = pattern.partition(":")
    if not colon or "*" in prefix or "?" in prefix:
        return None
    return prefix.lower()


def _covers_service(pattern: str, prefix: str) -> bool:
    """Does ``pattern`` match every ``prefix:<name>``? True when, after ``prefix:``, only ``*`` remains."""
    items = elements(pattern, glob=True, fold=True)
    states = _closure(items, {0})
    for char in f"{prefix.lower()}:":
        states = _closure(items, {i + (items[i] is not Wildcard.STAR) for i in states
                                  if i < len(items) and _takes(items[i], char)})
    return any(i < len(items) and all(e is Wildcard.STAR for e in items[i:]) for i in states)


def _takes(element: object, char: str) -> bool:
    return element in (Wildcard.STAR, Wildcard.ONE) or element == char


def _closure(items: tuple, states: set[int]) -> set[int]:
    """Add the positions reached by letting a ``*`` match nothing."""
    out = set(states)
    frontier = list(states)
    while frontier:
        i = frontier.pop()
        if i < len(items) and items[i] is Wildcard.STAR and i + 1 not in out:
            out.add(i + 1)
            frontier.append(i + 1)
    return out
