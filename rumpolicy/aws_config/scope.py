"""What the AWS Config rule reads for one invocation: the chains around the resource that changed.

Read-only, through the audit's readers (``rumpolicy.load.live_read``), so that the model and the
rules are exactly the audit's. Per trigger:

* **app monitor** (``resourceName`` = its name, in ``awsRegion``): that monitor and its resource
  policy (``read_monitors``: no listing), its pool, the pool's roles and its guest role. A deleted
  monitor's pool and roles, named by its last recorded item (``GetResourceConfigHistory``), are
  judged again as their own changes would be (``_read_former_links``): their verdicts spoke of a
  chain that is gone;
* **identity pool** (``resourceId`` = the pool id, whose prefix is its region): every monitor of
  that region (``ListAppMonitors`` + ``GetAppMonitor``), keeping those that name the pool, and
  their chains. None: the pool is NOT_APPLICABLE;
* **IAM role** (``resourceId`` = RoleId, ``resourceName`` = its name, region ``global``): the role
  itself, then, in the regions of the pools its trust policy names in
  ``cognito-identity.amazonaws.com:aud`` (the live policy's and the recorded item's) and the
  function's own region, every monitor whose ``GuestRoleArn`` is the role or whose pool's
  unauthenticated role is (so each of those monitors' pools is read). A monitor whose pool the
  broken trust no longer names is still found when it is in the function's region; in another
  region the periodic evaluation there finds it. No monitor: the role is NOT_APPLICABLE;
* **scheduled**: every monitor of the function's region and their chains.

Every trigger that reads a monitor also reads the service control policies above the account
(``OrgReader``, as the audit does) so that no rule is silently skipped. What cannot be read is a gap, which the model
turns into RUM-SRC-001 (never a pass). A resource that was deleted, or left the rule's scope, is
NOT_APPLICABLE; the monitors of a deleted pool or role are still read and judged, since their
chain is now broken. A pool or role no monitor uses is NOT_APPLICABLE too (``Scope.unused``).
"""

from __future__ import annotations

from dataclasses import field
from typing import Any

from rumpolicy.aws import UNAUTHENTICATED
from rumpolicy.aws_config.events import MONITOR, POOL, ROLE, ConfigItem, RuleEvent, aud_pool_ids
from rumpolicy.load.live_data import AccountData, RegionData, RoleData, pool_region
from rumpolicy.load.live_read import AccountReader, OrgReader
from rumpolicy.records import record

Key = tuple[str, str]           # (Config resource type, Config resource id)


@record
class Scope:
    """What one invocation read, and the verdicts settled before any rule ran."""

    data: AccountData
    function_region: str
    not_applicable: dict[Key, str]          # resource -> why the rule does not apply (the annotation)
    not_checked: dict[Key, str]             # resource -> why it could not be judged (NON_COMPLIANT)
    role_ids: dict[str, str]                # role ARN -> RoleId, for every role read
    regions: list[str]                      # the regions whose monitors were read
    # Of ``not_applicable``, the pools and roles no monitor uses: most IAM roles of an account. Their verdict is
    # put only where the rule judged them before (``rumpolicy.aws_config.run``): each evaluation is billed.
    unused: set[Key] = field(default_factory=set)


def read_scope(event: RuleEvent, item: ConfigItem | None, reader: AccountReader, org: OrgReader,
               function_region: str, former: ConfigItem | None = None) -> Scope:
    """Read the chains the invocation concerns (see the module docstring). ``former``: a deleted monitor's last
    recorded configuration item (GetResourceConfigHistory), which names the pool and role it used."""
    scope = Scope(AccountData(reader.account, reader.partition), function_region, {}, {}, {}, [])
    if item is not None:
        key = (item.resource_type, item.resource_id)
        if event.left_scope:
            scope.not_applicable[key] = "the resource is no longer in the rule's scope"
            return scope
        if item.deleted:
            scope.not_applicable[key] = f"the resource is gone ({item.status})"
    if item is None:
        _read_region(scope, reader, function_region)
    elif item.resource_type == MONITOR:
        if not item.deleted:
            _read_monitor(scope, reader, item)
        elif former is not None:
            _read_former_links(scope, reader, item, former)
    elif item.resource_type == POOL:
        _read_pool_users(scope, reader, item)
    elif item.resource_type == ROLE:
        _read_role_users(scope, reader, item)
    if scope.regions:
        _read_chains(scope, reader)
        # The SCPs matter only to a chain: a region without monitors (most of an organization's) costs one call.
        if any(data.monitors or data.unread_monitors for data in scope.data.regions):
            scope.data.org = org.read(reader.account)
    return scope


def _read_region(scope: Scope, reader: AccountReader, region: str, keep: Any = None) -> RegionData:
    data = reader.read_region(region, keep=keep)
    scope.data.regions.append(data)
    scope.regions.append(region)
    return data


def _read_monitor(scope: Scope, reader: AccountReader, item: ConfigItem) -> None:
    name = item.resource_name or item.resource_id
    region = item.region or scope.function_region
    data = reader.read_monitors(region, [name])
    scope.data.regions.append(data)
    scope.regions.append(region)
    if name in data.gone:
        scope.not_applicable[(MONITOR, name)] = f"app monitor {name} no longer exists (rum:GetAppMonitor: not found)"


def _read_former_links(scope: Scope, reader: AccountReader, item: ConfigItem, former: ConfigItem) -> None:
    """A deleted monitor's pool and guest role: judged again, since their verdicts spoke of a chain now gone.

    Each is read as its own change would read it: the pool in its region, the roles in the regions of their
    trust's pools and the monitor's; what a remaining monitor uses is judged in its chain, the rest is
    NOT_APPLICABLE (put where the rule judged it before, as for any unused pool or role).
    """
    recorded = (former.configuration or {}).get("AppMonitorConfiguration")
    recorded = recorded if isinstance(recorded, dict) else {}
    pool_id = recorded.get("IdentityPoolId") if isinstance(recorded.get("IdentityPoolId"), str) else None
    arns = [recorded["GuestRoleArn"]] if isinstance(recorded.get("GuestRoleArn"), str) else []
    if pool_id is not None and pool_region(pool_id) is not None:
        unauthenticated = ((reader.read_pool(pool_id).roles or {}).get("Roles") or {}).get(UNAUTHENTICATED)
        if isinstance(unauthenticated, str):
            arns.append(unauthenticated)
    arns = list(dict.fromkeys(arns))
    roles = reader.read_roles(arns) if arns else RoleData()
    scope.data.roles = roles
    role_keys = {arn: (ROLE, roles.records[arn].detail["RoleId"]) for arn in arns
                 if arn in roles.records and isinstance(roles.records[arn].detail.get("RoleId"), str)}
    trust_pools = [p for arn in role_keys for p in aud_pool_ids(roles.records[arn].detail.get("AssumeRolePolicyDocument"))]
    regions = list(dict.fromkeys([r for r in map(pool_region, [pool_id or "", *trust_pools]) if r]
                                 + [item.region or scope.function_region]))

    def links(response: dict) -> set:
        config = _config(response)
        found = set()
        if pool_id is not None and config.get("IdentityPoolId") == pool_id:
            found.add((POOL, pool_id))
        monitor_pool = config.get("IdentityPoolId")
        roles_of_pool = {}
        if isinstance(monitor_pool, str) and pool_region(monitor_pool) is not None:
            roles_of_pool = (reader.read_pool(monitor_pool).roles or {}).get("Roles") or {}
        for arn, key in role_keys.items():
            if config.get("GuestRoleArn") == arn or roles_of_pool.get(UNAUTHENTICATED) == arn:
                found.add(key)
        return found

    used: set = set()
    read = [_read_region(scope, reader, region, keep=lambda response: bool(links(response))) for region in regions]
    for data in read:
        for response in data.monitors:
            used |= links(response)
    gone = f"app monitor {item.resource_name or item.resource_id} was deleted"
    candidates = ([(POOL, pool_id)] if pool_id is not None else []) + list(role_keys.values())
    for key in candidates:
        if key in used or _unsettled(scope, key, read):
            continue
        what = "identity pool" if key[0] == POOL else "role"
        _unused(scope, key, f"no app monitor in {', '.join(regions)} uses this {what} ({gone})")


def _read_pool_users(scope: Scope, reader: AccountReader, item: ConfigItem) -> None:
    pool_id = item.resource_id
    region = pool_region(pool_id) or item.region or scope.function_region
    data = _read_region(scope, reader, region, keep=lambda response: _config(response).get("IdentityPoolId") == pool_id)
    if data.monitors or _unsettled(scope, (POOL, pool_id), [data]):
        return
    _unused(scope, (POOL, pool_id), f"no app monitor in {region} uses this identity pool")


def _read_role_users(scope: Scope, reader: AccountReader, item: ConfigItem) -> None:
    arn = item.arn or f"arn:{reader.partition}:iam::{reader.account}:role/{item.resource_name or item.resource_id}"
    pool_ids = item.trust_pool_ids()
    if not item.deleted:
        scope.data.roles = reader.read_roles([arn])
        role_record = scope.data.roles.records.get(arn)
        if role_record is not None:
            pool_ids += aud_pool_ids(role_record.detail.get("AssumeRolePolicyDocument"))
        elif arn in scope.data.roles.unread:
            why = scope.data.roles.unread[arn]
            if why.startswith("it does not exist"):
                scope.not_applicable[(ROLE, item.resource_id)] = f"the role no longer exists ({why})"
            else:
                scope.not_checked[(ROLE, item.resource_id)] = f"the role could not be read ({why})"
    regions = list(dict.fromkeys([r for r in map(pool_region, pool_ids) if r] + [scope.function_region]))

    def uses_role(response: dict) -> bool:
        config = _config(response)
        if config.get("GuestRoleArn") == arn:
            return True
        pool_id = config.get("IdentityPoolId")
        if not isinstance(pool_id, str) or pool_region(pool_id) is None:
            return False
        roles = reader.read_pool(pool_id).roles or {}
        return (roles.get("Roles") or {}).get(UNAUTHENTICATED) == arn

    read = [_read_region(scope, reader, region, keep=uses_role) for region in regions]
    key = (ROLE, item.resource_id)
    if any(data.monitors for data in read) or _unsettled(scope, key, read):
        return
    _unused(scope, key, f"no app monitor in {', '.join(regions)} uses this role")


def _unused(scope: Scope, key: Key, reason: str) -> None:
    """No monitor uses the resource: NOT_APPLICABLE, unless it is already settled so (deleted, out of scope)."""
    if key not in scope.not_applicable:
        scope.not_applicable[key] = reason
        scope.unused.add(key)


def _unsettled(scope: Scope, key: Key, read: list[RegionData]) -> bool:
    """Whether a region whose monitors could not all be read leaves ``key`` undecided (noted in ``not_checked``)."""
    for data in read:
        why = data.unlisted or next(iter(data.unread_monitors.values()), None)
        if why is not None and key not in scope.not_applicable:
            scope.not_checked.setdefault(key, f"the app monitors of {data.region} could not all be read ({why})")
            return True
    return False


def _read_chains(scope: Scope, reader: AccountReader) -> None:
    """The pools of the monitors read, their roles and the monitors' guest roles (a role read already is kept)."""
    data = scope.data
    for region in data.regions:
        for pool_id in region.pool_ids:
            data.pools[pool_id] = reader.read_pool(pool_id)
    have = set(data.roles.records) | set(data.roles.unread)
    missing = [arn for arn in data.role_arns() if arn not in have]
    if missing:
        more = reader.read_roles(missing)
        data.roles = RoleData({**data.roles.records, **more.records}, {**data.roles.unread, **more.unread},
                              {**data.roles.managed, **more.managed}, data.roles.gaps + more.gaps)
    for arn, role in data.roles.records.items():
        if isinstance(role.detail.get("RoleId"), str):
            scope.role_ids[arn] = role.detail["RoleId"]


def _config(response: dict) -> dict:
    return (response.get("AppMonitor") or {}).get("AppMonitorConfiguration") or {}
