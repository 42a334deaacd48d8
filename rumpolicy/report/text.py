"""``path:line:col: severity RULE-ID message``, grouped by file, with a one-line summary."""

from __future__ import annotations

from itertools import groupby

from rumpolicy.findings import Finding
from rumpolicy.report import Report

COLORS = {"error": "\033[31m", "warning": "\033[33m", "info": "\033[36m"}
BOLD, RESET = "\033[1m", "\033[0m"


def _position(finding: Finding) -> str:
    location = finding.location
    if location.line is None:
        return location.source
    return f"{location.source}:{location.line}:{location.column or 1}"


def render(report: Report, *, color: bool = False) -> str:
    lines: list[str] = []
    for source, group in groupby(report.findings, key=lambda f: f.location.source):
        if lines:
            lines.append("")
        for finding in group:
            severity = finding.severity.value
            if color:
                severity = f"{COLORS[severity]}{severity}{RESET}"
                rule_id = f"{BOLD}{finding.rule_id}{RESET}"
            else:
                rule_id = finding.rule_id
            lines.append(f"{_position(finding)}: {severity} {rule_id} {finding.message}")
    counts = report.counts()
    parts = [f"{counts['error']} error{'s' if counts['error'] != 1 else ''}",
             f"{counts['warning']} warning{'s' if counts['warning'] != 1 else ''}",
             f"{counts['info']} info"]
    files = report.files_checked
    summary = f"{', '.join(parts)} in {files} file{'s' if files != 1 else ''} checked"
    if lines:
        lines.append("")
    lines.append(summary)
    return "\n".join(lines) + "\n"
