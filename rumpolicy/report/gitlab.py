"""GitLab Code Quality (a subset of the Code Climate format), for merge-request widgets.

A JSON array with one issue per active finding: ``description``, ``check_name`` (the rule id),
``fingerprint``, ``severity`` and ``location.path`` relative to the project root with
``lines.begin``. GitLab keeps one issue per fingerprint, so the fingerprint is unique to the
occurrence (``rumpolicy.baseline.occurrence_fingerprints``: the baseline fingerprint, stable when
lines move, and the finding's place among equal ones): two identical statements are two issues.
Suppressed findings are left out; with ``show_suppressed`` they are listed, the description saying
why they are suppressed (Code Quality has no field for it). Findings the baseline excuses never reach
the report (``rumpolicy.api.judge``).
"""

from __future__ import annotations

import json
from pathlib import Path

from rumpolicy.baseline import occurrence_fingerprints
from rumpolicy.findings import Finding, Severity
from rumpolicy.paths import project_path
from rumpolicy.report import Report
from rumpolicy.escape import json_safe

SEVERITIES = {Severity.ERROR: "critical", Severity.WARNING: "major", Severity.INFO: "info"}


def description(finding: Finding) -> str:
    text = f"{finding.rule_id} {finding.message}"
    if finding.suppression is not None:
        text += f" (suppressed: {finding.suppression.reason})"
    return text


def render(report: Report, *, root: Path, show_suppressed: bool = False) -> str:
    findings = report.findings
    fingerprints = occurrence_fingerprints(findings, root)     # over all of them: showing some changes none
    issues = [{
        "type": "issue",
        "check_name": f.rule_id,
        "description": description(f),
        "categories": ["Security"],
        "fingerprint": fp,
        "severity": SEVERITIES[f.severity],
        "location": {"path": project_path(f.location.source, root), "lines": {"begin": f.location.line or 1}},
    } for f, fp in zip(findings, fingerprints) if show_suppressed or not f.suppressed]
    return json_safe(json.dumps(issues, indent=2, ensure_ascii=False)) + "\n"
