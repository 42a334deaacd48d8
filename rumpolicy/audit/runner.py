"""One audit run: who is calling, which accounts and regions, reading them concurrently, and coverage.

The work is a set of small tasks on a thread pool (``--jobs``), scheduled from the main thread so
that no task ever waits for another (no deadlock, whatever the pool size):

1. per member account (``--org``): ``sts:AssumeRole`` into it;
2. per (account, region): the app monitors, their resource policies and the pools they name;
3. per account, once all its regions are read: the roles its monitors need, with their policies;
   and the service control policies above it.

Each account's responses are then built into a linked inventory (``rumpolicy.load.live_build``) in the
main thread. Whatever could not be read is in the coverage (one entry per account, one per
account and region) and, for the resources concerned, in undecided checks (RUM-SRC-001).

``--deadline`` (``rumpolicy.audit.deadline``): once it passes, no call is made any more, so the
tasks end soon with what they read and gaps for the rest. ``GRACE`` seconds later the main thread
stops waiting for tasks still stuck in a call (a hung connection, a long retry backoff): it takes
what each has read so far (``RegionData.cut``, ``RoleData.cut``) and reports the rest as not read.
The workers are daemon threads, so that the process can exit without waiting for those calls
(ThreadPoolExecutor joins its threads at exit).
"""

from __future__ import annotations

import queue
import threading
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import field
from typing import Any, Callable

from rumpolicy.audit.progress import Progress
from rumpolicy.findings import Location
from rumpolicy.aws import rum_regions
from rumpolicy.load.live_build import build_inventory
from rumpolicy.load.live_data import (DEADLINE_REACHED, DEADLINE_REASON, AccountData, Gap, RegionData, RoleData,
                                      account_scope, region_scope, unread_org, unread_pool)
from rumpolicy.load.live_read import AccountReader, CallFailed, Once, OrgReader, call, pages
from rumpolicy.model.inputs import UndecidedCheck
from rumpolicy.model.resources import Inventory
from rumpolicy.model.scopes import CHECKED, NOT_CHECKED, PARTIAL, CoverageEntry
from rumpolicy.records import record, value_type

# Where the global services are called when nothing else names a region.
DEFAULT_HOME = "us-east-1"
REASON_EXAMPLES = 3       # targets named per failing call in a coverage reason
DEFAULT_DEADLINE = 15 * 60  # seconds


@value_type(slots=False)
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
    deadline: float = DEFAULT_DEADLINE          # seconds for the whole audit (--deadline)


@record
class AuditResult:
    inventory: Inventory
    coverage: tuple[CoverageEntry, ...]
    caller: str                                 # the ARN the audit ran as
    regions: tuple[str, ...]
    regions_read: int                           # (account, region) pairs whose app monitors could be listed
    deadline_reached: str | None = None         # "deadline reached (--deadline 15m)" when it left something unread
    # How each account that could be entered was read (``sessions.Access``: its credentials), by account id:
    # the caller's own, or the member role's with --org. `audit --to-security-hub` writes with the same ones.
    # Not compared: two audits that read the same are equal whatever credentials they read with.
    access: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

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


@record
class _Account:
    id: str
    data: AccountData
    access: Any = None
    failure: str | None = None                  # why nothing in the account could be read
    regions_left: int = 0
    parts_left: int = 2                         # roles and SCPs


def run_audit(options: AuditOptions, progress: Progress) -> AuditResult:
    from botocore.exceptions import BotoCoreError

    from rumpolicy.audit.deadline import Deadline
    from rumpolicy.audit.sessions import Access, Clients, base_session

    deadline = Deadline(options.deadline)

    try:
        session = base_session(options.profile)
        credentials = session.get_credentials()
    except BotoCoreError as exc:
        raise AuditError(str(exc)) from exc
    if credentials is None:
        raise AuditError("no AWS credentials found: use --profile, the AWS_* environment variables, "
                         "`aws sso login`, or an instance role")
    clients = Clients(options.profile, options.retry_mode, options.max_attempts, deadline)
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
    run = _Run(options, clients, base, home, regions, cache, progress, deadline)
    if options.org:
        members, skipped = _members(options, clients, base, home)
    else:
        members, skipped = [base.account], {}
    run.workers = _Workers(options.jobs, "rumpolicy-audit")
    try:
        for account in members:
            run.start(account)
        run.loop()
    finally:
        run.workers.stop()
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
    access = {account: state.access for account, state in sorted(run.accounts.items()) if state.access is not None}
    return AuditResult(inventory, tuple(coverage), identity["Arn"], regions, regions_read,
                       deadline.reason if deadline.reached else None, access)


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
        available = rum_regions(partition)
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


class _Workers:
    """A fixed pool of daemon threads running tasks in order of submission."""

    def __init__(self, count: int, name: str):
        self._tasks: queue.SimpleQueue = queue.SimpleQueue()
        self._threads = [threading.Thread(target=self._work, name=f"{name}_{i}", daemon=True) for i in range(count)]
        for thread in self._threads:
            thread.start()

    def submit(self, task: Callable[[], Any]) -> Future:
        future: Future = Future()
        self._tasks.put((future, task))
        return future

    def stop(self) -> None:
        """Let every thread end once it is free; wait for none of them."""
        for _ in self._threads:
            self._tasks.put(None)

    def _work(self) -> None:
        while (item := self._tasks.get()) is not None:
            future, task = item
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(task())
            except BaseException as exc:        # handed to the main thread, which re-raises it
                future.set_exception(exc)


class _Run:
    def __init__(self, options: AuditOptions, clients: Any, base: Any, home: str, regions: tuple[str, ...],
                 cache: Once, progress: Progress, deadline: Any):
        self.options = options
        self.clients = clients
        self.base = base
        self.home = home
        self.regions = regions
        self.cache = cache
        self.progress = progress
        self.org_reader = OrgReader(clients.source(base), home, cache)
        self.deadline = deadline
        self.accounts: dict[str, _Account] = {}
        # future -> (what to do with its result, the result that stands for "not read" if it is abandoned)
        self.pending: dict[Future, tuple[Callable[[Any], None], Callable[[], Any]]] = {}
        self.workers: _Workers | None = None
        self.abandoned = False

    def submit(self, task: Callable[[], Any], then: Callable[[Any], None], unread: Callable[[], Any]) -> None:
        if self.abandoned:
            self.progress.advance()
            then(unread())
            return
        self.pending[self.workers.submit(task)] = (then, unread)

    def loop(self) -> None:
        from rumpolicy.audit.deadline import GRACE

        while self.pending:
            done, _ = wait(self.pending, timeout=max(0.0, self.deadline.remaining() + GRACE),
                           return_when=FIRST_COMPLETED)
            if not done:
                self.abandon()
            for future in done:
                then, _ = self.pending.pop(future)
                self.progress.advance()
                then(future.result())

    def abandon(self) -> None:
        """Stop waiting for the tasks still in a call after the deadline and its grace: they were not read."""
        self.abandoned = True
        self.deadline.reached = True
        while self.pending:
            future, (then, unread) = self.pending.popitem()
            future.cancel()
            self.progress.advance()
            then(unread())

    def unanswered(self) -> str:
        """Why an abandoned task's scopes were not read."""
        from rumpolicy.audit.deadline import GRACE

        return f"{self.deadline.reason}, with calls still unanswered {GRACE:g}s later"

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
        self.submit(lambda: self.assume(account), lambda result: self.accessed(state, result),
                    lambda: CallFailed("sts:AssumeRole", DEADLINE_REACHED, self.unanswered()))

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
            made = access.code != DEADLINE_REACHED
            state.failure = f"{access.call} into {role} failed: {access.reason}" if made else access.reason
            self.progress.grow(-(len(self.regions) + 2))
            self.progress.account_finished()
            return
        state.access = access
        state.regions_left = len(self.regions)
        for region in self.regions:
            data, pools = RegionData(state.id, region), {}
            self.submit(lambda r=region, d=data, p=pools: self.read_region(state, r, d, p),
                        lambda result: self.region_read(state, result),
                        lambda d=data, p=pools: self.region_so_far(state, d, p))
        self.submit(lambda: self.org_reader.read(state.id), lambda result: self.org_read(state, result),
                    lambda: unread_org(state.id, self.unanswered()))

    def read_region(self, state: _Account, region: str, data: RegionData, pools: dict) -> tuple[RegionData, dict]:
        reader = self.reader(state)
        reader.read_region(region, data)
        for pool_id in data.pool_ids:
            pools[pool_id] = reader.read_pool(pool_id)
        return data, pools

    def region_so_far(self, state: _Account, data: RegionData, pools: dict) -> tuple[RegionData, dict]:
        """What an abandoned region task had read, the rest not read."""
        reason = self.unanswered()
        cut = data.cut(reason)
        return cut, {pool_id: pools.get(pool_id) or unread_pool(state.id, pool_id, reason) for pool_id in cut.pool_ids}

    def region_read(self, state: _Account, result: tuple[RegionData, dict]) -> None:
        data, pools = result
        state.data.regions.append(data)
        state.data.pools.update(pools)
        state.regions_left -= 1
        if state.regions_left == 0:
            arns, roles = state.data.role_arns(), RoleData()
            self.submit(lambda: self.reader(state).read_roles(arns, roles), lambda read: self.roles_read(state, read),
                        lambda: roles.cut(state.id, arns, self.unanswered()))

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
            reason = (f"not read: {read.unlisted}" if read.unlisted.startswith(DEADLINE_REASON)
                      else f"rum:ListAppMonitors failed: {read.unlisted}")
            entries.append(CoverageEntry(region_scope(state.id, region), NOT_CHECKED, 0, reason))
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
    grouped: dict[tuple[str, str, bool], dict[str, None]] = {}      # targets in order, once each
    for gap in gaps:
        grouped.setdefault((gap.call, gap.reason, gap.unmade), {})[gap.target] = None
    parts = []
    for (operation, reason, unmade), unique in grouped.items():
        targets = list(unique)
        shown = ", ".join(targets[:REASON_EXAMPLES])
        more = f" and {len(targets) - REASON_EXAMPLES} more" if len(targets) > REASON_EXAMPLES else ""
        parts.append(f"{operation} {'not completed' if unmade else 'failed'} for {shown}{more}: {reason}")
    return "; ".join(parts)
