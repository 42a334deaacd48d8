"""SARIF 2.1.0, for GitHub code scanning and other SARIF viewers.

One run. ``tool.driver`` names rumpolicy (``informationUri``: the project's ``Homepage`` URL) and
describes every rule that ran: help text is the rule's page, ``helpUri`` its address (``help_url``),
and ``properties`` carry its ``tags`` and ``security-severity``.

Help URLs have one place to change: the ``Documentation`` entry of ``[project.urls]`` in
pyproject.toml, the folder of the rule pages, so that a rule's page is ``<Documentation>/<ID>.md``
for every rule alike (``docs/rules/<ID>.md`` in the repository). They are read from the installed
distribution's metadata when a SARIF log is built, never on the way of a plain ``check``
(importlib.metadata costs startup time); without that metadata (a checkout that was never
installed) they are the repository's own pages.

Every result has a physical location, which GitHub needs to show an alert at all:

- a file of the project: its path relative to the project root (``uriBaseId: PROJECTROOT``), with
  the line and column where known and line 1 where not (a file that could not be read);
- a file outside the project root: its absolute ``file:`` URI (nothing in the repository to name);
- a live resource of an audit (``aws://ACCOUNT/REGION``, ``aws://ACCOUNT`` for the global IAM):
  the relative URI ``aws/ACCOUNT/REGION/<service>/<resource>`` (``global`` in place of the region;
  the resource is the subject's ARN without its prefix, an identity pool's id under
  ``cognito-identity/identitypool/``), with no scheme and the same in every run, at line 1;
- what is neither (``<rumpolicy>``, ``<--app-monitor>``): that name, percent-encoded.

The JSON pointer goes into a logical location (``fullyQualifiedName``: ``<path>#<pointer>``), as it
is the only exact place of a live value. ``partialFingerprints`` holds a fingerprint unique to the
occurrence (``rumpolicy.baseline.occurrence_fingerprints``): the baseline fingerprint and the
finding's place among equal ones, so two identical statements are two alerts.

Suppressed findings are left out, since code scanning would show them as open alerts; with
``show_suppressed`` they are kept, with a ``suppressions`` entry giving the reason (``inSource`` for
comments and metadata, ``external`` for the configuration). Findings the baseline excuses never reach
the report (``rumpolicy.api.judge``); the run's properties count both. Audit coverage goes into
``runs[0].properties.coverage``, and every scope that was not fully checked also becomes a tool
execution notification of the invocation.

GitHub code scanning rejects a run of more than ``MAX_RESULTS`` (25,000) results outright. A
larger run keeps the 25,000 most severe (errors, then warnings, then notes, each in the report's
order); the rest are counted in ``runs[0].properties.resultsLeftOut`` and named in a tool
execution notification, and ``left_out`` tells the command line, which warns on stderr. The JSON
report lists every finding.

``security-severity`` (a string, as GitHub reads it: 9.0 and above critical, 7.0-8.9 high, 4.0-6.9
medium, 0.1-3.9 low) follows the rule's severity in the run (its default, or the configuration's
``severity:`` override, which ``invocations[0].ruleConfigurationOverrides`` also records): ``error`` 8.0 (high: a broken link of the
chain, open to anyone who loads the page, or no path for telemetry at all), ``warning`` 5.0
(medium), ``info`` 2.0 (low). Input rules (``RUM-SRC-*``: a file that could not be read, a value not
checked) are about whether a check was made, not about a weakness, so they are not tagged
``security`` and carry no ``security-severity``: code scanning shows them by their level. Tags are
``rum``, the rule's area and, but for input rules, ``security``; no CWE is claimed, since no rule's
requirement names one.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any, Iterable
from urllib.parse import quote

from rumpolicy import __version__
from rumpolicy.aws import POOL_ID
from rumpolicy.engine import Rule, registry
from rumpolicy.findings import Finding, Location, Severity
from rumpolicy.paths import is_file_source, project_path
from rumpolicy.report import Report
from rumpolicy.escape import encodable, json_safe

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
ROOT_ID = "PROJECTROOT"
# v1 was the baseline fingerprint alone; v2 adds the occurrence (SARIF 3.27.17: a new computation, a new version).
FINGERPRINT_KEY = "rumpolicy/v2"
LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
SECURITY_SEVERITIES = {Severity.ERROR: "8.0", Severity.WARNING: "5.0", Severity.INFO: "2.0"}
NOT_SECURITY_AREAS = ("input",)
SUPPRESSION_KINDS = {"comment": "inSource", "metadata": "inSource", "config": "external"}
LIVE_SCHEME = "aws://"
GLOBAL_REGION = "global"            # IAM, Organizations and AWS managed policies have no region
SEGMENT_SAFE = ":@"                 # kept as written in a live URI's segments (RFC 3986 pchar); the rest is %-encoded
REPOSITORY_URL = "https://github.com/rumpolicy/rumpolicy"
DEFAULT_DOCUMENTATION_URL = f"{REPOSITORY_URL}/blob/main/docs/rules"


@functools.cache
def project_urls() -> dict[str, str]:
    """The ``Project-URL`` entries of the installed ``rumpolicy`` distribution by label, normalized as the core
    metadata specification compares them (``Documentation`` -> ``documentation``); empty without metadata."""
    from importlib.metadata import PackageNotFoundError, metadata

    try:
        entries = metadata("rumpolicy").get_all("Project-URL") or []
    except PackageNotFoundError:
        return {}
    urls: dict[str, str] = {}
    for entry in entries:
        label, comma, url = entry.partition(",")
        key = "".join(c for c in label.lower() if c.isalnum())
        if comma and url.strip().startswith("https://"):
            urls.setdefault(key, url.strip())
    return urls


def documentation_url() -> str:
    """The folder of the rule pages: the ``Documentation`` project URL, else the repository's docs/rules."""
    return project_urls().get("documentation", DEFAULT_DOCUMENTATION_URL).rstrip("/")


def homepage_url() -> str:
    """The project's home: the ``Homepage`` project URL, else the repository."""
    return project_urls().get("homepage", REPOSITORY_URL)


def help_url(rule_id: str) -> str:
    """A rule's page: ``<Documentation>/<ID>.md``, for every rule alike."""
    return f"{documentation_url()}/{rule_id}.md"


def rule_descriptor(found: Rule, severity: Severity | None = None) -> dict[str, Any]:
    """``severity``: the rule's severity in this run when the configuration overrides it (``security-severity``
    is what GitHub rates its alerts by); ``defaultConfiguration`` stays the rule's own."""
    summary = found.summary or found.name
    security = found.area not in NOT_SECURITY_AREAS
    tags = (["security"] if security else []) + ["rum"] + ([found.area] if found.area else [])
    properties: dict[str, Any] = {"tags": tags, "precision": "high"}
    if security:
        properties["security-severity"] = SECURITY_SEVERITIES[severity or found.severity]
    return {
        "id": found.id,
        "name": found.name,
        "shortDescription": {"text": summary},
        "fullDescription": {"text": found.section("What it checks") or summary},
        "help": {"text": found.section("Fix") or summary, "markdown": found.markdown()},
        "helpUri": help_url(found.id),
        "defaultConfiguration": {"level": LEVELS[found.severity]},
        "properties": properties,
    }


def live_resource(subject: str, account: str) -> str:
    """The resource part of a live artifact's path: ``iam/role/shop-guest`` of a role's ARN,
    ``cognito-identity/identitypool/<id>`` of a pool's id; empty for the account or region itself."""
    if subject.startswith("arn:"):
        parts = subject.split(":", 5)
        if len(parts) == 6 and parts[2] and parts[5]:
            return f"{parts[2]}/{parts[5]}"
    if POOL_ID.match(subject):
        return f"cognito-identity/identitypool/{subject}"
    if not subject or subject == account or "://" in subject:
        return ""
    return subject


def live_path(source: str, subject: str | None) -> str:
    """``aws://ACCOUNT/REGION`` and a subject -> ``aws/ACCOUNT/REGION/<resource>`` (``global`` without a region)."""
    account, _, region = source[len(LIVE_SCHEME):].partition("/")
    path = f"aws/{account}/{region or GLOBAL_REGION}"
    resource = live_resource(subject or "", account)
    return f"{path}/{resource}" if resource else path


def _relative_uri(path: str) -> str:
    # A segment "." or ".." would be resolved away by a reader: spelled %2E, the path stays what it names.
    segments = [quote(encodable(s), safe=SEGMENT_SAFE) for s in path.split("/")]
    return "/".join(s.replace(".", "%2E") if s in (".", "..") else s for s in segments)


def artifact(location: Location, root: Path, subject: str | None) -> tuple[dict[str, str], str]:
    """The artifact location of ``location`` and the path it names (for the logical location)."""
    source = location.source
    if is_file_source(source):
        path = project_path(source, root)
        # Quoted from the name's bytes: a name that is not UTF-8 (or holds a lone surrogate) is still a URI.
        if path.startswith("/"):
            return {"uri": "file://" + quote(encodable(path))}, path
        return {"uri": quote(encodable(path)), "uriBaseId": ROOT_ID}, path
    if source.startswith(LIVE_SCHEME):
        path = live_path(source, subject)
        return {"uri": _relative_uri(path)}, path
    return {"uri": quote(encodable(source), safe="")}, source


def sarif_location(location: Location, root: Path, subject: str | None = None, **extra: Any) -> dict[str, Any]:
    out: dict[str, Any] = dict(extra)
    uri, path = artifact(location, root, subject)
    # GitHub shows no result without a line: line 1 when the loader knows none (a live value, an unreadable file).
    region = ({"startLine": location.line, "startColumn": location.column or 1} if location.line is not None
              else {"startLine": 1})
    out["physicalLocation"] = {"artifactLocation": uri, "region": region}
    # The JSON pointer names the exact value, also for live accounts, which have no file.
    name = location.pointer or path
    out["logicalLocations"] = [{"name": name.rsplit("/", 1)[-1] or name,
                                "fullyQualifiedName": f"{path}#{location.pointer}",
                                "kind": "member" if location.pointer else "module"}]
    return out


def result(finding: Finding, root: Path, rule_index: dict[str, int], fingerprint: str) -> dict[str, Any]:
    out: dict[str, Any] = {
        "ruleId": finding.rule_id,
        "level": LEVELS[finding.severity],
        "message": {"text": finding.message},
        "locations": [sarif_location(finding.location, root, finding.subject)],
        "partialFingerprints": {FINGERPRINT_KEY: fingerprint},
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


MAX_RESULTS = 25_000     # GitHub code scanning: "Results per run: 25,000" (more is rejected)


def left_out(report: Report, *, show_suppressed: bool = False) -> int:
    """How many results a SARIF log of ``report`` leaves out to stay within ``MAX_RESULTS``."""
    shown = sum(1 for f in report.findings if show_suppressed or not f.suppressed)
    return max(0, shown - MAX_RESULTS)


def _within_limit(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The ``MAX_RESULTS`` most severe results, in the order they came."""
    if len(results) <= MAX_RESULTS:
        return results
    rank = {"error": 0, "warning": 1, "note": 2, "none": 3}
    kept = sorted(range(len(results)), key=lambda i: (rank.get(results[i]["level"], 3), i))[:MAX_RESULTS]
    return [results[i] for i in sorted(kept)]


def sarif_log(report: Report, root: Path, rules: Iterable[Rule] | None = None, *,
              show_suppressed: bool = False) -> dict[str, Any]:
    from rumpolicy.baseline import occurrence_fingerprints

    rules = list(rules if rules is not None else registry())
    rule_index = {found.id: index for index, found in enumerate(rules)}
    invocation: dict[str, Any] = {"executionSuccessful": True}
    overrides = report.severities or {}
    # The configuration's severities, as SARIF says a run changed a rule's level (SARIF 2.1.0 section 3.20.5).
    changed = [{"descriptor": {"id": rule_id, "index": rule_index[rule_id]}, "configuration": {"level": LEVELS[level]}}
               for rule_id, level in sorted(overrides.items()) if rule_id in rule_index]
    if changed:
        invocation["ruleConfigurationOverrides"] = changed
    findings = report.findings
    fingerprints = occurrence_fingerprints(findings, root)     # over all of them: showing some changes none
    run: dict[str, Any] = {
        "tool": {"driver": {"name": "rumpolicy", "version": __version__, "semanticVersion": __version__,
                            "informationUri": homepage_url(),
                            "rules": [rule_descriptor(found, overrides.get(found.id)) for found in rules]}},
        "originalUriBaseIds": {ROOT_ID: {"uri": root.as_uri().rstrip("/") + "/"}},
        "invocations": [invocation],
        "columnKind": "unicodeCodePoints",
        "results": [result(f, root, rule_index, fp) for f, fp in zip(findings, fingerprints)
                    if show_suppressed or not f.suppressed],
        "properties": {"filesChecked": report.files_checked, "suppressed": report.suppressed,
                       "baselined": report.baselined},
    }
    every = len(run["results"])
    run["results"] = _within_limit(run["results"])
    if len(run["results"]) < every:
        run["properties"]["resultsLeftOut"] = every - len(run["results"])
        invocation["toolExecutionNotifications"] = [{
            "level": "warning", "descriptor": {"id": "results-left-out"},
            "message": {"text": f"{every - len(run['results'])} of {every} results are left out, the least severe: "
                                f"GitHub code scanning rejects a run of more than {MAX_RESULTS} (the JSON report "
                                "lists every finding)"}}]
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
            invocation["toolExecutionNotifications"] = invocation.get("toolExecutionNotifications", []) + notes
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}


def render(report: Report, *, root: Path, rules: Iterable[Rule] | None = None, show_suppressed: bool = False) -> str:
    log = sarif_log(report, root, rules, show_suppressed=show_suppressed)
    return json_safe(json.dumps(log, indent=2, ensure_ascii=False)) + "\n"
