"""One invocation of the AWS Config rule: credentials, reads, rules, PutEvaluations, export, log line.

``handle(event, context)`` is what ``rumpolicy.aws_config.handler`` calls. In order:

1. parse the event (``events``); the function's own account, region and partition come from
   ``context.invoked_function_arn``;
2. credentials: the function's own (boto3's chain: the execution role); when the event's
   ``accountId`` is another account, ``sts:AssumeRole`` into ``RUMPOLICY_MEMBER_ROLE_NAME`` there,
   and every later call (reads, ``PutEvaluations``, the export) uses those credentials, except the
   reads of service control policies, made with the function's own as the audit makes them with the
   caller's (only the management account or a delegated administrator may read them);
3. an oversized item is fetched with ``GetResourceConfigHistory`` (on failure the summary is used:
   the reads that follow are live anyway), and so is a deleted monitor's last item, which names the
   pool and roles whose verdicts must now be given again;
4. the chains are read (``scope``) under a deadline: the invocation's remaining time less
   ``WRITE_MARGIN`` seconds kept for writing, so a slow read ends as "not checked", not as a
   Lambda timeout with no verdict at all;
5. the rules run as in ``audit`` (``rumpolicy.api.judge``, with the rule parameters ``Select`` and
   ``Ignore``), and ``evaluate`` turns the report into verdicts; a pool or role no monitor uses gets
   its NOT_APPLICABLE only where this rule judged it before (``GetComplianceDetailsByResource``):
   Config bills every evaluation, and most roles of an account have nothing to do with RUM;
6. ``PutEvaluations`` in batches of ``BATCH`` with the event's ``ResultToken`` (``TestMode`` for
   ``TESTMODE``); evaluations Config reports as failed are sent again ``RETRIES`` times with
   backoff, then the invocation fails (Lambda reports it, Config retries);
7. with ``RUMPOLICY_SECURITY_HUB=true``, the findings of the resources evaluated are synchronized
   with Security Hub per region (``rumpolicy.security_hub.sync``; IAM findings in the function's
   region); nothing is archived when ``security_hub.archive_blocker`` says the findings may be
   incomplete (a rule crashed, ``Select``/``Ignore`` left rules out), as for ``audit --to-security-hub``;
8. one JSON line on standard output: trigger, resources read, evaluations by type and verdict, API
   calls by operation, duration.

Every client is guarded (``rumpolicy.audit.readonly.Guard``) by ``allowed.ALLOWED_OPERATIONS``, or
``ALLOWED_WITH_EXPORT`` with the export on, and retries throttling with botocore's standard mode
(``MAX_ATTEMPTS``). Nothing is written to the file system.
"""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from dataclasses import replace
from typing import Any

from rumpolicy.audit import readonly
from rumpolicy.audit.deadline import Deadline
from rumpolicy.audit.sessions import Access, Clients, assume_role
from rumpolicy.aws_config.allowed import ALLOWED_OPERATIONS, ALLOWED_WITH_EXPORT
from rumpolicy.aws_config.evaluate import COMPLIANT, NON_COMPLIANT, NOT_APPLICABLE, Verdict, verdicts
from rumpolicy.aws_config.events import MONITOR, ConfigItem, MalformedEvent, RuleEvent, parse_event
from rumpolicy.aws_config.scope import read_scope
from rumpolicy.load.live_data import DEADLINE_REASON
from rumpolicy.load.live_read import AccountReader, CallFailed, Once, OrgReader, call

MEMBER_ROLE_VARIABLE = "RUMPOLICY_MEMBER_ROLE_NAME"
SECURITY_HUB_VARIABLE = "RUMPOLICY_SECURITY_HUB"
MAX_ATTEMPTS = 8
BATCH = 100                 # PutEvaluations takes at most 100 evaluations a call
RETRIES = 3                 # further PutEvaluations of evaluations Config reported as failed
BACKOFF = 0.2               # seconds before the first of those, doubled each time
UNDECIDED_RULE = "RUM-SRC-001"      # a check not made: Ignore may not drop it, Select always keeps it
WRITE_MARGIN = 10.0         # seconds of the invocation kept for PutEvaluations and the export


class RuleError(RuntimeError):
    """The invocation cannot give its verdicts: Lambda reports the error and Config records the failure."""


class _CountingClients(Clients):
    """``Clients`` whose sessions also count every call made, answered or failed (for the log line); a call
    the guard or the deadline refuses before it is sent is not counted."""

    def __init__(self, counts: Counter, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.counts = counts
        self.loader = _loader()         # the service models, parsed once per Lambda environment, not per invocation

    def _count(self, model: Any = None, **_: Any) -> None:
        self.counts[f"{model.service_model.service_name}:{model.name}"] += 1

    def _session(self, access: Access) -> Any:
        session = super()._session(access)
        session.register("after-call", self._count, unique_id="rumpolicy-count-calls")
        session.register("after-call-error", self._count, unique_id="rumpolicy-count-failed-calls")
        return session


_LOADERS: list = []


def _loader() -> Any:
    """One botocore loader for every invocation of a warm Lambda environment (it caches the parsed models)."""
    if not _LOADERS:
        import botocore.loaders

        _LOADERS.append(botocore.loaders.create_loader())
    return _LOADERS[0]


def handle(event: Any, context: Any) -> dict:
    """Evaluate the resources of one Config rule invocation; returns what the log line says."""
    started = time.monotonic()
    rule = parse_event(event)
    partition, region, own_account = _function(context)
    export = os.environ.get(SECURITY_HUB_VARIABLE, "").lower() == "true"
    counts: Counter = Counter()
    guard = readonly.Guard(ALLOWED_WITH_EXPORT if export else ALLOWED_OPERATIONS,
                           "the AWS Config rule calls only the operations of rumpolicy.aws_config.allowed")
    remaining = context.get_remaining_time_in_millis() / 1000
    deadline = Deadline(max(0.0, remaining - WRITE_MARGIN))
    deadline.reason = f"{DEADLINE_REASON} (the invocation's time less {WRITE_MARGIN:g}s kept for PutEvaluations)"
    # Two sets of clients: the reads stop at the deadline, the writes (PutEvaluations, the export) do not.
    reads = _CountingClients(counts, None, "standard", MAX_ATTEMPTS, deadline, guard)
    writes = _CountingClients(counts, None, "standard", MAX_ATTEMPTS, None, guard)
    base, access = _access(rule, writes, partition, region, own_account)

    item = rule.item
    if item is not None and item.summary_only and not rule.left_scope:
        item = _full_item(reads, access, region, item)
    cache = Once()
    reader = AccountReader(access.account, partition, region, reads.source(access), cache)
    # The service control policies are read with the function's own credentials, as the audit reads them with
    # the caller's: only the management account or a delegated administrator may read them, not a member.
    org = OrgReader(reads.source(base), region, cache)
    former = _former_item(reads, access, region, item) if item is not None and item.deleted \
        and item.resource_type == MONITOR and not rule.left_scope else None
    scope = read_scope(rule, item, reader, org, region, former)
    report = _judge(rule, scope)
    if rule.item is None and any(data.unlisted is not None for data in scope.data.regions):
        unlisted = next(data for data in scope.data.regions if data.unlisted is not None)
        raise RuleError(f"the app monitors of {unlisted.region} could not be listed ({unlisted.unlisted}): "
                        "nothing was evaluated")
    judged = verdicts(scope, report.active, rule.fail_on)
    judged, skipped = _without_unjudged(writes.client(access, "config", region), rule, judged, scope.unused)
    ordering = _ordering(rule, item)
    put = _put_evaluations(writes.client(access, "config", region), rule, judged, ordering)
    exported = _export(writes, access, region, report, judged) if export and not rule.test_mode else None
    line = {"rule": rule.rule_name, "account": access.account, "trigger": rule.trigger,
            "message_type": rule.message_type,
            "resource": None if item is None else {"type": item.resource_type, "id": item.resource_id},
            "regions_read": scope.regions,
            "read": {"monitors": sum(len(d.monitors) for d in scope.data.regions), "pools": len(scope.data.pools),
                     "roles": len(scope.data.roles.records)},
            "evaluations": _by_type(judged), "put_evaluations_calls": put, "security_hub": exported,
            "not_put": skipped,
            "deadline_reached": deadline.reached, "api_calls": dict(sorted(counts.items())),
            "duration_ms": round((time.monotonic() - started) * 1000)}
    print(json.dumps(line, sort_keys=True), flush=True)
    return line


def _function(context: Any) -> tuple[str, str, str]:
    """(partition, region, account) of the running function, from its ARN."""
    arn = getattr(context, "invoked_function_arn", None)
    parts = arn.split(":") if isinstance(arn, str) else []
    if len(parts) < 7 or parts[2] != "lambda":
        raise RuleError(f"the Lambda context has no function ARN ({arn!r})")
    return parts[1], parts[3], parts[4]


def _access(rule: RuleEvent, clients: Clients, partition: str, region: str, own_account: str) -> tuple[Access, Access]:
    """The function's own access, and the access to the event's account (the same, or through its member role)."""
    import boto3

    credentials = boto3.Session().get_credentials()
    if credentials is None:
        raise RuleError("the function has no AWS credentials (its execution role)")
    base = Access(own_account, partition, credentials)
    if rule.account == own_account:
        return base, base
    role_name = os.environ.get(MEMBER_ROLE_VARIABLE)
    if not role_name:
        raise RuleError(f"the event is for account {rule.account}, not the function's own ({own_account}): set "
                        f"{MEMBER_ROLE_VARIABLE} to the role to assume there")
    try:
        return base, assume_role(clients, base, rule.account, role_name, region, None)
    except CallFailed as exc:
        raise RuleError(f"{exc.call} into arn:{partition}:iam::{rule.account}:role/{role_name} failed: "
                        f"{exc.reason}") from exc


def _full_item(clients: Clients, access: Access, region: str, summary: ConfigItem) -> ConfigItem:
    """The oversized item, from GetResourceConfigHistory; the summary when that fails (the reads are live)."""
    params: dict[str, Any] = {"resourceType": summary.resource_type, "resourceId": summary.resource_id, "limit": 1}
    if summary.capture_time:
        params["laterTime"] = summary.capture_time
    try:
        items = call(clients.client(access, "config", region), "get_resource_config_history", **params)
    except CallFailed:
        return summary
    found = items.get("configurationItems") or []
    if not found:
        return summary
    full = ConfigItem.from_history(found[0])
    return replace(full, status=summary.status or full.status, capture_time=summary.capture_time or full.capture_time)


def _former_item(clients: Clients, access: Access, region: str, deleted: ConfigItem) -> ConfigItem | None:
    """The last configuration item recorded before the resource was deleted (it names what the resource used);
    None when Config has none or cannot be asked."""
    try:
        answer = call(clients.client(access, "config", region), "get_resource_config_history",
                      resourceType=deleted.resource_type, resourceId=deleted.resource_id, limit=5)
    except CallFailed:
        return None
    for found in answer.get("configurationItems") or []:
        item = ConfigItem.from_history(found)
        if not item.deleted and item.configuration is not None:
            return item
    return None


def _judge(rule: RuleEvent, scope: Any) -> Any:
    from rumpolicy.api import Options, judge
    from rumpolicy.config import Config, ConfigError, with_options
    from rumpolicy.load.live_build import build_inventory

    select, ignore = rule.rule_ids("Select"), rule.rule_ids("Ignore")
    if ignore is not None and UNDECIDED_RULE in ignore:
        raise MalformedEvent(f"ruleParameters: Ignore {UNDECIDED_RULE}: a check that could not be made is never "
                             "COMPLIANT")
    if select is not None:
        select = [*select, UNDECIDED_RULE]      # its findings are how an unread link stays NON_COMPLIANT
    try:
        config = with_options(Config(), select=select, ignore=ignore)
    except ConfigError as exc:
        raise MalformedEvent(f"ruleParameters: {exc}") from None
    return judge(build_inventory(scope.data), Options(config=config), live_scopes={})


def _without_unjudged(config: Any, rule: RuleEvent, judged: list[Verdict], unused: set) -> tuple[list[Verdict], int]:
    """The verdicts to put: NOT_APPLICABLE for a pool or role no monitor uses only where this rule judged it
    before (to clear that verdict), which GetComplianceDetailsByResource tells at no charge. Every role of an
    account is in the rule's scope and most have nothing to do with RUM: putting NOT_APPLICABLE for each of
    their changes would be most of what the rule costs (docs/scale.md). When the question cannot be answered,
    the verdict is put. Returns the verdicts and how many were left out."""
    kept, skipped = [], 0
    for verdict in judged:
        if verdict.resource.key in unused and verdict.compliance == NOT_APPLICABLE and not _judged_before(
                config, rule, verdict):
            skipped += 1
            continue
        kept.append(verdict)
    return kept, skipped


def _judged_before(config: Any, rule: RuleEvent, verdict: Verdict) -> bool:
    """Whether this rule holds a verdict other than NOT_APPLICABLE for the resource (True when unknown)."""
    params: dict[str, Any] = {"ResourceType": verdict.resource.type, "ResourceId": verdict.resource.id,
                              "ComplianceTypes": [COMPLIANT, NON_COMPLIANT]}
    while True:
        try:
            page = call(config, "get_compliance_details_by_resource", **params)
        except CallFailed:
            return True
        for result in page.get("EvaluationResults") or []:
            qualifier = (result.get("EvaluationResultIdentifier") or {}).get("EvaluationResultQualifier") or {}
            if qualifier.get("ConfigRuleName") == rule.rule_name:
                return True
        if not page.get("NextToken"):
            return False
        params["NextToken"] = page["NextToken"]


def _ordering(rule: RuleEvent, item: ConfigItem | None) -> str:
    if item is not None and item.capture_time:
        return item.capture_time
    if rule.notification_time:
        return rule.notification_time
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def _put_evaluations(config: Any, rule: RuleEvent, judged: list[Verdict], ordering: str) -> int:
    """Send every verdict; returns the number of PutEvaluations calls."""
    from botocore.utils import parse_timestamp

    when = parse_timestamp(ordering)
    evaluations = []
    for verdict in judged:
        evaluation = {"ComplianceResourceType": verdict.resource.type, "ComplianceResourceId": verdict.resource.id,
                      "ComplianceType": verdict.compliance, "OrderingTimestamp": when}
        if verdict.annotation:
            evaluation["Annotation"] = verdict.annotation
        evaluations.append(evaluation)
    made = 0
    for start in range(0, len(evaluations), BATCH):
        batch = evaluations[start:start + BATCH]
        for attempt in range(RETRIES + 1):
            params: dict[str, Any] = {"Evaluations": batch, "ResultToken": rule.result_token}
            if rule.test_mode:
                params["TestMode"] = True
            answer = call(config, "put_evaluations", **params)
            made += 1
            failed = answer.get("FailedEvaluations") or []
            if not failed:
                break
            if attempt == RETRIES:
                raise RuleError(f"Config did not accept {len(failed)} evaluations after {RETRIES + 1} attempts (first: "
                                f"{failed[0].get('ComplianceResourceType')} {failed[0].get('ComplianceResourceId')})")
            time.sleep(BACKOFF * 2 ** attempt)
            refused = {(e.get("ComplianceResourceType"), e.get("ComplianceResourceId")) for e in failed}
            batch = [e for e in batch if (e["ComplianceResourceType"], e["ComplianceResourceId"]) in refused]
    return made


def _export(clients: Clients, access: Access, region: str, report: Any, judged: list[Verdict]) -> dict:
    """Synchronize the findings of the resources evaluated with Security Hub, region by region."""
    from rumpolicy.security_hub import archive_blocker, asff_findings, sync

    findings = asff_findings(report, account=access.account, region=region)
    held_back = archive_blocker(report)
    arns_by_region: dict[str, set[str]] = {}
    for verdict in judged:
        arns_by_region.setdefault(verdict.resource.region or region, set()).add(verdict.resource.arn)
    exported = {}
    for where, arns in sorted(arns_by_region.items()):
        mine = [f for f in findings if f.get("Region") == where and (f.get("Resources") or [{}])[0].get("Id") in arns]
        result = sync(clients.client(access, "securityhub", where), mine, account=access.account, region=where,
                      partition=access.partition, resources=arns, archive=held_back is None)
        if result.failed:
            raise RuleError(f"Security Hub refused {len(result.failed)} findings in {where}: "
                            f"{result.failed[0].get('ErrorMessage') or result.failed[0].get('ErrorCode')}")
        exported[where] = {"imported": result.imported, "archived": result.archived}
        if held_back is not None:
            exported[where]["not_archived"] = held_back
    return exported


def _by_type(judged: list[Verdict]) -> dict[str, dict[str, int]]:
    counts: dict[str, Counter] = {}
    for verdict in judged:
        counts.setdefault(verdict.resource.type, Counter())[verdict.compliance] += 1
    return {kind: dict(sorted(c.items())) for kind, c in sorted(counts.items())}
