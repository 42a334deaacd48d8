"""Reasoned suppressions: the stage between the engine and the reports.

Three places can suppress a finding, and each needs a reason:

- a line comment ``# rumpolicy: ignore RUM-PERM-004 -- reason`` (``//`` also in HCL and JavaScript).
  At the end of a line it covers findings on that line; on a line of its own it covers the next
  line that is not a comment (so several such comments can be stacked above one line). It is
  line-scoped: a comment above a resource's key covers findings located at that key, not those
  located at its properties; use resource metadata for a whole resource.
- CloudFormation resource metadata ``Metadata: {rumpolicy: {ignore: [{id: RUM-PERM-004, reason: ...}]}}``:
  covers findings located anywhere inside that resource (its JSON pointer is under it).
- configuration entries ``suppress: [{id: RUM-PERM-004, paths: [legacy/**], reason: ...}]``: cover
  the rule's findings in files matching the (gitignore-style) path globs, everywhere without ``paths``;
  ``aws://`` paths match the locations of an audit (``LivePattern``), and ``subjects`` globs narrow an
  entry to findings about those resources (ARNs, pool ids, logical ids).

A suppressed finding stays in the report, marked with its suppression, and never fails the run.
A suppression without a reason does not take effect. Every suppression that is malformed, names
no rule, has no reason, or suppresses nothing is reported as RUM-SRC-004; a configuration entry
only counts as suppressing nothing when one of the checked files or fully read live locations
matches its paths and no location it depends on was left partly or wholly unread, and no suppression
is judged unused when a rule it names did not run (``select``/``ignore``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Iterable, Mapping, Sequence

from rumpolicy.engine import RunResult, find_rule, run_subjects
from rumpolicy.findings import Finding, Location, Span, Suppressed, join_pointer
from rumpolicy.model.inputs import InputFile, Suppression

SUPPRESSION_RULE = "RUM-SRC-004"
# JSON has no comments; `//` starts a comment only in HCL and JavaScript (and HTML's scripts).
NO_COMMENTS = {".json"}
SLASH_COMMENTS = {".tf", ".tfvars", ".hcl", ".js", ".mjs", ".cjs", ".ts", ".html", ".htm"}
HASH_COMMENT = re.compile(r"(?:^|\s)#\s*rumpolicy:\s*ignore\b(?P<rest>.*)$")
ANY_COMMENT = re.compile(r"(?:^|\s)(?:#|//)\s*rumpolicy:\s*ignore\b(?P<rest>.*)$")


@dataclass(frozen=True)
class ConfigSuppression:
    """A ``suppress`` entry of the configuration file, as validated by ``rumpolicy.config``."""

    ids: tuple[str, ...]
    reason: str | None
    paths: tuple[str, ...]          # gitignore-style globs relative to ``base``, or ``aws://`` ones; empty: everywhere
    base: Path                      # the folder of the configuration file
    location: Location              # where the entry is written
    subjects: tuple[str, ...] = ()  # globs over the findings' subjects (``*``, ``?`` as in IAM); empty: any


LIVE_SCHEME = "aws://"


@dataclass(frozen=True)
class LivePattern:
    """An ``aws://ACCOUNT[/REGION]`` path of a configuration entry, matched against an audit's locations.

    Audit findings are located at ``aws://ACCOUNT/REGION`` (regional resources) or ``aws://ACCOUNT``
    (IAM and Organizations, which are global). The account and region parts are globs (``*``, ``?``),
    each within its part. ``aws://ACCOUNT`` covers the whole account: its global resources and
    every region. ``aws://ACCOUNT/REGION`` covers that region; a global location has an empty region,
    which a region glob of just ``*`` matches, so ``aws://ACCOUNT/*`` too covers the whole account
    while ``aws://ACCOUNT/eu-*`` covers only regional findings.
    """

    account: str
    region: str | None              # None: the whole account

    @classmethod
    def parse(cls, text: str) -> LivePattern:
        account, slash, region = text[len(LIVE_SCHEME):].partition("/")
        return cls(account, region if slash else None)

    def matches(self, source: str) -> bool:
        if not source.startswith(LIVE_SCHEME):
            return False
        account, _, region = source[len(LIVE_SCHEME):].partition("/")
        return _glob(self.account, account) and (self.region is None or _glob(self.region, region))

    def depends_on(self, scope: str) -> bool:
        """Can findings under this pattern hang on what the audit read at ``scope``?

        Regional findings also depend on the account's global resources (a monitor on its role).
        """
        account, slash, _ = scope[len(LIVE_SCHEME):].partition("/")
        return self.matches(scope) or (scope.startswith(LIVE_SCHEME) and not slash and _glob(self.account, account))


def _glob(pattern: str, value: str) -> bool:
    from rumpolicy.iam.globs import match_resource

    return match_resource(pattern, value) is True


@dataclass
class SourceCache:
    """File text and parsed data, read at most once per run."""

    texts: dict[str, str | None] = field(default_factory=dict)
    parsed: dict[str, object] = field(default_factory=dict)

    def text(self, path: str) -> str | None:
        if path not in self.texts:
            from rumpolicy.load.source import SourceError, read_text

            try:
                self.texts[path] = read_text(path)
            except (SourceError, OSError):
                self.texts[path] = None        # the loader has reported it (RUM-SRC-000)
        return self.texts[path]

    def forget(self, path: str) -> None:
        """Drop a file's text once its suppressions are read: a large run must not hold every file."""
        self.texts.pop(path, None)
        self.parsed.pop(path, None)

    def parse(self, path: str):
        if path not in self.parsed:
            from rumpolicy.load.source import SourceError, parse_text

            text = self.text(path)
            try:
                self.parsed[path] = parse_text(text, path) if text is not None else None
            except SourceError:
                self.parsed[path] = None
        return self.parsed[path]


@dataclass
class _Active:
    """A suppression with what it covers."""

    record: Suppression
    covers: Callable[[Finding], bool]


def _resolve(written: Iterable[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    known: list[str] = []
    unknown: list[str] = []
    for rule_id in written:
        found = find_rule(rule_id)
        if found is None or found.id == SUPPRESSION_RULE:
            unknown.append(rule_id)
        elif found.id not in known:
            known.append(found.id)
    return tuple(known), tuple(unknown)


def _record(kind: str, location: Location, ids: Sequence[str], reason: object, malformed: str | None = None):
    rule_ids, unknown = _resolve(ids)
    text = reason.strip() if isinstance(reason, str) else ""
    return Suppression(kind, location, tuple(ids), rule_ids, unknown, text or None, malformed)


# --- comments -----------------------------------------------------------------------------------------

def _comment_pattern(path: str) -> re.Pattern | None:
    suffix = Path(path).suffix.lower()
    if suffix in NO_COMMENTS:
        return None
    return ANY_COMMENT if suffix in SLASH_COMMENTS else HASH_COMMENT


def _is_comment_line(line: str) -> bool:
    stripped = line.lstrip()
    return stripped.startswith("#") or stripped.startswith("//")


def comment_suppressions(path: str, text: str) -> list[_Active]:
    pattern = _comment_pattern(path)
    if pattern is None or "rumpolicy" not in text:
        return []
    lines = text.splitlines()
    out: list[_Active] = []
    for number, line in enumerate(lines, start=1):
        match = pattern.search(line)
        if match is None:
            continue
        ids_part, _, reason = match.group("rest").partition("--")
        ids = [i for i in re.split(r"[\s,]+", ids_part.strip()) if i]
        column = match.start() + (1 if line[match.start()].isspace() else 0) + 1
        record = _record("comment", Location(path, "", Span(number, column)), ids, reason,
                         None if ids else "names no rule id (write `rumpolicy: ignore RULE-ID -- reason`)")
        target = number
        if _is_comment_line(line):
            target = number + 1
            while target <= len(lines) and _is_comment_line(lines[target - 1]):
                target += 1
        out.append(_Active(record, lambda f, p=path, t=target: f.location.source == p and f.location.line == t))
    return out


# --- CloudFormation metadata --------------------------------------------------------------------------

def metadata_suppressions(path: str, cache: SourceCache) -> list[_Active]:
    text = cache.text(path)
    if text is None or "rumpolicy" not in text:
        return []
    parsed = cache.parse(path)
    resources = parsed.data.get("Resources") if parsed is not None and isinstance(parsed.data, dict) else None
    if not isinstance(resources, dict):
        return []
    out: list[_Active] = []
    for logical_id, resource in resources.items():
        meta = resource.get("Metadata") if isinstance(resource, dict) else None
        settings = meta.get("rumpolicy") if isinstance(meta, dict) else None
        if not isinstance(settings, dict) or "ignore" not in settings:
            continue
        resource_pointer = join_pointer("/Resources", logical_id)
        ignore_pointer = join_pointer(resource_pointer, "Metadata", "rumpolicy", "ignore")

        def covers(finding: Finding, p=path, prefix=resource_pointer) -> bool:
            pointer = finding.location.pointer
            return finding.location.source == p and (pointer == prefix or pointer.startswith(prefix + "/"))

        entries = settings["ignore"]
        if not isinstance(entries, list):
            where = Location(path, ignore_pointer, parsed.span_for(ignore_pointer))
            out.append(_Active(_record("metadata", where, (), None, "`ignore` must be a list of "
                                       "`{id: RULE-ID, reason: ...}` entries"), covers))
            continue
        for index, entry in enumerate(entries):
            pointer = join_pointer(ignore_pointer, index)
            where = Location(path, pointer, parsed.span_for(pointer))
            if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
                record = _record("metadata", where, (), None,
                                 "an `ignore` entry must be an object `{id: RULE-ID, reason: ...}`")
            else:
                record = _record("metadata", where, (entry["id"],), entry.get("reason"))
            out.append(_Active(record, covers))
    return out


# --- configuration ------------------------------------------------------------------------------------

def config_suppressions(entries: Sequence[ConfigSuppression], files: Sequence[InputFile],
                        live_scopes: Mapping[str, bool] | None = None) -> list[_Active]:
    """The configuration's entries with what each covers.

    ``live_scopes``: in an audit, every location it read (``aws://ACCOUNT``, ``aws://ACCOUNT/REGION``)
    and whether it was read completely (coverage ``checked``).
    """
    if not entries:
        return []
    import pathspec

    live_scopes = live_scopes or {}
    out: list[_Active] = []
    for entry in entries:
        record = _record("config", entry.location, entry.ids, entry.reason)
        live = [LivePattern.parse(p) for p in entry.paths if p.startswith(LIVE_SCHEME)]
        globs = [p for p in entry.paths if not p.startswith(LIVE_SCHEME)]
        spec = pathspec.GitIgnoreSpec.from_lines(globs) if globs else None

        def within(source: str, spec=spec, base=entry.base, live=live, everywhere=not entry.paths) -> bool:
            if everywhere or any(pattern.matches(source) for pattern in live):
                return True
            relative = _relative(source, base) if spec is not None else None
            return relative is not None and spec.match_file(relative)

        def about(subject: str, subjects=entry.subjects) -> bool:
            return not subjects or any(_glob(pattern, subject) for pattern in subjects)

        # What it would suppress may be among what an audit could not read: then it is not judged.
        unread = [scope for scope, complete in live_scopes.items() if not complete
                  and (not entry.paths or any(pattern.depends_on(scope) for pattern in live))]
        read = [scope for scope, complete in live_scopes.items() if complete]
        record.in_scope = not unread and (not entry.paths or any(within(s) for s in [f.path for f in files] + read))
        out.append(_Active(record, lambda f, w=within, a=about: w(f.location.source) and a(f.subject)))
    return out


def _relative(source: str, base: Path) -> str | None:
    from rumpolicy.paths import is_file_source

    if not is_file_source(source):
        return None
    try:
        return Path(source).resolve().relative_to(base.resolve()).as_posix()
    except ValueError:
        return None


# --- the stage ----------------------------------------------------------------------------------------

def apply(result: RunResult, files: Sequence[InputFile], config: Sequence[ConfigSuppression] = (),
          rules_run: Iterable[str] | None = None, cache: SourceCache | None = None,
          live_scopes: Mapping[str, bool] | None = None) -> RunResult:
    """Mark suppressed findings and add RUM-SRC-004 findings for suppressions that are wrong.

    ``files``: the inputs of the run (comments and metadata are read from the recognized ones);
    ``rules_run``: ids of the rules that ran (default: every rule); ``live_scopes``: in an audit, the
    locations read and whether completely (``config_suppressions``).
    """
    cache = cache or SourceCache()
    suppressions: list[_Active] = []
    for file in files:
        if file.kind is None or file.error is not None:
            continue
        text = cache.text(file.path)
        if text is None:
            continue
        suppressions += comment_suppressions(file.path, text)
        if file.kind == "cloudformation":
            suppressions += metadata_suppressions(file.path, cache)
        cache.forget(file.path)
    suppressions += config_suppressions(config, files, live_scopes)
    if not suppressions:
        return result
    ran = set(rules_run) if rules_run is not None else None
    for active in suppressions:
        record = active.record
        record.rules_ran = ran is None or all(rule_id in ran for rule_id in record.rule_ids)
    findings = [_mark(finding, suppressions) for finding in result.findings]
    extra = run_subjects([s.record for s in suppressions], Suppression,
                         _rules_selected(ran))
    merged = sorted(findings + extra.findings, key=Finding.sort_key)
    return replace(result, findings=merged, outcomes={**result.outcomes, **extra.outcomes},
                   failures=result.failures + extra.failures)


def _rules_selected(ran: set[str] | None):
    from rumpolicy.engine import registry

    return [r for r in registry() if ran is None or r.id in ran]


def _mark(finding: Finding, suppressions: Sequence[_Active]) -> Finding:
    if finding.suppressed or finding.rule_id == SUPPRESSION_RULE:
        return finding
    chosen: Suppression | None = None
    for active in suppressions:
        record = active.record
        if finding.rule_id not in record.rule_ids or not active.covers(finding):
            continue
        record.matched.add(finding.rule_id)
        if chosen is None and record.reason is not None:
            chosen = record
    if chosen is None:
        return finding
    return replace(finding, suppression=Suppressed(chosen.kind, chosen.reason, chosen.location))
