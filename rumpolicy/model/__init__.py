"""The normalized model: rules read these objects, never raw input."""

from rumpolicy.model.policy import (ConditionClause, Node, PolicyDocument, PolicyRef, Principal,
                                    Problem, Statement, parse_policy)
from rumpolicy.model.resources import (AppMonitor, Environment, GuestRole, IdentityPool, Inventory,
                                       ManagedPolicy, MonitorUse, Resource, ResourcePolicy, Role,
                                       RoleAttachment)
from rumpolicy.model.symbols import Unknown

__all__ = [
    "AppMonitor", "ConditionClause", "Environment", "GuestRole", "IdentityPool", "Inventory",
    "ManagedPolicy", "MonitorUse", "Node", "PolicyDocument", "PolicyRef", "Principal", "Problem",
    "Resource", "ResourcePolicy", "Role", "RoleAttachment", "Statement", "Unknown", "parse_policy",
]
