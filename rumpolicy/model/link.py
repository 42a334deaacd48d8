"""Connect the loaded resources into chains: monitor -> pool -> attachment -> role -> policies.

Links are made by exact string equality of identifiers as the input writes them: a literal pool id,
a role ARN, a role name, or the same symbolic token (``!Ref Pool`` on both sides). Whatever a chain
needs but the input does not contain is recorded as undecided (RUM-SRC-001), never assumed.
"""

from __future__ import annotations

from rumpolicy.findings import Location
from rumpolicy.iam import cognito
from rumpolicy.model.inputs import UndecidedCheck
from rumpolicy.model.policy import PolicyRef
from rumpolicy.model.resources import GuestRole, Inventory, MonitorUse, Role
from rumpolicy.model.symbols import render

UNAUTHENTICATED = "unauthenticated"
# AWS managed policies whose text rumpolicy ships, so a role attaching them can be evaluated.
AWS_MANAGED_POLICIES = {
    cognito.UNAUTH_SESSION_POLICY_NAME: cognito.UNAUTH_SESSION_POLICY,
    cognito.UNAUTH_MANAGED_POLICY_NAME: cognito.UNAUTH_MANAGED_POLICY,
}


def _key(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _resolve_policies(inventory: Inventory) -> None:
    by_arn: dict[str, object] = {}
    for policy in inventory.managed_policies:
        if policy.arn:
            by_arn.setdefault(policy.arn, policy)
    roles_by_name: dict[str, list[Role]] = {}
    for role in inventory.roles:
        if role.name:
            roles_by_name.setdefault(role.name, []).append(role)
    for policy in inventory.managed_policies:
        for target in policy.attached_role_names:
            name = _key(target.value)
            if name is None:
                inventory.undecided.append(UndecidedCheck(
                    None, policy.subject, f"the roles that {policy.subject} applies to could not be resolved",
                    target.location))
                continue
            for role in roles_by_name.get(name, []):
                role.policies.append(PolicyRef(target.location, policy.document, arn=policy.arn,
                                               name=policy.name or policy.subject,
                                               kind="managed" if policy.arn else "inline"))
    for role in inventory.roles:
        for node in role.managed_policy_arns:
            arn = _key(node.value)
            if arn is None:
                role.policies.append(PolicyRef(node.location, None, name="ManagedPolicyArns", kind="managed"))
                continue
            found = by_arn.get(arn)
            document = found.document if found else AWS_MANAGED_POLICIES.get(_aws_managed_name(arn))
            role.policies.append(PolicyRef(node.location, document, arn=arn,
                                           name=found.name if found else None, kind="managed"))
        if role.permissions_boundary is not None and role.boundary is None:
            arn = _key(role.permissions_boundary.value)
            found = by_arn.get(arn) if arn else None
            document = found.document if found else AWS_MANAGED_POLICIES.get(_aws_managed_name(arn or ""))
            role.boundary = PolicyRef(role.permissions_boundary.location, document, arn=arn, kind="boundary")


def _aws_managed_name(arn: str) -> str | None:
    # arn:<partition>:iam::aws:policy[/path]/Name — AWS managed policies rumpolicy ships the text of.
    marker = ":iam::aws:policy/"
    return arn.rsplit("/", 1)[-1] if marker in arn else None


def link(inventory: Inventory) -> None:
    """Fill the links of one group of resources (one template, or the dumps of one folder)."""
    _resolve_policies(inventory)
    pools = {}
    for pool in inventory.pools:
        if pool.pool_id:
            pools.setdefault(pool.pool_id, pool)
    for attachment in inventory.attachments:
        key = _key(attachment.identity_pool_id.value) if attachment.identity_pool_id else None
        pool = pools.get(key) if key else None
        attachment.pool = pool
        if pool is not None:
            pool.attachments.append(attachment)
    roles = {}
    for role in inventory.roles:
        if role.arn and isinstance(role.arn, str):
            roles.setdefault(role.arn, role)
    by_name = {}
    for monitor in inventory.monitors:
        if monitor.name is not None and isinstance(monitor.name.value, str):
            by_name.setdefault(monitor.name.value, monitor)
    for policy in inventory.resource_policies:
        if policy.monitor is None and policy.monitor_name is not None:
            monitor = by_name.get(policy.monitor_name.value) if _key(policy.monitor_name.value) else None
            if monitor is not None:
                policy.monitor = monitor
                monitor.resource_policies.append(policy)

    guests: dict[int, GuestRole] = {}

    def guest(role: Role) -> GuestRole:
        if id(role) not in guests:
            guests[id(role)] = GuestRole(role.subject, role.location, role.kind, role=role)
        return guests[id(role)]

    def missing_role(subject: str, arn: str, where: Location) -> None:
        inventory.undecided.append(UndecidedCheck(
            None, subject,
            f"role {render(arn)} is not in the input, so its trust policy and permissions were not checked",
            where))

    for monitor in inventory.monitors:
        if monitor.identity_pool_id is not None:
            key = _key(monitor.identity_pool_id.value)
            monitor.identity_pool = pools.get(key) if key else None
            if monitor.identity_pool is not None:
                monitor.identity_pool.monitors.append(monitor)
        if monitor.guest_role_arn is not None:
            arn = _key(monitor.guest_role_arn.value)
            role = roles.get(arn) if arn else None
            monitor.guest_role = role
            if role is not None:
                guest(role).uses.append(MonitorUse(monitor, "basic", monitor.guest_role_arn.location))
            elif arn and not monitor.declared_only:
                missing_role(monitor.subject, arn, monitor.guest_role_arn.location)
        pool = monitor.identity_pool
        for attachment in pool.attachments if pool else ():
            node = attachment.role_arn(UNAUTHENTICATED)
            arn = _key(node.value) if node else None
            role = roles.get(arn) if arn else None
            if role is not None:
                guest(role).uses.append(MonitorUse(monitor, "enhanced", node.location))
            elif arn:
                missing_role(monitor.subject, arn, node.location)
    for pool in inventory.pools:
        for attachment in pool.attachments:
            node = attachment.role_arn(UNAUTHENTICATED)
            role = roles.get(_key(node.value)) if node and _key(node.value) else None
            if role is not None and pool not in guest(role).pools:
                guest(role).pools.append(pool)
    for role in inventory.roles:
        if role.bare and id(role) not in guests:
            guest(role)
    declared = [m for m in inventory.monitors if m.declared_only]
    for role in inventory.roles:
        if role.bare and role.policies:
            for monitor in declared:
                guest(role).uses.append(MonitorUse(monitor, "declared", monitor.location))
    inventory.guest_roles.extend(guests.values())
