"""Reading live accounts through boto3 (``rumpolicy.load.live``): the calls, their answers checked, the readers.

``call`` and ``pages`` make one call or walk a paginated list, turning every failure (an AWS error,
a connection error, a body that is not JSON or XML, an answer without the shape of botocore's
service model: ``response_problem``) into ``CallFailed``. ``AccountReader`` and ``OrgReader`` make
the read-only calls of ``rumpolicy.audit.readonly`` and record the answers, and the calls that
failed, in the records of ``live_data``. Nothing here builds the model: ``live_build`` does.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future
from typing import Any, Callable, Iterable

from rumpolicy.load.live_data import (DEADLINE_REACHED, Gap, ManagedRecord, OrgData, PoolData, RegionData, RoleData,
                                      RoleRecord, ScpLevelData, UnreadPart, account_scope, managed_arns, pool_region,
                                      region_scope)
from rumpolicy.model.arns import parse_arn
from rumpolicy.model.locator import child
from rumpolicy.model.policy import type_name

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
# The code of a call whose answer is not what the service model says (see ``response_problem``).
MALFORMED = "MalformedResponse"
# IAM's policy documents: botocore decodes them from URL-encoded JSON into objects.
POLICY_DOCUMENT_SHAPE = "policyDocumentType"

ClientSource = Callable[[str, str], Any]     # (service, region) -> a botocore client for one account

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


class AccountReader:
    """Reads one account. ``clients`` gives this thread's clients for the account; ``cache`` is per run."""

    def __init__(self, account: str, partition: str, home_region: str, clients: ClientSource, cache: Once):
        self.account = account
        self.partition = partition
        self.home_region = home_region          # where the global services (IAM) are called
        self.clients = clients
        self.cache = cache

    # -- RUM ----------------------------------------------------------------------------------------
    def read_region(self, region: str, data: RegionData | None = None,
                    keep: Callable[[dict], bool] | None = None) -> RegionData:
        """The app monitors of one region, their resource policies, and the pools they name.

        Fills ``data`` when given, so that the audit can take what was read so far if it stops
        waiting (``RegionData.cut``): a monitor is added only with its resource policy's outcome.
        ``keep`` (the AWS Config rule: the monitors of a pool or a role) is asked about each
        ``GetAppMonitor`` response; a monitor it refuses is left out, its resource policy unread.
        A monitor that could not be read is kept as unread: it might have been one of them.
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
        for name in list(names):            # a copy: ``keep`` takes refused names out of ``listed``
            self._read_monitor(rum, name, data, keep)
        return data

    def read_monitors(self, region: str, names: Iterable[str], data: RegionData | None = None) -> RegionData:
        """The named app monitors of one region (not listed: the AWS Config rule reads the one that changed),
        their resource policies, and the pools they name. A name that is not found is ``gone``."""
        data = data if data is not None else RegionData(self.account, region)
        rum = self.clients("rum", region)
        data.listed = list(dict.fromkeys(names))
        for name in data.listed:
            self._read_monitor(rum, name, data)
        return data

    def _read_monitor(self, rum: Any, name: str, data: RegionData,
                      keep: Callable[[dict], bool] | None = None) -> None:
        """One monitor and its resource policy into ``data``; with ``keep``, only a monitor it accepts."""
        scope = region_scope(self.account, data.region)
        try:
            response = call(rum, "get_app_monitor", Name=name)
            required(response, "AppMonitor", "rum:GetAppMonitor")
        except CallFailed as exc:
            if exc.code != "ResourceNotFoundException":     # deleted since it was listed: nothing to check
                data.unread_monitors[name] = exc.reason
                data.gaps.append(Gap(scope, exc.call, f"app monitor {name}", exc.reason))
            else:
                data.gone.append(name)
            return
        if keep is not None and not keep(response):
            data.listed.remove(name)        # not one of the monitors asked for: neither read nor unread
            return
        if "GetResourcePolicy" in rum.meta.service_model.operation_names:
            self._read_policy(rum, name, data)
        else:
            reason = "the installed botocore has no GetResourcePolicy operation (upgrade boto3)"
            data.unread_policies[name] = reason
            data.gaps.append(Gap(scope, "rum:GetResourcePolicy", f"app monitor {name}", reason))
        data.monitors.append(response)
        data.add_pool_id(response)

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
        for policy_arn in managed_arns(list(data.records.values())):
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

