"""One audit run: who is calling, which accounts and regions, reading them concurrently, and coverage.

The work is a set of small tasks on a thread pool (``--jobs``), scheduled from the main thread so
that no task ever waits for another (no deadlock, whatever the pool size):

1. per member account (``--org``): ``sts:AssumeRole`` into it;
2. per (account, region): the app monitors, their resource policies and the pools they name;
3. per account, once all its regions are read: the roles its monitors need, with their policies;
   and the service control policies above it.

Each account's responses are then built into a linked inventory (``rumpolicy.load.live``) in the
main thread. Whatever could not be read is in the coverage (one entry per account, one per
account and region) and, for the resources concerned, in undecided checks (RUM-SRC-001).
"""

from __future__ import annotations

from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Any, Callable

from rumpolicy.audit.progress import Progress
from rumpolicy.findings import Location
from rumpolicy.load.live import (AccountData, AccountReader, CallFailed, Gap, Once, OrgReader, RegionData,
                                 account_scope, build_inventory, call, pages, region_scope)
from rumpolicy.model.inputs import UndecidedCheck
from rumpolicy.model.resources import Inventory
from rumpolicy.report import CoverageEntry

CHECKED, PARTIAL, NOT_CHECKED = "checked", "partial", "not_checked"
# Where the global services are called when nothing else names a region.
DEFAULT_HOME = "us-east-1"
REASON_EXAMPLES = 3       # targets named per failing call in a coverage reason


@dataclass(frozen=True)
class AuditOptions:
    profile: str | None = None
    regions: tuple[str, ...] = ()
    all_regions: bool = False
    org: bool = False
    role_name: str | None = None
    accounts: tuple[str, ...] = ()              # --accounts: only these members
    exclude_accounts: tuple[str, ...] = ()
    external_id: str | None = None
    jobs: int = 8
    retry_mode: str = "standard"
    max_attempts: int = 8


@dataclass
class AuditResult:
    inventory: Inventory
    coverage: tuple[CoverageEntry, ...]
    caller: str                                 # the ARN the audit ran as
    regions: tuple[str, ...]
    regions_read: int                           # (account, region) pairs whose app monitors could be listed

    @property
    def checked_anything(self) -> bool:
        return self.regions_read > 0

    @property
    def scopes_read(self) -> dict[str, bool]:
        """Every account and region scope of the coverage, and whether it was read completely.

        Suppressions are judged by it (``rumpolicy.suppress.config_suppressions``): one that covers
        a scope read only in part may have had something to suppress in what was not read.
        """
        return {entry.scope: entry.status == CHECKED for entry in self.coverage}


class AuditError(Exception):
    """The audit cannot start: no credentials, an unknown profile, an organization that cannot be listed."""


@dataclass
class _Account:
    id: str
    data: AccountData
    access: Any = None
    failure: str | None = None                  # why nothing in the account could be read
    regions_left: int = 0
    parts_left: int = 2                         # roles and SCPs


def run_audit(options: AuditOptions, progress: Progress) -> AuditResult:
    from botocore.exceptions import BotoCoreError

    from rumpolicy.audit.sessions import Access, Clients, base_session

    try:
        session = base_session(options.profile)
        credentials = session.get_credentials()
    except BotoCoreError as exc:
        raise AuditError(str(exc)) from exc
    if credentials is None:
        raise AuditError("no AWS credentials found: use --profile, the AWS_* environment variables, "
                         "`aws sso login`, or an instance role")
    clients = Clients(options.profile, options.retry_mode, options.max_attempts)
    home = session.region_name or (options.regions[0] if options.regions else DEFAULT_HOME)
    caller = Access("caller", "aws", credentials)
    try:
        identity = call(clients.client(caller, "sts", home), "get_caller_identity")
    except CallFailed as exc:
        raise AuditError(f"the credentials do not work ({exc.call}: {exc.reason})") from exc
    partition = identity["Arn"].split(":")[1]
    base = Access(identity["Account"], partition, credentials)
    regions = _regions(options, session, partition)
    cache = Once()
    run = _Run(options, clients, base, home, regions, cache, progress)
    if options.org:
        members, skipped = _members(options, clients, base, home)
    else:
        members, skipped = [base.account], {}
    with ThreadPoolExecutor(max_workers=options.jobs, thread_name_prefix="rumpolicy-audit") as executor:
        run.executor = executor
        for account in members:
            run.start(account)
        run.loop()
    progress.close()
    inventory = Inventory()
    coverage: list[CoverageEntry] = []
    for account, reason in skipped.items():
        coverage.append(CoverageEntry(account_scope(account), NOT_CHECKED, 0, reason))
        inventory.undecided.append(_account_undecided(account, reason))
    for account in sorted(run.accounts):
        state = run.accounts[account]
        _in_stable_order(state.data, regions)
        coverage.extend(_coverage(state, regions))
        if state.failure is not None:
            inventory.undecided.append(_account_undecided(account, state.failure))
            continue
        inventory.extend(build_inventory(state.data))
    regions_read = sum(1 for state in run.accounts.values() if state.failure is None
                       for read in state.data.regions if read.unlisted is None)
    return AuditResult(inventory, tuple(coverage), identity["Arn"], regions, regions_read)


def _in_stable_order(data: AccountData, regions: tuple[str, ...]) -> None:
    """Put what was read in an order that depends on nothing but the account's contents.

    Threads finish in any order and APIs promise no order for their lists, while messages that name
    several monitors follow the model's order, and baselines fingerprint messages: two audits of an
    unchanged account must report the same messages.
    """
    data.regions.sort(key=lambda r: regions.index(r.region))
    for read in data.regions:
        read.monitors.sort(key=lambda response: str((response.get("AppMonitor") or {}).get("Name")))
        read.pool_ids.sort()
    data.pools = dict(sorted(data.pools.items()))


def _regions(options: AuditOptions, session: Any, partition: str) -> tuple[str, ...]:
    if options.regions:
        return tuple(dict.fromkeys(options.regions))
    if options.all_regions:
        available = session.get_available_regions("rum", partition_name=partition)
        if not available:
            raise AuditError(f"botocore knows no CloudWatch RUM region in partition {partition}")
        return tuple(available)
    if session.region_name:
        return (session.region_name,)
    raise AuditError("no region: pass --region REGION (repeatable) or --all-regions, or configure a default region")


def _members(options: AuditOptions, clients: Any, base: Any, home: str) -> tuple[list[str], dict[str, str]]:
    """The member accounts to audit, and the named ones that cannot be (with the reason)."""
    try:
        listed = pages(clients.client(base, "organizations", home), "list_accounts", "Accounts")
    except CallFailed as exc:
        raise AuditError(f"--org: the organization's accounts could not be listed ({exc.call}: {exc.reason}); "
                         "run from the management account or a delegated administrator") from exc
    if not listed:
        raise AuditError("--org: the organization lists no accounts (is the caller in an organization?)")
    status = {a["Id"]: a.get("State") or a.get("Status") or "ACTIVE" for a in listed}
    wanted = list(options.accounts) or sorted(status)
    excluded = set(options.exclude_accounts)
    members, skipped = [], {}
    for account in wanted:
        if account in excluded:
            continue
        if account not in status:
            skipped[account] = "it is not a member of the organization"
        elif status[account] != "ACTIVE":
            skipped[account] = f"its status in the organization is {status[account]}"
        else:
            members.append(account)
    return members, skipped


def _account_undecided(account: str, reason: str) -> UndecidedCheck:
    return UndecidedCheck(None, account, f"nothing in the account was checked: {reason}", Location(account_scope(account)))


class _Run:
    def __init__(self, options: AuditOptions, clients: Any, base: Any, home: str, regions: tuple[str, ...],
                 cache: Once, progress: Progress):
        self.options = options
        self.clients = clients
        self.base = base
        self.home = home
        self.regions = regions
        self.cache = cache
        self.progress = progress
        self.org_reader = OrgReader(clients.source(base), home, cache)
        self.accounts: dict[str, _Account] = {}
        self.pending: dict[Future, Callable[[Any], None]] = {}
        self.executor: ThreadPoolExecutor | None = None

    def submit(self, task: Callable[[], Any], then: Callable[[Any], None]) -> None:
        self.pending[self.executor.submit(task)] = then

    def loop(self) -> None:
        while self.pending:
            done, _ = wait(self.pending, return_when=FIRST_COMPLETED)
            for future in done:
                then = self.pending.pop(future)
                self.progress.advance()
                then(future.result())

    def reader(self, state: _Account) -> AccountReader:
        return AccountReader(state.id, self.base.partition, self.home, self.clients.source(state.access), self.cache)

    # -- steps ----------------------------------------------------------------------------------------
    def start(self, account: str) -> None:
        state = self.accounts[account] = _Account(account, AccountData(account, self.base.partition))
        self.progress.accounts_total += 1
        self.progress.grow(len(self.regions) + 2)
        if account == self.base.account:
            self.accessed(state, self.base)
            return
        self.progress.grow(1)
        self.submit(lambda: self.assume(account), lambda result: self.accessed(state, result))

    def assume(self, account: str) -> Any:
        from rumpolicy.audit.sessions import assume_role

        try:
            return assume_role(self.clients, self.base, account, self.options.role_name, self.home,
                               self.options.external_id)
        except CallFailed as exc:
            return exc

    def accessed(self, state: _Account, access: Any) -> None:
        if isinstance(access, CallFailed):
            role = f"arn:{self.base.partition}:iam::{state.id}:role/{self.options.role_name}"
            state.failure = f"{access.call} into {role} failed: {access.reason}"
            self.progress.grow(-(len(self.regions) + 2))
            self.progress.account_finished()
            return
        state.access = access
        state.regions_left = len(self.regions)
        for region in self.regions:
            self.submit(lambda r=region: self.read_region(state, r), lambda result: self.region_read(state, result))
        self.submit(lambda: self.org_reader.read(state.id), lambda result: self.org_read(state, result))

    def read_region(self, state: _Account, region: str) -> tuple[RegionData, dict]:
        reader = self.reader(state)
        data = reader.read_region(region)
        return data, {pool_id: reader.read_pool(pool_id) for pool_id in data.pool_ids}

    def region_read(self, state: _Account, result: tuple[RegionData, dict]) -> None:
        data, pools = result
        state.data.regions.append(data)
        state.data.pools.update(pools)
        state.regions_left -= 1
        if state.regions_left == 0:
            arns = state.data.role_arns()
            self.submit(lambda: self.reader(state).read_roles(arns), lambda roles: self.roles_read(state, roles))

    def roles_read(self, state: _Account, roles: Any) -> None:
        state.data.roles = roles
        self.part_done(state)

    def org_read(self, state: _Account, org: Any) -> None:
        state.data.org = org
        self.part_done(state)

    def part_done(self, state: _Account) -> None:
        state.parts_left -= 1
        if state.parts_left == 0:
            self.progress.account_finished()


# --- coverage ---------------------------------------------------------------------------------------------

def _coverage(state: _Account, regions: tuple[str, ...]) -> list[CoverageEntry]:
    scope = account_scope(state.id)
    if state.failure is not None:
        return [CoverageEntry(scope, NOT_CHECKED, 0, state.failure)]
    data = state.data
    account_gaps = list(data.roles.gaps) + (list(data.org.gaps) if data.org is not None else [])
    entries = [_entry(scope, account_gaps, 0)]
    by_region = {r.region: r for r in data.regions}
    for region in regions:
        read = by_region[region]
        monitors = len(read.monitors) + len(read.unread_monitors)
        if read.unlisted is not None:
            entries.append(CoverageEntry(region_scope(state.id, region), NOT_CHECKED, 0,
                                         f"rum:ListAppMonitors failed: {read.unlisted}"))
            continue
        gaps = list(read.gaps) + [g for pool_id in read.pool_ids for g in data.pools[pool_id].gaps]
        entries.append(_entry(region_scope(state.id, region), gaps, monitors))
    return entries


def _entry(scope: str, gaps: list[Gap], monitors: int) -> CoverageEntry:
    if not gaps:
        return CoverageEntry(scope, CHECKED, monitors)
    return CoverageEntry(scope, PARTIAL, monitors, summarize(gaps))


def summarize(gaps: list[Gap]) -> str:
    """``rum:GetResourcePolicy failed for app monitor a, app monitor b: AccessDeniedException: ...``, per call."""
    grouped: dict[tuple[str, str], list[str]] = {}
    for gap in gaps:
        targets = grouped.setdefault((gap.call, gap.reason), [])
        if gap.target not in targets:
            targets.append(gap.target)
    parts = []
    for (operation, reason), targets in grouped.items():
        shown = ", ".join(targets[:REASON_EXAMPLES])
        more = f" and {len(targets) - REASON_EXAMPLES} more" if len(targets) > REASON_EXAMPLES else ""
        parts.append(f"{operation} failed for {shown}{more}: {reason}")
    return "; ".join(parts)
