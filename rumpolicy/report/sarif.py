"""SARIF 2.1.0, for GitHub code scanning and other SARIF viewers.

One run. ``tool.driver.rules`` describes every rule that ran (help text is the rule's page);
each result points at its file relative to the project root (``uriBaseId: PROJECTROOT``),
carries the finding's fingerprint as ``partialFingerprints`` and, when suppressed, a
``suppressions`` entry with the reason (``inSource`` for comments and metadata, ``external`` for
the configuration). Audit coverage goes into ``runs[0].properties.coverage``, and every scope
that was not fully checked also becomes a tool execution notification of the invocation.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterable
from urllib.parse import quote

from rumpolicy import __version__
from rumpolicy.engine import Rule, registry
from rumpolicy.findings import Finding, Location, Severity
from rumpolicy.paths import is_file_source, project_path
from rumpolicy.report import Report
from rumpolicy.escape import encodable, json_safe

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
ROOT_ID = "PROJECTROOT"
FINGERPRINT_KEY = "rumpolicy/v1"
LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
SUPPRESSION_KINDS = {"comment": "inSource", "metadata": "inSource", "config": "external"}


def rule_descriptor(found: Rule) -> dict[str, Any]:

    return {
        "id": found.id,
        "name": found.name,
        "shortDescription": {"text": found.summary},
        "fullDescription": {"text": found.section("What it checks")},
        "help": {"text": found.section("Fix"), "markdown": found.markdown()},
        "helpUri": found.help_url,
        "defaultConfiguration": {"level": LEVELS[found.severity]},
        "properties": {"tags": ["security", "rum", found.area], "precision": "high"},
    }


def physical_location(location: Location, root: Path) -> dict[str, Any] | None:
    if not is_file_source(location.source):
        return None
    path = project_path(location.source, root)
    # Quoted from the name's bytes: a name that is not UTF-8 (or holds a lone surrogate) is still a URI.
    if path.startswith("/"):
        artifact = {"uri": "file://" + quote(encodable(path))}
    else:
        artifact = {"uri": quote(encodable(path)), "uriBaseId": ROOT_ID}
    physical: dict[str, Any] = {"artifactLocation": artifact}
    if location.line is not None:
        physical["region"] = {"startLine": location.line, "startColumn": location.column or 1}
    return physical


def sarif_location(location: Location, root: Path, **extra: Any) -> dict[str, Any]:
    out: dict[str, Any] = dict(extra)
    physical = physical_location(location, root)
    if physical is not None:
        out["physicalLocation"] = physical
    # The JSON pointer names the exact value, also for live accounts, which have no file.
    name = location.pointer or location.source
    out["logicalLocations"] = [{"name": name.rsplit("/", 1)[-1] or name,
                                "fullyQualifiedName": f"{project_path(location.source, root)}#{location.pointer}",
                                "kind": "member" if location.pointer else "module"}]
    return out


def result(finding: Finding, root: Path, rule_index: dict[str, int]) -> dict[str, Any]:
    from rumpolicy.baseline import fingerprint

    out: dict[str, Any] = {
        "ruleId": finding.rule_id,
        "level": LEVELS[finding.severity],
        "message": {"text": finding.message},
        "locations": [sarif_location(finding.location, root)],
        "partialFingerprints": {FINGERPRINT_KEY: fingerprint(finding, root)},
        "properties": {"subject": finding.subject, "pointer": finding.location.pointer,
                       "severity": finding.severity.value},
    }
    if finding.rule_id in rule_index:
        out["ruleIndex"] = rule_index[finding.rule_id]
    if finding.related:
        out["relatedLocations"] = [sarif_location(r, root, id=i, message={"text": "related"})
                                   for i, r in enumerate(finding.related, start=1)]
    if finding.remediation:
        out["properties"]["remediation"] = finding.remediation
    if finding.suppression is not None:
        out["suppressions"] = [{"kind": SUPPRESSION_KINDS[finding.suppression.kind], "status": "accepted",
                                "justification": finding.suppression.reason,
                                "location": sarif_location(finding.suppression.location, root),
                                "properties": {"rumpolicyKind": finding.suppression.kind}}]
    return out


def sarif_log(report: Report, root: Path, rules: Iterable[Rule] | None = None) -> dict[str, Any]:
    rules = list(rules if rules is not None else registry())
    rule_index = {found.id: index for index, found in enumerate(rules)}
    invocation: dict[str, Any] = {"executionSuccessful": True}
    run: dict[str, Any] = {
        "tool": {"driver": {"name": "rumpolicy", "version": __version__, "semanticVersion": __version__,
                            "rules": [rule_descriptor(found) for found in rules]}},
        "originalUriBaseIds": {ROOT_ID: {"uri": root.as_uri().rstrip("/") + "/"}},
        "invocations": [invocation],
        "columnKind": "unicodeCodePoints",
        "results": [result(f, root, rule_index) for f in report.findings],
        "properties": {"filesChecked": report.files_checked, "baselined": report.baselined},
    }
    if report.coverage is not None:
        run["properties"]["coverage"] = [
            {"scope": c.scope, "status": c.status, "monitors": c.monitors, "reason": c.reason}
            for c in report.coverage]
        notes = [{"level": "warning" if c.status == "partial" else "error",
                  "message": {"text": f"{c.scope}: {c.status.replace('_', ' ')}"
                                      + (f": {c.reason}" if c.reason else "")},
                  "descriptor": {"id": "coverage"}}
                 for c in report.coverage if c.status != "checked"]
        if notes:
            invocation["toolExecutionNotifications"] = notes
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}


def render(report: Report, *, root: Path, rules: Iterable[Rule] | None = None) -> str:
    return json_safe(json.dumps(sarif_log(report, root, rules), indent=2, ensure_ascii=False)) + "\n"
