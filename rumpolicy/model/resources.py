"""The RUM authorization chain as typed objects: what every loader produces and every rule reads.

Loaders fill the declared facts (``Node`` values with locations); the linker
(``rumpolicy.chain.link``) then fills the references between objects (``identity_pool``,
``guest_role``, ...) so that rules navigate the chain instead of looking things up.
Strings may hold symbolic tokens (``rumpolicy.model.symbols``).
"""

from __future__ import annotations

from dataclasses import field


from rumpolicy.findings import Location
from rumpolicy.model.arns import monitor_arn
from rumpolicy.model.inputs import InputFile, UndecidedCheck
from rumpolicy.model.policy import Node, PolicyDocument, PolicyRef
from rumpolicy.model.symbols import Unknown
from rumpolicy.records import record, value_type


@record(eq=False)
class Resource:
    """What every resource of the model has: how findings name it, where it is declared, and its kind."""

    subject: str              # logical id, Terraform address, ARN or pool id: how findings name it
    location: Location        # where the resource is declared
    kind: str                 # "AWS::RUM::AppMonitor", "aws_rum_app_monitor", "rum get-app-monitor" ...

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.subject}>"


@value_type
class Environment:
    """Where a resource lives. Values may be symbolic (``${AWS::Region}`` of a stack not yet deployed)."""

    partition: str
    region: str
    account: str
    url_suffix: str = "amazonaws.com"


@record(eq=False, repr=False)
class ResourcePolicy(Resource):
    """The resource-based policy of an app monitor (at most one applies per monitor)."""

    monitor_name: Node | None = None
    document: PolicyDocument | None = None
    raw: Node | None = None                 # the property as written (string expected)
    monitor: AppMonitor | None = None       # linked


@record(eq=False, repr=False)
class AppMonitor(Resource):
    """A CloudWatch RUM app monitor: name, domain, authorization settings and the chain it names."""

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
    resource_policy_read: bool = False     # live audits: resource_policies is all it has (GetResourcePolicy answered)
    app_monitor_id: Node | None = None     # the Id (UUID) web clients name, where the input has it
    # Linked:
    resource_policies: list[ResourcePolicy] = field(default_factory=list)
    # Resource policies of the same input whose monitor name is not known before deployment: any of
    # them may be this monitor's (RUM-MON-003 is then undecided).
    unresolved_resource_policies: list[ResourcePolicy] = field(default_factory=list)
    identity_pool: IdentityPool | None = None
    guest_role: Role | None = None
    web_clients: list[WebClientConfig] = field(default_factory=list)
    # Pools of the same input that no monitor names although they have an `unauthenticated` role:
    # filled only for a monitor that names no pool and no guest role, whose pool they likely are.
    unnamed_pools: list[UnnamedPool] = field(default_factory=list)

    @property
    def arn(self) -> str | None:
        """``arn:<partition>:rum:<region>:<account>:appmonitor/<Name>``: the resource IAM authorizes."""
        if self.name is None or not isinstance(self.name.value, str):
            return None
        e = self.env
        return monitor_arn(e.partition, e.region, e.account, self.name.value)

    @property
    def resource_policy(self) -> ResourcePolicy | None:
        return self.resource_policies[0] if self.resource_policies else None


@record(eq=False, repr=False)
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


@record(eq=False, repr=False)
class IdentityPool(Resource):
    """A Cognito identity pool: whether it admits guests, its flows, and the roles attached to it."""

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
    web_clients: list[WebClientConfig] = field(default_factory=list)   # clients that get credentials here

    @property
    def region(self) -> str | None:
        if self.pool_id and ":" in self.pool_id and not self.pool_id.startswith("\x00"):
            return self.pool_id.split(":", 1)[0]
        return self.env.region or None


@value_type
class UnnamedPool:
    """An identity pool no monitor names, with the attachment that gives it an `unauthenticated` role."""

    pool: IdentityPool
    attachment: RoleAttachment
    role_arn: Node                          # as the attachment writes it
    role: Role | None = None                # the role of the input with that ARN, if any


@record(eq=False, repr=False)
class ManagedPolicy(Resource):
    """A customer managed IAM policy and the roles it is attached to."""

    arn: str | None = None
    name: str | None = None
    document: PolicyDocument | None = None
    attached_role_names: list[Node] = field(default_factory=list)   # AWS::IAM::ManagedPolicy.Roles


@record(eq=False, repr=False)
class Role(Resource):
    """An IAM role: its trust policy, its permission policies and boundary."""

    env: Environment = field(default_factory=lambda: Environment("aws", "", ""))
    name: str | None = None                 # may be symbolic (generated name)
    arn: str | None = None
    trust_policy: PolicyDocument | None = None
    policies: list[PolicyRef] = field(default_factory=list)           # inline and managed
    managed_policy_arns: list[Node] = field(default_factory=list)     # as written; linker resolves
    permissions_boundary: Node | None = None                          # ARN as written
    boundary: PolicyRef | None = None                                 # linked
    bare: bool = False                      # built from bare policy files, not a declared role
    tags: dict[str, str] | None = None      # live accounts: the role's tags (aws:PrincipalTag); None: not known


@value_type
class MonitorUse:
    """One way a guest role serves a monitor."""

    monitor: AppMonitor
    flow: str                               # "basic" (GuestRoleArn) | "enhanced" (pool attachment) | "declared"
    via: Location                           # where the link is written


@record(eq=False, repr=False)
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


@record(eq=False, repr=False)
class WebClientConfig(Resource):
    """One aws-rum-web client as a page or bundle configures it: a CDN snippet, ``new AwsRum(...)`` or a
    JSON config file (``rumpolicy.load.webclient``). Values are Nodes as written; a value that is not a
    literal holds ``Unknown``; None: not written."""

    form: str = "cdn"                       # "cdn" | "npm" | "json"
    application_id: Node | None = None      # the app monitor's Id
    application_version: Node | None = None
    region: Node | None = None              # the constructor's region: where the client says its monitor is
    identity_pool_id: Node | None = None
    guest_role_arn: Node | None = None
    endpoint: Node | None = None
    dataplane_region: str | None = None     # region of an explicit https://dataplane.rum.<region>.<suffix> endpoint
    proxy_endpoint: bool = False            # an explicit endpoint that is not the RUM dataplane (flow 5)
    signing: Node | None = None
    cookie_unique: Node | None = None       # cookieAttributes.unique
    alias: Node | None = None
    build: Node | None = None               # "full" (aws-rum-web, cwr.js) | "slim" (@aws-rum/web-slim); None: unknown
    client_version: Node | None = None      # aws-rum-web version or range as found: "3.2.0", "3.x", "^3.1.0"
    monitor_name: Node | None = None        # from a `rumpolicy: app-monitor=NAME` comment or `appMonitorName`
    sets_credentials: bool | None = False   # setAwsCredentials is called in the same file; None: code not seen
    # setAwsCredentials is mentioned somewhere in the client's web project (RUM-CLIENT-007); False: every
    # script and page of the project was read and none does; None: not all could be read, or (JSON
    # configs) the code that starts the client may live elsewhere.
    project_sets_credentials: bool | None = None
    signing_factory: bool | None = False    # setSigningConfigFactory is called there (slim signing); None: not seen
    content_security_policies: list[Node] = field(default_factory=list)   # the page's <meta> CSPs
    origin: str = ""                        # clients with the same key are served from one origin
    config_open: Node | None = None         # a spread or remote config: keys not written may still be set
    # Linked (across the whole run):
    monitor: AppMonitor | None = None
    identity_pool: IdentityPool | None = None
    same_origin: list[WebClientConfig] = field(default_factory=list)

    @property
    def signs(self) -> bool | None:
        """Are its requests signed? Full build: `signing`, default true; slim: only with a signing factory."""
        written = self.signing.value if self.signing is not None else None
        if isinstance(written, Unknown) or (written is not None and not isinstance(written, bool)):
            return None
        if written is None and self.config_open is not None:
            return None
        build = self.build.value if self.build is not None else None
        if build == "slim":
            return False if written is False else self.signing_factory
        if written is not None:
            return written
        return True if build == "full" else None

    def _written(self, node: Node | None) -> bool | None:
        if node is None:
            return None if self.config_open is not None else False
        return node.value not in (None, "", False)

    @property
    def uses_cognito(self) -> bool | None:
        """Does it get credentials from its identity pool (full build, signing, `identityPoolId` set)?"""
        written = self._written(self.identity_pool_id)
        build = self.build.value if self.build is not None else None
        if written is False or build == "slim":
            return False
        signs = self.signs
        if signs is False:
            return False
        return True if written and build == "full" and signs else None

    @property
    def ignores_its_pool(self) -> bool:
        """Slim build configured with an identity pool and no credentials of its own (RUM-CLIENT-003)."""
        slim = self.build is not None and self.build.value == "slim"
        configured = any(n is not None and n.value for n in (self.identity_pool_id, self.guest_role_arn))
        return slim and configured and self.sets_credentials is False

    @property
    def uses_basic_flow(self) -> bool | None:
        """Cognito with `guestRoleArn` as well: GetOpenIdToken and sts:AssumeRoleWithWebIdentity."""
        written = self._written(self.guest_role_arn)
        cognito = self.uses_cognito
        if written is False or cognito is False:
            return False
        return True if written and cognito else None


@record(eq=False)
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
    org_policies: list[OrgPolicies] = field(default_factory=list)   # live audits: one per audited account
    web_clients: list[WebClientConfig] = field(default_factory=list)

    subject = "the input"      # how a rule over the whole inventory is named in outcomes

    def extend(self, other: Inventory) -> None:
        for name in ("monitors", "pools", "attachments", "roles", "managed_policies",
                     "resource_policies", "guest_roles", "files", "undecided", "org_policies", "web_clients"):
            getattr(self, name).extend(getattr(other, name))


@value_type
class ScpLevel:
    """One level of an organization above an account (root, an OU, the account itself) and its SCPs."""

    target_id: str                          # "r-abcd", "ou-abcd-12345678", "123456789012"
    target_type: str                        # "ROOT" | "ORGANIZATIONAL_UNIT" | "ACCOUNT"
    policies: tuple[PolicyRef, ...]         # the SCPs attached there (document None: not readable)


@record(eq=False, repr=False)
class OrgPolicies(Resource):
    """The service control policies that bind the principals of one audited account (live audits only).

    ``levels`` runs from the root down to the account; every level must allow a request (section 6).
    It is None when the policies could not be read (``unreadable`` says why); ``applies`` is False
    when no SCP can bind the account: it is in no organization, the organization has only
    consolidated billing, or it is the management account, which SCPs never restrict.
    """

    account: str = ""
    applies: bool = True
    why_not_applicable: str | None = None   # when ``applies`` is False
    levels: tuple[ScpLevel, ...] | None = None
    unreadable: str | None = None
    # Linked (by the live loader): the guest roles of this account's app monitors.
    guest_roles: list[GuestRole] = field(default_factory=list)


