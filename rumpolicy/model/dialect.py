"""The dialect of an input: how a finding names properties, writes values and spells its fix.

rumpolicy reads one model from CloudFormation, Terraform, AWS API output (the CLI's JSON, live
accounts, bare IAM policies) and web client configurations. The rules were written against
CloudFormation, but a finding about ``aws_cognito_identity_pool.rum`` must name
``allow_unauthenticated_identities``, write the deploy-time region as Terraform does
(``data.aws_region.current.name``, not ``${AWS::Region}``) and offer a fix in HCL. Every resource
knows its dialect from its ``kind``; this module holds everything that differs between dialects,
so that rules say one thing once:

* ``prop``: a property's name in the resource's dialect (rules ask by the CloudFormation name);
* ``render_for``, ``describe_place``, ``undecided_place``: values and places in messages ("the
  stack's region" for CloudFormation, "the configuration's region" for Terraform);
* ``snippet``, ``resource_snippet``, ``property_snippet``, ``policy_snippet``: remediation text,
  YAML for CloudFormation, HCL for Terraform, JSON for API output, with symbolic values written as
  the dialect writes them (``!Ref RumPool``, ``aws_cognito_identity_pool.rum.id``).
"""

from __future__ import annotations

import json
import re
from enum import StrEnum

from rumpolicy.model.arns import STACK_PSEUDO, is_literal
from rumpolicy.model.resources import (AppMonitor, IdentityPool, Resource, ResourcePolicy, RoleAttachment,
                                       WebClientConfig)
from rumpolicy.model.symbols import (ATTR, IMPORT, MARK, OPAQUE, PARAM, PSEUDO, REF, TERRAFORM_PSEUDO, Symbol,
                                     has_symbols, parts, render)
from rumpolicy.records import value_type


class Dialect(StrEnum):
    CLOUDFORMATION = "cloudformation"
    TERRAFORM = "terraform"
    API = "api"                    # AWS CLI output, live accounts, bare IAM policies, --app-monitor ARNs
    WEB_CLIENT = "web-client"


def dialect_of(resource: Resource) -> Dialect:
    """``AWS::...`` kinds are CloudFormation, ``aws_*``/``awscc_*`` Terraform, web clients their own; the
    rest (``cli:...``, ``live:...``, ``iam-policy``, ``declared``) comes from AWS APIs."""
    if isinstance(resource, WebClientConfig):
        return Dialect.WEB_CLIENT
    kind = resource.kind
    if kind.startswith("AWS::"):
        return Dialect.CLOUDFORMATION
    if kind.startswith(("aws_", "awscc_")):
        return Dialect.TERRAFORM
    return Dialect.API


# ----------------------------------------------------------------------------- property names

@value_type
class _Names:
    """One property's path in each dialect (``.`` separates nested properties and blocks)."""

    cloudformation: str
    terraform: str
    api: str
    web_client: str | None = None


# Every property the rules name, by (model type, CloudFormation name). The API column is the field of
# the `describe`/`get` output the model reads (`aws rum get-app-monitor` ... `AppMonitorConfiguration`).
_PROPERTIES: dict[tuple[type, str], _Names] = {
    (AppMonitor, "Name"): _Names("Name", "name", "Name"),
    (AppMonitor, "Domain"): _Names("Domain", "domain", "Domain"),
    (AppMonitor, "DomainList"): _Names("DomainList", "domain_list", "DomainList"),
    (AppMonitor, "IdentityPoolId"): _Names("AppMonitorConfiguration.IdentityPoolId",
                                           "app_monitor_configuration.identity_pool_id",
                                           "AppMonitorConfiguration.IdentityPoolId"),
    (AppMonitor, "GuestRoleArn"): _Names("AppMonitorConfiguration.GuestRoleArn",
                                         "app_monitor_configuration.guest_role_arn",
                                         "AppMonitorConfiguration.GuestRoleArn"),
    (IdentityPool, "AllowUnauthenticatedIdentities"): _Names("AllowUnauthenticatedIdentities",
                                                             "allow_unauthenticated_identities",
                                                             "AllowUnauthenticatedIdentities"),
    (IdentityPool, "AllowClassicFlow"): _Names("AllowClassicFlow", "allow_classic_flow", "AllowClassicFlow"),
    (RoleAttachment, "IdentityPoolId"): _Names("IdentityPoolId", "identity_pool_id", "IdentityPoolId"),
    (RoleAttachment, "Roles"): _Names("Roles", "roles", "Roles"),
    (RoleAttachment, "RoleMappings"): _Names("RoleMappings", "role_mapping", "RoleMappings"),
    (ResourcePolicy, "PolicyDocument"): _Names("ResourcePolicy.PolicyDocument", "policy_document", "PolicyDocument"),
    (WebClientConfig, "IdentityPoolId"): _Names("IdentityPoolId", "identity_pool_id", "IdentityPoolId",
                                                "identityPoolId"),
    (WebClientConfig, "GuestRoleArn"): _Names("GuestRoleArn", "guest_role_arn", "GuestRoleArn", "guestRoleArn"),
}
# Where one provider's resource differs from the table (the Cloud Control provider nests the policy).
_TERRAFORM_KIND_PATHS = {("awscc_rum_app_monitor", "PolicyDocument"): "resource_policy.policy_document"}
# Nested configuration that the hashicorp/aws provider writes as blocks (the awscc provider: attributes).
_TERRAFORM_BLOCKS = frozenset({"app_monitor_configuration"})


def _names(resource: Resource, name: str) -> _Names:
    for model_type in type(resource).__mro__:
        found = _PROPERTIES.get((model_type, name))
        if found is not None:
            return found
    raise KeyError(f"no property {name!r} for {type(resource).__name__}")


def property_path(resource: Resource, name: str) -> list[str]:
    """The full path of property ``name`` (its CloudFormation name) in the resource's dialect."""
    names = _names(resource, name)
    dialect = dialect_of(resource)
    if dialect is Dialect.TERRAFORM:
        path = _TERRAFORM_KIND_PATHS.get((resource.kind, name), names.terraform)
    elif dialect is Dialect.CLOUDFORMATION:
        path = names.cloudformation
    elif dialect is Dialect.WEB_CLIENT and names.web_client:
        path = names.web_client
    else:
        path = names.api
    return path.split(".")


def prop(resource: Resource, name: str) -> str:
    """How a message names property ``name`` (given by its CloudFormation name) of ``resource``.

    ``prop(pool, "AllowUnauthenticatedIdentities")`` is ``allow_unauthenticated_identities`` for a
    Terraform pool. Terraform names are attribute paths (``app_monitor_configuration.guest_role_arn``:
    the attribute sits in a nested block); the other dialects name the field itself, as written.
    """
    path = property_path(resource, name)
    return ".".join(path) if dialect_of(resource) is Dialect.TERRAFORM else path[-1]


# ----------------------------------------------------------------------------- values and places in messages

# The deploy target's values as Terraform reads them (the loader maps these data sources to the
# pseudo-parameter tokens of ``rumpolicy.model.symbols``).
_TERRAFORM_PSEUDO = TERRAFORM_PSEUDO


@value_type
class _Target:
    """How a dialect speaks of the place it deploys to."""

    owner: str              # "the stack" in "the stack's region"
    deployed: str           # "this works only if <deployed> us-east-1"


_TARGETS = {
    Dialect.CLOUDFORMATION: _Target("the stack", "the stack is deployed to"),
    Dialect.TERRAFORM: _Target("the configuration", "the configuration is deployed to"),
    Dialect.API: _Target("the account", "the app monitor is in"),
    Dialect.WEB_CLIENT: _Target("the account", "the app monitor is in"),
}


def render_for(resource: Resource, value: object) -> str:
    """A value as a message about ``resource`` shows it: tokens as its dialect writes them.

    CloudFormation and API values render as ``rumpolicy.model.symbols.render`` does; Terraform's
    deploy-time region, account and partition become ``${data.aws_region.current.name}`` ...
    """
    if dialect_of(resource) is not Dialect.TERRAFORM or not isinstance(value, str) or MARK not in value:
        return render(value)
    out = []
    for part in parts(value):
        if isinstance(part, Symbol) and part.kind == PSEUDO and part.detail in _TERRAFORM_PSEUDO:
            out.append("${%s}" % _TERRAFORM_PSEUDO[part.detail][1])
        else:
            out.append(part if isinstance(part, str) else render(part.text))
    return "".join(out)


def _is_deploy_target(value: object, what: str) -> bool:
    """Is the value exactly the deploy target's own region/account/partition, known only at deployment?"""
    if not isinstance(value, str):
        return False
    pieces = parts(value)
    return (len(pieces) == 1 and isinstance(pieces[0], Symbol) and pieces[0].kind == PSEUDO
            and pieces[0].detail == STACK_PSEUDO.get(what))


def describe_place(resource: Resource, value: object, what: str) -> str:
    """A place as a phrase: ``us-east-1``, ``account 123456789012``, ``partition aws``; "the stack's region"
    (Terraform: "the configuration's region") for the deploy target's own, not yet known; the rendered
    value (``region ${RegionParam}``); "an unknown region" when nothing is known about it.
    ``what``: region, account or partition."""
    if isinstance(value, str) and value:
        pieces = parts(value)
        if len(pieces) == 1 and isinstance(pieces[0], Symbol):
            if _is_deploy_target(value, what):
                return f"{_TARGETS[dialect_of(resource)].owner}'s {what}"
            if pieces[0].kind == OPAQUE:
                return f"an unknown {what}"
        if what == "region" and not has_symbols(value):
            return value
        return f"{what} {render_for(resource, value)}"
    return f"an unknown {what}"


def undecided_place(resource: Resource, what: str, subject_noun: str, subject_value: object,
                    monitor_value: object) -> str:
    """The message for a comparison the input cannot decide, e.g. "the identity pool is in us-east-1;
    the app monitor is in the stack's region: this works only if the stack is deployed to us-east-1".
    ``resource`` is the app monitor (or what speaks for it): its dialect words the deploy target."""
    a = describe_place(resource, subject_value, what)
    b = describe_place(resource, monitor_value, what)
    if is_literal(subject_value) and not is_literal(monitor_value):
        who = (_TARGETS[dialect_of(resource)].deployed if _is_deploy_target(monitor_value, what)
               else "the app monitor is in")
        tail = f": this works only if {who} {a}"
    elif is_literal(monitor_value) and not is_literal(subject_value):
        tail = f": this works only if the {subject_noun} is in {b}"
    else:
        tail = f": whether they are the same {what} cannot be told from the input"
    return f"the {subject_noun} is in {a}; the app monitor is in {b}{tail}"


# ----------------------------------------------------------------------------- snippets

@value_type
class Block:
    """A nested configuration block in Terraform (``app_monitor_configuration { ... }``); a plain
    mapping in the other dialects."""

    body: dict


@value_type
class Encoded:
    """A JSON document held in a string property: ``jsonencode(...)`` in Terraform, a ``!Sub`` block
    string in CloudFormation, the document itself in API output."""

    tree: object


def snippet(target: Resource, tree: object, *, comment: str | None = None) -> str:
    """``tree`` (dicts, lists, strings with tokens, booleans, ``Block``, ``Encoded``) as the dialect of
    ``target``, the resource the fix goes into, writes it: YAML, an HCL body (or expression), or JSON.

    ``comment`` becomes a leading comment line (JSON has no comments: there it is left out).
    """
    dialect = dialect_of(target)
    if dialect is Dialect.CLOUDFORMATION:
        return _commented([comment], "\n".join(_yaml(tree, 0)))
    if dialect is Dialect.TERRAFORM:
        writer = _Hcl(_module_prefix(target.subject))
        text = writer.body(tree, 0) if isinstance(tree, dict) else writer.expression(tree, 0)
        return _commented([comment, writer.data_sources()], text)
    return json.dumps(_json(tree), indent=2) + "\n"


def resource_snippet(target: Resource, body: dict, *, comment: str | None = None) -> str:
    """``body`` as properties of ``target`` itself: under its logical id in a template, in its
    ``resource`` block in Terraform, as the fields of the API request that sets them."""
    dialect = dialect_of(target)
    if dialect is Dialect.CLOUDFORMATION:
        return snippet(target, {target.subject: {"Type": target.kind, "Properties": body}}, comment=comment)
    if dialect is Dialect.TERRAFORM:
        writer = _Hcl(_module_prefix(target.subject))
        kind, name = _terraform_labels(target)
        text = f'resource "{kind}" "{name}" {{\n{writer.body(body, 2)}\n}}'
        return _commented([comment, writer.data_sources()], text)
    return snippet(target, body)


def property_snippet(target: Resource, values: dict[str, object], *, comment: str | None = None) -> str:
    """Properties of ``target`` set to ``values`` (keys: CloudFormation names), as a fix in its dialect."""
    body: dict = {}
    for name, value in values.items():
        path = property_path(target, name)
        here = body
        for step in path[:-1]:
            nested = here.setdefault(step, Block({}) if _is_block(target, step) else {})
            here = nested.body if isinstance(nested, Block) else nested
        here[path[-1]] = value
    return resource_snippet(target, body, comment=comment)


def policy_snippet(target: Resource, statement: dict, attribute: str, *, comment: str | None = None) -> str:
    """One IAM policy statement as a fix for ``target`` (a role): a statement list item in YAML, the
    ``attribute`` (``assume_role_policy``, ``policy``) with ``jsonencode`` in Terraform, a JSON object
    for API output."""
    dialect = dialect_of(target)
    if dialect is Dialect.CLOUDFORMATION:
        return snippet(target, [statement], comment=comment)
    if dialect is Dialect.TERRAFORM:
        return snippet(target, {attribute: Encoded({"Version": "2012-10-17", "Statement": [statement]})},
                       comment=comment)
    return snippet(target, statement)


def _commented(comments: list, text: str) -> str:
    lines = [c for c in comments if c]
    return "".join(f"# {line}\n" for line in lines) + text + "\n"


def companion(near: Resource, model_type: type[Resource], kinds: dict[Dialect, str], suffix: str) -> Resource:
    """A resource that a fix adds beside ``near``, in its dialect: ``<near><suffix>`` of ``kinds[dialect]`` in a
    template, a block of that type with ``near``'s name label in the same Terraform module. Where ``kinds``
    names no kind for the dialect (API output: the fix is a request about ``near``), it has ``near``'s
    name and kind."""
    dialect = dialect_of(near)
    kind = kinds.get(dialect)
    if kind is None:
        return model_type(near.subject, near.location, near.kind)
    if dialect is Dialect.TERRAFORM:
        subject = f"{_module_prefix(near.subject)}{kind}.{_terraform_labels(near)[1]}"
    else:
        subject = f"{near.subject}{suffix}"
    return model_type(subject, near.location, kind)


def _is_block(target: Resource, name: str) -> bool:
    return dialect_of(target) is Dialect.TERRAFORM and target.kind.startswith("aws_") and name in _TERRAFORM_BLOCKS


# --- YAML (CloudFormation) -----------------------------------------------------------------------------

_YAML_PLAIN = re.compile(r"^[A-Za-z_/$][^#'\"\s]*(?: [^#'\"\s]+)*$")
_YAML_WORDS = frozenset({"true", "false", "yes", "no", "on", "off", "null", "y", "n"})


def _yaml_text(text: str) -> str:
    """A plain scalar where YAML reads it back as this string, else a double-quoted one."""
    if _YAML_PLAIN.match(text) and ": " not in text and not text.endswith(":") and text.lower() not in _YAML_WORDS:
        return text
    return json.dumps(text)


def yaml_scalar(value: object) -> str:
    """A possibly-symbolic value as a template writes it: ``!Ref Pool``, ``!GetAtt Role.Arn``, ``!Sub ...``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if not isinstance(value, str):
        return str(value)
    pieces = parts(value)
    if len(pieces) == 1 and isinstance(pieces[0], Symbol):
        symbol = pieces[0]
        if symbol.kind in (REF, PARAM, PSEUDO):
            return f"!Ref {symbol.detail}"
        if symbol.kind == ATTR:
            return f"!GetAtt {symbol.detail}"
        if symbol.kind == IMPORT:
            return f"!ImportValue {symbol.detail}"
    text = render(value)
    return f"!Sub {_yaml_text(text)}" if _substituted(value) else _yaml_text(text)


def _yaml(value: object, indent: int) -> list[str]:
    pad = " " * indent
    if isinstance(value, Block):
        value = value.body
    if isinstance(value, dict):
        lines = []
        for key, item in value.items():
            head = f"{pad}{_yaml_text(str(key))}:"
            if isinstance(item, Encoded):
                document = json.dumps(_json(item.tree), indent=2)
                lines.append(f"{head} {'!Sub |' if _substituted(item.tree) else '|'}")
                lines.extend(pad + "  " + line for line in document.splitlines())
            elif isinstance(item, (dict, list, Block)) and _non_empty(item):
                lines.append(head)
                lines.extend(_yaml(item, indent + 2))
            else:
                lines.append(f"{head} {_yaml_leaf(item)}")
        return lines
    if isinstance(value, list):
        lines = []
        for item in value:
            if isinstance(item, (dict, list, Block)) and _non_empty(item):
                inner = _yaml(item, indent + 2)
                lines.append(f"{pad}- {inner[0].lstrip()}")
                lines.extend(inner[1:])
            else:
                lines.append(f"{pad}- {_yaml_leaf(item)}")
        return lines
    return [pad + _yaml_leaf(value)]


def _yaml_leaf(value: object) -> str:
    if isinstance(value, (dict, Block)):
        return "{}"
    if isinstance(value, list):
        return "[]"
    return yaml_scalar(value)


def _non_empty(value: object) -> bool:
    return bool(value.body if isinstance(value, Block) else value)


# --- HCL (Terraform) -----------------------------------------------------------------------------------

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")
_MODULE_PREFIX = re.compile(r"^((?:module\.[A-Za-z_][A-Za-z0-9_-]*(?:\[[^\]]*\])?\.)*)")


def _module_prefix(address: str) -> str:
    """``module.rum.`` of ``module.rum.aws_iam_role.guest``: references in its module omit it."""
    match = _MODULE_PREFIX.match(address)
    return match.group(1) if match else ""


def same_module(a: Resource, b: Resource) -> bool:
    """Are two Terraform resources declared in the same module instance (so one may refer to the other)?"""
    return _module_prefix(a.subject) == _module_prefix(b.subject)


def _terraform_labels(target: Resource) -> tuple[str, str]:
    """The type and name labels of the resource block that declares ``target``."""
    address = target.subject[len(_module_prefix(target.subject)):]
    rest = address[len(target.kind) + 1:] if address.startswith(target.kind + ".") else address
    return target.kind, re.split(r"[.\[]", rest, maxsplit=1)[0] or "this"


def _hcl_string(text: str) -> str:
    escaped = (text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
               .replace("${", "$${").replace("%{", "%%{"))
    return f'"{escaped}"'


class _Hcl:
    """Writes snippet trees as HCL, with references relative to the module the fix goes into."""

    def __init__(self, module: str):
        self.module = module
        self.used: list[str] = []          # data sources the written expressions read

    def reference(self, symbol: Symbol) -> str | None:
        """A token as a Terraform expression, or None when it is no reference (then it stays text)."""
        if symbol.kind == PSEUDO and symbol.detail in _TERRAFORM_PSEUDO:
            source, expression = _TERRAFORM_PSEUDO[symbol.detail]
            if source not in self.used:
                self.used.append(source)
            return expression
        if symbol.kind in (REF, ATTR, PARAM):
            detail = symbol.detail
            return detail[len(self.module):] if self.module and detail.startswith(self.module) else detail
        return None

    def scalar(self, value: object) -> str:
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, (int, float)):
            return str(value)
        text = value if isinstance(value, str) else str(value)
        pieces = parts(text)
        if len(pieces) == 1 and isinstance(pieces[0], Symbol):
            bare = self.reference(pieces[0])
            if bare is not None:
                return bare
        out = []
        for piece in pieces:
            bare = self.reference(piece) if isinstance(piece, Symbol) else None
            if bare is not None:
                out.append("${" + bare + "}")
            else:
                literal = piece if isinstance(piece, str) else render(piece.text)
                out.append(_hcl_string(literal)[1:-1])
        return '"' + "".join(out) + '"'

    def expression(self, value: object, indent: int) -> str:
        pad = " " * indent
        if isinstance(value, Encoded):
            return f"jsonencode({self.expression(value.tree, indent)})"
        if isinstance(value, Block):
            value = value.body
        if isinstance(value, dict):
            if not value:
                return "{}"
            if len(value) == 1:
                (key, item), = value.items()
                inline = self.expression(item, indent + 2)
                if "\n" not in inline and len(inline) < 60 and not isinstance(item, (dict, Block, Encoded)):
                    return f"{{ {self.key(key)} = {inline} }}"
            return "{\n" + self.entries(value, indent + 2) + f"\n{pad}}}"
        if isinstance(value, list):
            if len(value) == 1 and isinstance(value[0], (dict, Block)) and _non_empty(value[0]):
                return f"[{self.expression(value[0], indent)}]"     # Statement = [{ ... }], as people write it
            items = [self.expression(item, indent + 2) for item in value]
            if all("\n" not in item for item in items) and sum(len(i) + 2 for i in items) < 80:
                return "[" + ", ".join(items) + "]"
            return "[\n" + "".join(f"{pad}  {item},\n" for item in items) + f"{pad}]"
        return self.scalar(value)

    @staticmethod
    def key(key: object) -> str:
        return str(key) if _IDENTIFIER.match(str(key)) else _hcl_string(str(key))

    def entries(self, mapping: dict, indent: int) -> str:
        """``key = value`` lines with ``=`` aligned as ``terraform fmt`` does: a multi-line value ends a group."""
        pad = " " * indent
        rows = [(self.key(key), self.expression(item, indent)) for key, item in mapping.items()]
        groups: list[list[tuple[str, str]]] = [[]]
        for row in rows:
            groups[-1].append(row)
            if "\n" in row[1]:
                groups.append([])
        lines = []
        for group in groups:
            width = max((len(key) for key, _ in group), default=0)
            lines.extend(f"{pad}{key.ljust(width)} = {text}" for key, text in group)
        return "\n".join(lines)

    def body(self, mapping: dict, indent: int) -> str:
        """Attributes first (aligned), then nested blocks."""
        pad = " " * indent
        attributes = {k: v for k, v in mapping.items() if not isinstance(v, Block)}
        blocks = [(k, v) for k, v in mapping.items() if isinstance(v, Block)]
        out = [self.entries(attributes, indent)] if attributes else []
        for name, block in blocks:
            out.append(f"{pad}{name} {{\n{self.body(block.body, indent + 2)}\n{pad}}}")
        return "\n".join(out)

    def data_sources(self) -> str | None:
        """The comment that names the data sources the written expressions read."""
        if not self.used:
            return None
        return "with " + " and ".join(f'data "{source}" "current" {{}}' for source in self.used)


# --- JSON (API output) ---------------------------------------------------------------------------------

def _json(value: object) -> object:
    """The tree with its tokens rendered (``${AWS::Region}`` is also what ``!Sub`` substitutes in a template)."""
    if isinstance(value, Block):
        return _json(value.body)
    if isinstance(value, Encoded):
        return _json(value.tree)
    if isinstance(value, dict):
        return {str(k): _json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json(v) for v in value]
    if isinstance(value, str):
        return render(value)
    return value


def _substituted(value: object) -> bool:
    """Does the value hold a token that renders as a ``${...}`` variable, which needs ``!Sub``?"""
    if isinstance(value, dict):
        return any(_substituted(v) for v in value.values())
    if isinstance(value, list):
        return any(_substituted(v) for v in value)
    return isinstance(value, str) and any(isinstance(p, Symbol) and p.kind in (PSEUDO, PARAM, REF, ATTR)
                                          for p in parts(value))
