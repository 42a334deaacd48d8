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

    @property
    def findings(self) -> list[Finding]:
        return self.result.findings

    def counts(self) -> dict[str, int]:
        counts = {s.value: 0 for s in Severity}
        for finding in self.findings:
            counts[finding.severity.value] += 1
        return counts
