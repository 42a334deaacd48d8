"""Live AWS accounts -> the model (``rumpolicy audit``): read through boto3, then built like any input.

Two halves:

* **Reading** (``AccountReader``, ``OrgReader``) calls the read-only operations of
  ``rumpolicy.audit.readonly`` through the clients it is handed and keeps the responses as they
  came (``AccountData``). A call that fails is data too: a ``Gap`` says what could not be read and
  why, and the reading goes on. Not-found answers have their meaning (``PolicyNotFoundException``:
  the monitor has no resource policy). Pools are read in their own region (the prefix of their id);
  roles and managed policies once per account, however many monitors share them; what several
  accounts share (AWS managed policies, organization roots and OUs, SCPs) once per run (``Once``).
* **Building** (``build_inventory``) is pure: one account's responses become AppMonitor,
  ResourcePolicy, IdentityPool, RoleAttachment, Role, ManagedPolicy and OrgPolicies objects with
  literal ``Environment(partition, region, account)``, linked by ``rumpolicy.model.link``.
  Everything a gap left unread becomes an undecided check (RUM-SRC-001) or an unknown value, never
  an absence that a rule could take for a pass.

Locations: the source is ``aws://ACCOUNT/REGION`` for regional resources (a pool: its own region)
and ``aws://ACCOUNT`` for IAM and Organizations, which are global (``aws://aws`` for AWS managed
policies); the pointer runs into the API response that returned the value:

* app monitor: ``GetAppMonitor`` (``/AppMonitor/AppMonitorConfiguration/IdentityPoolId``);
* resource policy: ``GetResourcePolicy`` (``/PolicyDocument/Statement/0``, into the JSON string);
* identity pool: ``DescribeIdentityPool`` (``/AllowUnauthenticatedIdentities``), its roles:
  ``GetIdentityPoolRoles`` (``/Roles/unauthenticated``);
* role: the role as ``GetAccountAuthorizationDetails`` lists it (``/AssumeRolePolicyDocument/...``,
  ``/RolePolicyList/0/PolicyDocument/...``, ``/AttachedManagedPolicies/0/PolicyArn``,
  ``/PermissionsBoundary/PermissionsBoundaryArn``), whichever calls it was read with;
* managed policy: ``GetPolicyVersion`` (``/PolicyVersion/Document/...``);
* SCP: ``DescribePolicy`` (``/Policy/Content/Statement/0``).

Roles are read per role (``GetRole``, ``ListRolePolicies`` + ``GetRolePolicy``,
``ListAttachedRolePolicies``) when an account's monitors need few of them, and with
``GetAccountAuthorizationDetails`` (every role of the account, with its inline policies, in pages
of up to 1000) when they need ``BULK_ROLES`` or more: fewer calls for a large account. If the bulk
call is denied, the roles are read one by one.

Responses are checked before they are used (``response_problem``): a body that is not JSON or XML,
or whose values do not have the types of botocore's service model (``{"AppMonitorSummaries": "x"}``,
an ``AppMonitorConfiguration`` that is a list, an IAM policy document that is not URL-encoded JSON)
fails its call with ``MalformedResponse``, like any other failed call. botocore alone would read a
body that is not JSON as an empty answer (no app monitors: a false pass) and raises AttributeError
on JSON of the wrong shape; the JSON bodies are therefore checked before botocore parses them
(``rumpolicy.audit.responses``) and every parsed answer again here.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable
from urllib.parse import unquote

from rumpolicy.findings import Location
from rumpolicy.model.arns import PARTITIONS, POOL_ID, parse_arn
from rumpolicy.model.inputs import UndecidedCheck
from rumpolicy.model.link import UNAUTHENTICATED, link
from rumpolicy.model.locator import FixedLocator, child
from rumpolicy.model.policy import Node, PolicyRef, parse_policy, type_name
from rumpolicy.model.resources import (AppMonitor, Environment, IdentityPool, Inventory, ManagedPolicy,
                                       OrgPolicies, ResourcePolicy, Role, RoleAttachment, ScpLevel)
from rumpolicy.model.symbols import Unknown

# An account whose monitors need this many roles is read with GetAccountAuthorizationDetails.
BULK_ROLES = 8
LIST_MONITORS_PAGE = 100          # ListAppMonitors MaxResults limit
AUTHORIZATION_DETAILS_PAGE = 1000  # GetAccountAuthorizationDetails MaxItems limit
SCP = "SERVICE_CONTROL_POLICY"
# Responses that mean "the thing is not there", per call.
NOT_FOUND = frozenset({"ResourceNotFoundException", "NoSuchEntity", "NoSuchEntityException",
                       "PolicyNotFoundException"})
# Errors where the credentials are not valid in a region: usually an opt-in region the account has not enabled.
REGION_NOT_ENABLED = frozenset({"UnrecognizedClientException", "InvalidClientTokenId", "AuthFailure"})
# The code of a call the audit's --deadline did not let through (rumpolicy.audit.deadline), and how its reason starts.
DEADLINE_REACHED = "DeadlineReached"
DEADLINE_REASON = "deadline reached"
# The code of a call whose answer is not what the service model says (see the module docstring).
MALFORMED = "MalformedResponse"
# IAM's policy documents: botocore decodes them from URL-encoded JSON into objects.
POLICY_DOCUMENT_SHAPE = "policyDocumentType"

KIND_MONITOR = "live:rum:GetAppMonitor"
KIND_RESOURCE_POLICY = "live:rum:GetResourcePolicy"
KIND_POOL = "live:cognito-identity:DescribeIdentityPool"
KIND_POOL_ROLES = "live:cognito-identity:GetIdentityPoolRoles"
KIND_ROLE = "live:iam:role"
KIND_MANAGED_POLICY = "live:iam:GetPolicyVersion"
KIND_ORG = "live:organizations"

ClientSource = Callable[[str, str], Any]     # (service, region) -> a botocore client for one account


def region_scope(account: str, region: str) -> str:
    return f"aws://{account}/{region}"


def account_scope(account: str) -> str:
    return f"aws://{account}"


# --- calls ----------------------------------------------------------------------------------------------

class CallFailed(Exception):
    """One AWS call failed after botocore's retries: which call, the error code, and AWS's message."""

    def __init__(self, call: str, code: str, message: str, retries: int = 0):
        self.call = call
        self.code = code
        self.message = message
        self.retries = retries
        super().__init__(self.reason)

    @property
    def reason(self) -> str:
        if self.code == DEADLINE_REACHED:
            return self.message             # "deadline reached (--deadline 15m)": the call was not made
        tried = f" (after {self.retries} {'retry' if self.retries == 1 else 'retries'})" if self.retries else ""
        hint = " (is the region enabled for this account?)" if self.code in REGION_NOT_ENABLED else ""
        return f"{self.code}{tried}: {self.message}{hint}".rstrip(": ")


def _operation(client: Any, method: str) -> str:
    return f"{client.meta.service_model.service_name}:{client.meta.method_to_api_mapping[method]}"


def _failure(client: Any, method: str, exc: Exception) -> CallFailed:
    from botocore.exceptions import ClientError
    from botocore.parsers import ResponseParserError

    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        retries = exc.response.get("ResponseMetadata", {}).get("RetryAttempts", 0)
        return CallFailed(_operation(client, method), str(error.get("Code") or "Unknown"),
                          str(error.get("Message") or ""), retries or 0)
    if isinstance(exc, ResponseParserError):
        # botocore's message ends with the whole body, which may be megabytes: keep its first line.
        return CallFailed(_operation(client, method), MALFORMED, str(exc).split("\n", 1)[0].rstrip(":")[:300])
    # The audit's own refusals carry their code (DEADLINE_REACHED, MALFORMED); botocore's errors are named by class.
    return CallFailed(_operation(client, method), getattr(exc, "code", None) or type(exc).__name__, str(exc))


def _call_errors() -> tuple[type[Exception], ...]:
    """What a failed call raises: AWS errors, connection errors, and (not a BotoCoreError) a body that is not XML."""
    from botocore.exceptions import BotoCoreError, ClientError
    from botocore.parsers import ResponseParserError

    return ClientError, BotoCoreError, ResponseParserError


def call(client: Any, method: str, **params: Any) -> dict:
    """One call; CallFailed for any AWS or connection error (botocore has retried what is retryable), and for
    an answer that does not have the shape of the service model."""
    try:
        response = getattr(client, method)(**params)
    except _call_errors() as exc:
        raise _failure(client, method, exc) from exc
    response.pop("ResponseMetadata", None)
    _check_response(client, method, response)
    return response


def pages(client: Any, method: str, key: str, page_size: int | None = None, **params: Any) -> list:
    """Every item of a paginated list call. A page without ``key`` is malformed, not empty: AWS sends an empty
    list as one (``[]``, ``<AttachedPolicies/>``), and taking its absence for "none" could pass a check."""
    if page_size is not None:
        params["PaginationConfig"] = {"PageSize": page_size}
    items: list = []
    try:
        for page in client.get_paginator(method).paginate(**params):
            page.pop("ResponseMetadata", None)
            _check_response(client, method, page)
            items.extend(required(page, key, _operation(client, method)))
    except _call_errors() as exc:
        raise _failure(client, method, exc) from exc
    return items


def required(response: dict, key: str, operation: str) -> Any:
    """``response[key]``, which the reader cannot do without; CallFailed (malformed) when it is missing."""
    value = response.get(key) if isinstance(response, dict) else None
    if value is None:
        raise CallFailed(operation, MALFORMED, f"the answer has no `{key}`")
    return value


def _check_response(client: Any, method: str, response: dict) -> None:
    operation = client.meta.service_model.operation_model(client.meta.method_to_api_mapping[method])
    problem = response_problem(response, operation.output_shape)
    if problem is not None:
        raise CallFailed(_operation(client, method), MALFORMED, problem)


def response_problem(value: Any, shape: Any, *, wire: bool = False) -> str | None:
    """What is wrong with an answer, given its botocore output shape; None if nothing.

    ``wire`` False: the answer as botocore parsed it (timestamps as datetimes, IAM policy documents
    decoded into objects). ``wire`` True: a JSON body before parsing (members under their wire
    names; headers and status code are not in it). Members the model does not know are ignored:
    AWS may add some before botocore does.
    """
    if shape is None:
        return None
    if wire and shape.serialization.get("payload"):
        payload = shape.members[shape.serialization["payload"]]
        return _value_problem(value, payload, "", wire) if payload.type_name == "structure" else None
    return _value_problem(value, shape, "", wire)


def _value_problem(value: Any, shape: Any, path: str, wire: bool) -> str | None:
    if value is None or getattr(shape, "is_document_type", False):
        return None
    kind = shape.type_name
    where = f"`{path}`" if path else "the answer"
    if kind == "structure":
        if not isinstance(value, dict):
            return f"{where} is {type_name(value)}, not an object"
        for name, member in shape.members.items():
            key = member.serialization.get("name", name) if wire else name
            if wire and member.serialization.get("location"):
                continue            # a header or the status code: not in the body
            if key not in value or value[key] is None:
                if name in shape.required_members:
                    return f"{where} has no `{key}`"
                continue
            problem = _value_problem(value[key], member, child(path, key), wire)
            if problem is not None:
                return problem
        return None
    if kind == "list":
        if not isinstance(value, list):
            return f"{where} is {type_name(value)}, not a list"
        for index, item in enumerate(value):
            problem = _value_problem(item, shape.member, child(path, index), wire)
            if problem is not None:
                return problem
        return None
    if kind == "map":
        if not isinstance(value, dict):
            return f"{where} is {type_name(value)}, not an object"
        for key, item in value.items():
            problem = _value_problem(item, shape.value, child(path, key), wire)
            if problem is not None:
                return problem
        return None
    if kind == "string" and shape.name == POLICY_DOCUMENT_SHAPE and not wire:
        return None if isinstance(value, dict) else f"{where} is not a URL-encoded JSON policy document"
    if not isinstance(value, _SCALARS[wire].get(kind, object)) or (isinstance(value, bool) and kind != "boolean"):
        return f"{where} is {type_name(value)}, not {_EXPECTED.get(kind, kind)}"
    return None


def _scalars(wire: bool) -> dict[str, tuple[type, ...]]:
    import datetime

    numbers = (int, float)
    return {"string": (str,), "boolean": (bool,), "integer": (int,), "long": (int,), "float": numbers,
            "double": numbers, "blob": (str,) if wire else (bytes, bytearray, str),
            # botocore leaves a timestamp it cannot parse as it came
            "timestamp": (int, float, str) if wire else (datetime.datetime, int, float, str)}


_SCALARS = {False: _scalars(False), True: _scalars(True)}
_EXPECTED = {"string": "a string", "boolean": "a boolean", "integer": "an integer", "long": "an integer",
             "float": "a number", "double": "a number", "blob": "base64 text", "timestamp": "a timestamp"}


class Once:
    """Values computed once per key, however many threads ask for them at the same time."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._futures: dict[Any, Future] = {}

    def get(self, key: Any, compute: Callable[[], Any]) -> Any:
        with self._lock:
            future = self._futures.get(key)
            owner = future is None
            if owner:
                future = self._futures[key] = Future()
        if owner:
            try:
                future.set_result(compute())
            except BaseException as exc:
                future.set_exception(exc)
                raise
        return future.result()


# --- what was read --------------------------------------------------------------------------------------

@dataclass(frozen=True)
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


@dataclass
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
            _add_pool_id(cut, response)
        return cut


@dataclass
class PoolData:
    pool_id: str
    region: str
    description: dict | None = None                  # DescribeIdentityPool
    description_error: str | None = None
    missing: bool = False                            # ResourceNotFoundException: the pool does not exist
    roles: dict | None = None                        # GetIdentityPoolRoles
    roles_error: str | None = None
    gaps: list[Gap] = field(default_factory=list)


@dataclass(frozen=True)
class UnreadPart:
    """A part of a role that could not be read: its permissions stay undecided, never "none"."""

    pointer: str        # where in the role it belongs ("/RolePolicyList/1")
    label: str          # "inline policy web-put"
    reason: str


@dataclass
class RoleRecord:
    detail: dict                                     # shaped like a GetAccountAuthorizationDetails RoleDetail
    unread: list[UnreadPart] = field(default_factory=list)


@dataclass
class ManagedRecord:
    arn: str
    policy: dict | None = None                       # GetPolicy's Policy
    version: dict | None = None                      # GetPolicyVersion's PolicyVersion (the default one)
    error: str | None = None
    missing: bool = False                            # NoSuchEntity: there is no such policy
    failed_call: str | None = None


@dataclass
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
        for policy_arn in _managed_arns(cut.records.values()):
            if policy_arn not in cut.managed:
                cut.managed[policy_arn] = ManagedRecord(policy_arn, error=reason, failed_call="iam:GetPolicy")
                cut.gaps.append(Gap(scope, "iam:GetPolicy", f"managed policy {policy_arn}", reason))
        return cut


def _managed_arns(records: Iterable[RoleRecord]) -> list[str]:
    """The managed policies the roles attach or have as permissions boundary."""
    arns = []
    for record in records:
        arns.append((record.detail.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn"))
        arns += [p.get("PolicyArn") for p in record.detail.get("AttachedManagedPolicies") or ()]
    return sorted({a for a in arns if isinstance(a, str)})


@dataclass
class ScpLevelData:
    target_id: str
    target_type: str
    policies: list[tuple[dict, str | None]]          # (PolicySummary, Content JSON string or None)


@dataclass
class OrgData:
    applies: bool = True
    why_not: str | None = None                       # why no SCP binds the account
    levels: list[ScpLevelData] | None = None         # root first, the account last
    unreadable: str | None = None
    gaps: list[Gap] = field(default_factory=list)


@dataclass
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


# --- reading --------------------------------------------------------------------------------------------

def pool_region(pool_id: str) -> str | None:
    match = POOL_ID.match(pool_id)
    return match.group("region") if match else None


def _decoded(document: Any) -> Any:
    """IAM documents arrive decoded by botocore; a URL-encoded string is decoded here all the same."""
    if isinstance(document, str) and document.lstrip()[:3].upper() == "%7B":
        return unquote(document.strip())
    return document


class AccountReader:
    """Reads one account. ``clients`` gives this thread's clients for the account; ``cache`` is per run."""

    def __init__(self, account: str, partition: str, home_region: str, clients: ClientSource, cache: Once):
        self.account = account
        self.partition = partition
        self.home_region = home_region          # where the global services (IAM) are called
        self.clients = clients
        self.cache = cache

    # -- RUM ----------------------------------------------------------------------------------------
    def read_region(self, region: str, data: RegionData | None = None) -> RegionData:
        """The app monitors of one region, their resource policies, and the pools they name.

        Fills ``data`` when given, so that the audit can take what was read so far if it stops
        waiting (``RegionData.cut``): a monitor is added only with its resource policy's outcome.
        """
        data = data if data is not None else RegionData(self.account, region)
        scope = region_scope(self.account, region)
        rum = self.clients("rum", region)
        try:
            summaries = pages(rum, "list_app_monitors", "AppMonitorSummaries", LIST_MONITORS_PAGE)
        except CallFailed as exc:
            data.unlisted = exc.reason
            data.gaps.append(Gap(scope, exc.call, f"the app monitors of {region}", exc.reason))
            return data
        names = [summary.get("Name") for summary in summaries if isinstance(summary.get("Name"), str)]
        data.listed = names
        has_policy_api = "GetResourcePolicy" in rum.meta.service_model.operation_names
        for name in names:
            try:
                response = call(rum, "get_app_monitor", Name=name)
                required(response, "AppMonitor", "rum:GetAppMonitor")
            except CallFailed as exc:
                if exc.code != "ResourceNotFoundException":     # deleted since it was listed: nothing to check
                    data.unread_monitors[name] = exc.reason
                    data.gaps.append(Gap(scope, exc.call, f"app monitor {name}", exc.reason))
                else:
                    data.gone.append(name)
                continue
            if has_policy_api:
                self._read_policy(rum, name, data)
            else:
                reason = "the installed botocore has no GetResourcePolicy operation (upgrade boto3)"
                data.unread_policies[name] = reason
                data.gaps.append(Gap(scope, "rum:GetResourcePolicy", f"app monitor {name}", reason))
            data.monitors.append(response)
            _add_pool_id(data, response)
        return data

    def _read_policy(self, rum: Any, name: str, data: RegionData) -> None:
        try:
            data.policies[name] = required(call(rum, "get_resource_policy", Name=name), "PolicyDocument",
                                           "rum:GetResourcePolicy")
        except CallFailed as exc:
            if exc.code == "PolicyNotFoundException":
                data.policies[name] = None
            else:
                data.unread_policies[name] = exc.reason
                data.gaps.append(Gap(region_scope(self.account, data.region), exc.call, f"app monitor {name}",
                                     exc.reason))

    # -- Cognito ------------------------------------------------------------------------------------
    def read_pool(self, pool_id: str) -> PoolData:
        """An identity pool and its roles, read in the pool's own region, once per run."""
        return self.cache.get(("pool", self.account, pool_id), lambda: self._read_pool(pool_id))

    def _read_pool(self, pool_id: str) -> PoolData:
        region = pool_region(pool_id) or self.home_region
        data = PoolData(pool_id, region)
        scope = region_scope(self.account, region)
        cognito = self.clients("cognito-identity", region)
        try:
            data.description = call(cognito, "describe_identity_pool", IdentityPoolId=pool_id)
        except CallFailed as exc:
            data.missing = exc.code in NOT_FOUND
            data.description_error = exc.reason
            if not data.missing:
                data.gaps.append(Gap(scope, exc.call, f"identity pool {pool_id}", exc.reason))
            return data
        try:
            data.roles = call(cognito, "get_identity_pool_roles", IdentityPoolId=pool_id)
        except CallFailed as exc:
            data.roles_error = exc.reason
            data.gaps.append(Gap(scope, exc.call, f"identity pool {pool_id}", exc.reason))
        return data

    # -- IAM ----------------------------------------------------------------------------------------
    def read_roles(self, arns: Iterable[str], data: RoleData | None = None) -> RoleData:
        """The roles (and the managed policies they attach) of this account among ``arns``.

        Fills ``data`` when given (see ``read_region``): a role is added once all its calls are made.
        """
        data = data if data is not None else RoleData()
        own: list[str] = []
        for arn in sorted(set(arns)):
            parsed = parse_arn(arn)
            if parsed is None or parsed.service != "iam" or parsed.resource_type != "role":
                data.unread[arn] = "it is not an IAM role ARN"
            elif parsed.account != self.account:
                data.unread[arn] = (f"it belongs to account {parsed.account}; the audit reads the roles of each "
                                    f"app monitor's own account ({self.account})")
            else:
                own.append(arn)
        iam = self.clients("iam", self.home_region)
        if len(own) >= BULK_ROLES:
            own = self._read_roles_in_bulk(iam, own, data)
        for arn in own:
            self._read_role(iam, arn, data)
        for policy_arn in _managed_arns(list(data.records.values())):
            record = self.cache.get(("policy", policy_arn), lambda a=policy_arn: self._read_managed(iam, a))
            data.managed[policy_arn] = record
            if record.error is not None and not record.missing:
                data.gaps.append(Gap(account_scope(self.account), record.failed_call or "iam:GetPolicy",
                                     f"managed policy {policy_arn}", record.error))
        return data

    def _read_roles_in_bulk(self, iam: Any, arns: list[str], data: RoleData) -> list[str]:
        """Read every role of the account in pages; return the roles still to read one by one."""
        try:
            details = pages(iam, "get_account_authorization_details", "RoleDetailList", AUTHORIZATION_DETAILS_PAGE,
                            Filter=["Role"])
        except CallFailed:
            return arns     # e.g. iam:GetAccountAuthorizationDetails not granted: the per-role calls may be
        by_arn = {d.get("Arn"): d for d in details if isinstance(d, dict)}
        for arn in arns:
            if arn in by_arn:
                data.records[arn] = RoleRecord(by_arn[arn])
            else:
                data.unread[arn] = "it does not exist (it is not among the account's roles)"
        return []

    def _read_role(self, iam: Any, arn: str, data: RoleData) -> None:
        name = arn.rsplit("/", 1)[-1]
        scope = account_scope(self.account)
        try:
            role = required(call(iam, "get_role", RoleName=name), "Role", "iam:GetRole")
        except CallFailed as exc:
            if exc.code in NOT_FOUND:
                data.unread[arn] = f"it does not exist ({exc.code})"
            else:
                data.unread[arn] = exc.reason
                data.gaps.append(Gap(scope, exc.call, f"role {arn}", exc.reason))
            return
        if role.get("Arn") != arn:
            data.unread[arn] = f"it does not exist: the account's role named {name} is {role.get('Arn')}"
            return
        detail = {key: role[key] for key in ("Path", "RoleName", "RoleId", "Arn", "AssumeRolePolicyDocument",
                                              "PermissionsBoundary", "Tags") if key in role}
        record = RoleRecord(detail)
        try:
            names = pages(iam, "list_role_policies", "PolicyNames", RoleName=name)
        except CallFailed as exc:
            names = []
            record.unread.append(UnreadPart("/RolePolicyList", "inline policies", exc.reason))
            data.gaps.append(Gap(scope, exc.call, f"role {arn}", exc.reason))
        inline: list[dict] = []
        for index, policy_name in enumerate(names):
            try:
                document = call(iam, "get_role_policy", RoleName=name, PolicyName=policy_name)["PolicyDocument"]
            except CallFailed as exc:
                record.unread.append(UnreadPart(child("/RolePolicyList", index), f"inline policy {policy_name}",
                                                exc.reason))
                data.gaps.append(Gap(scope, exc.call, f"inline policy {policy_name} of role {arn}", exc.reason))
                document = None
            inline.append({"PolicyName": policy_name, "PolicyDocument": document})
        detail["RolePolicyList"] = inline
        try:
            detail["AttachedManagedPolicies"] = pages(iam, "list_attached_role_policies", "AttachedPolicies",
                                                      RoleName=name)
        except CallFailed as exc:
            detail["AttachedManagedPolicies"] = []
            record.unread.append(UnreadPart("/AttachedManagedPolicies", "attached managed policies", exc.reason))
            data.gaps.append(Gap(scope, exc.call, f"role {arn}", exc.reason))
        data.records[arn] = record

    def _read_managed(self, iam: Any, arn: str) -> ManagedRecord:
        record = ManagedRecord(arn)
        try:
            record.policy = required(call(iam, "get_policy", PolicyArn=arn), "Policy", "iam:GetPolicy")
            version_id = required(record.policy, "DefaultVersionId", "iam:GetPolicy")
            record.version = required(call(iam, "get_policy_version", PolicyArn=arn, VersionId=version_id),
                                      "PolicyVersion", "iam:GetPolicyVersion")
        except CallFailed as exc:
            record.missing = exc.code in NOT_FOUND
            record.failed_call = exc.call
            record.error = f"it does not exist ({exc.code})" if record.missing else exc.reason
        return record


class OrgReader:
    """Reads, for any account, the service control policies above it, with the run's base credentials.

    In ``--org`` mode those are the management (or delegated administrator) account's; for a
    single account, its own, which may read its organization but usually not its SCPs.
    """

    def __init__(self, clients: ClientSource, home_region: str, cache: Once):
        self.clients = clients
        self.home_region = home_region
        self.cache = cache

    def read(self, account: str) -> OrgData:
        data = OrgData()
        org = self.clients("organizations", self.home_region)
        scope = account_scope(account)
        try:
            organization = self.cache.get("organization", lambda: required(
                call(org, "describe_organization"), "Organization", "organizations:DescribeOrganization"))
        except CallFailed as exc:
            if exc.code == "AWSOrganizationsNotInUseException":
                data.applies, data.why_not = False, "the account is not in an organization"
            else:
                data.unreadable = exc.reason
                data.gaps.append(Gap(scope, exc.call, f"the organization of account {account}", exc.reason))
            return data
        if organization.get("FeatureSet") == "CONSOLIDATED_BILLING":
            data.applies, data.why_not = False, "the organization has consolidated billing only (no SCPs)"
            return data
        if organization.get("MasterAccountId") == account:
            data.applies, data.why_not = False, "it is the organization's management account, which SCPs never restrict"
            return data
        try:
            data.levels = self._levels(org, account)
        except CallFailed as exc:
            if exc.code == "PolicyTypeNotEnabledException":
                data.applies, data.why_not = False, "service control policies are not enabled in the organization"
            else:
                data.unreadable = exc.reason
                data.gaps.append(Gap(scope, exc.call, f"the service control policies of account {account}",
                                     exc.reason))
        return data

    def _levels(self, org: Any, account: str) -> list[ScpLevelData]:
        chain = [(account, "ACCOUNT")]
        child_id = account
        while chain[-1][1] != "ROOT":
            parents = self.cache.get(("parents", child_id),
                                     lambda c=child_id: pages(org, "list_parents", "Parents", ChildId=c))
            if not parents:
                raise CallFailed("organizations:ListParents", "NoParent", f"{child_id} has no parent")
            child_id = required(parents[0], "Id", "organizations:ListParents")
            chain.append((child_id, required(parents[0], "Type", "organizations:ListParents")))
        levels = []
        for target_id, target_type in reversed(chain):
            summaries = self.cache.get(("scps", target_id), lambda t=target_id: pages(
                org, "list_policies_for_target", "Policies", TargetId=t, Filter=SCP))
            policies = []
            for summary in summaries:
                policy_id = required(summary, "Id", "organizations:ListPoliciesForTarget")
                content = self.cache.get(("scp", policy_id), lambda i=policy_id: required(call(
                    org, "describe_policy", PolicyId=i), "Policy", "organizations:DescribePolicy").get("Content"))
                policies.append((summary, content))
            levels.append(ScpLevelData(target_id, target_type, policies))
        return levels


def _add_pool_id(data: RegionData, response: dict) -> None:
    config = response.get("AppMonitor", {}).get("AppMonitorConfiguration") or {}
    pool_id = config.get("IdentityPoolId")
    if isinstance(pool_id, str) and pool_region(pool_id) and pool_id not in data.pool_ids:
        data.pool_ids.append(pool_id)


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


# --- building -------------------------------------------------------------------------------------------

def _node(container: dict, key: str, pointer: str, where: FixedLocator) -> Node | None:
    return Node(container[key], where.at(child(pointer, key))) if key in container else None


def _env(partition: str, region: str, account: str) -> Environment:
    return Environment(partition, region, account, PARTITIONS.get(partition, "amazonaws.com"))


class _Builder:
    def __init__(self, data: AccountData):
        self.data = data
        self.inventory = Inventory()
        self.account = data.account

    def undecided(self, subject: str, message: str, location: Location) -> None:
        self.inventory.undecided.append(UndecidedCheck(None, subject, message, location))

    def build(self) -> Inventory:
        for region in self.data.regions:
            self.region(region)
        for pool in self.data.pools.values():
            self.pool(pool)
        for arn, record in self.data.roles.records.items():
            self.role(arn, record)
        for record in self.data.roles.managed.values():
            self.managed(record)
        if self.data.org is not None:
            self.org(self.data.org)
        link(self.inventory, unread_roles=self.data.roles.unread)
        self.explain_unread_pools()
        for org in self.inventory.org_policies:
            org.guest_roles = list(self.inventory.guest_roles)
        return self.inventory

    # -- RUM ----------------------------------------------------------------------------------------
    def region(self, region: RegionData) -> None:
        scope = region_scope(self.account, region.region)
        env = _env(self.data.partition, region.region, self.account)
        if region.unlisted is not None:
            self.undecided(scope, f"the app monitors of {region.region} could not be listed ({region.unlisted}), so "
                                  "none of them was checked", Location(scope))
        for name, reason in region.unread_monitors.items():
            arn = f"arn:{env.partition}:rum:{env.region}:{env.account}:appmonitor/{name}"
            self.undecided(arn, f"app monitor {name} could not be read ({reason}), so it was not checked",
                           Location(scope, "/AppMonitor"))
        for response in region.monitors:
            monitor = self.monitor(response, env, scope)
            name = monitor.name.value if monitor.name is not None else None
            monitor.resource_policy_read = name in region.policies
            if name in region.policies and region.policies[name] is not None:
                self.resource_policy(monitor, region.policies[name], scope)
            elif name in region.unread_policies:
                self.resource_policy(monitor, Unknown(f"it could not be read: {region.unread_policies[name]}"), scope)

    def monitor(self, response: dict, env: Environment, scope: str) -> AppMonitor:
        where = FixedLocator(scope)
        raw = response.get("AppMonitor") or {}
        base = "/AppMonitor"
        monitor = AppMonitor(scope, where.at(base), KIND_MONITOR, env=env, name=_node(raw, "Name", base, where),
                             domain=_node(raw, "Domain", base, where),
                             domain_list=_node(raw, "DomainList", base, where),
                             platform=_node(raw, "Platform", base, where),
                             has_configuration="AppMonitorConfiguration" in raw)
        config = raw.get("AppMonitorConfiguration")
        if isinstance(config, dict):
            config_base = child(base, "AppMonitorConfiguration")
            monitor.identity_pool_id = _node(config, "IdentityPoolId", config_base, where)
            monitor.guest_role_arn = _node(config, "GuestRoleArn", config_base, where)
        monitor.subject = monitor.arn or scope
        self.inventory.monitors.append(monitor)
        return monitor

    def resource_policy(self, monitor: AppMonitor, document: str | Unknown, scope: str) -> None:
        where = FixedLocator(scope)
        raw = Node(document, where.at("/PolicyDocument"))
        parsed = None if isinstance(document, Unknown) else parse_policy(document, "/PolicyDocument", where,
                                                                         name="resource policy")
        policy = ResourcePolicy(monitor.subject, where.at(""), KIND_RESOURCE_POLICY, monitor_name=monitor.name,
                                document=parsed, raw=raw)
        self.inventory.resource_policies.append(policy)

    # -- Cognito ------------------------------------------------------------------------------------
    def pool(self, data: PoolData) -> None:
        if data.description is None:
            return
        scope = region_scope(self.account, data.region)
        where = FixedLocator(scope)
        raw = data.description
        login_keys = ("SupportedLoginProviders", "DeveloperProviderName", "OpenIdConnectProviderARNs",
                      "CognitoIdentityProviders", "SamlProviderARNs")
        self.inventory.pools.append(IdentityPool(
            data.pool_id, where.at(""), KIND_POOL, env=_env(self.data.partition, data.region, self.account),
            pool_id=data.pool_id, name=_node(raw, "IdentityPoolName", "", where),
            allow_unauthenticated=_node(raw, "AllowUnauthenticatedIdentities", "", where),
            allow_classic_flow=_node(raw, "AllowClassicFlow", "", where),
            has_login_providers=any(raw.get(key) for key in login_keys)))
        if data.roles is None:
            self.inventory.attachments.append(RoleAttachment(
                data.pool_id, where.at(""), KIND_POOL_ROLES, identity_pool_id=Node(data.pool_id, where.at("")),
                roles_unknown=True, roles_location=where.at("/Roles")))
            return
        attachment = RoleAttachment(data.pool_id, where.at(""), KIND_POOL_ROLES,
                                    identity_pool_id=Node(data.pool_id, where.at("/IdentityPoolId")),
                                    role_mappings=_node(data.roles, "RoleMappings", "", where),
                                    roles_location=where.at("/Roles") if "Roles" in data.roles else None)
        for role_type, arn in (data.roles.get("Roles") or {}).items():
            attachment.roles[role_type] = Node(arn, where.at(child("/Roles", role_type)))
        self.inventory.attachments.append(attachment)

    def explain_unread_pools(self) -> None:
        for monitor in self.inventory.monitors:
            node = monitor.identity_pool_id
            pool = self.data.pools.get(node.value) if node is not None and isinstance(node.value, str) else None
            if pool is None:
                continue
            if pool.description is None:
                what = "does not exist" if pool.missing else "could not be read"
                self.undecided(monitor.subject, f"identity pool {pool.pool_id} {what} ({pool.description_error}), "
                                                "so its guest access, role attachment and guest role were not checked",
                               node.location)
            elif pool.roles is None:
                self.undecided(monitor.subject, f"the roles of identity pool {pool.pool_id} could not be read "
                                                f"({pool.roles_error}), so the enhanced flow's guest role was not "
                                                "checked", node.location)

    # -- IAM ----------------------------------------------------------------------------------------
    def role(self, arn: str, record: RoleRecord) -> None:
        where = FixedLocator(account_scope(self.account))
        detail = record.detail
        role = Role(arn, where.at(""), KIND_ROLE, env=_env(self.data.partition, "", self.account),
                    name=detail.get("RoleName"), arn=arn,
                    trust_policy=parse_policy(_decoded(detail.get("AssumeRolePolicyDocument")),
                                              "/AssumeRolePolicyDocument", where, name="trust policy"),
                    tags={t["Key"]: t["Value"] for t in detail.get("Tags") or () if "Key" in t and "Value" in t})
        for index, item in enumerate(detail.get("RolePolicyList") or ()):
            pointer = child("/RolePolicyList", index)
            if item.get("PolicyDocument") is None:
                continue        # unreadable: recorded in record.unread below
            role.policies.append(PolicyRef(where.at(pointer), parse_policy(
                _decoded(item["PolicyDocument"]), child(pointer, "PolicyDocument"), where, name=item.get("PolicyName")),
                name=item.get("PolicyName"), kind="inline"))
        for index, item in enumerate(detail.get("AttachedManagedPolicies") or ()):
            if isinstance(item.get("PolicyArn"), str):
                role.managed_policy_arns.append(
                    Node(item["PolicyArn"], where.at(child("/AttachedManagedPolicies", index, "PolicyArn"))))
        boundary = detail.get("PermissionsBoundary")
        if isinstance(boundary, dict) and isinstance(boundary.get("PermissionsBoundaryArn"), str):
            role.permissions_boundary = Node(boundary["PermissionsBoundaryArn"],
                                             where.at("/PermissionsBoundary/PermissionsBoundaryArn"))
        for part in record.unread:
            # A policy whose document is None is "not in the input": every rule that needs it says so.
            role.policies.append(PolicyRef(where.at(part.pointer), None, name=f"{part.label} (not readable: "
                                                                               f"{part.reason})", kind="inline"))
        self.inventory.roles.append(role)

    def managed(self, record: ManagedRecord) -> None:
        if record.version is None:
            return      # the linker leaves its document unknown: the rules report it as not checked
        owner = parse_arn(record.arn)
        where = FixedLocator(account_scope(owner.account if owner is not None else self.account))
        name = (record.policy or {}).get("PolicyName")
        self.inventory.managed_policies.append(ManagedPolicy(
            record.arn, where.at("/PolicyVersion"), KIND_MANAGED_POLICY, arn=record.arn, name=name,
            document=parse_policy(_decoded(record.version.get("Document")), "/PolicyVersion/Document", where,
                                  name=name)))

    # -- Organizations ------------------------------------------------------------------------------
    def org(self, data: OrgData) -> None:
        where = FixedLocator(account_scope(self.account))
        levels = None
        if data.levels is not None:
            levels = tuple(ScpLevel(level.target_id, level.target_type, tuple(
                PolicyRef(where.at("/Policy"), None if content is None else parse_policy(
                    content, "/Policy/Content", where, name=f"{summary.get('Name')} ({summary.get('Id')})"),
                          arn=summary.get("Arn"), name=summary.get("Name"), kind="scp")
                for summary, content in level.policies)) for level in data.levels)
        self.inventory.org_policies.append(OrgPolicies(
            self.account, where.at(""), KIND_ORG, account=self.account, applies=data.applies,
            why_not_applicable=data.why_not, levels=levels, unreadable=data.unreadable))


def build_inventory(data: AccountData) -> Inventory:
    """The linked model of one account, from what was read (pure: no AWS calls)."""
    return _Builder(data).build()
