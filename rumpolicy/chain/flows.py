"""Which authentication flows a setup makes possible: facts several rules share.

The web client uses the basic (classic) flow when its config has both ``identityPoolId`` and
``guestRoleArn`` (the monitor's ``GuestRoleArn`` ends up in console snippets), else the enhanced flow.
An attacker is not bound by the snippet: whenever the pool allows the classic flow, anyone can get an
OpenID token for the pool and call ``sts:AssumeRoleWithWebIdentity`` on any role that trusts it.
"""

from __future__ import annotations

from rumpolicy.model.policy import Node
from rumpolicy.model.resources import AppMonitor, GuestRole, IdentityPool
from rumpolicy.model.symbols import Unknown, has_symbols


def as_bool(node: Node | None) -> bool | None:
    """A boolean property as CloudFormation and the APIs accept it (``true``, ``"true"``, ``"True"``).

    None when absent, unresolvable or not a boolean at all.
    """
    if node is None or isinstance(node.value, Unknown):
        return None
    value = node.value
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and not has_symbols(value) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return None


def classic_flow(pool: IdentityPool) -> bool | None:
    """True/False when the pool states it (or a provider default applies), None when unset or unknown."""
    return as_bool(pool.allow_classic_flow)


def classic_flow_unset(pool: IdentityPool) -> bool:
    return pool.allow_classic_flow is None


def guests_allowed(pool: IdentityPool) -> bool | None:
    return as_bool(pool.allow_unauthenticated)


def monitor_uses_basic_flow(monitor: AppMonitor) -> bool:
    """A monitor with ``GuestRoleArn`` hands out snippets that use the basic flow."""
    return monitor.guest_role_arn is not None and monitor.identity_pool_id is not None


def basic_flow_possible(guest: GuestRole) -> bool | None:
    """Can anonymous browsers reach this role through the basic flow?

    True when a monitor names it as GuestRoleArn or a pool attaching it allows the classic flow;
    None when a pool leaves the classic flow unset or unknown, or the role is a bare policy whose
    pools are not in the input; False only when every pool that attaches it disables the classic
    flow and no monitor names it.
    """
    if any(use.flow == "basic" for use in guest.uses):
        return True
    pools = list(guest.pools)
    for use in guest.uses:
        if use.monitor.identity_pool is not None and use.monitor.identity_pool not in pools:
            pools.append(use.monitor.identity_pool)
    if not pools:
        return None
    states = [classic_flow(p) for p in pools]
    if any(s is True for s in states):
        return True
    if any(s is None for s in states):
        return None
    return False


def enhanced_flow_only(guest: GuestRole) -> bool:
    return basic_flow_possible(guest) is False
