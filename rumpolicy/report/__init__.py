"""Reports: the findings of a run rendered for people (text) and for programs (json)."""

from __future__ import annotations

from dataclasses import dataclass

from rumpolicy.engine import RunResult
from rumpolicy.findings import Finding, Severity


@dataclass(frozen=True)
class Report:
    result: RunResult
    files_checked: int

    @property
    def findings(self) -> list[Finding]:
        return self.result.findings

    def counts(self) -> dict[str, int]:
        counts = {s.value: 0 for s in Severity}
        for finding in self.findings:
            counts[finding.severity.value] += 1
        return counts
