"""The RUM authorization chain as typed objects: what every loader produces and every rule reads.

Loaders fill the declared facts (``Node`` values with locations); the linker
(``rumpolicy.model.link``) then fills the references between objects (``identity_pool``,
``guest_role``, ...) so that rules navigate the chain instead of looking things up.
Strings may hold symbolic tokens (``rumpolicy.model.symbols``).
"""

from __future__ import annotations

from dataclasses import dataclass, field


from rumpolicy.findings import Location
from rumpolicy.model.inputs import InputFile, UndecidedCheck
from rumpolicy.model.policy import Node, PolicyDocument, PolicyRef


@dataclass(eq=False)
class Resource:
    subject: str              # logical id, Terraform address, ARN or pool id: how findings name it
    location: Location        # where the resource is declared
    kind: str                 # "AWS::RUM::AppMonitor", "aws_rum_app_monitor", "rum get-app-monitor" ...

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.subject}>"


@dataclass(frozen=True, slots=True)
class Environment:
    """Where a resource lives. Values may be symbolic (``${AWS::Region}`` of a stack not yet deployed)."""

    partition: str
    region: str
    account: str
    url_suffix: str = "amazonaws.com"


@dataclass(eq=False, repr=False)
class ResourcePolicy(Resource):
    """The resource-based policy of an app monitor (at most one applies per monitor)."""

    monitor_name: Node | None = None
    document: PolicyDocument | None = None
    raw: Node | None = None                 # the property as written (string expected)
    monitor: AppMonitor | None = None       # linked


@dataclass(eq=False, repr=False)
class AppMonitor(Resource):
    env: Environment = field(default_factory=lambda: Environment("aws", "", ""))
    name: Node | None = None
    domain: Node | None = None
    domain_list: Node | None = None
    has_configuration: bool = False        # AppMonitorConfiguration present at all
    identity_pool_id: Node | None = None
    guest_role_arn: Node | None = None
    platform: Node | None = None
    external_credentials: bool = False     # the user declared option 3/5 (credentials vended elsewhere)
    unsigned_clients: list[Location] = field(default_factory=list)   # where unsigned web clients are declared
    declared_only: bool = False            # known only from --app-monitor: nothing to check about itself
    # Linked:
    resource_policies: list[ResourcePolicy] = field(default_factory=list)
    identity_pool: IdentityPool | None = None
    guest_role: Role | None = None

    @property
    def arn(self) -> str | None:
        """``arn:<partition>:rum:<region>:<account>:appmonitor/<Name>``: the resource IAM authorizes."""
        if self.name is None or not isinstance(self.name.value, str):
            return None
        e = self.env
        return f"arn:{e.partition}:rum:{e.region}:{e.account}:appmonitor/{self.name.value}"

    @property
    def resource_policy(self) -> ResourcePolicy | None:
        return self.resource_policies[0] if self.resource_policies else None


@dataclass(eq=False, repr=False)
class RoleAttachment(Resource):
    """``AWS::Cognito::IdentityPoolRoleAttachment`` / ``get-identity-pool-roles``."""

    identity_pool_id: Node | None = None
    roles: dict[str, Node] = field(default_factory=dict)     # keys as written -> role ARN
    roles_location: Location | None = None
    roles_unknown: bool = False                              # `Roles` could not be resolved
    role_mappings: Node | None = None
    # Linked:
    pool: IdentityPool | None = None

    def role_arn(self, role_type: str) -> Node | None:
        return self.roles.get(role_type)


@dataclass(eq=False, repr=False)
class IdentityPool(Resource):
    env: Environment = field(default_factory=lambda: Environment("aws", "", ""))
    pool_id: str | None = None              # literal "us-east-1:..." or a symbolic token
    name: Node | None = None
    allow_unauthenticated: Node | None = None
    allow_classic_flow: Node | None = None  # None: not set; a provider default is a Node with defaulted=True
    classic_flow_defaulted: bool = False    # the value above is the provider's default, not written
    has_login_providers: bool = False       # user pools, social or OIDC/SAML providers: authenticated use
    principal_tags: list[Location] = field(default_factory=list)
    # Linked:
    attachments: list[RoleAttachment] = field(default_factory=list)
    monitors: list[AppMonitor] = field(default_factory=list)

    @property
    def region(self) -> str | None:
        if self.pool_id and ":" in self.pool_id and not self.pool_id.startswith("\x00"):
            return self.pool_id.split(":", 1)[0]
        return self.env.region or None


@dataclass(eq=False, repr=False)
class ManagedPolicy(Resource):
    arn: str | None = None
    name: str | None = None
    document: PolicyDocument | None = None
    attached_role_names: list[Node] = field(default_factory=list)   # AWS::IAM::ManagedPolicy.Roles


@dataclass(eq=False, repr=False)
class Role(Resource):
    env: Environment = field(default_factory=lambda: Environment("aws", "", ""))
    name: str | None = None                 # may be symbolic (generated name)
    arn: str | None = None
    trust_policy: PolicyDocument | None = None
    policies: list[PolicyRef] = field(default_factory=list)           # inline and managed
    managed_policy_arns: list[Node] = field(default_factory=list)     # as written; linker resolves
    permissions_boundary: Node | None = None                          # ARN as written
    boundary: PolicyRef | None = None                                 # linked
    bare: bool = False                      # built from bare policy files, not a declared role


@dataclass(frozen=True, slots=True)
class MonitorUse:
    """One way a guest role serves a monitor."""

    monitor: AppMonitor
    flow: str                               # "basic" (GuestRoleArn) | "enhanced" (pool attachment) | "declared"
    via: Location                           # where the link is written


@dataclass(eq=False, repr=False)
class GuestRole(Resource):
    """A role that browsers assume: named as a monitor's GuestRoleArn, attached as a pool's
    unauthenticated role, or a bare permission policy given with ``--app-monitor``."""

    role: Role | None = None
    uses: list[MonitorUse] = field(default_factory=list)
    pools: list[IdentityPool] = field(default_factory=list)   # pools attaching it as "unauthenticated"

    @property
    def monitors(self) -> list[AppMonitor]:
        seen: list[AppMonitor] = []
        for use in self.uses:
            if use.monitor not in seen:
                seen.append(use.monitor)
        return seen

    def flows(self, monitor: AppMonitor) -> set[str]:
        return {u.flow for u in self.uses if u.monitor is monitor}


@dataclass(eq=False)
class Inventory:
    """Everything one run has loaded, linked."""

    monitors: list[AppMonitor] = field(default_factory=list)
    pools: list[IdentityPool] = field(default_factory=list)
    attachments: list[RoleAttachment] = field(default_factory=list)
    roles: list[Role] = field(default_factory=list)
    managed_policies: list[ManagedPolicy] = field(default_factory=list)
    resource_policies: list[ResourcePolicy] = field(default_factory=list)
    guest_roles: list[GuestRole] = field(default_factory=list)
    files: list[InputFile] = field(default_factory=list)
    undecided: list[UndecidedCheck] = field(default_factory=list)   # values loaders could not resolve

    subject = "the input"      # how a rule over the whole inventory is named in outcomes

    def extend(self, other: Inventory) -> None:
        for name in ("monitors", "pools", "attachments", "roles", "managed_policies",
                     "resource_policies", "guest_roles", "files", "undecided"):
            getattr(self, name).extend(getattr(other, name))


