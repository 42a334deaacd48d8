"""The request context: condition keys and their values, looked up the way IAM does.

Key names are case-insensitive. A key maps to one value (``str``, ``bool``, ``int``, ``float``) or to
a list for a multivalued key (``cognito-identity.amazonaws.com:amr``). A key the caller did not give
is either absent from the request (``missing_keys="absent"``, AWS semantics) or simply not known to
the linter (``"unknown"``), in which case whatever depends on it is undecidable. A key given as
``None`` (or as an empty list, IAM's "empty data set") is known to be absent in both modes.
"""

from __future__ import annotations

from enum import Enum
from typing import Any, Mapping, Union

from rumpolicy.records import value_type

Scalar = Union[str, bool, int, float]
MISSING_KEY_MODES = ("absent", "unknown")


class KeyState(Enum):
    PRESENT = "present"
    ABSENT = "absent"
    UNKNOWN = "unknown"


@value_type
class Lookup:
    """A context key as the request context holds it: present with values, absent, or unknown."""

    state: KeyState
    values: tuple[Scalar, ...] = ()
    multivalued: bool = False


_ABSENT = Lookup(KeyState.ABSENT)
_UNKNOWN = Lookup(KeyState.UNKNOWN)


class RequestContext:
    """Condition keys of one request, normalized once."""

    def __init__(self, context: Mapping[str, Any] | None, missing_keys: str) -> None:
        if missing_keys not in MISSING_KEY_MODES:
            raise ValueError(f"missing_keys must be one of {MISSING_KEY_MODES}, not {missing_keys!r}")
        self.missing_keys = missing_keys
        self._values: dict[str, Lookup] = {}
        for key, value in (context or {}).items():
            if not isinstance(key, str):
                raise TypeError(f"condition key names are strings, not {type(key).__name__}")
            self._values[key.lower()] = _normalize(key, value)

    def lookup(self, key: str) -> Lookup:
        found = self._values.get(key.lower())
        if found is not None:
            return found
        return _UNKNOWN if self.missing_keys == "unknown" else _ABSENT


def _normalize(key: str, value: Any) -> Lookup:
    if value is None:
        return _ABSENT
    if isinstance(value, (str, bool, int, float)):
        return Lookup(KeyState.PRESENT, (value,))
    if isinstance(value, (list, tuple, set, frozenset)):
        items = tuple(value)
        for item in items:
            if not isinstance(item, (str, bool, int, float)):
                raise TypeError(f"context value of {key!r} holds {type(item).__name__}; "
                                "values are strings, booleans or numbers")
        return Lookup(KeyState.PRESENT, items, multivalued=True) if items else _ABSENT
    raise TypeError(f"context value of {key!r} is {type(value).__name__}; "
                    "give a string, boolean, number, list or None")
