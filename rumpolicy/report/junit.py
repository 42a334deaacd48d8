"""JUnit XML, for CI systems that show test reports (GitLab, Jenkins, Azure Pipelines, ...).

One ``<testsuite>`` per file (named relative to the project root; a live account's scope for
audits), one ``<testcase>`` per rule and subject in it:

- a failure when the rule has an active finding at or above ``--fail-on`` for that subject (all
  its findings are listed in the failure's text);
- a pass when its findings are all below ``--fail-on`` (listed in ``<system-out>``), or when the
  engine recorded the check as passed and the subject belongs to exactly one file: a check over
  a subject name found in several files (the same logical id in two templates) is not shown as
  passed, since the outcome cannot be attributed to one of them;
- skipped when every finding is suppressed (the reason is the skip message).

Checks that did not apply are not listed; checks that could not be decided appear as the
RUM-SRC-001 findings that report them. Audit coverage is a testsuite of its own, ``coverage``:
one testcase per scope, skipped with the reason when the scope was not fully checked.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path

from rumpolicy.engine import Outcome, find_rule
from rumpolicy.findings import Finding, Severity
from rumpolicy.paths import is_file_source, project_path
from rumpolicy.report import Report
from rumpolicy.escape import visible

# XML 1.0 cannot carry most control characters nor surrogates, which hostile input can put into messages and
# file names; C1 controls and bidi overrides it can carry, but they would garble what a CI page shows.
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e"
                     "\u2066-\u2069\ud800-\udfff\ufffe\uffff]")


def _clean(text: str) -> str:
    return NOT_XML.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) <= 0xFF else f"\\u{ord(m.group()):04x}",
                       text)


def _name(text: str) -> str:
    """A one-line value (a file or case name): line breaks from the input are shown, not kept."""
    return _clean(text.replace("\r", "\\r").replace("\n", "\\n").replace("\t", "\\t"))


def _line(finding: Finding, root: Path) -> str:
    where = project_path(finding.location.source, root)
    if finding.location.line is not None:
        where += f":{finding.location.line}:{finding.location.column or 1}"
    return f"{visible(where)}: {finding.severity.value} {finding.rule_id} {visible(finding.message)}"


class _Suite:
    def __init__(self, name: str) -> None:
        self.element = ET.Element("testsuite", name=_name(name))
        self.tests = self.failures = self.skipped = 0

    def case(self, name: str, classname: str, file: str | None = None, line: int | None = None) -> ET.Element:
        attributes = {"name": _name(name), "classname": _name(classname)}
        if file is not None:
            attributes["file"] = _name(file)
        if line is not None:
            attributes["line"] = str(line)
        self.tests += 1
        return ET.SubElement(self.element, "testcase", attributes)

    def close(self) -> ET.Element:
        self.element.set("tests", str(self.tests))
        self.element.set("failures", str(self.failures))
        self.element.set("errors", "0")
        self.element.set("skipped", str(self.skipped))
        return self.element


def _case_name(rule_id: str, subject: str) -> str:
    found = find_rule(rule_id)
    return f"{rule_id} {found.name}: {subject}" if found else f"{rule_id}: {subject}"


def render(report: Report, *, root: Path, fail_on: Severity = Severity.ERROR) -> str:
    groups: dict[str, dict[tuple[str, str], list[Finding]]] = defaultdict(lambda: defaultdict(list))
    for finding in report.findings:
        groups[project_path(finding.location.source, root)][(finding.rule_id, finding.subject)].append(finding)
    for (rule_id, subject, source), outcome in report.result.outcomes.items():
        # A check over the whole input (source "") belongs to no file.
        if outcome is Outcome.PASS and source and is_file_source(source):
            groups[project_path(source, root)].setdefault((rule_id, subject), [])

    top = ET.Element("testsuites", name="rumpolicy")
    totals = {"tests": 0, "failures": 0, "skipped": 0}
    suites: list[_Suite] = []
    for source in sorted(groups):
        suite = _Suite(source)
        file = source if is_file_source(source) else None
        for (rule_id, subject), findings in sorted(groups[source].items()):
            first_line = min((f.location.line for f in findings if f.location.line), default=None)
            case = suite.case(_case_name(rule_id, subject), source, file, first_line)
            active = [f for f in findings if not f.suppressed]
            failing = [f for f in active if f.severity.rank >= fail_on.rank]
            if failing:
                worst = max(failing, key=lambda f: f.severity.rank)
                failure = ET.SubElement(case, "failure", message=_name(worst.message), type=worst.severity.value)
                failure.text = _clean("\n".join(_line(f, root) for f in active))
                suite.failures += 1
            elif active:
                ET.SubElement(case, "system-out").text = _clean("\n".join(_line(f, root) for f in active))
            elif findings:
                reasons = sorted({f"suppressed by {f.suppression.kind}: {f.suppression.reason}" for f in findings})
                ET.SubElement(case, "skipped", message=_clean("; ".join(reasons)))
                suite.skipped += 1
        suites.append(suite)
    if report.coverage is not None:
        suite = _Suite("coverage")
        for entry in report.coverage:
            case = suite.case(f"coverage: {entry.scope}", "coverage")
            if entry.status != "checked":
                text = entry.status.replace("_", " ") + (f": {entry.reason}" if entry.reason else "")
                ET.SubElement(case, "skipped", message=_clean(text))
                suite.skipped += 1
            ET.SubElement(case, "system-out").text = f"{entry.monitors} app monitor(s)"
        suites.append(suite)
    for suite in suites:
        top.append(suite.close())
        totals["tests"] += suite.tests
        totals["failures"] += suite.failures
        totals["skipped"] += suite.skipped
    for name, value in totals.items():
        top.set(name, str(value))
    top.set("errors", "0")
    ET.indent(top)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(top, encoding="unicode") + "\n"
