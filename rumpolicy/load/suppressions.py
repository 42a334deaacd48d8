"""Suppressions written in input files, found by the loaders while they read them.

A loader that has a file's text calls ``comment_marks``; one that has a CloudFormation template's parsed
data calls ``metadata_marks``; both go to ``InputFile.marks``. ``rumpolicy.suppress`` later resolves the
ids into ``Suppression`` records and decides what each covers, so no file is read again for them.

- a line comment ``# rumpolicy: ignore RUM-PERM-004 -- reason`` (``//`` also in HCL, JavaScript and
  HTML; JSON has no comments). At the end of a line it covers that line; on a line of its own it covers
  the next line that is not a comment (so several can be stacked above one line).
- CloudFormation resource metadata ``Metadata: {rumpolicy: {ignore: [{id: ..., reason: ...}]}}``: covers
  everything located under that resource's JSON pointer.
"""

from __future__ import annotations

import re
from pathlib import Path

from rumpolicy.findings import Location, Span, join_pointer
from rumpolicy.model.inputs import SuppressionMark

# JSON has no comments; `//` starts a comment only in HCL and JavaScript (and HTML's scripts).
NO_COMMENTS = {".json"}
SLASH_COMMENTS = {".tf", ".tfvars", ".hcl", ".js", ".mjs", ".cjs", ".jsx", ".ts", ".mts", ".cts", ".tsx", ".html", ".htm"}
HASH_COMMENT = re.compile(r"(?:^|\s)#\s*rumpolicy:\s*ignore\b(?P<rest>.*)$")
ANY_COMMENT = re.compile(r"(?:^|\s)(?:#|//)\s*rumpolicy:\s*ignore\b(?P<rest>.*)$")
_IDS_SPLIT = re.compile(r"[\s,]+")

NO_RULE_ID = "names no rule id (write `rumpolicy: ignore RULE-ID -- reason`)"
IGNORE_NOT_LIST = "`ignore` must be a list of `{id: RULE-ID, reason: ...}` entries"
ENTRY_NOT_OBJECT = "an `ignore` entry must be an object `{id: RULE-ID, reason: ...}`"


def _comment_pattern(path: str) -> re.Pattern | None:
    suffix = Path(path).suffix.lower()
    if suffix in NO_COMMENTS:
        return None
    return ANY_COMMENT if suffix in SLASH_COMMENTS else HASH_COMMENT


def _is_comment_line(line: str) -> bool:
    stripped = line.lstrip()
    return stripped.startswith("#") or stripped.startswith("//")


def comment_marks(path: str, text: str) -> list[SuppressionMark]:
    """The ``rumpolicy: ignore`` comments of a file's text, each with the line it covers."""
    pattern = _comment_pattern(path)
    if pattern is None or "rumpolicy" not in text:
        return []
    lines = text.splitlines()
    out: list[SuppressionMark] = []
    for number, line in enumerate(lines, start=1):
        if "rumpolicy" not in line:
            continue
        match = pattern.search(line)
        if match is None:
            continue
        ids_part, _, reason = match.group("rest").partition("--")
        ids = tuple(i for i in _IDS_SPLIT.split(ids_part.strip()) if i)
        column = match.start() + (1 if line[match.start()].isspace() else 0) + 1
        target = number
        if _is_comment_line(line):
            target = number + 1
            while target <= len(lines) and _is_comment_line(lines[target - 1]):
                target += 1
        out.append(SuppressionMark("comment", Location(path, "", Span(number, column)), ids, reason,
                                   None if ids else NO_RULE_ID, source=path, line=target))
    return out


def metadata_marks(path: str, parsed) -> list[SuppressionMark]:
    """The ``Metadata.rumpolicy.ignore`` entries of a CloudFormation template's resources.

    ``parsed``: the template as ``rumpolicy.load.source`` parsed it (``data`` and ``span_for``).
    """
    data = getattr(parsed, "data", None)
    resources = data.get("Resources") if isinstance(data, dict) else None
    if not isinstance(resources, dict):
        return []
    out: list[SuppressionMark] = []
    for logical_id, resource in resources.items():
        meta = resource.get("Metadata") if isinstance(resource, dict) else None
        settings = meta.get("rumpolicy") if isinstance(meta, dict) else None
        if not isinstance(settings, dict) or "ignore" not in settings:
            continue
        resource_pointer = join_pointer("/Resources", logical_id)
        ignore_pointer = join_pointer(resource_pointer, "Metadata", "rumpolicy", "ignore")
        entries = settings["ignore"]
        if not isinstance(entries, list):
            where = Location(path, ignore_pointer, parsed.span_for(ignore_pointer))
            out.append(SuppressionMark("metadata", where, (), None, IGNORE_NOT_LIST,
                                       source=path, pointer=resource_pointer))
            continue
        for index, entry in enumerate(entries):
            pointer = join_pointer(ignore_pointer, index)
            where = Location(path, pointer, parsed.span_for(pointer))
            if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
                out.append(SuppressionMark("metadata", where, (), None, ENTRY_NOT_OBJECT,
                                           source=path, pointer=resource_pointer))
            else:
                out.append(SuppressionMark("metadata", where, (entry["id"],), entry.get("reason"),
                                           source=path, pointer=resource_pointer))
    return out
