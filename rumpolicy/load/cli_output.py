"""AWS CLI output (``aws ... --output json``: ``get-role``, ``get-app-monitor``...) -> the model.

Each output is recognized by its content (``recognize``): it has the top-level shape of its botocore
response (``GetRoleResponse``, ``IdentityPool``, ``GetAppMonitorResponse``...). ``CliOutputLoader``
reads one output per file; the inventories of one folder are merged and then linked by exact
identifier equality (pool id, role ARN, role name, app monitor name), so every identifier is
produced exactly as AWS writes it.

Some CLI outputs do not name what they belong to. They are linked through the other outputs in the
same folder, read again here because ``load_document`` sees one file at a time:

* ``list-attached-role-policies`` has no ``RoleName``. Its ``PolicyArn`` values become the
  ``managed_policy_arns`` of the role of the folder's ``get-role`` output, provided the folder
  describes exactly one role (counting the roles named by ``get-role``, ``get-role-policy`` and
  ``get-account-authorization-details`` outputs). Otherwise the attachments are recorded as undecided.
* ``get-policy-version`` has no policy ARN. It is the document of the folder's ``get-policy`` output
  when the folder holds exactly one of each (and their version ids do not contradict each other);
  else of the one ``get-policy`` whose ``DefaultVersionId`` equals its ``VersionId``, narrowed, when
  several do, to those whose ``PolicyName`` occurs in the version file's name. A version that cannot
  be placed, or is not the default version, is recorded as undecided.
* ``get-resource-policy`` has no app monitor name. It belongs to the folder's only ``get-app-monitor``
  output; without exactly one, to the monitor its ``Resource`` ARNs name.

Wrong shapes (``"Roles": 5``) become located ``Problem`` entries on the ``InputFile``; nothing here
raises on input. Values are kept as written, so a rule can say what is wrong with them.
"""

from __future__ import annotations

import os
from functools import lru_cache
from typing import Any, Callable, Iterable

from rumpolicy.aws import POOL_ID_REGION
from rumpolicy.findings import Location
from rumpolicy.load import WALK_EXTENSIONS
from rumpolicy.load.bare_policy import (IAM_POLICY, DocumentLoader, decoded, is_policy, parse_monitor_arn,
                                        split_arn, url_suffix)
from rumpolicy.load.source import ParsedSource, SourceError, parse_text, read_text
from rumpolicy.model import (AppMonitor, Environment, IdentityPool, ManagedPolicy, Node, PolicyDocument, PolicyRef,
                             ResourcePolicy, Role, RoleAttachment, parse_policy)
from rumpolicy.model.locator import SourceLocator, child
from rumpolicy.model.policy import type_name
from rumpolicy.model.symbols import OPAQUE, has_symbols, token
from rumpolicy.records import value_type

GET_ROLE = "cli:iam:get-role"
GET_ROLE_POLICY = "cli:iam:get-role-policy"
GET_POLICY = "cli:iam:get-policy"
GET_POLICY_VERSION = "cli:iam:get-policy-version"
LIST_ATTACHED_ROLE_POLICIES = "cli:iam:list-attached-role-policies"
GET_ACCOUNT_AUTHORIZATION_DETAILS = "cli:iam:get-account-authorization-details"
DESCRIBE_IDENTITY_POOL = "cli:cognito-identity:describe-identity-pool"
GET_IDENTITY_POOL_ROLES = "cli:cognito-identity:get-identity-pool-roles"
GET_APP_MONITOR = "cli:rum:get-app-monitor"
GET_RESOURCE_POLICY = "cli:rum:get-resource-policy"

# boto3 responses saved with json.dump carry this; the AWS CLI strips it.
RESPONSE_METADATA = "ResponseMetadata"
# Any of these set means the pool also serves signed-in users (IdentityPool.has_login_providers).
LOGIN_PROVIDERS: dict[str, tuple[type, str]] = {
    "SupportedLoginProviders": (dict, "an object"), "DeveloperProviderName": (str, "a string"),
    "OpenIdConnectProviderARNs": (list, "a list"), "CognitoIdentityProviders": (list, "a list"),
    "SamlProviderARNs": (list, "a list"),
}
AUTHORIZATION_DETAILS_KEYS = frozenset({"UserDetailList", "GroupDetailList", "RoleDetailList", "Policies",
                                        "IsTruncated", "Marker"})
LIST_KEYS = frozenset({"AttachedPolicies", "IsTruncated", "Marker"})
RESOURCE_POLICY_KEYS = frozenset({"PolicyDocument", "PolicyRevisionId"})


# --- recognition ---------------------------------------------------------------------------------------

def _has_object_with(data: dict, key: str, members: Iterable[str]) -> bool:
    value = data.get(key)
    return isinstance(value, dict) and any(m in value for m in members)


def _is_authorization_details(data: dict, keys: set[str]) -> bool:
    if not keys <= AUTHORIZATION_DETAILS_KEYS:
        return False
    if "RoleDetailList" in keys:
        return True
    policies = data.get("Policies")
    return isinstance(policies, list) and any(isinstance(p, dict) and "PolicyVersionList" in p for p in policies)


_SIGNATURES: tuple[tuple[str, Callable[[dict, set[str]], bool]], ...] = (
    (IAM_POLICY, is_policy),
    (GET_ROLE, lambda d, k: k == {"Role"} and _has_object_with(
        d, "Role", ("RoleName", "Arn", "AssumeRolePolicyDocument", "RoleId"))),
    (GET_ROLE_POLICY, lambda d, k: {"RoleName", "PolicyName", "PolicyDocument"} <= k),
    (GET_POLICY_VERSION, lambda d, k: k == {"PolicyVersion"} and _has_object_with(
        d, "PolicyVersion", ("Document", "VersionId"))),
    (GET_POLICY, lambda d, k: k == {"Policy"} and _has_object_with(
        d, "Policy", ("PolicyName", "Arn", "DefaultVersionId", "PolicyId"))),
    (LIST_ATTACHED_ROLE_POLICIES, lambda d, k: "AttachedPolicies" in k and k <= LIST_KEYS
        and isinstance(d["AttachedPolicies"], list)),
    (GET_ACCOUNT_AUTHORIZATION_DETAILS, _is_authorization_details),
    (DESCRIBE_IDENTITY_POOL, lambda d, k: "IdentityPoolId" in k and "Roles" not in k
        and ("AllowUnauthenticatedIdentities" in k or "IdentityPoolName" in k)),
    (GET_IDENTITY_POOL_ROLES, lambda d, k: "IdentityPoolId" in k and ("Roles" in k or "RoleMappings" in k)),
    (GET_APP_MONITOR, lambda d, k: k == {"AppMonitor"} and _has_object_with(
        d, "AppMonitor", ("Name", "Id", "AppMonitorConfiguration", "Domain", "DomainList"))),
    (GET_RESOURCE_POLICY, lambda d, k: "PolicyDocument" in k and k <= RESOURCE_POLICY_KEYS),
)


def recognize(data: Any) -> str | None:
    """The kind of a parsed JSON/YAML document, from its content only; None when it is none of ours.

    A bare policy document is ``IAM_POLICY`` (tried first); every other kind is a CLI output's.

    Each CLI output is recognized by its top-level keys and the type of its wrapper object, not by
    the types inside: a ``get-role`` output with ``"Arn": 5`` is still a broken ``get-role`` output
    (reported as a problem), while ``{"Role": "admin"}`` in some YAML file is not ours at all.
    """
    if not isinstance(data, dict):
        return None
    keys = set(data) - {RESPONSE_METADATA}
    for kind, matches in _SIGNATURES:
        if matches(data, keys):
            return kind
    return None


# --- the folder ----------------------------------------------------------------------------------------

def _arn_name(arn: str) -> str | None:
    """Last path segment of an IAM ARN's resource: the role name of ``...:role/path/name``."""
    parsed = split_arn(arn)
    return parsed.resource.rsplit("/", 1)[-1] if parsed and "/" in parsed.resource else None


@value_type
class _Sibling:
    """Another recognized file in the folder of the file being loaded."""

    parsed: ParsedSource
    kind: str

    @property
    def data(self) -> dict:
        return self.parsed.data

    def at(self, pointer: str) -> Location:
        return SourceLocator(self.parsed.path, self.parsed.span_for).at(pointer)


def _siblings(path: str, max_bytes: int) -> tuple[_Sibling, ...]:
    """The recognized CLI outputs (not bare policies) in ``path``'s folder, ``path`` itself included.

    Cached on the folder's listing (names, sizes and modification times), so that a folder of many
    dumps is read once per run, and a changed folder is read again.
    """
    folder = os.path.dirname(os.path.abspath(path))
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return ()
    listing = []
    for name in names:
        full = os.path.join(folder, name)
        if os.path.splitext(name)[1].lower() not in WALK_EXTENSIONS:
            continue
        try:
            stat = os.stat(full)
        except OSError:
            continue
        if os.path.isfile(full):
            listing.append((name, stat.st_size, stat.st_mtime_ns))
    return _read_folder(folder, tuple(listing), max_bytes)


@lru_cache(maxsize=32)
def _read_folder(folder: str, listing: tuple[tuple[str, int, int], ...], max_bytes: int) -> tuple[_Sibling, ...]:
    found = []
    for name, size, _ in listing:
        if size > max_bytes:
            continue
        full = os.path.join(folder, name)
        try:
            parsed = parse_text(read_text(full, max_bytes=max_bytes), full)
        except SourceError:
            continue
        kind = recognize(parsed.data)
        if kind is not None and kind != IAM_POLICY:
            found.append(_Sibling(parsed, kind))
    return tuple(found)


def _same_file(a: str, b: str) -> bool:
    return os.path.abspath(a) == os.path.abspath(b)


def _folder_role_names(siblings: Iterable[_Sibling]) -> set[str]:
    """Every role a folder's IAM outputs describe, by name: the roles a role-less output might belong to."""
    names: set[str] = set()
    for sibling in siblings:
        data = sibling.data
        if sibling.kind == GET_ROLE:
            role = data["Role"]
            name = role.get("RoleName") if isinstance(role.get("RoleName"), str) else _arn_name(role.get("Arn"))
            if name:
                names.add(name)
        elif sibling.kind == GET_ROLE_POLICY and isinstance(data["RoleName"], str):
            names.add(data["RoleName"])
        elif sibling.kind == GET_ACCOUNT_AUTHORIZATION_DETAILS and isinstance(data.get("RoleDetailList"), list):
            names.update(r["RoleName"] for r in data["RoleDetailList"]
                         if isinstance(r, dict) and isinstance(r.get("RoleName"), str))
    return names


def _get_role_names(siblings: Iterable[_Sibling]) -> set[str]:
    return {n for s in siblings if s.kind == GET_ROLE for n in _folder_role_names([s])}


# --- the loader ----------------------------------------------------------------------------------------

class CliOutputLoader(DocumentLoader):
    """Loads one AWS CLI output; one method per kind, named after it."""

    def read(self, data: dict) -> None:
        _LOADERS[self.kind](self, data)

    # -- plumbing ------------------------------------------------------------------------------------
    def siblings(self) -> tuple[_Sibling, ...]:
        return _siblings(self.parsed.path, self.options.max_file_size)

    def field(self, container: dict, key: str, base: str, expected: type | tuple[type, ...], what: str,
              *, required: bool = False) -> Node | None:
        """The member as written, with its location; a problem when it is missing or of the wrong type."""
        pointer = child(base, key)
        if key not in container:
            if required:
                self.problem(f"`{key}` is missing", base)
            return None
        value = container[key]
        if not isinstance(value, expected):
            self.problem(f"`{key}` must be {what}, not {type_name(value)}", pointer)
        return Node(value, self.where.at(pointer))

    def text(self, container: dict, key: str, base: str, *, required: bool = False) -> str | None:
        node = self.field(container, key, base, str, "a string", required=required)
        return node.value if node is not None and isinstance(node.value, str) else None

    def flag(self, container: dict, key: str, base: str, *, required: bool = False) -> Node | None:
        return self.field(container, key, base, bool, "a boolean (true or false)", required=required)

    def mapping(self, container: dict, key: str, base: str, *, required: bool = False) -> dict | None:
        node = self.field(container, key, base, dict, "an object", required=required)
        return node.value if node is not None and isinstance(node.value, dict) else None

    def items(self, container: dict, key: str, base: str) -> list[tuple[str, dict]]:
        """The objects of a list member, with their pointers; problems for the list and for non-objects."""
        node = self.field(container, key, base, list, "a list")
        if node is None or not isinstance(node.value, list):
            return []
        out = []
        for i, item in enumerate(node.value):
            pointer = child(base, key, i)
            if isinstance(item, dict):
                out.append((pointer, item))
            else:
                self.problem(f"each item of `{key}` must be an object, not {type_name(item)}", pointer)
        return out

    def policy(self, container: dict, key: str, base: str, name: str | None) -> PolicyDocument | None:
        """A policy document given as an object or as a (possibly URL-encoded) JSON string; required."""
        if key not in container:
            self.problem(f"`{key}` is missing", base)
            return None
        return parse_policy(decoded(container[key]), child(base, key), self.where, name=name)

    def env_of_arn(self, arn: str | None, subject: str) -> Environment:
        """Partition and account from the ARN; IAM ARNs carry no region, so ``--region`` or a token."""
        parsed = split_arn(arn)
        partition = parsed.partition if parsed else self.options.partition
        region = (parsed.region if parsed else "") or self.options.region or token(OPAQUE, f"region of {subject}")
        account = (parsed.account if parsed else "") or self.options.account or token(OPAQUE, f"account of {subject}")
        return Environment(partition, region, account, url_suffix(partition))

    # -- IAM -----------------------------------------------------------------------------------------
    def get_role(self, data: dict) -> None:
        raw = self.mapping(data, "Role", "", required=True)
        if raw is None:
            return
        base = "/Role"
        name = self.text(raw, "RoleName", base, required=True)
        arn = self.text(raw, "Arn", base, required=True)
        subject = arn or name or self.parsed.path
        role = Role(subject, self.where.at(base), self.kind, env=self.env_of_arn(arn, subject),
                    name=name or (_arn_name(arn) if arn else None), arn=arn,
                    trust_policy=self.policy(raw, "AssumeRolePolicyDocument", base, "trust policy"),
                    permissions_boundary=self.boundary(raw, base))
        self.attach_listed_policies(role)
        self.inventory.roles.append(role)

    def boundary(self, raw: dict, base: str) -> Node | None:
        boundary = self.mapping(raw, "PermissionsBoundary", base)
        if boundary is None:
            return None
        return self.field(boundary, "PermissionsBoundaryArn", child(base, "PermissionsBoundary"), str,
                          "a string", required=True)

    def attach_listed_policies(self, role: Role) -> None:
        """The folder's ``list-attached-role-policies`` outputs, when this is the only role there."""
        siblings = self.siblings()
        if role.name is None or _folder_role_names(siblings) != {role.name}:
            return
        for sibling in siblings:
            if sibling.kind != LIST_ATTACHED_ROLE_POLICIES:
                continue
            for i, item in enumerate(sibling.data["AttachedPolicies"]):
                if isinstance(item, dict) and isinstance(item.get("PolicyArn"), str):
                    pointer = child("/AttachedPolicies", i, "PolicyArn")
                    role.managed_policy_arns.append(Node(item["PolicyArn"], sibling.at(pointer)))

    def list_attached_role_policies(self, data: dict) -> None:
        attached = self.items(data, "AttachedPolicies", "")
        for pointer, item in attached:
            self.text(item, "PolicyArn", pointer, required=True)
            self.text(item, "PolicyName", pointer)
        truncated = self.flag(data, "IsTruncated", "")
        path = self.parsed.path
        if truncated is not None and truncated.value is True:
            self.undecided(path, "the list of attached policies is truncated (IsTruncated); policies on later "
                                 "pages were not checked: run the command without --max-items", truncated.location)
        if not attached:
            return
        siblings = self.siblings()
        roles = _folder_role_names(siblings)
        if len(roles) == 1 and roles <= _get_role_names(siblings):
            return      # the role's get-role output takes these attachments (attach_listed_policies)
        if not roles:
            reason = "the folder has no get-role output"
        elif len(roles) > 1:
            reason = f"the folder describes {len(roles)} roles ({', '.join(sorted(roles))})"
        else:
            reason = f"the folder has no get-role output for role {next(iter(roles))}"
        self.undecided(path, "list-attached-role-policies output does not name its role and " + reason +
                       ", so these attached policies were not checked: keep one role's outputs per folder",
                       self.where.at("/AttachedPolicies"))

    def get_role_policy(self, data: dict) -> None:
        role_name = self.field(data, "RoleName", "", str, "a string", required=True)
        name = self.text(data, "PolicyName", "", required=True)
        shown_role = role_name.value if role_name and isinstance(role_name.value, str) else "?"
        self.inventory.managed_policies.append(ManagedPolicy(
            f"{shown_role}/{name or '?'}", self.where.at(""), self.kind, name=name,
            document=self.policy(data, "PolicyDocument", "", name),
            attached_role_names=[role_name] if role_name else []))

    def get_policy(self, data: dict) -> None:
        # The ARN and default version id are read by get_policy_version; alone, this output holds no document.
        raw = self.mapping(data, "Policy", "", required=True)
        if raw is not None:
            for key in ("PolicyName", "Arn", "DefaultVersionId"):
                self.text(raw, key, "/Policy", required=True)

    def get_policy_version(self, data: dict) -> None:
        raw = self.mapping(data, "PolicyVersion", "", required=True)
        if raw is None:
            return
        base = "/PolicyVersion"
        version = self.text(raw, "VersionId", base)
        default = self.flag(raw, "IsDefaultVersion", base)
        location = self.where.at(base)
        path = self.parsed.path
        if default is not None and default.value is False:
            self.undecided(path, f"policy version {version or '?'} is not its policy's default version, so it "
                                 "is not in effect and was not checked", default.location)
            return
        owner, reason = self.version_owner(version)
        if owner is None:
            self.undecided(path, f"the managed policy this version belongs to is not known: {reason}; "
                                 "put its get-policy output in the same folder", location)
        arn = owner.get("Arn") if owner and isinstance(owner.get("Arn"), str) else None
        name = owner.get("PolicyName") if owner and isinstance(owner.get("PolicyName"), str) else None
        self.inventory.managed_policies.append(ManagedPolicy(
            arn or path, location, self.kind, arn=arn, name=name,
            document=self.policy(raw, "Document", base, name)))

    def version_owner(self, version: str | None) -> tuple[dict | None, str]:
        """The ``Policy`` object of the folder's get-policy output this version is the default of, or why not."""
        siblings = self.siblings()
        policies = [s.data["Policy"] for s in siblings if s.kind == GET_POLICY]
        versions = [s for s in siblings if s.kind == GET_POLICY_VERSION]
        if len(policies) == 1 and len(versions) == 1 and _same_file(versions[0].parsed.path, self.parsed.path):
            default = policies[0].get("DefaultVersionId")
            if isinstance(default, str) and version is not None and default != version:
                return None, f"the folder's policy has default version {default}, not {version}"
            return policies[0], ""
        if not policies:
            return None, "the folder has no get-policy output"
        candidates = [p for p in policies if version is not None and p.get("DefaultVersionId") == version]
        if len(candidates) == 1:
            return candidates[0], ""
        if not candidates:
            return None, f"no get-policy output in the folder has default version {version or '(none given)'}"
        file_name = os.path.basename(self.parsed.path).lower()
        named = [p for p in candidates if isinstance(p.get("PolicyName"), str) and p["PolicyName"].lower() in file_name]
        if len(named) == 1:
            return named[0], ""
        return None, (f"{len(candidates)} get-policy outputs in the folder have default version {version}, and "
                      f"{len(named) or 'none'} of their names occur in the file name")

    def get_account_authorization_details(self, data: dict) -> None:
        for pointer, raw in self.items(data, "RoleDetailList", ""):
            self.detail_role(raw, pointer)
        for pointer, raw in self.items(data, "Policies", ""):
            self.detail_policy(raw, pointer)
        truncated = self.flag(data, "IsTruncated", "")
        if truncated is not None and truncated.value is True:
            self.undecided(self.parsed.path, "the output is truncated (IsTruncated): roles and policies on later "
                                             "pages are missing and were not checked", truncated.location)

    def detail_role(self, raw: dict, base: str) -> None:
        name = self.text(raw, "RoleName", base, required=True)
        arn = self.text(raw, "Arn", base, required=True)
        subject = arn or name or f"{self.parsed.path}#{base}"
        role = Role(subject, self.where.at(base), self.kind, env=self.env_of_arn(arn, subject),
                    name=name or (_arn_name(arn) if arn else None), arn=arn,
                    trust_policy=self.policy(raw, "AssumeRolePolicyDocument", base, "trust policy"),
                    permissions_boundary=self.boundary(raw, base))
        for pointer, item in self.items(raw, "RolePolicyList", base):
            policy_name = self.text(item, "PolicyName", pointer, required=True)
            document = self.policy(item, "PolicyDocument", pointer, policy_name)
            if document is not None:
                role.policies.append(PolicyRef(self.where.at(pointer), document, name=policy_name, kind="inline"))
        for pointer, item in self.items(raw, "AttachedManagedPolicies", base):
            arn_node = self.field(item, "PolicyArn", pointer, str, "a string", required=True)
            if arn_node is not None:
                role.managed_policy_arns.append(arn_node)
        self.inventory.roles.append(role)

    def detail_policy(self, raw: dict, base: str) -> None:
        arn = self.text(raw, "Arn", base, required=True)
        name = self.text(raw, "PolicyName", base)
        subject = arn or name or f"{self.parsed.path}#{base}"
        document = None
        defaults = [(p, v) for p, v in self.items(raw, "PolicyVersionList", base) if v.get("IsDefaultVersion") is True]
        if len(defaults) == 1:
            pointer, version = defaults[0]
            document = self.policy(version, "Document", pointer, name)
        else:
            self.undecided(subject, f"{len(defaults) or 'no'} versions of {subject} are marked IsDefaultVersion, "
                                    "so its document is not known", self.where.at(base))
        self.inventory.managed_policies.append(ManagedPolicy(subject, self.where.at(base), self.kind, arn=arn,
                                                             name=name, document=document))

    # -- Cognito -------------------------------------------------------------------------------------
    def pool_env(self, pool_id: str | None, subject: str) -> Environment:
        """Region from the pool id's prefix; the account is not in the output."""
        match = POOL_ID_REGION.match(pool_id) if pool_id else None
        partition = self.options.partition
        region = match.group(1) if match else self.options.region or token(OPAQUE, f"region of {subject}")
        account = self.options.account or token(OPAQUE, f"account of {subject}")
        return Environment(partition, region, account, url_suffix(partition))

    def describe_identity_pool(self, data: dict) -> None:
        pool_id = self.text(data, "IdentityPoolId", "", required=True)
        subject = pool_id or self.parsed.path
        login_nodes = [self.field(data, key, "", expected, what) for key, (expected, what) in LOGIN_PROVIDERS.items()]
        self.inventory.pools.append(IdentityPool(
            subject, self.where.at(""), self.kind, env=self.pool_env(pool_id, subject), pool_id=pool_id,
            name=self.field(data, "IdentityPoolName", "", str, "a string", required=True),
            allow_unauthenticated=self.flag(data, "AllowUnauthenticatedIdentities", "", required=True),
            allow_classic_flow=self.flag(data, "AllowClassicFlow", ""),
            has_login_providers=any(node is not None and node.value for node in login_nodes)))

    def get_identity_pool_roles(self, data: dict) -> None:
        pool = self.field(data, "IdentityPoolId", "", str, "a string", required=True)
        subject = pool.value if pool and isinstance(pool.value, str) else self.parsed.path
        attachment = RoleAttachment(subject, self.where.at(""), self.kind, identity_pool_id=pool,
                                    role_mappings=self.field(data, "RoleMappings", "", dict, "an object"),
                                    roles_location=self.where.at("/Roles") if "Roles" in data else None)
        roles = self.mapping(data, "Roles", "")
        for role_type, arn in (roles or {}).items():
            pointer = child("/Roles", role_type)
            if not isinstance(arn, str):
                self.problem(f"the `{role_type}` role must be an ARN string, not {type_name(arn)}", pointer)
            attachment.roles[role_type] = Node(arn, self.where.at(pointer))
        self.inventory.attachments.append(attachment)

    # -- RUM -----------------------------------------------------------------------------------------
    def get_app_monitor(self, data: dict) -> None:
        raw = self.mapping(data, "AppMonitor", "", required=True)
        if raw is None:
            return
        base = "/AppMonitor"
        name = self.field(raw, "Name", base, str, "a string", required=True)
        config = self.mapping(raw, "AppMonitorConfiguration", base)
        config_base = child(base, "AppMonitorConfiguration")
        monitor = AppMonitor(self.parsed.path, self.where.at(base), self.kind,
                             name=name, domain=self.field(raw, "Domain", base, str, "a string"),
                             domain_list=self.field(raw, "DomainList", base, list, "a list"),
                             platform=self.field(raw, "Platform", base, str, "a string"),
                             has_configuration=config is not None,
                             app_monitor_id=self.field(raw, "Id", base, str, "a string"))
        if config is not None:
            monitor.identity_pool_id = self.field(config, "IdentityPoolId", config_base, str, "a string")
            monitor.guest_role_arn = self.field(config, "GuestRoleArn", config_base, str, "a string")
        self.place_monitor(monitor)
        self.inventory.monitors.append(monitor)

    def place_monitor(self, monitor: AppMonitor) -> None:
        """Region and account of a dumped monitor: GetAppMonitor returns no ARN.

        An ``--app-monitor`` ARN with the same name pins both (``files`` does the same when it merges
        declared monitors), else ``--region``/``--account``, else tokens and an undecided note.
        """
        name = monitor.name.value if monitor.name and isinstance(monitor.name.value, str) else None
        label = f"app monitor {name}" if name else f"the app monitor in {self.parsed.path}"
        declared = [m for m in (parse_monitor_arn(a) for a in self.options.app_monitors) if m and m.name == name]
        if len(declared) == 1:
            pinned = declared[0]
            monitor.env = Environment(pinned.partition, pinned.region, pinned.account, url_suffix(pinned.partition))
        else:
            monitor.env = self.unpinned_env(label)
            missing = [flag for flag, value in (("--region", self.options.region),
                                                ("--account", self.options.account)) if value is None]
            if missing:
                self.undecided(name or self.parsed.path,
                               f"get-app-monitor output has no ARN, so the region and account of {label} are "
                               f"not known and the checks that compare them were not made: pass "
                               f"{' and '.join(missing)}, or --app-monitor with its ARN",
                               monitor.name.location if monitor.name else monitor.location)
        if name is not None:
            monitor.subject = name if has_symbols(monitor.arn) else monitor.arn

    def get_resource_policy(self, data: dict) -> None:
        raw = self.field(data, "PolicyDocument", "", str, "a JSON string", required=True)
        self.text(data, "PolicyRevisionId", "")
        if raw is None:
            return
        document = parse_policy(raw.value, "/PolicyDocument", self.where, name="resource policy")
        monitors = [s for s in self.siblings() if s.kind == GET_APP_MONITOR
                    and isinstance(s.data["AppMonitor"].get("Name"), str)]
        if len(monitors) == 1:
            name = Node(monitors[0].data["AppMonitor"]["Name"], monitors[0].at("/AppMonitor/Name"))
        else:
            name = self.policy_monitor(document, self.parsed.path)
        self.inventory.resource_policies.append(ResourcePolicy(
            self.parsed.path, self.where.at(""), self.kind, monitor_name=name, raw=raw, document=document))


_LOADERS: dict[str, Callable[[CliOutputLoader, dict], None]] = {
    GET_ROLE: CliOutputLoader.get_role,
    GET_ROLE_POLICY: CliOutputLoader.get_role_policy,
    GET_POLICY: CliOutputLoader.get_policy,
    GET_POLICY_VERSION: CliOutputLoader.get_policy_version,
    LIST_ATTACHED_ROLE_POLICIES: CliOutputLoader.list_attached_role_policies,
    GET_ACCOUNT_AUTHORIZATION_DETAILS: CliOutputLoader.get_account_authorization_details,
    DESCRIBE_IDENTITY_POOL: CliOutputLoader.describe_identity_pool,
    GET_IDENTITY_POOL_ROLES: CliOutputLoader.get_identity_pool_roles,
    GET_APP_MONITOR: CliOutputLoader.get_app_monitor,
    GET_RESOURCE_POLICY: CliOutputLoader.get_resource_policy,
}
# The kinds of ``recognize`` that this module loads: all but ``IAM_POLICY``.
CLI_KINDS = frozenset(_LOADERS)
