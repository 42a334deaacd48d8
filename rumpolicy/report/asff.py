"""The AWS Security Finding Format (ASFF), for AWS Security Hub.

``render`` writes ``{"Findings": [...]}``, the request body of ``securityhub:BatchImportFindings``,
so that ``aws securityhub batch-import-findings --cli-input-json file://findings.json`` imports it
(at most 100 findings a call: split larger files, or let ``rumpolicy audit --to-security-hub`` do
it, ``rumpolicy.security_hub``). Each finding carries every attribute the format requires
(``REQUIRED``: botocore's model leaves ``Severity`` and ``Types`` out of its list; the ASFF
documentation does not), within the documented lengths (``LIMITS``: texts are cut at a character
boundary and end in ``…``).

- ``Id``: ``rumpolicy/<occurrence fingerprint>`` (``rumpolicy.baseline.occurrence_fingerprints``),
  the same in every run for the same finding, also when lines move. Security Hub updates the
  finding of that Id in place, so a finding keeps its history.
- ``ProductArn``: the account's own default product, ``arn:P:securityhub:R:A:product/A/default``,
  the one every account may import into without a partner integration.
- ``GeneratorId``: ``rumpolicy/<rule id>``; ``Types``: ``Software and Configuration Checks/AWS
  Security Best Practices`` (a documented namespace and category).
- ``Severity.Label``: ``error`` HIGH, ``warning`` MEDIUM, ``info`` INFORMATIONAL (a broken link of
  the chain is exposed to anyone who loads the page, as SARIF's 8.0 says); ``Original`` keeps
  rumpolicy's own word. ``Compliance.Status``: FAILED for errors and warnings, WARNING for other
  notes, NOT_AVAILABLE for input findings (``RUM-SRC-*``: the check could not be made).
- ``Resources``: one, the subject. An IAM role's ARN is an ``AwsIamRole``, a managed policy's an
  ``AwsIamPolicy``; app monitors and identity pools have no ASFF type, so they are ``Other`` with
  their ARN (a pool's is ``arn:P:cognito-identity:R:A:identitypool/<id>``); an audit scope
  (``aws://A/R``) is the ``AwsAccount`` ``AWS::::Account:A``; a resource in a file is ``Other``,
  named ``<path>#<subject>`` (path relative to the project root).
- ``ProductFields``: ``rumpolicy/RuleId``, ``RuleName``, ``Source``, ``Pointer``, ``Line``,
  ``Subject``, ``Fingerprint``, ``Suppression`` (strings, as the format wants).

Account and region: an audit's finding is in the account and region of its location
(``aws://ACCOUNT/REGION``); a global one (IAM: ``aws://ACCOUNT``, AWS managed policies: ``aws://aws``)
takes the account of its subject's ARN and the given default region (the audit's first region). A
file's finding has neither: ``account`` and ``region`` name them (``check --asff-account
--asff-region``); without them ``AsffError``.

Suppressed findings are always written, with ``Workflow.Status`` SUPPRESSED (and RecordState
ACTIVE): leaving them out would make the next ``--asff-previous`` or export call them resolved.
Findings the baseline excuses never reach the report (``rumpolicy.api.judge``); a run that excused
any archives nothing (see ``archived``).

Fixed findings (``previous``: an earlier ASFF document of the same project): a finding of the
previous document whose Id this run no longer reports is written again with RecordState ARCHIVED,
``Workflow.Status`` RESOLVED, ``Compliance.Status`` PASSED and UpdatedAt now; one still reported
keeps its CreatedAt. Security Hub takes ``Workflow`` from a provider only when it creates a finding
(afterwards it is the users', through BatchUpdateFindings), so RecordState ARCHIVED and Compliance
PASSED are what tell it a finding is fixed; Severity and Types go in ``FindingProviderFields`` too,
where it reads a provider's updates of them. Only where
this run looked as closely as the previous one: its source is in ``complete_sources`` (an audit
scope read completely, a file read and checked), its rule ran, no baseline excused a finding and no
rule or loader crashed (RUM-SRC-003).
Elsewhere it is left out, never called resolved.
"""

from __future__ import annotations

import datetime
import json
import re
from pathlib import Path
from typing import Any, Iterable

from rumpolicy.aws import ACCOUNT_ID, PARTITIONS, POOL_ID, REGION, partition_of_region
from rumpolicy.baseline import occurrence_fingerprints
from rumpolicy.escape import json_safe
from rumpolicy.findings import Finding, Severity
from rumpolicy.model.arns import Arn, identity_pool_arn, parse_arn
from rumpolicy.paths import is_file_source, project_path
from rumpolicy.records import value_type
from rumpolicy.report import Report

SCHEMA_VERSION = "2018-10-08"
ID_PREFIX = GENERATOR_PREFIX = "rumpolicy/"
FINDING_TYPE = "Software and Configuration Checks/AWS Security Best Practices"
SEVERITY_LABELS = {Severity.ERROR: "HIGH", Severity.WARNING: "MEDIUM", Severity.INFO: "INFORMATIONAL"}
INPUT_RULES = "RUM-SRC-"
# The attributes the ASFF documentation requires of every finding.
REQUIRED = ("AwsAccountId", "CreatedAt", "Description", "GeneratorId", "Id", "ProductArn", "Resources",
            "SchemaVersion", "Severity", "Title", "Types", "UpdatedAt")
# Documented maximum lengths, in characters.
LIMITS = {"Id": 512, "GeneratorId": 512, "Title": 256, "Description": 1024, "Recommendation.Text": 512,
          "Resource.Type": 256, "Region": 16, "Severity.Original": 64, "ProductFields.key": 128,
          "ProductFields.value": 2048}
# Security Hub's names of the partitions (its `Partition` enum) where they differ from botocore's.
RESOURCE_PARTITIONS = {"aws": "aws", "aws-cn": "aws-cn", "aws-us-gov": "aws-us-gov", "aws-iso": "aws-us-iso",
                       "aws-iso-b": "aws-us-iso-b"}
LIVE = re.compile(r"^aws://(?P<account>\d{12}|aws)(?:/(?P<region>[^/]+))?$")
ELLIPSIS = "…"


class AsffError(ValueError):
    """A finding cannot be placed in an account and region: a usage error (``--asff-account``...)."""


def product_arn(partition: str, region: str, account: str) -> str:
    """The account's own product ARN: where findings of a custom integration are imported."""
    return f"arn:{partition}:securityhub:{region}:{account}:product/{account}/default"


def timestamp(now: datetime.datetime | None = None) -> str:
    """ISO 8601 in UTC with milliseconds and ``Z``, as Security Hub writes its own."""
    moment = (now or datetime.datetime.now(datetime.timezone.utc)).astimezone(datetime.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def cut(text: str, limit: int) -> str:
    """``text`` within ``limit`` characters, ending in ``…`` when shortened; never empty or blank."""
    text = text if text.strip() else "(no text)"
    return text if len(text) <= limit else text[:limit - 1].rstrip() + ELLIPSIS


@value_type(slots=False)
class Place:
    """Where a finding goes: account, region, partition, and its resource."""

    account: str
    region: str
    partition: str
    resource: dict


def place(finding: Finding, root: Path, account: str | None, region: str | None) -> Place:
    """The account, region and resource of a finding (see the module docstring); AsffError when unknown."""
    live = LIVE.match(finding.location.source)
    subject = finding.subject
    arn = _literal_arn(subject)
    pool = POOL_ID.match(subject)
    found_account = live.group("account") if live and live.group("account") != "aws" else None
    found_region = live.group("region") if live else None
    if arn is not None:
        found_account = found_account or (arn.account if ACCOUNT_ID.match(arn.account) else None)
        found_region = found_region or arn.region or None
    elif pool is not None and live is not None:
        found_region = found_region or pool.group("region")
    where_account, where_region = found_account or account, found_region or region
    if where_account is None or where_region is None:
        missing = " and ".join(name for name, value in (("--asff-account", where_account),
                                                          ("--asff-region", where_region)) if value is None)
        raise AsffError(f"--format asff: {finding.location.source} names no AWS account or region for its findings; "
                        f"give {missing}")
    partition = (arn.partition if arn is not None else None) or partition_of_region(where_region) or "aws"
    resource = _resource(finding, root, arn, pool, live is not None, partition, where_account, where_region)
    return Place(where_account, where_region, partition, resource)


def _literal_arn(text: str) -> Arn | None:
    """A literal ARN (``arn:${AWS::Partition}:...`` of a template is none: it names no partition or account
    yet)."""
    arn = parse_arn(text)
    if arn is None or arn.partition not in PARTITIONS or not arn.resource:
        return None
    if (arn.region and not REGION.match(arn.region)) or (arn.account and arn.account != "aws"
                                                         and not ACCOUNT_ID.match(arn.account)):
        return None
    return arn


def _resource(finding: Finding, root: Path, arn: Arn | None, pool: Any, live: bool, partition: str,
              account: str, region: str) -> dict:
    subject = finding.subject
    if arn is not None:
        iam = arn.service == "iam"
        kind = ("AwsIamRole" if iam and arn.resource_type == "role"
                else "AwsIamPolicy" if iam and arn.resource_type == "policy" else "Other")
        resource = {"Type": kind, "Id": subject}
    elif pool is not None and live:
        resource = {"Type": "Other", "Id": identity_pool_arn(partition, pool.group("region"), account, subject)}
    elif live or LIVE.match(subject):
        resource = {"Type": "AwsAccount", "Id": f"AWS::::Account:{account}"}
    else:
        where = project_path(finding.location.source, root)
        resource = {"Type": "Other", "Id": f"{where}#{subject}" if subject else where}
    if partition in RESOURCE_PARTITIONS:
        resource["Partition"] = RESOURCE_PARTITIONS[partition]
    resource["Region"] = region
    return resource


def compliance(finding: Finding) -> str:
    if finding.rule_id.startswith(INPUT_RULES):
        return "NOT_AVAILABLE"
    return "WARNING" if finding.severity is Severity.INFO else "FAILED"


def asff_finding(finding: Finding, fingerprint: str, where: Place, *, root: Path, now: str, url: str) -> dict:
    """One finding in ASFF, ACTIVE; Workflow SUPPRESSED when it is suppressed, else NEW."""
    fields = {
        "rumpolicy/RuleId": finding.rule_id,
        "rumpolicy/RuleName": finding.rule_name,
        "rumpolicy/Source": project_path(finding.location.source, root) if is_file_source(finding.location.source)
        else finding.location.source,
        "rumpolicy/Pointer": finding.location.pointer,
        "rumpolicy/Line": str(finding.location.line) if finding.location.line else "",
        "rumpolicy/Subject": finding.subject,
        "rumpolicy/Fingerprint": fingerprint,
        "rumpolicy/Suppression": finding.suppression.reason if finding.suppression is not None else "",
    }
    description = finding.message
    if finding.suppression is not None:
        description += f" (suppressed: {finding.suppression.reason})"
    recommendation = finding.remediation or f"See {url}"
    severity = {"Label": SEVERITY_LABELS[finding.severity], "Original": finding.severity.value}
    return {
        "SchemaVersion": SCHEMA_VERSION,
        "Id": cut(ID_PREFIX + fingerprint, LIMITS["Id"]),
        "ProductArn": product_arn(where.partition, where.region, where.account),
        "GeneratorId": cut(GENERATOR_PREFIX + finding.rule_id, LIMITS["GeneratorId"]),
        "AwsAccountId": where.account,
        "Region": where.region,
        "Types": [FINDING_TYPE],
        "CreatedAt": now,
        "UpdatedAt": now,
        "Severity": severity,
        # Where Security Hub takes a provider's later Severity and Types from (it ignores those of a re-import
        # once a user has changed them; the top-level ones are what the format requires).
        "FindingProviderFields": {"Severity": severity, "Types": [FINDING_TYPE]},
        "Title": cut(f"{finding.rule_id} {finding.rule_name}".strip(), LIMITS["Title"]),
        "Description": cut(description, LIMITS["Description"]),
        "Remediation": {"Recommendation": {"Text": cut(recommendation, LIMITS["Recommendation.Text"]), "Url": url}},
        # Empty values are left out: the format wants non-empty strings.
        "ProductFields": {key: cut(value, LIMITS["ProductFields.value"]) for key, value in fields.items() if value},
        "Resources": [where.resource],
        "Compliance": {"Status": compliance(finding)},
        "RecordState": "ACTIVE",
        "Workflow": {"Status": "SUPPRESSED" if finding.suppressed else "NEW"},
    }


def findings(report: Report, *, root: Path, account: str | None = None, region: str | None = None,
             now: str | None = None) -> list[dict]:
    """Every finding of the report in ASFF, suppressed ones included (Workflow SUPPRESSED)."""
    from rumpolicy.report.sarif import help_url

    now = now or timestamp()
    every = report.findings
    prints = occurrence_fingerprints(every, root)       # over all of them, as the other reports do
    return [asff_finding(f, fp, place(f, root, account, region), root=root, now=now, url=help_url(f.rule_id))
            for f, fp in zip(every, prints)]


def archived(previous: Iterable[dict], current: list[dict], *, now: str, complete_sources: "set[str] | frozenset[str] | None",
             rules_run: set[str] | None, incomplete: bool) -> list[dict]:
    """Carry the previous CreatedAt into ``current`` (in place) and return the previous findings this run
    resolved: ARCHIVED, Workflow RESOLVED, UpdatedAt ``now``. ``complete_sources``: the sources (an audit's
    scopes, the project paths of the files) this run read completely, None for every one; ``rules_run``: the
    rule ids that ran, None for all; ``incomplete``: the run's findings may be fewer than what is wrong (a
    baseline excused some, a rule or loader crashed): then nothing is archived."""
    by_id = {p.get("Id"): p for p in previous if isinstance(p, dict) and isinstance(p.get("Id"), str)}
    now_ids = set()
    for finding in current:
        now_ids.add(finding["Id"])
        before = by_id.get(finding["Id"])
        if before is not None and isinstance(before.get("CreatedAt"), str):
            finding["CreatedAt"] = before["CreatedAt"]
    if incomplete:
        return []
    out = []
    for finding_id, before in by_id.items():
        if finding_id in now_ids or not finding_id.startswith(ID_PREFIX) or before.get("RecordState") == "ARCHIVED":
            continue
        source = (before.get("ProductFields") or {}).get("rumpolicy/Source")
        rule = (before.get("ProductFields") or {}).get("rumpolicy/RuleId")
        if complete_sources is not None and source not in complete_sources:
            continue
        if rules_run is not None and rule not in rules_run:
            continue
        out.append(resolved(before, now))
    return out


def resolved(finding: dict, now: str) -> dict:
    """A previously reported finding, now fixed: the attributes rumpolicy writes, ARCHIVED and RESOLVED."""
    kept = {key: value for key, value in finding.items() if key in WRITTEN}
    kept.update(RecordState="ARCHIVED", Workflow={"Status": "RESOLVED"}, Compliance={"Status": "PASSED"},
                UpdatedAt=now)
    return kept


# What rumpolicy writes: a finding read back from Security Hub also holds what Security Hub adds (ProcessedAt,
# CompanyName, WorkflowState...), which is not re-imported.
WRITTEN = ("SchemaVersion", "Id", "ProductArn", "GeneratorId", "AwsAccountId", "Region", "Types", "CreatedAt",
           "UpdatedAt", "Severity", "FindingProviderFields", "Title", "Description", "Remediation", "ProductFields",
           "Resources", "Compliance", "RecordState", "Workflow")


@value_type(slots=False)
class AsffOptions:
    """What the ASFF report needs beyond the report: defaults for account and region, the previous document."""

    account: str | None = None
    region: str | None = None
    previous: tuple[dict, ...] = ()
    complete_sources: frozenset[str] | None = None      # None: every source was read completely
    now: str | None = None


def incomplete(report: Report) -> str | None:
    """Why the report's findings may be fewer than what is wrong, so that a finding it no longer reports may not
    be fixed at all; None when nothing says so. (Which rules ran, and which sources were read completely, are
    judged finding by finding.)"""
    if report.defects:
        return "a rule or loader of rumpolicy failed (RUM-SRC-003)"
    if report.baselined:
        return "the baseline left findings out of the report"
    return None


def read_previous(path: str) -> tuple[dict, ...]:
    """The findings of an earlier ASFF document (``{"Findings": [...]}`` or a list); ValueError when it is none."""
    try:
        with open(path, encoding="utf-8") as handle:
            document = json.load(handle)
    except OSError as exc:
        raise ValueError(f"--asff-previous: cannot read {path}: {exc.strerror or exc}") from exc
    except ValueError as exc:
        raise ValueError(f"--asff-previous: {path} is not JSON: {exc}") from exc
    listed = document.get("Findings") if isinstance(document, dict) else document
    if not isinstance(listed, list) or not all(isinstance(f, dict) and isinstance(f.get("Id"), str) for f in listed):
        raise ValueError(f"--asff-previous: {path} is not an ASFF document ({{\"Findings\": [...]}} with an `Id` each)")
    return tuple(listed)


def render(report: Report, *, root: Path, options: AsffOptions | None = None) -> str:
    """The ASFF document of the report (AsffError when a finding has no account or region)."""
    options = options or AsffOptions()
    now = options.now or timestamp()
    current = findings(report, root=root, account=options.account, region=options.region, now=now)
    rules_run = {r.id for r in report.rules} if report.rules else None
    gone = archived(options.previous, current, now=now, complete_sources=options.complete_sources,
                    rules_run=rules_run, incomplete=incomplete(report) is not None)
    return json_safe(json.dumps({"Findings": current + gone}, indent=2, ensure_ascii=False)) + "\n"
