"""Connect the loaded resources into chains: monitor -> pool -> attachment -> role -> policies.

Links are made by exact string equality of identifiers as the input writes them: a literal pool id,
a role ARN, a role name, or the same symbolic token (``!Ref Pool`` on both sides). Whatever a chain
needs but the input does not contain is recorded as undecided (RUM-SRC-001), never assumed.
"""

from __future__ import annotations

from typing import Mapping

from rumpolicy.findings import Location
from rumpolicy.iam import cognito
from rumpolicy.model.inputs import UndecidedCheck
from rumpolicy.model.policy import PolicyRef
from rumpolicy.model.resources import GuestRole, Inventory, MonitorUse, Role, UnnamedPool
from rumpolicy.model.arns import same
from rumpolicy.model.symbols import has_symbols, render

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


def link(inventory: Inventory, unread_roles: Mapping[str, str] | None = None) -> None:
    """Fill the links of one group of resources (one template, or the dumps of one folder).

    ``unread_roles`` maps role ARNs the loader tried and failed to read (a live account's
    AccessDenied) to the reason, which the undecided note then gives instead of "not in the input".
    """
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
    unresolved_policies = []
    for policy in inventory.resource_policies:
        if policy.monitor is None and policy.monitor_name is not None:
            monitor = by_name.get(policy.monitor_name.value) if _key(policy.monitor_name.value) else None
            if monitor is not None:
                policy.monitor = monitor
                monitor.resource_policies.append(policy)
            elif has_symbols(policy.monitor_name.value) or not isinstance(policy.monitor_name.value, str):
                unresolved_policies.append(policy)
    # A policy whose monitor name is known only at deployment (`var.monitor`, a parameter) may be any
    # monitor's of the same input: none of them can be said to lack one (RUM-MON-003 stays undecided).
    for monitor in inventory.monitors:
        monitor.unresolved_resource_policies = [p for p in unresolved_policies if p not in monitor.resource_policies]

    guests: dict[int, GuestRole] = {}

    def guest(role: Role) -> GuestRole:
        if id(role) not in guests:
            guests[id(role)] = GuestRole(role.subject, role.location, role.kind, role=role)
        return guests[id(role)]

    def missing_role(subject: str, arn: str, where: Location) -> None:
        reason = (unread_roles or {}).get(arn)
        why = f"was not read because {reason}" if reason else "is not in the input"
        inventory.undecided.append(UndecidedCheck(
            None, subject, f"role {render(arn)} {why}, so its trust policy and permissions were not checked", where))

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
    _unnamed_pools(inventory, roles)
    declared = [m for m in inventory.monitors if m.declared_only]
    for role in inventory.roles:
        if role.bare and role.policies:
            for monitor in declared:
                guest(role).uses.append(MonitorUse(monitor, "declared", monitor.location))
    inventory.guest_roles.extend(guests.values())


def _unnamed_pools(inventory: Inventory, roles: Mapping[str, Role]) -> None:
    """Offer a monitor that names no pool and no guest role the pools of its input that no monitor names
    but that attach an `unauthenticated` role: the usual slip is a pool, role and attachment written and
    `IdentityPoolId` forgotten on the monitor (RUM-MON-003 then names them)."""
    unnamed = []
    for pool in inventory.pools:
        if pool.monitors:
            continue
        for attachment in pool.attachments:
            node = attachment.role_arn(UNAUTHENTICATED)
            if node is not None:
                role = roles.get(_key(node.value)) if _key(node.value) else None
                unnamed.append(UnnamedPool(pool, attachment, node, role))
    if not unnamed:
        return
    for monitor in inventory.monitors:
        if monitor.identity_pool_id is None and monitor.guest_role_arn is None and not monitor.declared_only:
            monitor.unnamed_pools = list(unnamed)


def drop_unrelated(inventory: Inventory) -> None:
    """Forget the roles and policies of a linked, self-contained group that no RUM chain uses.

    A template's Lambda and ECS roles are loaded because any role might turn out to be a guest
    role; once linked, those that are not cost memory on every template of a large run and no rule
    reads them (their input problems are already on the file).
    """
    used = {id(guest.role) for guest in inventory.guest_roles if guest.role is not None}
    inventory.roles = [role for role in inventory.roles if id(role) in used]
    inventory.managed_policies = []


def link_clients(inventory: Inventory) -> None:
    """Link every web client to its app monitor and identity pool, across the whole run.

    A client names its monitor by Id, which the input holds literally only where the monitor is
    deployed (AWS CLI output, Terraform state); a template's ``!GetAtt Monitor.Id`` is not known.
    So a client is matched, in this order, by:

    1. its application id = a monitor's literal Id;
    2. the monitor name it declares (a ``rumpolicy: app-monitor=NAME`` comment before the snippet or
       the constructor, ``appMonitorName`` in a JSON config) = a monitor's literal Name;
    3. its literal ``identityPoolId`` = a monitor's literal ``IdentityPoolId``.

    A step with several matches keeps those in the client's region; still several is undecided
    (RUM-SRC-001); none goes on to the next step. The client's pool is the linked monitor's pool when
    the client's ``identityPoolId`` can be that pool's id, else the pool of the input with that literal id.
    Unsigned clients of a linked monitor join its ``unsigned_clients`` (checked by RUM-RBP-006).
    """
    pools = {p.pool_id: p for p in inventory.pools if _literal(p.pool_id)}
    groups: dict[str, list] = {}
    for client in inventory.web_clients:
        groups.setdefault(client.origin, []).append(client)
        monitor = _client_monitor(client, inventory)
        client.monitor = monitor
        if monitor is not None:
            monitor.web_clients.append(client)
            if (client.signs is False and not client.proxy_endpoint and not monitor.declared_only
                    and not client.ignores_its_pool
                    and not (client.endpoint is not None and not _literal(client.endpoint.value))):
                written = client.signing or client.build
                monitor.unsigned_clients.append(written.location if written is not None else client.location)
        pool_id = client.identity_pool_id.value if client.identity_pool_id is not None else None
        pool = None
        if monitor is not None and monitor.identity_pool is not None and monitor.identity_pool_id is not None \
                and _literal(pool_id) and same(pool_id, monitor.identity_pool_id.value) is not False:
            pool = monitor.identity_pool
        elif _literal(pool_id):
            pool = pools.get(pool_id)
        client.identity_pool = pool
        if pool is not None:
            pool.web_clients.append(client)
    for members in groups.values():
        for client in members:
            client.same_origin = [c for c in members if c is not client]


def _literal(value: object) -> bool:
    return isinstance(value, str) and bool(value) and not has_symbols(value)


def _client_monitor(client, inventory: Inventory):
    region = client.region.value if client.region is not None and _literal(client.region.value) else None
    steps = (("application id", client.application_id, lambda m: m.app_monitor_id),
             ("app monitor name", client.monitor_name, lambda m: m.name),
             ("identity pool", client.identity_pool_id, lambda m: m.identity_pool_id))
    for what, node, of in steps:
        key = node.value if node is not None and _literal(node.value) else None
        if key is None:
            continue
        found = [m for m in inventory.monitors if of(m) is not None and of(m).value == key]
        if len(found) > 1 and region:
            found = [m for m in found if same(m.env.region, region) is True] or found
        if len(found) == 1:
            return found[0]
        if found:
            inventory.undecided.append(UndecidedCheck(
                None, client.subject, f"{len(found)} app monitors of the input match the web client's {what} "
                f"`{key}` ({', '.join(m.subject for m in found)}), so it was not linked to one of them and the "
                "checks between the client and its app monitor were not made", node.location))
            return None
    if inventory.monitors:
        value = client.application_id.value if client.application_id is not None else None
        shown = f"application id `{value}`" if _literal(value) else "its application id is not known"
        inventory.undecided.append(UndecidedCheck(
            None, client.subject,
            f"no app monitor of the input matches the web client ({shown}), so its region, identity "
            "pool and signing were not checked against its app monitor: name the monitor in a "
            "`rumpolicy: app-monitor=NAME` comment before the client (`appMonitorName` in a JSON config)",
            (client.application_id or client).location))
    return None
