"""From a report to AWS Config evaluations: one verdict per resource read, never a false pass.

Resources are named as Config records them: an app monitor by its name, an identity pool by its
id, an IAM role by its RoleId. Findings are matched to them by subject (the monitor's ARN, the pool
id, the role's ARN); a finding on an account or region scope (``aws://A``, ``aws://A/R``: a region
that could not be listed, the organization's policies) counts for every resource of that scope.

A resource is

* **NOT_APPLICABLE** when the scope settled so (deleted, out of scope, used by no monitor);
* **NON_COMPLIANT** when an active finding on it is at or above ``FailOn``, or is RUM-SRC-001 /
  RUM-SRC-003 (the check was not made: "not checked" is never COMPLIANT), or when the scope could
  not read what it needs; a monitor also when its pool or guest role is, its annotation naming
  the rule ids and that resource;
* **COMPLIANT** otherwise.

The annotation leads with the rule ids, then the first message (``RUM-TRUST-002 on role web-guest:
...``), and is cut to ``ANNOTATION_LIMIT`` characters (``PutEvaluations``' limit), ending in ``…``.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Iterable

from rumpolicy.aws import UNAUTHENTICATED
from rumpolicy.aws_config.events import MONITOR, POOL, ROLE
from rumpolicy.aws_config.scope import Key, Scope
from rumpolicy.findings import Finding, Severity
from rumpolicy.load.live_data import account_scope, region_scope
from rumpolicy.model.arns import identity_pool_arn, monitor_arn
from rumpolicy.records import value_type
from rumpolicy.report.asff import cut as cut_text

ANNOTATION_LIMIT = 256
UNDECIDED = frozenset({"RUM-SRC-001", "RUM-SRC-003"})
COMPLIANT, NON_COMPLIANT, NOT_APPLICABLE = "COMPLIANT", "NON_COMPLIANT", "NOT_APPLICABLE"


@value_type(slots=False)
class Resource:
    """One resource of the invocation, as Config names it and as the findings name it."""

    type: str
    id: str
    subject: str            # what findings about it carry as subject
    arn: str                # for Security Hub
    region: str             # where its findings are exported ("" for IAM: the function's region)
    label: str              # how an annotation names it

    @property
    def key(self) -> Key:
        return (self.type, self.id)


@value_type(slots=False)
class Verdict:
    resource: Resource
    compliance: str
    annotation: str | None


def resources(scope: Scope) -> tuple[list[Resource], dict[Key, list[Key]]]:
    """Every resource the invocation read, and each monitor's chain (the pool and roles it depends on)."""
    data, partition, account = scope.data, scope.data.partition, scope.data.account
    found: dict[Key, Resource] = {}
    chains: dict[Key, list[Key]] = {}

    def add(resource: Resource) -> Key:
        found.setdefault(resource.key, resource)
        return resource.key

    def role(arn: str) -> Key | None:
        role_id = scope.role_ids.get(arn)
        if role_id is None:
            return None     # not read: the monitor's own RUM-SRC-001 says so
        return add(Resource(ROLE, role_id, arn, arn, "", f"role {arn.rsplit('/', 1)[-1]}"))

    for region in data.regions:
        names = [(r.get("AppMonitor") or {}).get("Name") for r in region.monitors]
        configs = {n: (r.get("AppMonitor") or {}).get("AppMonitorConfiguration") or {}
                   for n, r in zip(names, region.monitors)}
        for name in [n for n in names if isinstance(n, str)] + list(region.unread_monitors):
            arn = monitor_arn(partition, region.region, account, name)
            key = add(Resource(MONITOR, name, arn, arn, region.region, f"app monitor {name}"))
            chain: list[Key] = []
            config = configs.get(name, {})
            pool_id = config.get("IdentityPoolId")
            pool = data.pools.get(pool_id) if isinstance(pool_id, str) else None
            if pool is not None:
                chain.append(add(_pool(pool_id, pool.region, partition, account)))
                unauthenticated = ((pool.roles or {}).get("Roles") or {}).get(UNAUTHENTICATED)
                if isinstance(unauthenticated, str):
                    chain.append(role(unauthenticated))
            if isinstance(config.get("GuestRoleArn"), str):
                chain.append(role(config["GuestRoleArn"]))
            chains[key] = list(dict.fromkeys(k for k in chain if k is not None))
    for arn, role_id in scope.role_ids.items():
        role(arn)
    for key in list(scope.not_applicable) + list(scope.not_checked):
        if key not in found:
            found[key] = _named(key, scope)
    return list(found.values()), chains


def _pool(pool_id: str, region: str, partition: str, account: str) -> Resource:
    return Resource(POOL, pool_id, pool_id, identity_pool_arn(partition, region, account, pool_id), region,
                    f"identity pool {pool_id}")


def _named(key: Key, scope: Scope) -> Resource:
    """A resource known only by the event's identity (deleted, left the scope, or not readable)."""
    kind, resource_id = key
    partition, account = scope.data.partition, scope.data.account
    if kind == POOL:
        region = resource_id.split(":", 1)[0] if ":" in resource_id else scope.function_region
        return _pool(resource_id, region, partition, account)
    if kind == MONITOR:
        arn = monitor_arn(partition, scope.function_region, account, resource_id)
        return Resource(MONITOR, resource_id, arn, arn, scope.function_region, f"app monitor {resource_id}")
    arn = next((a for a, i in scope.role_ids.items() if i == resource_id), resource_id)
    return Resource(ROLE, resource_id, arn, arn, "", f"role {resource_id}")


def verdicts(scope: Scope, findings: Iterable[Finding], fail_on: str) -> list[Verdict]:
    """The verdict on every resource of ``scope`` (see the module docstring)."""
    threshold = Severity(fail_on).rank
    listed, chains = resources(scope)
    by_subject: dict[str, list[Finding]] = defaultdict(list)
    for finding in findings:
        if finding.rule_id in UNDECIDED or finding.severity.rank >= threshold:
            by_subject[finding.subject].append(finding)
    account = scope.data.account

    def against(resource: Resource) -> list[Finding]:
        scopes = [resource.subject, account_scope(account), account]
        if resource.region:
            scopes.append(region_scope(account, resource.region))
        return _ordered(f for subject in dict.fromkeys(scopes) for f in by_subject.get(subject, ()))

    own = {resource.key: against(resource) for resource in listed}
    labels = {resource.key: resource.label for resource in listed}
    out = []
    for resource in listed:
        key = resource.key
        if key in scope.not_applicable:
            out.append(Verdict(resource, NOT_APPLICABLE, cut(scope.not_applicable[key])))
            continue
        linked = [(labels[k], own[k]) for k in chains.get(key, ()) if own.get(k) and k not in scope.not_applicable]
        if key in scope.not_checked and not own[key]:
            out.append(Verdict(resource, NON_COMPLIANT, cut(f"not checked: {scope.not_checked[key]}")))
        elif own[key] or linked:
            out.append(Verdict(resource, NON_COMPLIANT, annotation(own[key], linked)))
        else:
            out.append(Verdict(resource, COMPLIANT, None))
    return out


def _ordered(findings: Iterable[Finding]) -> list[Finding]:
    """Failing findings first (most severe first), then the undecided ones; each group by rule id."""
    return sorted(findings, key=lambda f: (f.rule_id in UNDECIDED, -f.severity.rank, f.rule_id))


def annotation(own: list[Finding], linked: list[tuple[str, list[Finding]]]) -> str:
    """``RUM-MON-002; RUM-TRUST-002 on role web-guest: <first message>``, ``not checked: ...`` when nothing
    failed but a check could not be made."""
    parts = []
    if own:
        parts.append(", ".join(dict.fromkeys(f.rule_id for f in own)))
    for label, found in linked:
        parts.append(f"{', '.join(dict.fromkeys(f.rule_id for f in found))} on {label}")
    every = own + [f for _, found in linked for f in found]
    first = _ordered(every)[0]
    prefix = "not checked: " if all(f.rule_id in UNDECIDED for f in every) else ""
    return cut(f"{prefix}{'; '.join(parts)}: {first.message}")


def cut(text: str, limit: int = ANNOTATION_LIMIT) -> str:
    """``text`` in at most ``limit`` characters (code points, as Config counts them), ending in ``…`` if cut:
    the ASFF report's cut, at PutEvaluations' limit."""
    return cut_text(text, limit)
