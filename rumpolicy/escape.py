"""Escaping what comes from the input before a report shows it.

File names and values (a monitor name, a ``Sid``) are written by whoever wrote the input. In a
report they must never start a new line, a GitHub workflow command, a Markdown structure or a
terminal control sequence, and must never stop the report from being written (a lone surrogate
from JSON's ``"\\ud800"``, or from a file name that is not UTF-8, cannot be encoded).
"""

from __future__ import annotations

import re

# C0 and C1 controls, DEL, line and paragraph separators, bidirectional marks, embeddings, overrides
# and isolates (they reorder what a terminal or a browser shows), and surrogates (not encodable).
UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
# What json.dumps(ensure_ascii=False) leaves raw of UNSAFE (it escapes the C0 controls itself).
JSON_UNSAFE = re.compile("[\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def _escaped(match: re.Match) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def visible(text: str, keep: str = "") -> str:
    """``text`` with every control, bidi and surrogate character shown as ``\\xNN`` / ``\\uNNNN``, but those
    in ``keep`` (a format that escapes line breaks its own way keeps them for that)."""
    if keep:
        return UNSAFE.sub(lambda m: m.group() if m.group() in keep else _escaped(m), text)
    return UNSAFE.sub(_escaped, text)


def json_safe(document: str) -> str:
    """JSON text from ``json.dumps(..., ensure_ascii=False)`` with lone surrogates, DEL, C1 controls and bidi
    characters as ``\\uNNNN`` escapes.

    They occur only inside JSON strings, where the escape is the standard spelling, so the text stays
    valid JSON that decodes to the same value, can be encoded as UTF-8, and shows no terminal sequence
    or reordered text to whoever reads it with ``cat``.
    """
    return JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", document)


def encodable(text: str) -> bytes:
    """UTF-8 bytes of text that may hold surrogates (file names from ``os.fsdecode``): the bytes of the name."""
    return text.encode("utf-8", "surrogateescape") if not _bare_surrogate(text) \
        else text.encode("utf-8", "surrogatepass")


def _bare_surrogate(text: str) -> bool:
    # surrogateescape can encode only U+DC80..U+DCFF (the bytes 0x80..0xFF of a name that is not UTF-8).
    return any("\ud800" <= c <= "\udfff" and not "\udc80" <= c <= "\udcff" for c in text)
