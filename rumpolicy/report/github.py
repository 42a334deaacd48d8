"""GitHub Actions workflow commands: each finding becomes an annotation on the pull request.

``::error file=PATH,line=L,col=C,title=RULE-ID::message`` (``::warning`` for warnings,
``::notice`` for info). Paths are relative to the project root, which in a workflow is the
checkout. Property values escape ``%``, CR, LF, ``:`` and ``,``; the message escapes ``%``, CR
and LF, as GitHub's toolkit does (a value cannot start a line, so it cannot start a command);
other control, bidi and surrogate characters are shown as ``\\xNN`` / ``\\uNNNN``. Suppressed
findings are not annotated. Audit coverage becomes ``::notice`` lines, and a last plain line gives
the summary.

When ``$GITHUB_STEP_SUMMARY`` is set (in a workflow step), ``write_step_summary`` appends the Markdown report
(each monitor's chain with its Mermaid picture, then the findings) to that file, as the job summary.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Mapping

from rumpolicy.findings import Finding, Severity
from rumpolicy.paths import is_file_source, project_path
from rumpolicy.report import Report
from rumpolicy.escape import visible

BREAKS = "\r\n"                  # escaped as %0D / %0A, as the runner expects
COMMANDS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def escape_data(text: str) -> str:
    # Exactly what GitHub's toolkit escapes (and the runner unescapes): no value can end the command or start
    # another one, and the annotation shows the value as written.
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(name: str, message: str, **properties: object) -> str:
    # Terminal escapes and bidi characters from the input are shown escaped: the log would act on them.
    shown = ",".join(f"{key}={escape_property(visible(str(value), keep=BREAKS))}"
                     for key, value in properties.items() if value is not None)
    return f"::{name}{' ' + shown if shown else ''}::{escape_data(visible(message, keep=BREAKS))}"


def annotation(finding: Finding, root: Path) -> str:
    location = finding.location
    message = finding.message
    if is_file_source(location.source):
        file = project_path(location.source, root)
    else:
        file = None
        message = f"{location.source}: {message}"     # a live account: no file to annotate
    return command(COMMANDS[finding.severity], message, file=file, line=location.line,
                   col=location.column if location.line is not None else None, title=finding.rule_id)


def render(report: Report, *, root: Path) -> str:
    lines = [annotation(f, root) for f in report.active]
    for entry in report.coverage or ():
        text = f"{entry.scope}: {entry.status.replace('_', ' ')}, {entry.monitors} app monitor(s)"
        lines.append(command("notice", text + (f": {entry.reason}" if entry.reason else ""),
                             title="rumpolicy coverage"))
    counts = report.counts()
    summary = (f"rumpolicy: {counts['error']} error(s), {counts['warning']} warning(s), {counts['info']} info "
               f"in {report.files_phrase() if report.files is not None else f'{report.files_checked} file(s)'}")
    if report.suppressed:
        summary += f"; {report.suppressed} suppressed"
    if report.baselined:
        summary += f"; {report.baselined} in the baseline"
    lines.append(summary)
    return "\n".join(lines) + "\n"


def write_step_summary(report: Report, *, root: Path, environ: Mapping[str, str] | None = None) -> str | None:
    """Append the Markdown report to ``$GITHUB_STEP_SUMMARY`` when it is set; what went wrong, or None."""
    target = (os.environ if environ is None else environ).get("GITHUB_STEP_SUMMARY")
    if not target:
        return None
    from rumpolicy.report.markdown import render as markdown

    try:
        with open(target, "a", encoding="utf-8", errors="backslashreplace", newline="\n") as handle:
            handle.write(markdown(report, root=root) + "\n")
    except OSError as exc:
        return f"cannot write $GITHUB_STEP_SUMMARY ({visible(target)}): {exc.strerror or exc}"
    return None
