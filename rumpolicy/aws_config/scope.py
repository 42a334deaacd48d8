"""What the AWS Config rule reads for one invocation: the chains around the resource that changed.

Read-only, through the audit's readers (``rumpolicy.load.live_read``), so that the model and the
rules are exactly the audit's. Per trigger:

* **app monitor** (``resourceName`` = its name, in ``awsRegion``): that monitor and its resource
  policy (``read_monitors``: no listing), its pool, the pool's roles and its guest role;
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

Every trigger that reads a monitor also reads the service control policies above the account (``OrgReader``, as the
audit does) so that no rule is silently skipped. What cannot be read is a gap, which the model
turns into RUM-SRC-001 (never a pass). A resource that was deleted, or left the rule's scope, is
NOT_APPLICABLE; the monitors of a deleted pool or role are still read and judged, since their
chain is now broken.
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
               function_region: str) -> Scope:
    """Read the chains the invocation concerns (see the module docstring)."""
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
