"""Sending rumpolicy's findings to AWS Security Hub: a write rumpolicy makes only when asked.

Two callers: ``rumpolicy audit --to-security-hub`` (``rumpolicy.cli``), and the AWS Config rule's
handler with its export switched on (``rumpolicy.aws_config``). Both build the findings with
``asff_findings`` (the ASFF of a report, ``rumpolicy.report.asff``) and hand those of one account
and region to ``sync``, on a client guarded by a list that allows ``securityhub:GetFindings`` and
``securityhub:BatchImportFindings`` and nothing else that writes
(``rumpolicy.aws_config.allowed.SECURITY_HUB_EXPORT``, ``rumpolicy.audit.readonly``).

``sync`` makes Security Hub agree with the run:

1. it reads rumpolicy's ACTIVE findings there (``GetFindings``, every page, filtered on the
   account's product ARN, ``GeneratorId`` prefix ``rumpolicy/``, account, region and RecordState,
   and on the resources when ``resources`` is given). The same filters are applied again to what
   comes back: an endpoint that ignores ``Filters`` (moto does) must not make rumpolicy archive
   another product's findings;
2. it imports ``findings`` with ``BatchImportFindings``, at most ``BATCH`` (100, the API's limit)
   a call, each keeping the CreatedAt Security Hub already has for its Id;
3. with ``archive``, it re-imports every ACTIVE rumpolicy finding that is not among ``findings``
   (of the ``resources`` only, when given) with RecordState ARCHIVED and Workflow RESOLVED: the
   problem is gone. The caller passes ``archive=False`` where its run did not read everything
   (an audit scope that is partial), since a finding missing there may only be unread.

Throttling is botocore's: the client's retry configuration. A batch Security Hub answers with
``FailedCount > 0`` is counted in ``SyncResult.failed`` (its ``FailedFindings``), not raised; an
error answer to a call (``AccessDeniedException``, ``InvalidAccessException`` when Security Hub is
not enabled) raises botocore's ``ClientError`` as it is, for the caller to word.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from rumpolicy.report import Report
from rumpolicy.report.asff import (GENERATOR_PREFIX, findings as report_findings, incomplete, product_arn, resolved,
                                   timestamp)

__all__ = ["BATCH", "SyncResult", "archive_blocker", "asff_findings", "product_arn", "sync"]

BATCH = 100                 # BatchImportFindings takes at most 100 findings a call
PAGE = 100                  # GetFindings returns at most 100 a page
FILTER_VALUES = 20          # GetFindings takes at most 20 values per filtered attribute (and 10 attributes)


def asff_findings(report: Report, *, account: str | None = None, region: str | None = None, now: str | None = None,
                  root: Path | None = None) -> list[dict]:
    """The ASFF findings of a report: active ones, and suppressed ones with Workflow SUPPRESSED.

    ``account`` and ``region``: for findings whose location names none (a file's; a global IAM
    finding's region). ``now``: ISO 8601 (``2026-12-03T15:00:00.000Z``), default the current time in
    UTC. ``root``: the project root files are named against (default: the report's).
    Raises ``rumpolicy.report.asff.AsffError`` when a finding has no account or region.
    """
    from rumpolicy.paths import project_root

    root = root or report.root or project_root()
    return report_findings(report, root=root, account=account, region=region, now=now)


def archive_blocker(report: Report) -> str | None:
    """Why ``sync`` must archive nothing for this report (None: it may): its findings may be fewer than what is
    wrong (``rumpolicy.report.asff.incomplete``), or not every rule ran (``select``/``ignore``, the Config
    rule's ``Select``/``Ignore``), so that a finding it no longer reports may only be one it did not look for."""
    from rumpolicy.engine import registry

    reason = incomplete(report)
    if reason is None and report.rules and {r.id for r in report.rules} != {r.id for r in registry()}:
        reason = "not every rule ran (select, ignore)"
    return reason


@dataclass
class SyncResult:
    """What one ``sync`` did: findings imported, findings archived, and the ones Security Hub refused."""

    imported: int = 0
    archived: int = 0
    failed: list[dict] = field(default_factory=list)     # BatchImportFindings' FailedFindings entries


def sync(client: Any, findings: list[dict], *, account: str, region: str, partition: str,
         resources: Iterable[str] | None = None, now: str | None = None, archive: bool = True) -> SyncResult:
    """Import ``findings`` into Security Hub for ``account`` in ``region`` and archive the fixed ones (see the
    module docstring). ``client``: a securityhub client of that account and region."""
    now = now or timestamp()
    product = product_arn(partition, region, account)
    wanted = None if resources is None else set(resources)
    before = {f["Id"]: f for f in active_findings(client, product=product, account=account, region=region,
                                                  resources=wanted)}
    result = SyncResult()
    sent = []
    for finding in findings:
        known = before.get(finding["Id"])
        if known is not None and isinstance(known.get("CreatedAt"), str):
            finding = {**finding, "CreatedAt": known["CreatedAt"]}
        sent.append(finding)
    result.imported = _import(client, sent, result)
    if archive:
        current = {f["Id"] for f in findings}
        gone = [resolved(f, now) for finding_id, f in before.items() if finding_id not in current]
        result.archived = _import(client, gone, result)
    return result


def active_findings(client: Any, *, product: str, account: str, region: str,
                    resources: set[str] | None = None) -> list[dict]:
    """rumpolicy's ACTIVE findings in the account and region (of ``resources`` only, when given), by Id order."""
    filters: dict[str, list[dict]] = {
        "ProductArn": [{"Value": product, "Comparison": "EQUALS"}],
        "GeneratorId": [{"Value": GENERATOR_PREFIX, "Comparison": "PREFIX"}],
        "AwsAccountId": [{"Value": account, "Comparison": "EQUALS"}],
        "Region": [{"Value": region, "Comparison": "EQUALS"}],
        "RecordState": [{"Value": "ACTIVE", "Comparison": "EQUALS"}],
    }
    found: dict[str, dict] = {}
    if resources is None:
        queries = [filters]
    else:
        # Security Hub refuses more than FILTER_VALUES values for one attribute: one query per group of resources.
        ordered = sorted(resources)
        queries = [{**filters, "ResourceId": [{"Value": r, "Comparison": "EQUALS"}
                                              for r in ordered[start:start + FILTER_VALUES]]}
                   for start in range(0, len(ordered), FILTER_VALUES)]
    for query in queries:
        params: dict[str, Any] = {"Filters": query, "MaxResults": PAGE}
        while True:
            page = client.get_findings(**params)
            for finding in page.get("Findings") or []:
                if _matches(finding, product, account, region, resources):
                    found[finding["Id"]] = finding
            token = page.get("NextToken")
            if not token:
                break
            params["NextToken"] = token
    return [found[key] for key in sorted(found)]


def _matches(finding: dict, product: str, account: str, region: str, resources: set[str] | None) -> bool:
    """The filters of ``active_findings``, applied to a finding as returned."""
    if not isinstance(finding, dict) or not isinstance(finding.get("Id"), str):
        return False
    if (finding.get("ProductArn") != product or not str(finding.get("GeneratorId", "")).startswith(GENERATOR_PREFIX)
            or finding.get("AwsAccountId") != account or finding.get("RecordState", "ACTIVE") != "ACTIVE"):
        return False
    if finding.get("Region") not in (None, region):
        return False
    if resources is not None:
        listed = finding.get("Resources") or []
        first = listed[0].get("Id") if listed and isinstance(listed[0], dict) else None
        return first in resources
    return True


def _import(client: Any, findings: list[dict], result: SyncResult) -> int:
    """Import in batches of ``BATCH``; the number Security Hub took, refusals added to ``result.failed``."""
    took = 0
    for start in range(0, len(findings), BATCH):
        answer = client.batch_import_findings(Findings=findings[start:start + BATCH])
        took += int(answer.get("SuccessCount") or 0)
        if answer.get("FailedCount"):
            result.failed.extend(answer.get("FailedFindings") or [])
    return took
