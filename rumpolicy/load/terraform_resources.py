"""Terraform resources -> the model, for both the configuration (HCL) and the plan/state JSON.

Each loader gives a ``ResourceView`` per resource instance: attribute values with their locations,
nested blocks, and the values Terraform computes (an identity pool's ``id``, a role's ``arn``). The
mapping from the hashicorp/aws (and awscc) resource types to ``AppMonitor``, ``IdentityPool``,
``Role`` ... is written once, here, so that a configuration and its plan load alike.

What is only known after apply is a token named after the attribute (``${aws_iam_role.guest.arn}``),
the same token every reference to it produces, so the linker connects the chain; what is not in the
input at all stays unknown and is reported, never assumed.
"""

from __future__ import annotations

from typing import Any, Callable, Protocol

from rumpolicy.findings import Location
from rumpolicy.load.cfn_intrinsics import StackEnv
from rumpolicy.model import (AppMonitor, Environment, IdentityPool, Inventory, ManagedPolicy, Node, PolicyDocument,
                             PolicyRef, ResourcePolicy, Role, RoleAttachment, Unknown)
from rumpolicy.model.arns import iam_path, identity_pool_arn, monitor_arn
from rumpolicy.model.inputs import InputFile, UndecidedCheck
from rumpolicy.model.policy import Problem
from rumpolicy.model.symbols import ATTR, MARK, REF, as_terraform, render, token
from rumpolicy.records import value_type

# The provider's defaults that decide a check when the attribute is not written.
CLASSIC_FLOW_DEFAULT = False            # aws_cognito_identity_pool.allow_classic_flow

MISSING = object()                      # "no such attribute": distinct from null and from any value


class ResourceView(Protocol):
    """One resource instance as a loader sees it."""

    address: str                        # module.rum.aws_iam_role.guest[0]
    kind: str                           # aws_iam_role
    location: Location                  # the resource block (or the plan entry)
    env: Environment
    file: InputFile

    def get(self, *path: str | int) -> Node | None:
        """The value at ``path`` (attribute names, block and list indexes), located; None when absent or null."""

    def block_count(self, name: str) -> int | Unknown:
        """How many nested ``name`` blocks the resource has."""

    def locate(self, *path: str | int) -> Location:
        """Where the block or attribute at ``path`` is written (the resource when it is not)."""

    def written(self, name: str) -> bool | None:
        """Whether the configuration sets ``name`` (None: the input cannot tell, as in state JSON)."""

    def computed(self, name: str) -> Any:
        """An attribute Terraform computes: a value, or the token of the attribute when known after apply."""

    def policy(self, node: Node, name: str | None) -> PolicyDocument:
        """The policy document of a policy attribute, located."""

    def undecided(self) -> list[UndecidedCheck]:
        """What could not be resolved in the attributes read so far."""


def resource_attribute(kind: str, address: str, name: str, configured: Callable[[str], Any],
                       env: Environment) -> Any:
    """What ``<address>.<name>`` evaluates to before apply, for the attributes the linker needs.

    ``configured(attr)`` is the written value of an argument (``MISSING`` when not written). Returns
    ``MISSING`` when the attribute is nothing special: then it is the argument's value if written,
    else the token of the attribute.
    """
    if kind == "aws_iam_role" and name in ("name", "id", "arn"):
        role_name = _name(kind, address, configured)
        if name != "arn":
            return role_name
        path = _iam_path(configured("path"))
        if path is None or not isinstance(role_name, str):
            return _attribute_token(address, "arn")
        return f"arn:{env.partition}:iam::{env.account}:role{path}{role_name}"
    if kind == "aws_iam_policy" and name in ("name", "arn", "id"):
        policy_name = _name(kind, address, configured)
        if name == "name":
            return policy_name
        path = _iam_path(configured("path"))
        if path is None or not isinstance(policy_name, str) or MARK in policy_name:
            return _attribute_token(address, "arn")
        return f"arn:{env.partition}:iam::{env.account}:policy{path}{policy_name}"
    if kind == "aws_cognito_identity_pool" and name in ("id", "arn"):
        pool_id = physical_token(address, "id")
        if name == "id":
            return pool_id
        return identity_pool_arn(env.partition, env.region, env.account, pool_id)
    if kind in ("aws_rum_app_monitor", "awscc_rum_app_monitor") and name in ("id", "arn"):
        monitor_name = configured("name")
        if not isinstance(monitor_name, str):
            return _attribute_token(address, name)
        if name == "id":
            return monitor_name
        return monitor_arn(env.partition, env.region, env.account, monitor_name)
    if kind == "aws_rum_resource_policy" and name == "id":
        monitor_name = configured("app_monitor_name")
        return monitor_name if isinstance(monitor_name, str) else _attribute_token(address, "id")
    return MISSING


def _name(kind: str, address: str, configured: Callable[[str], Any]) -> Any:
    name = configured("name")
    if isinstance(name, (str, Unknown)):
        return name
    # Generated from name_prefix or by the provider: known after apply, one token for every reference.
    return physical_token(address, "name")


def _iam_path(path: Any) -> str | None:
    """An IAM path as IAM stores it (leading and trailing ``/``); ``/`` when unset; None when unknown."""
    if path is MISSING or path is None:
        return "/"
    if not isinstance(path, str):
        return None
    return iam_path(path)


def physical_token(address: str, name: str) -> str:
    """The id or generated name of a resource of the input, known after apply (like CloudFormation's ``Ref``):
    two resources never share one, so the linker may tell them apart."""
    return token(REF, f"{address}.{name}")


def _attribute_token(address: str, name: str) -> str:
    return token(ATTR, f"{address}.{name}")


def model_environment(env: StackEnv) -> Environment:
    """The deploy target as the model holds it: literals where known, pseudo-parameter tokens otherwise."""
    return Environment(*(as_terraform(env.pseudo(name))
                         for name in ("AWS::Partition", "AWS::Region", "AWS::AccountId", "AWS::URLSuffix")))


def attribute_token(address: str, name: str) -> str:
    """Any other attribute known only after apply (an ARN, a generated id); the plan loader names unknowns alike."""
    return _attribute_token(address, name)


@value_type
class _PolicyAttachment:
    subject: str
    role: Node
    policy_arn: Node


# Attributes that name another resource (a pool id, a role ARN or name, a policy ARN, a monitor name). A
# plan leaves them unknown until apply; the one reference their expression makes names them instead.
LINK_ATTRIBUTES = frozenset({"identity_pool_id", "guest_role_arn", "role", "roles", "policy_arn",
                             "app_monitor_name", "permissions_boundary", "managed_policy_arns", "name"})

LOGIN_PROVIDER_ATTRIBUTES = ("supported_login_providers", "openid_connect_provider_arns", "saml_provider_arns",
                             "developer_provider_name")

RUM_TYPES = frozenset({
    "aws_rum_app_monitor", "awscc_rum_app_monitor", "aws_rum_resource_policy", "aws_cognito_identity_pool",
    "aws_cognito_identity_pool_roles_attachment", "aws_cognito_identity_pool_provider_principal_tag",
    "aws_iam_role", "aws_iam_role_policy", "aws_iam_policy", "aws_iam_role_policy_attachment",
    "aws_iam_policy_attachment",
})


# Real hashicorp/aws types that look like RUM or Cognito identity pool ones but are not read by rumpolicy.
_OTHER_LOOKALIKES = frozenset({"aws_rum_metrics_destination"})
_SQUASHED_TYPES = {kind.removeprefix("aws_").replace("_", ""): kind for kind in RUM_TYPES if kind.startswith("aws_")}


def closest_rum_type(kind: str) -> str | None:
    """The RUM or Cognito identity pool resource type of the aws provider that ``kind`` (not one of
    the types read) most likely means (``aws_cloudwatch_rum_app_monitor`` -> ``aws_rum_app_monitor``),
    or None. IAM look-alikes are left out: the provider has many real IAM types one letter apart."""
    if kind in RUM_TYPES or kind in _OTHER_LOOKALIKES or not kind.startswith("aws_"):
        return None
    words = kind.split("_")[1:]
    squashed = "".join(w for w in words if w != "cloudwatch")
    if "rum" not in words and "identitypool" not in squashed and "appmonitor" not in squashed:
        return None
    candidates = {key: real for key, real in _SQUASHED_TYPES.items() if not real.startswith("aws_iam_")}
    if squashed in candidates:
        return candidates[squashed]
    import difflib   # only for the rare unknown type that looks like a RUM one

    near = difflib.get_close_matches(squashed, list(candidates), n=1, cutoff=0.85)
    return candidates[near[0]] if near else None


class Builder:
    """Collects the model objects of one link group (a root module with its modules, or a plan)."""

    def __init__(self) -> None:
        self.inventory = Inventory()
        self.attachments: list[_PolicyAttachment] = []
        self.principal_tags: list[tuple[Node, Location]] = []

    def add(self, view: ResourceView) -> None:
        getattr(self, "_" + view.kind)(view)
        self.inventory.undecided.extend(view.undecided())

    def finish(self) -> Inventory:
        """Attach policies to roles by name, as IAM does; then the linker takes over."""
        roles_by_name: dict[str, list[Role]] = {}
        for role in self.inventory.roles:
            if isinstance(role.name, str):
                roles_by_name.setdefault(role.name, []).append(role)
        for attachment in self.attachments:
            name = attachment.role.value
            if not isinstance(name, str):
                reason = name.reason if isinstance(name, Unknown) else f"it is {name!r}, not a role name"
                self.inventory.undecided.append(UndecidedCheck(
                    None, attachment.subject, f"the role that {attachment.subject} attaches a policy to could not "
                                              f"be resolved ({reason})", attachment.role.location))
                continue
            for role in roles_by_name.get(name, []):
                role.managed_policy_arns.append(attachment.policy_arn)
        for pool_id, location in self.principal_tags:
            for pool in self.inventory.pools:
                if isinstance(pool_id.value, str) and pool.pool_id == pool_id.value:
                    pool.principal_tags.append(location)
        return self.inventory

    # -- helpers -------------------------------------------------------------------------------
    def _document(self, view: ResourceView, node: Node, name: str | None, *,
                  report_shape: bool = True) -> PolicyDocument:
        """The policy of a policy attribute. Its shape errors are input errors (RUM-SRC-000), except for
        resource-based policies, which have a rule of their own (RUM-RBP-009)."""
        value = node.value
        if isinstance(value, str) and value.lstrip().startswith(MARK):
            # A reference to a policy that exists only after apply (or outside the input).
            reason = f"the policy document is {render(value)}, which is known only after apply"
            self.inventory.undecided.append(UndecidedCheck(None, view.address, reason, node.location))
            return PolicyDocument(node.location, unknown=reason, name=name)
        document = view.policy(node, name)
        if report_shape:
            view.file.problems.extend(document.problems)
        return document

    # -- RUM -----------------------------------------------------------------------------------
    def _aws_rum_app_monitor(self, view: ResourceView) -> None:
        blocks = view.block_count("app_monitor_configuration")
        monitor = AppMonitor(view.address, view.location, view.kind, env=view.env, name=view.get("name"),
                             domain=view.get("domain"), domain_list=view.get("domain_list"),
                             has_configuration=isinstance(blocks, int) and blocks > 0,
                             app_monitor_id=view.get("app_monitor_id"))
        if isinstance(blocks, int) and blocks:
            monitor.identity_pool_id = view.get("app_monitor_configuration", 0, "identity_pool_id")
            monitor.guest_role_arn = view.get("app_monitor_configuration", 0, "guest_role_arn")
        self.inventory.monitors.append(monitor)

    def _awscc_rum_app_monitor(self, view: ResourceView) -> None:
        config = view.get("app_monitor_configuration")
        monitor = AppMonitor(view.address, view.location, view.kind, env=view.env, name=view.get("name"),
                             domain=view.get("domain"), domain_list=view.get("domain_list"),
                             platform=view.get("platform"), has_configuration=config is not None,
                             app_monitor_id=view.get("app_monitor_id"))
        if config is not None and not isinstance(config.value, Unknown):
            monitor.identity_pool_id = view.get("app_monitor_configuration", "identity_pool_id")
            monitor.guest_role_arn = view.get("app_monitor_configuration", "guest_role_arn")
        if view.get("resource_policy") is not None:
            raw = view.get("resource_policy", "policy_document")
            policy = ResourcePolicy(f"{view.address}.resource_policy",
                                    (view.get("resource_policy") or raw).location, view.kind,
                                    monitor_name=monitor.name, raw=raw,
                                    document=self._document(view, raw, None, report_shape=False) if raw else None)
            policy.monitor = monitor
            monitor.resource_policies.append(policy)
            self.inventory.resource_policies.append(policy)
        self.inventory.monitors.append(monitor)

    def _aws_rum_resource_policy(self, view: ResourceView) -> None:
        raw = view.get("policy_document")
        self.inventory.resource_policies.append(ResourcePolicy(
            view.address, view.location, view.kind, monitor_name=view.get("app_monitor_name"), raw=raw,
            document=self._document(view, raw, None, report_shape=False) if raw else None))

    # -- Cognito -------------------------------------------------------------------------------
    def _aws_cognito_identity_pool(self, view: ResourceView) -> None:
        classic = view.get("allow_classic_flow")
        defaulted = False
        if classic is None or view.written("allow_classic_flow") is False:
            # The provider sends its default (false) when the attribute is not written.
            classic, defaulted = Node(CLASSIC_FLOW_DEFAULT, view.location), True
        providers = view.block_count("cognito_identity_providers")
        has_login = (isinstance(providers, Unknown) or providers > 0
                     or any(_non_empty(view.get(name)) for name in LOGIN_PROVIDER_ATTRIBUTES))
        pool_id = view.computed("id")
        self.inventory.pools.append(IdentityPool(
            view.address, view.location, view.kind, env=view.env,
            pool_id=pool_id if isinstance(pool_id, str) else None,
            name=view.get("identity_pool_name"), allow_unauthenticated=view.get("allow_unauthenticated_identities"),
            allow_classic_flow=classic, classic_flow_defaulted=defaulted, has_login_providers=has_login))

    def _aws_cognito_identity_pool_roles_attachment(self, view: ResourceView) -> None:
        roles = view.get("roles")
        mappings = view.block_count("role_mapping")
        attachment = RoleAttachment(view.address, view.location, view.kind,
                                    identity_pool_id=view.get("identity_pool_id"),
                                    roles_location=roles.location if roles else None)
        if isinstance(mappings, Unknown) or mappings:
            attachment.role_mappings = Node(mappings, view.locate("role_mapping", 0))
        if roles is not None and isinstance(roles.value, dict):
            attachment.roles = {key: view.get("roles", key) or Node(value, roles.location)
                                for key, value in roles.value.items()}
        elif roles is not None and isinstance(roles.value, Unknown):
            attachment.roles_unknown = True      # the loader reported why
        elif roles is not None:
            view.file.problems.append(Problem(f"`roles` of {view.address} must be a map", roles.location))
        self.inventory.attachments.append(attachment)

    def _aws_cognito_identity_pool_provider_principal_tag(self, view: ResourceView) -> None:
        pool_id = view.get("identity_pool_id")
        if pool_id is not None:
            self.principal_tags.append((pool_id, view.location))

    # -- IAM -----------------------------------------------------------------------------------
    def _aws_iam_role(self, view: ResourceView) -> None:
        name, arn = view.computed("name"), view.computed("arn")
        role = Role(view.address, view.location, view.kind, env=view.env,
                    name=name if isinstance(name, str) else None, arn=arn if isinstance(arn, str) else None,
                    permissions_boundary=view.get("permissions_boundary"))
        trust = view.get("assume_role_policy")
        if trust is not None:
            role.trust_policy = self._document(view, trust, "trust policy")
        inline = view.block_count("inline_policy")
        if isinstance(inline, Unknown):
            # The loader reported why; the inline policies count as not in the input.
            role.policies.append(PolicyRef(view.location, None, name="inline_policy"))
            inline = 0
        for index in range(inline):
            document = view.get("inline_policy", index, "policy")
            if document is None:
                continue          # an empty `inline_policy {}` removes inline policies; nothing to read
            label = view.get("inline_policy", index, "name")
            policy_name = label.value if label is not None and isinstance(label.value, str) else None
            role.policies.append(PolicyRef(document.location,
                                           self._document(view, document, policy_name),
                                           name=policy_name))
        arns = view.get("managed_policy_arns")
        if arns is not None and isinstance(arns.value, list):
            role.managed_policy_arns = [view.get("managed_policy_arns", i) or Node(a, arns.location)
                                        for i, a in enumerate(arns.value)]
        elif arns is not None:
            role.managed_policy_arns = [arns]
        self.inventory.roles.append(role)

    def _aws_iam_role_policy(self, view: ResourceView) -> None:
        label = view.get("name")
        policy_name = label.value if label is not None and isinstance(label.value, str) else view.address
        document = view.get("policy")
        target = view.get("role")
        self.inventory.managed_policies.append(ManagedPolicy(
            view.address, view.location, view.kind, name=policy_name,
            document=self._document(view, document, policy_name) if document else None,
            attached_role_names=[target] if target else []))

    def _aws_iam_policy(self, view: ResourceView) -> None:
        arn = view.computed("arn")
        label = view.computed("name")
        document = view.get("policy")
        self.inventory.managed_policies.append(ManagedPolicy(
            view.address, view.location, view.kind, arn=arn if isinstance(arn, str) else None,
            name=label if isinstance(label, str) and MARK not in label else view.address,
            document=self._document(view, document, view.address) if document else None))

    def _aws_iam_role_policy_attachment(self, view: ResourceView) -> None:
        role, policy_arn = view.get("role"), view.get("policy_arn")
        if role is not None and policy_arn is not None:
            self.attachments.append(_PolicyAttachment(view.address, role, policy_arn))

    def _aws_iam_policy_attachment(self, view: ResourceView) -> None:
        roles, policy_arn = view.get("roles"), view.get("policy_arn")
        if roles is None or policy_arn is None:
            return
        if isinstance(roles.value, list):
            for index in range(len(roles.value)):
                self.attachments.append(_PolicyAttachment(view.address, view.get("roles", index) or roles,
                                                          policy_arn))
        else:
            self.attachments.append(_PolicyAttachment(view.address, roles, policy_arn))


def _non_empty(node: Node | None) -> bool:
    if node is None:
        return False
    value = node.value
    return isinstance(value, Unknown) or bool(value)

