"""CloudFormation (and SAM, and CDK output) templates -> the model.

Only RUM-relevant resource types are resolved: the intrinsic resolver works on demand, so a large
template with hundreds of unrelated resources costs little more than parsing it.
"""

from __future__ import annotations

from typing import Any

from rumpolicy.findings import Location
from rumpolicy.load.cfn_intrinsics import NO_VALUE, Resolver, StackEnv
from rumpolicy.load.source import ParsedSource
from rumpolicy.load.suppressions import metadata_marks
from rumpolicy.model import (AppMonitor, Environment, IdentityPool, Inventory, ManagedPolicy, Node,
                             PolicyRef, ResourcePolicy, Role, RoleAttachment, Unknown, parse_policy)
from rumpolicy.model.inputs import InputFile, UndecidedCheck
from rumpolicy.model.locator import SourceLocator, child
from rumpolicy.model.policy import Problem, type_name

RUM_TYPES = {
    "AWS::RUM::AppMonitor", "AWS::RUM::ResourcePolicy", "AWS::Cognito::IdentityPool",
    "AWS::Cognito::IdentityPoolRoleAttachment", "AWS::Cognito::IdentityPoolPrincipalTag",
    "AWS::IAM::Role", "AWS::IAM::Policy", "AWS::IAM::ManagedPolicy", "AWS::IAM::RolePolicy",
}
LOGIN_PROVIDER_PROPERTIES = ("CognitoIdentityProviders", "SupportedLoginProviders", "OpenIdConnectProviderARNs",
                             "SamlProviderARNs", "DeveloperProviderName")


def is_template(data: Any) -> bool:
    """A CloudFormation template: a ``Resources`` map of typed resources (format version optional)."""
    if not isinstance(data, dict):
        return False
    resources = data.get("Resources")
    if not isinstance(resources, dict):
        return False
    if "AWSTemplateFormatVersion" in data or "Transform" in data:
        return True
    # Every resource has a `Type`, whatever its value: a template with a malformed `Type` is still a
    # template, and the malformed type is reported (RUM-SRC-000) rather than the file passed over.
    return bool(resources) and all(isinstance(r, dict) and "Type" in r for r in resources.values())


# Spellings of a service seen in the wild for the services whose types rumpolicy checks.
_SERVICE_ALIASES = {"cloudwatchrum": "rum", "rum": "rum", "cognito": "cognito", "cognitoidentity": "cognito",
                    "iam": "iam"}


def _squashed(kind: str) -> str:
    return "".join(ch for ch in kind.lower() if ch.isalnum())


def _type_key(kind: str) -> str | None:
    """A type name reduced to compare spellings: case, separators and service aliases ignored."""
    parts = kind.split("::")
    if len(parts) != 3 or _squashed(parts[0]) != "aws":
        return None
    service = _SERVICE_ALIASES.get(_squashed(parts[1]))
    return None if service is None else f"{service}:{_squashed(parts[2])}"


_TYPE_KEYS = {_type_key(kind): kind for kind in RUM_TYPES}


def closest_rum_type(kind: str) -> str | None:
    """The RUM, Cognito or IAM type that ``kind`` (not itself one) most likely means, or None."""
    key = _type_key(kind)
    if key is None:
        return None
    if key in _TYPE_KEYS:
        return _TYPE_KEYS[key]
    import difflib   # only for the rare unknown type of a checked service

    service = key.split(":", 1)[0]
    near = difflib.get_close_matches(key, [k for k in _TYPE_KEYS if k.startswith(service + ":")], n=1, cutoff=0.85)
    return _TYPE_KEYS[near[0]] if near else None


def stack_env(data: dict, base: StackEnv) -> StackEnv:
    """Template-level ``Metadata: {rumpolicy: {region, account, partition}}`` pins the stack's environment."""
    meta = data.get("Metadata")
    settings = meta.get("rumpolicy") if isinstance(meta, dict) else None
    if not isinstance(settings, dict):
        return base
    return StackEnv(partition=str(settings.get("partition") or base.partition),
                    region=str(settings["region"]) if settings.get("region") else base.region,
                    account=str(settings["account"]) if settings.get("account") else base.account)


class _TemplateLoader:
    def __init__(self, parsed: ParsedSource, file: InputFile, env: StackEnv, parameters: dict[str, Any]):
        self.parsed = parsed
        self.file = file
        self.where = SourceLocator(parsed.path, parsed.span_for)
        self.template: dict = parsed.data
        self.env = stack_env(self.template, env)
        self.resolver = Resolver(self.template, self.env, parameters)
        self.inventory = Inventory()
        self.principal_tags: list[tuple[Any, Location]] = []
        self.environment = Environment(self.env.pseudo("AWS::Partition"), self.env.pseudo("AWS::Region"),
                                       self.env.pseudo("AWS::AccountId"), self.env.pseudo("AWS::URLSuffix"))

    # -- helpers ---------------------------------------------------------------------------
    def node(self, props: dict, name: str, base: str) -> Node | None:
        if name not in props:
            return None
        return Node(props[name], self.where.at(child(base, name)))

    def problem(self, message: str, pointer: str) -> None:
        self.file.problems.append(Problem(message, self.where.at(pointer)))

    def policy(self, value: Any, pointer: str, name: str | None = None, *, reported_by_rules: bool = False):
        document = parse_policy(value, pointer, self.where, name=name)
        if not reported_by_rules:
            # Shape errors of IAM documents are input errors (RUM-SRC-000); those of app-monitor
            # resource policies have a rule of their own (RUM-RBP-009).
            self.file.problems.extend(document.problems)
        return document

    # -- resources -------------------------------------------------------------------------
    def load(self) -> Inventory:
        resources = self.template["Resources"]
        for logical_id, resource in resources.items():
            pointer = child("/Resources", logical_id)
            if not isinstance(resource, dict):
                self.problem(f"resource {logical_id} must be an object", pointer)
                continue
            kind = resource.get("Type")
            if not isinstance(kind, str):
                if "Type" not in resource:
                    self.problem(f"resource {logical_id} has no `Type`", pointer)
                else:
                    self.problem(f"`Type` of {logical_id} must be a string, not {type_name(kind)}",
                                 child(pointer, "Type"))
                continue
            if kind not in RUM_TYPES:
                meant = closest_rum_type(kind)
                if meant is not None:
                    self.file.notes.append(Problem(
                        f"resource {logical_id} has type {kind!r}, which is not a CloudFormation type; "
                        f"{meant!r} is, so {logical_id} was not checked", self.where.at(child(pointer, "Type"))))
                continue
            raw_props = resource.get("Properties", {})
            props_pointer = child(pointer, "Properties")
            props = self.resolver.resolve(raw_props, props_pointer)
            if props is NO_VALUE:
                props = {}
            if isinstance(props, Unknown):
                self.undecided(logical_id, f"the properties of {logical_id} could not be resolved: {props.reason}",
                               props_pointer)
                continue
            if not isinstance(props, dict):
                self.problem(f"`Properties` of {logical_id} must be an object", props_pointer)
                continue
            location = self.where.at(pointer)
            getattr(self, "_" + kind.split("::", 1)[1].replace("::", "_").lower())(
                logical_id, resource, props, props_pointer, location, kind)
        for pool_id, tag_location in self.principal_tags:
            for pool in self.inventory.pools:
                if pool.pool_id == pool_id:
                    pool.principal_tags.append(tag_location)
        for pointer, reason in self.resolver.unresolved:
            self.inventory.undecided.append(UndecidedCheck(None, _logical_id(pointer), reason,
                                                           self.where.at(pointer)))
        return self.inventory

    def undecided(self, subject: str, message: str, pointer: str) -> None:
        self.inventory.undecided.append(UndecidedCheck(None, subject, message, self.where.at(pointer)))

    def _rum_appmonitor(self, logical_id, resource, props, base, location, kind) -> None:
        config = props.get("AppMonitorConfiguration")
        config_base = child(base, "AppMonitorConfiguration")
        monitor = AppMonitor(logical_id, location, kind, env=self.environment,
                             name=self.node(props, "Name", base), domain=self.node(props, "Domain", base),
                             domain_list=self.node(props, "DomainList", base),
                             platform=self.node(props, "Platform", base),
                             has_configuration=isinstance(config, dict),
                             )
        self._authorization_declaration(monitor, resource, location.pointer)
        if isinstance(config, dict):
            monitor.identity_pool_id = self.node(config, "IdentityPoolId", config_base)
            monitor.guest_role_arn = self.node(config, "GuestRoleArn", config_base)
        elif isinstance(config, Unknown):
            self.undecided(logical_id, f"AppMonitorConfiguration could not be resolved: {config.reason}", config_base)
        policy = props.get("ResourcePolicy")
        if policy is not None:
            policy_base = child(base, "ResourcePolicy")
            raw = self.node(policy, "PolicyDocument", policy_base) if isinstance(policy, dict) else None
            rbp = ResourcePolicy(f"{logical_id}.ResourcePolicy", self.where.at(policy_base), kind,
                                 monitor_name=monitor.name, raw=raw,
                                 document=self.policy(raw.value, raw.location.pointer, reported_by_rules=True) if raw else None)
            monitor.resource_policies.append(rbp)
            rbp.monitor = monitor
            self.inventory.resource_policies.append(rbp)
        self.inventory.monitors.append(monitor)

    def _authorization_declaration(self, monitor: AppMonitor, resource: dict, pointer: str) -> None:
        """What the template cannot show about the web client, declared on the monitor resource.

        ``Metadata: {rumpolicy: {authorization: external}}``: credentials are vended elsewhere
        (options 3 and 5); ``authorization: unsigned``: the web client sends unsigned requests
        (``signing: false``), so the resource policy must admit them.
        """
        meta = resource.get("Metadata")
        settings = meta.get("rumpolicy") if isinstance(meta, dict) else None
        if not isinstance(settings, dict) or "authorization" not in settings:
            return
        where = child(pointer, "Metadata", "rumpolicy", "authorization")
        value = settings["authorization"]
        if value == "external":
            monitor.external_credentials = True
        elif value == "unsigned":
            monitor.unsigned_clients.append(self.where.at(where))
        else:
            self.problem(f"`authorization` in rumpolicy metadata must be `external` or `unsigned`, not {value!r}",
                         where)

    def _rum_resourcepolicy(self, logical_id, resource, props, base, location, kind) -> None:
        # Standalone form (CDK ``CfnResourcePolicy``); the app monitor is named by ``Name``.
        raw = self.node(props, "PolicyDocument", base)
        name = self.node(props, "Name", base) or self.node(props, "AppMonitorName", base)
        self.inventory.resource_policies.append(ResourcePolicy(
            logical_id, location, kind, monitor_name=name, raw=raw,
            document=self.policy(raw.value, raw.location.pointer, reported_by_rules=True) if raw else None))

    def _cognito_identitypool(self, logical_id, resource, props, base, location, kind) -> None:
        pool = IdentityPool(logical_id, location, kind, env=self.environment,
                            pool_id=self.resolver.physical_ref(logical_id),
                            name=self.node(props, "IdentityPoolName", base),
                            allow_unauthenticated=self.node(props, "AllowUnauthenticatedIdentities", base),
                            allow_classic_flow=self.node(props, "AllowClassicFlow", base),
                            has_login_providers=any(props.get(p) for p in LOGIN_PROVIDER_PROPERTIES))
        self.inventory.pools.append(pool)

    def _cognito_identitypoolroleattachment(self, logical_id, resource, props, base, location, kind) -> None:
        roles = props.get("Roles")
        roles_base = child(base, "Roles")
        attachment = RoleAttachment(logical_id, location, kind,
                                    identity_pool_id=self.node(props, "IdentityPoolId", base),
                                    role_mappings=self.node(props, "RoleMappings", base),
                                    roles_location=self.where.at(roles_base) if "Roles" in props else None)
        if isinstance(roles, dict):
            attachment.roles = {k: Node(v, self.where.at(child(roles_base, k))) for k, v in roles.items()}
        elif isinstance(roles, Unknown):
            attachment.roles_unknown = True
            self.undecided(logical_id, f"Roles could not be resolved: {roles.reason}", roles_base)
        elif roles is not None:
            self.problem(f"`Roles` of {logical_id} must be an object", roles_base)
        self.inventory.attachments.append(attachment)

    def _cognito_identitypoolprincipaltag(self, logical_id, resource, props, base, location, kind) -> None:
        # Linked after the loop: the pool may be declared further down the template.
        self.principal_tags.append((props.get("IdentityPoolId"), location))

    def _iam_role(self, logical_id, resource, props, base, location, kind) -> None:
        role = Role(logical_id, location, kind, env=self.environment,
                    name=self.resolver.physical_ref(logical_id),
                    arn=self.resolver.resolve({"Fn::GetAtt": [logical_id, "Arn"]}, location.pointer),
                    permissions_boundary=self.node(props, "PermissionsBoundary", base))
        if "AssumeRolePolicyDocument" in props:
            role.trust_policy = self.policy(props["AssumeRolePolicyDocument"],
                                            child(base, "AssumeRolePolicyDocument"), "trust policy")
        policies = props.get("Policies", [])
        if isinstance(policies, list):
            for i, item in enumerate(policies):
                item_base = child(base, "Policies", i)
                if isinstance(item, dict) and "PolicyDocument" in item:
                    name = item.get("PolicyName") if isinstance(item.get("PolicyName"), str) else None
                    role.policies.append(PolicyRef(self.where.at(item_base),
                                                   self.policy(item["PolicyDocument"],
                                                               child(item_base, "PolicyDocument"), name),
                                                   name=name))
                elif isinstance(item, Unknown):
                    self.undecided(logical_id, f"an inline policy could not be resolved: {item.reason}", item_base)
                else:
                    self.problem("each item of `Policies` needs a `PolicyDocument`", item_base)
        elif isinstance(policies, Unknown):
            self.undecided(logical_id, f"`Policies` could not be resolved: {policies.reason}", child(base, "Policies"))
        arns = props.get("ManagedPolicyArns", [])
        arns_base = child(base, "ManagedPolicyArns")
        if isinstance(arns, list):
            role.managed_policy_arns = [Node(a, self.where.at(child(arns_base, i))) for i, a in enumerate(arns)]
        elif isinstance(arns, Unknown):
            role.managed_policy_arns = [Node(arns, self.where.at(arns_base))]
        self.inventory.roles.append(role)

    def _policy_targets(self, props: dict, base: str) -> list[Node]:
        roles = props.get("Roles", [])
        if isinstance(roles, Unknown):
            return [Node(roles, self.where.at(child(base, "Roles")))]
        if not isinstance(roles, list):
            return []
        return [Node(r, self.where.at(child(base, "Roles", i))) for i, r in enumerate(roles)]

    def _iam_policy(self, logical_id, resource, props, base, location, kind) -> None:
        name = props.get("PolicyName") if isinstance(props.get("PolicyName"), str) else logical_id
        document = self.policy(props.get("PolicyDocument"), child(base, "PolicyDocument"), name)
        # An AWS::IAM::Policy is inline in each role it names: model it as a managed policy without ARN.
        self.inventory.managed_policies.append(ManagedPolicy(
            logical_id, location, kind, name=name, document=document,
            attached_role_names=self._policy_targets(props, base)))

    def _iam_managedpolicy(self, logical_id, resource, props, base, location, kind) -> None:
        document = self.policy(props.get("PolicyDocument"), child(base, "PolicyDocument"), logical_id)
        arn = self.resolver.physical_ref(logical_id)
        self.inventory.managed_policies.append(ManagedPolicy(
            logical_id, location, kind, arn=arn if isinstance(arn, str) else None,
            name=props.get("ManagedPolicyName") or logical_id, document=document,
            attached_role_names=self._policy_targets(props, base)))

    def _iam_rolepolicy(self, logical_id, resource, props, base, location, kind) -> None:
        name = props.get("PolicyName") if isinstance(props.get("PolicyName"), str) else logical_id
        document = self.policy(props.get("PolicyDocument"), child(base, "PolicyDocument"), name)
        target = self.node(props, "RoleName", base)
        self.inventory.managed_policies.append(ManagedPolicy(
            logical_id, location, kind, name=name, document=document,
            attached_role_names=[target] if target else []))


def _logical_id(pointer: str) -> str:
    parts = pointer.split("/")
    return parts[2].replace("~1", "/").replace("~0", "~") if len(parts) > 2 and parts[1] == "Resources" else pointer


def load_template(parsed: ParsedSource, file: InputFile, env: StackEnv,
                  parameters: dict[str, Any] | None = None) -> Inventory:
    """The template's resources; its resources' ``Metadata.rumpolicy.ignore`` suppressions go to ``file.marks``."""
    file.marks.extend(metadata_marks(file.path, parsed))
    return _TemplateLoader(parsed, file, env, parameters or {}).load()
