"""The JSON report; its shape is published as ``rumpolicy/schemas/report.schema.json``."""

from __future__ import annotations

import json
from typing import Any

from rumpolicy import __version__
from rumpolicy.findings import Finding, Location
from rumpolicy.report import Report

REPORT_VERSION = "1"


def location_dict(location: Location) -> dict[str, Any]:
    return {"path": location.source, "line": location.line, "column": location.column,
            "pointer": location.pointer}


def finding_dict(finding: Finding) -> dict[str, Any]:
    return {
        "rule_id": finding.rule_id,
        "rule_name": finding.rule_name,
        "severity": finding.severity.value,
        "message": finding.message,
        "subject": finding.subject,
        "location": location_dict(finding.location),
        "related": [location_dict(r) for r in finding.related],
        "remediation": finding.remediation,
    }


def report_dict(report: Report) -> dict[str, Any]:
    return {
        "version": REPORT_VERSION,
        "tool": {"name": "rumpolicy", "version": __version__},
        "findings": [finding_dict(f) for f in report.findings],
        "summary": {
            "files_checked": report.files_checked,
            "findings": len(report.findings),
            "by_severity": report.counts(),
            "checks": report.result.outcome_counts(),
        },
    }


def render(report: Report) -> str:
    return json.dumps(report_dict(report), indent=2, ensure_ascii=False) + "\n"
