"""GitLab Code Quality (a subset of the Code Climate format), for merge-request widgets.

A JSON array with one issue per active finding: ``description``, ``check_name`` (the rule id),
``fingerprint`` (the baseline fingerprint, stable when lines move), ``severity`` and
``location.path`` relative to the project root with ``lines.begin``. Suppressed findings are left out.
"""

from __future__ import annotations

import json
from pathlib import Path

from rumpolicy.baseline import fingerprint
from rumpolicy.findings import Severity
from rumpolicy.paths import project_path
from rumpolicy.report import Report
from rumpolicy.escape import json_safe

SEVERITIES = {Severity.ERROR: "critical", Severity.WARNING: "major", Severity.INFO: "info"}


def render(report: Report, *, root: Path) -> str:
    issues = [{
        "type": "issue",
        "check_name": f.rule_id,
        "description": f"{f.rule_id} {f.message}",
        "categories": ["Security"],
        "fingerprint": fingerprint(f, root),
        "severity": SEVERITIES[f.severity],
        "location": {"path": project_path(f.location.source, root), "lines": {"begin": f.location.line or 1}},
    } for f in report.active]
    return json_safe(json.dumps(issues, indent=2, ensure_ascii=False)) + "\n"
