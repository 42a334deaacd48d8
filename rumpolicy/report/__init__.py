"""Reports: the findings of a run rendered for people (text) and for programs (json)."""

from __future__ import annotations

from dataclasses import dataclass

from rumpolicy.engine import RunResult
from rumpolicy.findings import Finding, Severity


@dataclass(frozen=True)
class CoverageEntry:
    """What part of a live audit was checked (``aws://ACCOUNT/REGION``), and why not where it was not."""

    scope: str                      # "aws://123456789012/us-east-1" or "aws://123456789012"
    status: str                     # "checked" | "partial" | "not_checked"
    monitors: int = 0               # app monitors found there
    reason: str | None = None       # why it is partial or not checked (AccessDenied on ..., throttled ...)


@dataclass(frozen=True)
class Report:
    result: RunResult
    files_checked: int
    coverage: tuple[CoverageEntry, ...] | None = None    # audits only: every format shows it
    baselined: int = 0              # findings left out because the --baseline file records them
    chains: tuple | None = None     # the Markdown report's per-monitor chains (rumpolicy.report.markdown.chains)

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

    def failing(self, fail_on: Severity) -> list[Finding]:
        """The active findings at or above ``fail_on``: the run fails when there is any."""
        return [f for f in self.active if f.severity.rank >= fail_on.rank]
