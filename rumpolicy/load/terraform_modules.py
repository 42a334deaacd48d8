"""Module instances: the evaluation context of a Terraform configuration.

A ``ModuleInstance`` is a module source evaluated with the values given to it: the root module with its
variable files, or a local module called by another (once per ``count``/``for_each`` key). It answers
the names an expression refers to (``var``, ``local``, ``module``, ``data``, resources, ``path``) for
``terraform_eval``, each value computed once and its locations kept; it knows the providers in effect
(region, account and partition of the deploy target), and collects the resource instances to check.
"""

from __future__ import annotations

import os
from dataclasses import field
from typing import Any, Callable

from rumpolicy.aws import partition_of_region
from rumpolicy.load.cfn_intrinsics import StackEnv
from rumpolicy.load.source import SourceError, read_text
from rumpolicy.load.terraform_blocks import block_location, provider_name, shown
from rumpolicy.load.terraform_eval import Evaluator, Lazy, Site, Sink, concrete, number_text
from rumpolicy.load.terraform_nodes import Attribute, Block, Expr, Literal, Name, ObjectExpr
from rumpolicy.load.terraform_policy_documents import PolicyDocumentBuilder
from rumpolicy.load.terraform_resources import (MISSING, RUM_TYPES, Builder, attribute_token, closest_rum_type,
                                                model_environment, resource_attribute)
from rumpolicy.load.terraform_sources import TERRAFORM, ModuleSource, Run
from rumpolicy.load.terraform_views import HclView
from rumpolicy.model import Unknown
from rumpolicy.model.inputs import UndecidedCheck
from rumpolicy.model.policy import Problem
from rumpolicy.model.symbols import MARK, PARAM, as_terraform, token
from rumpolicy.records import value_type

MAX_MODULE_DEPTH = 16
# Arguments of a module block that are not the module's input variables.
MODULE_META = frozenset({"source", "version", "count", "for_each", "providers", "depends_on"})


@value_type(slots=False)
class Given:
    """A value given for a variable: an expression and where to evaluate it (None: constants only)."""

    attribute: Attribute
    module: "ModuleInstance | None"
    scope: dict = field(default_factory=dict)


@value_type(slots=False)
class _NotFollowed:
    reason: str


class ModuleInstance:
    def __init__(self, run: Run, source: ModuleSource, prefix: str, root_folder: str,
                 given: dict[str, Given], providers: dict[str, StackEnv], chain: tuple[str, ...]):
        self.run = run
        self.source = source
        self.prefix = prefix
        self.root_folder = root_folder
        self.given = given
        self.chain = chain
        self.evaluator = Evaluator(self)
        self.cache: dict[Any, tuple[Any, Sink]] = {}
        # id -> (count.index or each.key of an instance standing for all, its block): see every_instance.
        self.uniform_keys: dict[int, tuple[Unknown, Block]] = {}
        self.active: set[Any] = set()
        self.children: dict[str, Any] = {}
        self.providers = dict(providers)
        self._own_providers()

    # -- names ---------------------------------------------------------------------------------
    def root(self, ev: Evaluator, name: str, site: Site) -> Any:
        if name == "var":
            return _Namespace("`var`", self.variable)
        if name == "local":
            return _Namespace("`local`", self.local)
        if name == "module":
            return _Namespace("`module`", self.module_call)
        if name == "data":
            return _Namespace("`data`", lambda kind, s: _Namespace(f"`data.{kind}`",
                                                                    lambda n, s2: self.instances_ref("data", kind, n, s2)))
        if name == "path":
            return {"module": self._relative_folder(), "root": ".", "cwd": "."}
        if name == "terraform":
            return {"workspace": token(PARAM, "terraform.workspace")}
        if name in ("count", "each", "self"):
            return site.unknown(f"`{name}` is not available here")
        if name in self.source.resource_types or "_" in name:
            # A resource type (``aws_iam_role``); undeclared ones are reported with the resource's name.
            return _Namespace(f"`{name}`", lambda n, s: self.instances_ref("resource", name, n, s))
        return site.unknown(f"reference to undeclared {name!r}")

    def _relative_folder(self) -> str:
        relative = os.path.relpath(self.source.folder, self.root_folder)
        return relative.replace(os.sep, "/")

    def read_file(self, path: str, site: Site) -> str | Unknown:
        full = path if os.path.isabs(path) else os.path.join(self.root_folder, path)
        try:
            return read_text(full, max_bytes=self.run.options.max_file_size)
        except SourceError as error:
            return site.unknown(f"file {path!r} could not be read: {error.message}")

    # -- caching -------------------------------------------------------------------------------
    def use(self, key: Any, compute: Callable[[Sink], Any], site: Site) -> Any:
        """A value computed once per instance, its places merged below the site that uses it."""
        if key not in self.cache:
            if key in self.active:
                return site.unknown(f"circular reference through {_describe_key(key)}")
            self.active.add(key)
            sink = Sink()
            try:
                value = compute(sink)
            finally:
                self.active.discard(key)
            self.cache[key] = (value, sink)
        value, sink = self.cache[key]
        site.sink.merge(sink, site.pointer)
        return value

    def evaluate(self, attribute: Attribute, sink: Sink, scope: dict | None = None, pointer: str = "") -> Any:
        return self.evaluator.evaluate(attribute.expr, attribute.source, pointer, sink, scope)

    # -- variables, locals, outputs --------------------------------------------------------------
    def variable(self, name: str, site: Site) -> Any:
        declaration = self.source.variables.get(name)
        if declaration is None:
            return site.unknown(f"reference to undeclared variable var.{name}")
        return self.use(("var", name), lambda sink: self._variable_value(name, declaration, sink), site)

    def _variable_value(self, name: str, declaration: Block, sink: Sink) -> Any:
        kind = _variable_type(declaration.body.attribute("type"))
        given = self.given.get(name)
        if given is not None:
            if given.module is None:
                value = Evaluator(_Constants()).evaluate(given.attribute.expr, given.attribute.source, "", sink)
            else:
                value = given.module.evaluate(given.attribute, sink, given.scope)
        elif declaration.body.attribute("default") is not None:
            value = self.evaluate(declaration.body.attribute("default"), sink)
        elif kind in ("string", None):
            # Like a CloudFormation parameter without a default: a named deploy-time value.
            return token(PARAM, f"{self.prefix}var.{name}")
        else:
            where = declaration.body.attribute("type") or declaration
            missing = (f"module {self.prefix.rstrip('.')} is given no value for it" if self.prefix
                       else "no value was given (use --var-file)")
            return sink.unknown("", declaration.source, where.span, f"variable {name!r} has no default and {missing}")
        return _convert(value, kind)

    def local(self, name: str, site: Site) -> Any:
        attribute = self.source.locals.get(name)
        if attribute is None:
            return site.unknown(f"reference to undeclared local value local.{name}")
        return self.use(("local", name), lambda sink: self.evaluate(attribute, sink), site)

    def output(self, name: str, site: Site) -> Any:
        block = self.source.outputs.get(name)
        value = block.body.attribute("value") if block is not None else None
        if value is None:
            return site.unknown(f"module {self.prefix.rstrip('.')} has no output {name!r}")
        return self.use(("output", name), lambda sink: self.evaluate(value, sink), site)

    # -- resources and data sources --------------------------------------------------------------
    def address(self, mode: str, kind: str, name: str, key: Any) -> str:
        base = f"{self.prefix}{'data.' if mode == 'data' else ''}{kind}.{name}"
        return base + _instance_suffix(key)

    def expansion(self, block: Block, what: str) -> list[tuple[Any, dict]] | Unknown:
        """The instances of a resource, data source or module call: ``(key, scope)`` pairs."""
        def compute(sink: Sink) -> Any:
            count, for_each = block.body.attribute("count"), block.body.attribute("for_each")
            if count is not None:
                value = self.evaluate(count, sink)
                number = value if isinstance(value, int) and not isinstance(value, bool) else None
                if isinstance(value, float) and value.is_integer():
                    number = int(value)
                if number is None or number < 0:
                    reason = value.reason if isinstance(value, Unknown) else f"it is {shown(value)}"
                    return Unknown(f"the count of {what} could not be resolved ({reason})")
                return [(i, {"count": {"index": i}}) for i in range(number)]
            if for_each is not None:
                value = concrete(self.evaluate(for_each, sink), Site("", for_each.source, for_each.span, sink))
                if isinstance(value, dict) and all(isinstance(k, str) and MARK not in k for k in value):
                    return [(k, {"each": {"key": k, "value": value[k]}}) for k in sorted(value)]
                if isinstance(value, list) and all(isinstance(k, str) and MARK not in k for k in value):
                    return [(k, {"each": {"key": k, "value": k}}) for k in sorted(set(value))]
                reason = value.reason if isinstance(value, Unknown) else f"it is {shown(value)}"
                return Unknown(f"the for_each of {what} could not be resolved ({reason})")
            return [(None, {})]

        key = ("expansion", id(block))
        if key not in self.cache:
            sink = Sink()
            self.cache[key] = (compute(sink), sink)
        return self.cache[key][0]

    def every_instance(self, block: Block) -> dict:
        """The scope of an instance standing for all instances of ``block`` (whose count or for_each is
        unknown): its ``count.index``/``each`` are unknown, one object per block, so that a reference
        indexed by it can be told from any other unknown key."""
        key = ("every instance", id(block))
        if key not in self.cache:
            if block.body.attribute("count") is not None:
                index = Unknown("count.index differs between the instances")
                scope = {"count": {"index": index}}
            else:
                index = Unknown("each.key differs between the instances")
                scope = {"each": {"key": index, "value": Unknown("each.value differs between the instances")}}
            self.uniform_keys[id(index)] = (index, block)
            self.cache[key] = (scope, Sink())
        return self.cache[key][0]

    def instances_ref(self, mode: str, kind: str, name: str, site: Site) -> Any:
        table = self.source.resources if mode == "resource" else self.source.data
        block = table.get((kind, name))
        shown = f"{'data.' if mode == 'data' else ''}{kind}.{name}"
        if block is None:
            return site.unknown(f"reference to undeclared {'data source' if mode == 'data' else 'resource'} {shown}")
        expansion = self.expansion(block, self.prefix + shown)
        if isinstance(expansion, Unknown):
            return _EveryInstanceOf(self, mode, block, self.address(mode, kind, name, None), expansion.reason)
        refs = [(key, Instance(self, mode, block, key, scope, self.address(mode, kind, name, key)))
                for key, scope in expansion]
        return _collection(block, refs)

    def instance_attribute(self, ref: "Instance", name: str, site: Site) -> Any:
        kind = ref.block.labels[0]
        env = self.environment(ref.block)

        def configured(attr: str) -> Any:
            attribute = ref.block.body.attribute(attr)
            if attribute is None:
                return MISSING
            return self.use(("attr", ref.address, attr), lambda sink: self.evaluate(attribute, sink, ref.scope), site)

        if ref.mode == "data":
            value = _data_attribute(self, ref, kind, name, env, site)
        else:
            value = resource_attribute(kind, ref.address, name, configured, model_environment(env))
        if value is MISSING:
            value = configured(name)
        if value is MISSING:
            # A block, or an attribute the provider computes: known after apply.
            return attribute_token(ref.address, name)
        return value

    def policy_document(self, ref: "Instance", site: Site) -> Any:
        return self.use(("policy_document", ref.address),
                        lambda sink: PolicyDocumentBuilder(self, ref, sink).build(), site)

    # -- modules -------------------------------------------------------------------------------
    def module_call(self, name: str, site: Site) -> Any:
        block = self.source.modules.get(name)
        if block is None:
            return site.unknown(f"reference to undeclared module module.{name}")
        children = self.child_instances(name)
        if isinstance(children, _NotFollowed):
            return site.unknown(f"the outputs of module {self.prefix}module.{name} are not known: it was not loaded")
        if isinstance(children, Unknown):
            return site.unknown(children.reason)
        return _collection(block, [(key, _ModuleCall(child)) for key, child in children])

    def child_instances(self, name: str) -> list[tuple[Any, "ModuleInstance"]] | Unknown | _NotFollowed:
        if name in self.children:
            return self.children[name]
        block = self.source.modules[name]
        self.children[name] = result = self._make_children(name, block)
        return result

    def _make_children(self, name: str, block: Block) -> Any:
        label = f"module {self.prefix}module.{name}"
        source_attr = block.body.attribute("source")
        source = source_attr.expr.value if source_attr and isinstance(source_attr.expr, Literal) else None
        if not isinstance(source, str):
            return _NotFollowed(f"{label} has no literal `source`, so it was not loaded")
        if not source.startswith(("./", "../", ".\\", "..\\")):
            return _NotFollowed(f"{label} comes from {source!r}; only local modules (./ or ../) are loaded, so "
                                "its resources were not checked")
        folder = os.path.normpath(os.path.join(self.source.folder, source))
        if not os.path.isdir(folder):
            return _NotFollowed(f"{label}: the folder {folder} does not exist")
        if os.path.abspath(folder) in self.chain or len(self.chain) >= MAX_MODULE_DEPTH:
            return _NotFollowed(f"{label} calls {folder}, which would nest modules without end")
        expansion = self.expansion(block, label)
        if isinstance(expansion, Unknown):
            return expansion
        child_source = self.run.module_source(folder)
        children = []
        for key, scope in expansion:
            given = {attr: Given(block.body.attribute(attr), self, scope)
                     for attr in block.body.attribute_names() if attr not in MODULE_META}
            prefix = f"{self.prefix}module.{name}{_instance_suffix(key)}."
            providers = self._passed_providers(block)
            children.append((key, ModuleInstance(self.run, child_source, prefix, self.root_folder, given, providers,
                                                 (*self.chain, os.path.abspath(folder)))))
        return children

    # -- providers -----------------------------------------------------------------------------
    def _own_providers(self) -> None:
        for block in self.source.providers:
            name = block.labels[0]
            alias = block.body.attribute("alias")
            key = f"{name}.{alias.expr.value}" if alias and isinstance(alias.expr, Literal) else name
            base = self.providers.get(name) or self.run_env()
            sink = Sink()
            region, account = base.region, base.account
            region_attr = block.body.attribute("region")
            if region_attr is not None:
                value = self.evaluate(region_attr, sink)
                region = value if isinstance(value, str) and MARK not in value else None
            accounts_attr = block.body.attribute("allowed_account_ids")
            if accounts_attr is not None:
                value = self.evaluate(accounts_attr, sink)
                if isinstance(value, list) and len(value) == 1 and isinstance(value[0], str) and MARK not in value[0]:
                    account = value[0]
            # The partition its region is in (us-gov-west-1: aws-us-gov); when the name does not tell, the caller's.
            partition = partition_of_region(region or "") or base.partition
            self.providers[key] = StackEnv(partition=partition, region=region, account=account)

    def run_env(self) -> StackEnv:
        options = self.run.options
        partition = partition_of_region(options.region or "") or options.partition
        return StackEnv(partition=partition, region=options.region, account=options.account)

    def _passed_providers(self, block: Block) -> dict[str, StackEnv]:
        passed = dict(self.providers)
        mapping = block.body.attribute("providers")
        if mapping is not None and isinstance(mapping.expr, ObjectExpr):
            for key_expr, value_expr in mapping.expr.items:
                inner, outer = provider_name(key_expr), provider_name(value_expr)
                if inner and outer and outer in self.providers:
                    passed[inner] = self.providers[outer]
        return passed

    def environment(self, block: Block) -> StackEnv:
        chosen = block.body.attribute("provider")
        name = provider_name(chosen.expr) if chosen is not None else None
        default = block.labels[0].split("_", 1)[0]
        return self.providers.get(name or default) or self.providers.get(default) or self.run_env()

    # -- what gets checked ---------------------------------------------------------------------
    def collect(self, builder: Builder, undecided: list[UndecidedCheck]) -> None:
        for (kind, name), block in sorted(self.source.resources.items()):
            if kind not in RUM_TYPES:
                self._note_lookalike(kind, name, block)
                continue
            expansion = self.expansion(block, f"{self.prefix}{kind}.{name}")
            if isinstance(expansion, Unknown):
                # Which instances there are is not known, but what the block says regardless of
                # count.index/each is true of every one of them: check one instance standing for
                # all, whose count.index/each are unknown (so checks that depend on them are
                # reported as not made, never guessed).
                undecided.append(UndecidedCheck(None, f"{self.prefix}{kind}.{name}",
                                                f"{expansion.reason}, so what differs between its instances "
                                                "was not checked", block_location(block, "resource")))
                expansion = [(None, self.every_instance(block))]
            for key, scope in expansion:
                address = self.address("resource", kind, name, key)
                builder.add(HclView(self, block, scope, address, self.run.input_file(block.source, False, TERRAFORM)))
        for name in sorted(self.source.modules):
            children = self.child_instances(name)
            if isinstance(children, (_NotFollowed, Unknown)):
                undecided.append(UndecidedCheck(None, f"{self.prefix}module.{name}", children.reason,
                                                block_location(self.source.modules[name], "module")))
                continue
            for _, child in children:
                child.collect(builder, undecided)

    def _note_lookalike(self, kind: str, name: str, block: Block) -> None:
        """A misspelled RUM or Cognito type is not an error to Terraform until plan, and would be a silent pass here."""
        meant = closest_rum_type(kind)
        if meant is None:
            return
        file = self.run.input_file(block.source, False, TERRAFORM)
        note = Problem(f"resource {kind}.{name} has type {kind!r}, which is not a resource type of the aws "
                       f"provider; {meant!r} is, so {kind}.{name} was not checked", block_location(block, "resource"))
        if note not in file.notes:          # once, however many times its module is called
            file.notes.append(note)


class _Constants:
    """Where variable files are evaluated: values only, no references."""

    def root(self, ev: Evaluator, name: str, site: Site) -> Any:
        return site.unknown(f"a variable definitions file cannot refer to {name!r}")

    def read_file(self, path: str, site: Site) -> Any:
        return site.unknown("a variable definitions file cannot read files")


class _Namespace(Lazy):
    """``var``, ``local``, ``module``, ``data``, ``data.TYPE``, a resource type: attributes are names."""

    def __init__(self, description: str, lookup: Callable[[str, Site], Any]):
        self.description = description
        self.lookup = lookup

    def attr(self, ev: Evaluator, name: str, site: Site) -> Any:
        return self.lookup(name, site)


class Instance(Lazy):
    def __init__(self, module: ModuleInstance, mode: str, block: Block, key: Any, scope: dict, address: str):
        self.module, self.mode, self.block, self.key, self.scope, self.address = module, mode, block, key, scope, address
        self.description = f"`{address}`"

    def attr(self, ev: Evaluator, name: str, site: Site) -> Any:
        return self.module.instance_attribute(self, name, site)


class _EveryInstanceOf(Lazy):
    """The instances of a resource whose count or for_each is unknown.

    Only ``aws_rum_app_monitor.m[count.index]`` written in a block expanded by the same count (or
    for_each) expression is followed: instance i of one goes with instance i of the other, so the
    instance standing for all of one refers to the instance standing for all of the other. Any other
    use is unknown.
    """

    def __init__(self, module: ModuleInstance, mode: str, block: Block, address: str, reason: str):
        self.module, self.mode, self.block, self.address, self.reason = module, mode, block, address, reason
        self.description = f"`{address}`"

    def attr(self, ev: Evaluator, name: str, site: Site) -> Any:
        return site.unknown(self.reason)

    def index(self, ev: Evaluator, key: Any, site: Site) -> Any:
        paired = self.module.uniform_keys.get(id(key))
        if paired is not None and paired[0] is key and _same_expansion(paired[1], self.block):
            scope = self.module.every_instance(self.block)
            return Instance(self.module, self.mode, self.block, None, scope, self.address)
        return site.unknown(self.reason)


def _same_expansion(one: Block, other: Block) -> bool:
    """Both blocks are expanded by the same written ``count`` or ``for_each`` expression."""
    for meta in ("count", "for_each"):
        a, b = one.body.attribute(meta), other.body.attribute(meta)
        if (a is None) != (b is None):
            return False
        if a is not None:
            return _same_syntax(a.expr, b.expr)
    return False


def _same_syntax(a: Any, b: Any) -> bool:
    """Two expressions written alike (positions aside)."""
    if isinstance(a, Expr) or isinstance(b, Expr):
        if type(a) is not type(b):
            return False
        slots = [name for cls in type(a).__mro__ for name in getattr(cls, "__slots__", ()) if name != "span"]
        return all(_same_syntax(getattr(a, n, None), getattr(b, n, None)) for n in slots)
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
        return len(a) == len(b) and all(map(_same_syntax, a, b))
    return a == b


class _ModuleCall(Lazy):
    def __init__(self, child: ModuleInstance):
        self.child = child
        self.description = f"`{child.prefix.rstrip('.')}`"

    def attr(self, ev: Evaluator, name: str, site: Site) -> Any:
        return self.child.output(name, site)


def _collection(block: Block, refs: list[tuple[Any, Lazy]]) -> Any:
    """One instance, or the list (``count``) or map (``for_each``) of them."""
    if block.body.attribute("count") is not None:
        return [ref for _, ref in refs]
    if block.body.attribute("for_each") is not None:
        return {key: ref for key, ref in refs}
    return refs[0][1]


def _instance_suffix(key: Any) -> str:
    if key is None:
        return ""
    if isinstance(key, int):
        return f"[{key}]"
    return '["' + str(key).replace("\\", "\\\\").replace('"', '\\"') + '"]'


def _describe_key(key: Any) -> str:
    kind, *rest = key
    return {"var": "var.", "local": "local.", "output": "output "}.get(kind, f"{kind} ") + ".".join(map(str, rest))


def _variable_type(attribute: Attribute | None) -> str | None:
    if attribute is None:
        return None
    expr = attribute.expr
    if isinstance(expr, Name) and expr.name in ("string", "number", "bool", "any"):
        return None if expr.name == "any" else expr.name
    return "collection"


def _convert(value: Any, kind: str | None) -> Any:
    """Terraform's conversion of a given value to the variable's primitive type."""
    if kind == "string" and isinstance(value, (bool, int, float)):
        return ("true" if value else "false") if isinstance(value, bool) else number_text(value)
    if kind == "bool" and value in ("true", "false"):
        return value == "true"
    if kind == "number" and isinstance(value, str) and MARK not in value:
        try:
            number = float(value)
        except ValueError:
            return value
        return int(number) if number.is_integer() else number
    return value


def _data_attribute(module: ModuleInstance, ref: Instance, kind: str, name: str, env: StackEnv, site: Site) -> Any:
    """The data sources whose values are the deploy target, and policy documents; else ``MISSING``."""
    if kind == "aws_region" and name in ("name", "region", "id"):
        return as_terraform(env.pseudo("AWS::Region"))
    if kind == "aws_caller_identity" and name in ("account_id", "id"):
        return as_terraform(env.pseudo("AWS::AccountId"))
    if kind == "aws_partition" and name in ("partition", "id"):
        return as_terraform(env.pseudo("AWS::Partition"))
    if kind == "aws_partition" and name == "dns_suffix":
        return as_terraform(env.pseudo("AWS::URLSuffix"))
    if kind == "aws_iam_policy_document" and name in ("json", "minified_json"):
        return module.policy_document(ref, site)
    if kind == "terraform_remote_state" and name == "outputs":
        return _RemoteOutputs(ref.address)
    return MISSING


class _RemoteOutputs(Lazy):
    """``data.terraform_remote_state.X.outputs``: values of another configuration's state, like an import."""

    def __init__(self, address: str):
        self.address = address
        self.description = f"`{address}.outputs`"

    def attr(self, ev: Evaluator, name: str, site: Site) -> Any:
        site.note(f"{self.address}.outputs.{name} comes from another configuration's state, which is not part "
                  "of the input")
        return attribute_token(f"{self.address}.outputs", name)


# --------------------------------------------------------------------------------------------
