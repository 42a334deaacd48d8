"""What an audit read of one account (``rumpolicy.load.live``): the responses as they came, and the gaps.

``live_read`` fills these records in through boto3; ``live_build`` turns them into the model. They
hold AWS's answers unchanged (``RegionData.monitors`` are ``GetAppMonitor`` responses) and, for what
could not be read, a ``Gap`` saying which call failed and why. ``cut`` and the ``unread_*``
functions make the records of reads the audit's ``--deadline`` stopped waiting for.
"""

from __future__ import annotations

from dataclasses import field
from typing import Iterable

from rumpolicy.aws import POOL_ID, UNAUTHENTICATED
from rumpolicy.records import record, value_type

# The code of a call the audit's --deadline did not let through (rumpolicy.audit.deadline), and how its reason starts.
DEADLINE_REACHED = "DeadlineReached"
DEADLINE_REASON = "deadline reached"


def region_scope(account: str, region: str) -> str:
    return f"aws://{account}/{region}"


def account_scope(account: str) -> str:
    return f"aws://{account}"


def pool_region(pool_id: str) -> str | None:
    """The region of a well-formed identity pool id (its prefix), None for any other string."""
    match = POOL_ID.match(pool_id)
    return match.group("region") if match else None


@value_type(slots=False)
class Gap:
    """Something the audit could not read, and why."""

    scope: str          # aws://ACCOUNT/REGION or aws://ACCOUNT
    call: str           # "rum:GetResourcePolicy"
    target: str         # what the call was about: "app monitor web", "role arn:aws:iam::..."
    reason: str         # "AccessDeniedException: User ... is not authorized ..."

    @property
    def unmade(self) -> bool:
        """The call was not made, or not answered in time: the deadline passed first."""
        return self.reason.startswith(DEADLINE_REASON)


@record
class RegionData:
    account: str
    region: str
    unlisted: str | None = None                      # why ListAppMonitors failed (nothing checked here)
    listed: list[str] | None = None                  # the names ListAppMonitors gave, once it has
    gone: list[str] = field(default_factory=list)    # listed, then not found: deleted since
    monitors: list[dict] = field(default_factory=list)            # GetAppMonitor responses
    unread_monitors: dict[str, str] = field(default_factory=dict)   # name -> why GetAppMonitor failed
    policies: dict[str, str | None] = field(default_factory=dict)   # name -> PolicyDocument (None: no policy)
    unread_policies: dict[str, str] = field(default_factory=dict)   # name -> why it could not be read
    pool_ids: list[str] = field(default_factory=list)                # pools the monitors name
    gaps: list[Gap] = field(default_factory=list)

    def cut(self, reason: str) -> RegionData:
        """A copy of what was read so far, the rest marked not read for ``reason``.

        For a read the audit stopped waiting for: its thread may still add to this object, so
        the copy is taken container by container (each copy is atomic under the GIL), and what
        was added in between is made consistent here.
        """
        scope = region_scope(self.account, self.region)
        if self.listed is None:
            return unlisted_region(self.account, self.region, "rum:ListAppMonitors", reason)
        cut = RegionData(self.account, self.region, listed=list(self.listed), gone=list(self.gone),
                         monitors=list(self.monitors), unread_monitors=dict(self.unread_monitors),
                         policies=dict(self.policies), unread_policies=dict(self.unread_policies),
                         gaps=list(self.gaps))
        read = {response["AppMonitor"].get("Name") for response in cut.monitors}
        for name in cut.listed:
            if name not in read and name not in cut.unread_monitors and name not in cut.gone:
                cut.unread_monitors[name] = reason
                cut.gaps.append(Gap(scope, "rum:GetAppMonitor", f"app monitor {name}", reason))
        for response in cut.monitors:
            cut.add_pool_id(response)
        return cut

    def add_pool_id(self, response: dict) -> None:
        """Note the pool a ``GetAppMonitor`` response names, once, if its id is well formed."""
        config = response.get("AppMonitor", {}).get("AppMonitorConfiguration") or {}
        pool_id = config.get("IdentityPoolId")
        if isinstance(pool_id, str) and pool_region(pool_id) and pool_id not in self.pool_ids:
            self.pool_ids.append(pool_id)


@record
class PoolData:
    pool_id: str
    region: str
    description: dict | None = None                  # DescribeIdentityPool
    description_error: str | None = None
    missing: bool = False                            # ResourceNotFoundException: the pool does not exist
    roles: dict | None = None                        # GetIdentityPoolRoles
    roles_error: str | None = None
    gaps: list[Gap] = field(default_factory=list)


@value_type(slots=False)
class UnreadPart:
    """A part of a role that could not be read: its permissions stay undecided, never "none"."""

    pointer: str        # where in the role it belongs ("/RolePolicyList/1")
    label: str          # "inline policy web-put"
    reason: str


@record
class RoleRecord:
    detail: dict                                     # shaped like a GetAccountAuthorizationDetails RoleDetail
    unread: list[UnreadPart] = field(default_factory=list)


@record
class ManagedRecord:
    arn: str
    policy: dict | None = None                       # GetPolicy's Policy
    version: dict | None = None                      # GetPolicyVersion's PolicyVersion (the default one)
    error: str | None = None
    missing: bool = False                            # NoSuchEntity: there is no such policy
    failed_call: str | None = None


@record
class RoleData:
    records: dict[str, RoleRecord] = field(default_factory=dict)    # role ARN -> the role
    unread: dict[str, str] = field(default_factory=dict)            # role ARN -> why it was not read
    managed: dict[str, ManagedRecord] = field(default_factory=dict)  # policy ARN -> the policy
    gaps: list[Gap] = field(default_factory=list)

    def cut(self, account: str, arns: Iterable[str], reason: str) -> RoleData:
        """A copy of what was read so far of the roles ``arns``, the rest marked not read (see ``RegionData.cut``)."""
        scope = account_scope(account)
        cut = RoleData(dict(self.records), dict(self.unread), dict(self.managed), list(self.gaps))
        for arn in sorted(set(arns)):
            if arn not in cut.records and arn not in cut.unread:
                cut.unread[arn] = reason
                cut.gaps.append(Gap(scope, "iam:GetRole", f"role {arn}", reason))
        for policy_arn in managed_arns(cut.records.values()):
            if policy_arn not in cut.managed:
                cut.managed[policy_arn] = ManagedRecord(policy_arn, error=reason, failed_call="iam:GetPolicy")
                cut.gaps.append(Gap(scope, "iam:GetPolicy", f"managed policy {policy_arn}", reason))
        return cut


def managed_arns(records: Iterable[RoleRecord]) -> list[str]:
    """The managed policies the roles attach or have as permissions boundary."""
    arns = []
    for record in records:
        arns.append((record.detail.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn"))
        arns += [p.get("PolicyArn") for p in record.detail.get("AttachedManagedPolicies") or ()]
    return sorted({a for a in arns if isinstance(a, str)})


@record
class ScpLevelData:
    target_id: str
    target_type: str
    policies: list[tuple[dict, str | None]]          # (PolicySummary, Content JSON string or None)


@record
class OrgData:
    applies: bool = True
    why_not: str | None = None                       # why no SCP binds the account
    levels: list[ScpLevelData] | None = None         # root first, the account last
    unreadable: str | None = None
    gaps: list[Gap] = field(default_factory=list)


@record
class AccountData:
    """Everything read about one account."""

    account: str
    partition: str
    regions: list[RegionData] = field(default_factory=list)
    pools: dict[str, PoolData] = field(default_factory=dict)
    roles: RoleData = field(default_factory=RoleData)
    org: OrgData | None = None

    def role_arns(self) -> list[str]:
        """The roles the monitors need: their GuestRoleArn and their pools' unauthenticated roles."""
        arns: list[str] = []
        for region in self.regions:
            for response in region.monitors:
                config = response.get("AppMonitor", {}).get("AppMonitorConfiguration") or {}
                if isinstance(config.get("GuestRoleArn"), str):
                    arns.append(config["GuestRoleArn"])
        for pool in self.pools.values():
            role = ((pool.roles or {}).get("Roles") or {}).get(UNAUTHENTICATED)
            if isinstance(role, str):
                arns.append(role)
        return sorted(set(arns))


# --- what the deadline left unread ---------------------------------------------------------------------

def unlisted_region(account: str, region: str, operation: str, reason: str) -> RegionData:
    """A region whose app monitors could not be listed: nothing in it is checked."""
    data = RegionData(account, region, unlisted=reason)
    data.gaps.append(Gap(region_scope(account, region), operation, f"the app monitors of {region}", reason))
    return data


def unread_pool(account: str, pool_id: str, reason: str) -> PoolData:
    """An identity pool that was not read: the checks of its monitors that need it stay undecided."""
    region = pool_region(pool_id) or ""
    return PoolData(pool_id, region, description_error=reason, gaps=[
        Gap(region_scope(account, region), "cognito-identity:DescribeIdentityPool", f"identity pool {pool_id}", reason)])


def unread_org(account: str, reason: str) -> OrgData:
    """An account whose service control policies were not read."""
    return OrgData(unreadable=reason, gaps=[Gap(account_scope(account), "organizations:DescribeOrganization",
                                                 f"the organization of account {account}", reason)])

