"""Building the model from what an audit read (``rumpolicy.load.live``): pure, no AWS calls.

One account's responses (``live_data.AccountData``) become AppMonitor, ResourcePolicy,
IdentityPool, RoleAttachment, Role, ManagedPolicy and OrgPolicies objects with literal
``Environment(partition, region, account)``, linked by ``rumpolicy.chain.link``. Everything a gap
left unread becomes an undecided check (RUM-SRC-001) or an unknown value, never an absence that a
rule could take for a pass. Locations point into the API responses (see ``rumpolicy.load.live``).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

from rumpolicy.aws import dns_suffix
from rumpolicy.chain.link import link
from rumpolicy.findings import Location
from rumpolicy.load.live_data import (AccountData, ManagedRecord, OrgData, PoolData, RegionData, RoleRecord,
                                      account_scope, region_scope)
from rumpolicy.model.arns import monitor_arn, parse_arn
from rumpolicy.model.inputs import UndecidedCheck
from rumpolicy.model.locator import FixedLocator, child
from rumpolicy.model.policy import Node, PolicyRef, parse_policy
from rumpolicy.model.resources import (AppMonitor, Environment, IdentityPool, Inventory, ManagedPolicy,
                                       OrgPolicies, ResourcePolicy, Role, RoleAttachment, ScpLevel)
from rumpolicy.model.symbols import Unknown

KIND_MONITOR = "live:rum:GetAppMonitor"
KIND_RESOURCE_POLICY = "live:rum:GetResourcePolicy"
KIND_POOL = "live:cognito-identity:DescribeIdentityPool"
KIND_POOL_ROLES = "live:cognito-identity:GetIdentityPoolRoles"
KIND_ROLE = "live:iam:role"
KIND_MANAGED_POLICY = "live:iam:GetPolicyVersion"
KIND_ORG = "live:organizations"


def _decoded(document: Any) -> Any:
    """IAM documents arrive decoded by botocore; a URL-encoded string is decoded here all the same."""
    if isinstance(document, str) and document.lstrip()[:3].upper() == "%7B":
        return unquote(document.strip())
    return document


def _node(container: dict, key: str, pointer: str, where: FixedLocator) -> Node | None:
    return Node(container[key], where.at(child(pointer, key))) if key in container else None


def _env(partition: str, region: str, account: str) -> Environment:
    return Environment(partition, region, account, dns_suffix(partition) or "amazonaws.com")


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
            arn = monitor_arn(env.partition, env.region, env.account, name)
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
