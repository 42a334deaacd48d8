"""``path:line:col: severity RULE-ID message``, grouped by file, with a one-line summary."""

from __future__ import annotations

from itertools import groupby

from rumpolicy.findings import Finding
from rumpolicy.report import Report
from rumpolicy.escape import visible

COLORS = {"error": "\033[31m", "warning": "\033[33m", "info": "\033[36m"}
BOLD, RESET = "\033[1m", "\033[0m"


def _position(finding: Finding) -> str:
    location = finding.location
    if location.line is None and "://" in location.source and finding.subject not in location.source:
        return f"{location.source} {finding.subject}"     # a live account: name the resource
    if location.line is None:
        return location.source
    return f"{location.source}:{location.line}:{location.column or 1}"


def render(report: Report, *, color: bool = False, show_suppressed: bool = False) -> str:
    lines: list[str] = []
    shown = report.findings if show_suppressed else report.active
    for _source, group in groupby(shown, key=lambda f: f.location.source):
        if lines:
            lines.append("")
        for finding in group:
            severity = finding.severity.value
            if color:
                severity = f"{COLORS[severity]}{severity}{RESET}"
                rule_id = f"{BOLD}{finding.rule_id}{RESET}"
            else:
                rule_id = finding.rule_id
            # Paths and messages quote the input: shown escaped, they never start a line or a terminal sequence.
            line = f"{visible(_position(finding))}: {severity} {rule_id} {visible(finding.message)}"
            if finding.suppression is not None:
                line += f" [suppressed by {finding.suppression.kind}: {visible(finding.suppression.reason)}]"
            lines.append(line)
    counts = report.counts()
    parts = [f"{counts['error']} error{'s' if counts['error'] != 1 else ''}",
             f"{counts['warning']} warning{'s' if counts['warning'] != 1 else ''}",
             f"{counts['info']} info"]
    summary = f"{', '.join(parts)} in {report.files_phrase()}"
    if report.coverage is not None:
        lines += ([""] if lines else []) + _coverage(report)
        monitors = sum(entry.monitors for entry in report.coverage)
        complete = sum(1 for entry in report.coverage if entry.status == "checked")
        summary = (f"{', '.join(parts)} in {monitors} app monitor{'s' if monitors != 1 else ''}; "
                   f"{complete} of {len(report.coverage)} scopes fully checked")
    if report.suppressed:
        summary += f"; {report.suppressed} suppressed" + ("" if show_suppressed else " (--show-suppressed lists them)")
    if report.baselined:
        summary += f"; {report.baselined} in the baseline"
    if lines:
        lines.append("")
    lines.append(summary)
    return "\n".join(lines) + "\n"


def _coverage(report: Report) -> list[str]:
    """What an audit read: one line per account and per account and region, with why where it fell short."""
    width = max(len(entry.scope) for entry in report.coverage) if report.coverage else 0
    lines = ["coverage:"]
    for entry in report.coverage:
        regional = "/" in entry.scope.partition("://")[2]
        monitors = f"{entry.monitors} app monitor{'s' if entry.monitors != 1 else ''}" if regional else "IAM, SCPs"
        line = f"  {visible(entry.scope).ljust(width)}  {entry.status.replace('_', ' '):<11}  {monitors}"
        lines.append(line + (f": {visible(entry.reason)}" if entry.reason else ""))
    return lines
