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

The loaders find the comments and the metadata as they read each file (``rumpolicy.load.suppressions``,
``InputFile.marks``); this stage reads no file: it resolves the ids the marks name into ``Suppression``
records, adds the configuration's entries, and decides what each covers.

A suppressed finding stays in the report, marked with its suppression, and never fails the run.
A suppression without a reason does not take effect. Every suppression that is malformed, names
no rule, has no reason, or suppresses nothing is reported as RUM-SRC-004; a configuration entry
only counts as suppressing nothing when one of the checked files or fully read live locations
matches its paths and no location it depends on was left partly or wholly unread, and no suppression
is judged unused when a rule it names did not run (``select``/``ignore``).
"""

from __future__ import annotations

import gc
import re
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Callable, Iterable, Iterator, Mapping, Sequence

from rumpolicy.engine import RunResult, find_rule, run_subjects
from rumpolicy.findings import Finding, Location, Suppressed
from rumpolicy.model.inputs import InputFile, Suppression, SuppressionMark
from rumpolicy.records import record, value_type

SUPPRESSION_RULE = "RUM-SRC-004"


@value_type(slots=False)
class ConfigSuppression:
    """A ``suppress`` entry of the configuration file, as validated by ``rumpolicy.config``."""

    ids: tuple[str, ...]
    reason: str | None
    paths: tuple[str, ...]          # gitignore-style globs relative to ``base``, or ``aws://`` ones; empty: everywhere
    base: Path                      # the folder of the configuration file
    location: Location              # where the entry is written
    subjects: tuple[str, ...] = ()  # globs over the findings' subjects (``*``, ``?`` as in IAM); empty: any


LIVE_SCHEME = "aws://"


@value_type(slots=False)
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


@record
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


def _record(kind: str, location: Location, ids: Sequence[str], reason: object, malformed: str | None = None,
            *, resolved: dict | None = None):
    """``resolved``: ids already looked up in this run (60,000 configuration entries name few distinct ids)."""
    if resolved is None:
        rule_ids, unknown = _resolve(ids)
    else:
        key = tuple(ids)
        if key not in resolved:
            resolved[key] = _resolve(key)
        rule_ids, unknown = resolved[key]
    text = reason.strip() if isinstance(reason, str) else ""
    return Suppression(kind, location, tuple(ids), rule_ids, unknown, text or None, malformed)


# --- comments and CloudFormation metadata ------------------------------------------------------------

def mark_suppressions(files: Sequence[InputFile],
                      resolved: dict | None = None) -> list[_Active]:
    """The suppressions the loaders found in the recognized, readable files, in the order written."""
    resolved = {} if resolved is None else resolved
    out: list[_Active] = []
    for file in files:
        if file.kind is None or file.error is not None:
            continue
        for mark in file.marks:
            out.append(_Active(_record(mark.kind, mark.location, mark.ids, mark.reason, mark.malformed,
                                       resolved=resolved), _covers(mark)))
    return out


def _covers(mark: SuppressionMark) -> Callable[[Finding], bool]:
    source = mark.source
    if mark.pointer is not None:
        prefix = mark.pointer
        under = prefix + "/"

        def in_resource(finding: Finding) -> bool:
            pointer = finding.location.pointer
            return finding.location.source == source and (pointer == prefix or pointer.startswith(under))

        return in_resource
    line = mark.line
    return lambda finding: finding.location.source == source and finding.location.line == line


# --- configuration ------------------------------------------------------------------------------------

@contextmanager
def paused_gc() -> Iterator[None]:
    """Build many small objects that form no cycles without the cyclic collector running meanwhile.

    Every few hundred allocations it would walk the young objects, and often the whole heap; with a
    configuration of 60,000 entries that was 0.3 s of reading it and 0.4 s of applying it. What is
    built here holds no reference cycles, so reference counting frees it as ever; the collector
    runs again as before afterwards.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def config_suppressions(entries: Sequence[ConfigSuppression], files: Sequence[InputFile],
                        live_scopes: Mapping[str, bool] | None = None) -> list[_Active]:
    """The configuration's entries with what each covers.

    ``live_scopes``: in an audit, every location it read (``aws://ACCOUNT``, ``aws://ACCOUNT/REGION``)
    and whether it was read completely (coverage ``checked``).
    """
    if not entries:
        return []
    live_scopes = live_scopes or {}
    index = _PathIndex(entries)
    read = [scope for scope, complete in live_scopes.items() if complete]
    incomplete = [scope for scope, complete in live_scopes.items() if not complete]
    # Entries whose paths match a checked file or a fully read live location.
    scanned: set[int] = set()
    for source in dict.fromkeys([f.path for f in files] + read):
        scanned |= index.matching(source)
    resolved: dict[tuple[str, ...], tuple[tuple[str, ...], tuple[str, ...]]] = {}
    out: list[_Active] = []
    for position, entry in enumerate(entries):
        record = _record("config", entry.location, entry.ids, entry.reason, resolved=resolved)
        # What it would suppress may be among what an audit could not read: then it is not judged.
        live = index.live.get(position, ())
        unread = incomplete and any(not entry.paths or any(pattern.depends_on(scope) for pattern in live)
                                    for scope in incomplete)
        record.in_scope = not unread and (not entry.paths or position in scanned)

        def covers(finding: Finding, position=position, subjects=entry.subjects) -> bool:
            return position in index.matching(finding.location.source) and (
                not subjects or any(_glob(pattern, finding.subject) for pattern in subjects))

        out.append(_Active(record, covers))
    return out


# A segment of a gitignore pattern that can only match a path segment equal to it: no glob, escape,
# space (trailing ones are stripped) or leading dot (`.` and `..`).
_LITERAL_SEGMENT = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]*")


class _PathIndex:
    """Which configuration entries' ``paths`` match a source, without trying every entry on every source.

    Matching is pathspec's and ``LivePattern``'s, as ever; the index only chooses the candidates. A
    gitignore pattern with a plain segment (``legacy`` in ``legacy/**``, ``svc-2`` in ``**/svc-2/*.tf``)
    can only match a path that has that segment, so each pattern is filed under its longest plain segment and a
    path is tried against the patterns filed under its own segments; patterns without one (``*.yaml``)
    are tried on every path. ``aws://`` patterns are filed under their account when it has no glob.
    Each entry's pathspec is compiled on first use: at 200 µs a spec, compiling 60,000 entries up
    front would cost more than the rest of the run. Results are kept per source, so every finding in
    a file costs a set lookup.
    """

    def __init__(self, entries: Sequence[ConfigSuppression]) -> None:
        self.entries = entries
        self.live: dict[int, list[LivePattern]] = {}
        self.everywhere: set[int] = set()
        self.by_segment: dict[str, set[int]] = {}
        self.any_file: set[int] = set()
        self.by_account: dict[str, set[int]] = {}
        self.any_account: set[int] = set()
        self.specs: dict[int, object] = {}
        self.relative: dict[tuple[str, Path], str | None] = {}
        self.matched: dict[str, frozenset[int]] = {}
        for position, entry in enumerate(entries):
            if not entry.paths:
                self.everywhere.add(position)
            for glob in entry.paths:
                if glob.startswith(LIVE_SCHEME):
                    pattern = LivePattern.parse(glob)
                    self.live.setdefault(position, []).append(pattern)
                    if "*" in pattern.account or "?" in pattern.account:
                        self.any_account.add(position)
                    else:
                        self.by_account.setdefault(pattern.account, set()).add(position)
                elif not glob.startswith(("!", "#")):     # negations only take matches away; `#`: a comment
                    segment = max(filter(_LITERAL_SEGMENT.fullmatch, glob.split("/")), key=len, default=None)
                    if segment is None:
                        self.any_file.add(position)
                    else:
                        self.by_segment.setdefault(segment, set()).add(position)

    def matching(self, source: str) -> frozenset[int]:
        found = self.matched.get(source)
        if found is None:
            found = self.matched[source] = frozenset(self.everywhere | self._within(source))
        return found

    def _within(self, source: str) -> set[int]:
        if source.startswith(LIVE_SCHEME):
            account = source[len(LIVE_SCHEME):].partition("/")[0]
            candidates = self.any_account | self.by_account.get(account, set())
            return {p for p in candidates if any(pattern.matches(source) for pattern in self.live[p])}
        from rumpolicy.paths import is_file_source

        if not is_file_source(source):
            return set()
        # The path relative to an entry's base is a tail of the resolved path: its segments are among these.
        candidates = set(self.any_file)
        for segment in Path(source).resolve().parts:
            candidates |= self.by_segment.get(segment, set())
        found = set()
        for position in candidates:
            base = self.entries[position].base
            if (source, base) not in self.relative:
                self.relative[source, base] = _relative(source, base)
            relative = self.relative[source, base]
            if relative is not None and self._spec(position).match_file(relative):
                found.add(position)
        return found

    def _spec(self, position: int):
        spec = self.specs.get(position)
        if spec is None:
            import pathspec

            globs = [p for p in self.entries[position].paths if not p.startswith(LIVE_SCHEME)]
            spec = self.specs[position] = pathspec.GitIgnoreSpec.from_lines(globs)
        return spec


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
          rules_run: Iterable[str] | None = None,
          live_scopes: Mapping[str, bool] | None = None) -> RunResult:
    """Mark suppressed findings and add RUM-SRC-004 findings for suppressions that are wrong.

    ``files``: the inputs of the run (the comments and metadata their loaders found in the recognized
    ones, ``InputFile.marks``: no file is read here);
    ``rules_run``: ids of the rules that ran (default: every rule); ``live_scopes``: in an audit, the
    locations read and whether completely (``config_suppressions``).
    """
    # The records of a long `suppress` list, and the RUM-SRC-004 outcome of each: see `paused_gc`.
    with paused_gc():
        return _apply(result, files, config, rules_run, live_scopes)


def _apply(result: RunResult, files: Sequence[InputFile], config: Sequence[ConfigSuppression],
           rules_run: Iterable[str] | None, live_scopes: Mapping[str, bool] | None) -> RunResult:
    suppressions = mark_suppressions(files)
    suppressions += config_suppressions(config, files, live_scopes)
    if not suppressions:
        return result
    ran = set(rules_run) if rules_run is not None else None
    # Each finding is tried only against the suppressions naming its rule, in the order written.
    by_rule: dict[str, list[_Active]] = {}
    for active in suppressions:
        record = active.record
        record.rules_ran = ran is None or all(rule_id in ran for rule_id in record.rule_ids)
        for rule_id in record.rule_ids:
            by_rule.setdefault(rule_id, []).append(active)
    findings = [_mark(finding, by_rule.get(finding.rule_id, ())) for finding in result.findings]
    extra = run_subjects([s.record for s in suppressions], Suppression,
                         _rules_selected(ran))
    merged = sorted(findings + extra.findings, key=Finding.sort_key)
    return replace(result, findings=merged, outcomes={**result.outcomes, **extra.outcomes},
                   failures=result.failures + extra.failures)


def _rules_selected(ran: set[str] | None):
    from rumpolicy.engine import registry

    return [r for r in registry() if ran is None or r.id in ran]


def _mark(finding: Finding, suppressions: Sequence[_Active]) -> Finding:
    """``suppressions``: those naming the finding's rule, in the order written."""
    if finding.suppressed or finding.rule_id == SUPPRESSION_RULE:
        return finding
    chosen: Suppression | None = None
    for active in suppressions:
        record = active.record
        if not active.covers(finding):
            continue
        record.matched.add(finding.rule_id)
        if chosen is None and record.reason is not None:
            chosen = record
    if chosen is None:
        return finding
    return replace(finding, suppression=Suppressed(chosen.kind, chosen.reason, chosen.location))
