"""The JSON report; its shape is published as ``rumpolicy/schemas/report.schema.json``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rumpolicy import __version__
from rumpolicy.findings import Finding, Location
from rumpolicy.report import CoverageEntry, Report
from rumpolicy.escape import json_safe

REPORT_VERSION = "1"


def location_dict(location: Location) -> dict[str, Any]:
    return {"path": location.source, "line": location.line, "column": location.column,
            "pointer": location.pointer}


def suppression_dict(finding: Finding) -> dict[str, Any] | None:
    if finding.suppression is None:
        return None
    return {"kind": finding.suppression.kind, "reason": finding.suppression.reason,
            "location": location_dict(finding.suppression.location)}


def finding_dict(finding: Finding, root: Path | None = None) -> dict[str, Any]:
    from rumpolicy.baseline import fingerprint
    from rumpolicy.paths import project_root

    return {
        "rule_id": finding.rule_id,
        "rule_name": finding.rule_name,
        "severity": finding.severity.value,
        "message": finding.message,
        "subject": finding.subject,
        "location": location_dict(finding.location),
        "related": [location_dict(r) for r in finding.related],
        "remediation": finding.remediation,
        "suppressed": finding.suppressed,
        "suppression": suppression_dict(finding),
        "fingerprint": fingerprint(finding, root or project_root()),
    }


def report_dict(report: Report, root: Path | None = None) -> dict[str, Any]:
    from rumpolicy.paths import project_root

    root = root or project_root()
    return {
        "version": REPORT_VERSION,
        "tool": {"name": "rumpolicy", "version": __version__},
        "findings": [finding_dict(f, root) for f in report.findings],
        "summary": {
            "files_checked": report.files_checked,
            "findings": len(report.active),
            "suppressed": report.suppressed,
            "baselined": report.baselined,
            "by_severity": report.counts(),
            "checks": report.result.outcome_counts(),
            **({"files": {"checked": report.files.checked, "not_recognized": report.files.not_recognized,
                          "unreadable": report.files.unreadable, "failed": report.files.failed}}
               if report.files is not None else {}),
            "defects": sum(1 for f in report.findings if f.rule_id == "RUM-SRC-003"),
        },
        **({"coverage": [coverage_dict(entry) for entry in report.coverage]} if report.coverage is not None else {}),
    }


def coverage_dict(entry: CoverageEntry) -> dict[str, Any]:
    return {"scope": entry.scope, "status": entry.status, "monitors": entry.monitors, "reason": entry.reason}


def render(report: Report, root: Path | None = None) -> str:
    return json_safe(json.dumps(report_dict(report, root), indent=2, ensure_ascii=False)) + "\n"
