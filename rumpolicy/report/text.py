"""``path:line:col: severity RULE-ID message``, grouped by file, each with its fix, and a one-line summary.

Under a finding whose rule gave a fix (``Finding.fix``), its text (``Finding.remediation``) follows,
indented, at most ``FIX_LINES`` lines of it (the JSON and SARIF reports carry all of it); a finding
without one points at its rule's page. ``quiet`` 1 leaves out the summary and an audit's coverage, 2
leaves out everything (the exit status alone tells); ``statistics`` replaces the findings with
``count  RULE-ID  name`` per rule, the most frequent first.
"""

from __future__ import annotations

from collections import Counter
from itertools import groupby

from rumpolicy.findings import Finding
from rumpolicy.report import Report
from rumpolicy.escape import visible

COLORS = {"error": "\033[31m", "warning": "\033[33m", "info": "\033[36m"}
BOLD, DIM, RESET = "\033[1m", "\033[2m", "\033[0m"
FIX_LINES = 20          # more of a fix is left to the JSON report, so that one finding cannot fill the screen


def _position(finding: Finding) -> str:
    location = finding.location
    if location.line is None and "://" in location.source and finding.subject not in location.source:
        return f"{location.source} {finding.subject}"     # a live account: name the resource
    if location.line is None:
        return location.source
    return f"{location.source}:{location.line}:{location.column or 1}"


def render(report: Report, *, color: bool = False, show_suppressed: bool = False, quiet: int = 0,
           statistics: bool = False, fixes: bool = True) -> str:
    if quiet >= 2:
        return ""
    lines = _statistics(report) if statistics else _findings(report, color, show_suppressed, fixes)
    if quiet:
        return "\n".join(lines) + "\n" if lines else ""
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


def _findings(report: Report, color: bool, show_suppressed: bool, fixes: bool) -> list[str]:
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
            if fixes and finding.suppression is None:
                lines += _fix(finding, color)
    return lines


def _fix(finding: Finding, color: bool) -> list[str]:
    """The fix under a finding: its snippet, indented; or, for a rule that gives none, where to read one."""
    label = f"{DIM}fix:{RESET}" if color else "fix:"
    if not finding.fix or not finding.remediation:
        return [f"  {label} see `rumpolicy rule {finding.rule_id}`"]
    # A snippet quotes the input too (names, values): each of its lines is escaped like a message.
    text = finding.remediation.rstrip("\n").split("\n")
    lines = [f"  {label}"] + [f"    {visible(line)}".rstrip() for line in text[:FIX_LINES]]
    if len(text) > FIX_LINES:
        more = len(text) - FIX_LINES
        lines.append(f"    ... {more} more line{'s' if more != 1 else ''} (the JSON report has the whole fix)")
    return lines


def _statistics(report: Report) -> list[str]:
    """``count  RULE-ID  name`` for every rule with an active finding, the most frequent first."""
    counted = Counter((f.rule_id, f.rule_name) for f in report.active)
    if not counted:
        return []
    ordered = sorted(counted.items(), key=lambda item: (-item[1], item[0]))
    count_width = len(str(ordered[0][1]))
    id_width = max(len(rule_id) for (rule_id, _), _ in ordered)
    return [f"{count:>{count_width}}  {rule_id:<{id_width}}  {visible(name)}" for (rule_id, name), count in ordered]


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
