"""Reports: the findings of a run rendered for people (text) and for programs (json)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rumpolicy.engine import RunResult
from rumpolicy.findings import Finding, Severity
from rumpolicy.model.scopes import CoverageEntry
from rumpolicy.records import value_type


@value_type(slots=False)
class FileTally:
    """What became of every file the run looked at, so that a summary never says "0 files checked" beside
    findings about a file: walked files passed over quietly are not counted, every other one is."""

    checked: int = 0
    not_recognized: int = 0         # named, but not an input rumpolicy reads (RUM-SRC-002)
    unreadable: int = 0             # could not be read, parsed or interpreted (RUM-SRC-000)
    failed: int = 0                 # rumpolicy failed while loading it (RUM-SRC-003)

    @classmethod
    def of(cls, files) -> "FileTally":
        counts = {"checked": 0, "not_recognized": 0, "unreadable": 0, "failed": 0}
        for file in files:
            if file.defect is not None:
                counts["failed"] += 1
            elif file.error is not None or (file.kind is None and file.problems):
                counts["unreadable"] += 1
            elif file.kind is not None:
                counts["checked"] += 1
            else:
                counts["not_recognized"] += 1
        return cls(**counts)

    @property
    def total(self) -> int:
        return self.checked + self.not_recognized + self.unreadable + self.failed

    def phrase(self) -> str:
        """``1 file checked``, or, when not every file was checked, ``3 files: 1 checked, 1 not recognized, 1
        unreadable``."""
        if self.total == self.checked:
            return f"{self.checked} file{'s' if self.checked != 1 else ''} checked"
        parts = [f"{self.checked} checked"] + [
            f"{count} {what}" for count, what in ((self.not_recognized, "not recognized"),
                                                  (self.unreadable, "unreadable"),
                                                  (self.failed, "failed to load (a defect of rumpolicy)"))
            if count]
        return f"{self.total} file{'s' if self.total != 1 else ''}: {', '.join(parts)}"


@value_type(slots=False)
class Report:
    """What a run found and what it covered: every report format renders one."""

    result: RunResult
    files_checked: int
    files: FileTally | None = None  # check: what became of each file (files_checked is its `checked`)
    coverage: tuple[CoverageEntry, ...] | None = None    # audits only: every format shows it
    baselined: int = 0              # findings left out because the --baseline file records them
    chains: tuple | None = None     # the Markdown report's per-monitor chains (rumpolicy.report.markdown.chains)
    rules: tuple = ()               # the rules that ran (SARIF describes them); empty: all
    recorded: int | None = None     # findings written to the --write-baseline file, when one was written
    root: Path | None = None        # the project root the run named files against
    audit: Any = None               # an audit's AuditResult: coverage, deadline, what could be read
    severities: Any = None          # the configuration's `severity:` overrides (rule id -> Severity); None: none

    @property
    def findings(self) -> list[Finding]:
        """Every finding to show: active ones and, marked, suppressed ones."""
        return self.result.findings

    @property
    def active(self) -> list[Finding]:
        """The findings that count: not suppressed."""
        return [f for f in self.result.findings if not f.suppressed]

    @property
    def suppressed(self) -> int:
        return sum(1 for f in self.result.findings if f.suppressed)

    def counts(self) -> dict[str, int]:
        """Active findings by severity."""
        counts = {s.value: 0 for s in Severity}
        for finding in self.active:
            counts[finding.severity.value] += 1
        return counts

    def files_phrase(self) -> str:
        if self.files is not None:
            return self.files.phrase()
        return f"{self.files_checked} file{'s' if self.files_checked != 1 else ''} checked"

    @property
    def defects(self) -> int:
        """Failures of rumpolicy itself (a crashing rule or loader): the run exits 3 when there is any."""
        return len(self.result.failures)

    def failing(self, fail_on: Severity) -> list[Finding]:
        """The active findings at or above ``fail_on``: the run fails when there is any."""
        return [f for f in self.active if f.severity.rank >= fail_on.rank]
