"""Terraform configurations (``*.tf``, ``*.tf.json``) -> the model.

A folder is one module, as for Terraform: all its ``.tf`` and ``.tf.json`` files together. A folder
that another folder of the run calls as a local module (``source = "./modules/rum"``) is loaded as
that module, with the arguments of the call, and not again as a root of its own. A ``.tf`` file named
explicitly on the command line is loaded alone, as a module of one file, so that a file can be
checked by itself (the rule fixtures are such files); name the folder to check a whole module.

What Terraform evaluates before apply is evaluated here (``terraform_eval``): variables take their
default, then ``terraform.tfvars``, ``*.auto.tfvars`` (and their ``.json`` forms) from the root
folder, then each ``--var-file`` in order, as Terraform does (other ``.tfvars`` files in a folder are
read by Terraform only when named, so they are not used either); locals; ``jsonencode``;
``data "aws_iam_policy_document"``; references between resources; ``count`` and ``for_each`` with
known values; local modules. ``data.aws_region``, ``data.aws_caller_identity`` and
``data.aws_partition`` are the deploy target: the region and account of the ``aws`` provider block
when it states them (``region``, a single ``allowed_account_ids``), else ``--region``/``--account``,
else the symbolic values CloudFormation's pseudo parameters give. What cannot be evaluated is
reported as RUM-SRC-001 where it is written, and never guessed.

Provider defaults that decide a check are applied: an ``aws_cognito_identity_pool`` without
``allow_classic_flow`` has the classic flow disabled (the provider sends ``false``).
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

from rumpolicy.findings import Location, Span, join_pointer
from rumpolicy.load.cfn_intrinsics import StackEnv
from rumpolicy.load.options import LoadOptions
from rumpolicy.load.source import SourceError, read_text
from rumpolicy.load.terraform_eval import (Evaluator, JsonText, Lazy, Site, Sink, concrete, json_text,
                                            number_text)
from rumpolicy.load.terraform_resources import (MISSING, RUM_TYPES, Builder, attribute_token, closest_rum_type,
                                                model_environment, partition_of, resource_attribute)
from rumpolicy.load.terraform_syntax import (Attribute, Block, Body, ConfigFile, Expr, GetAttr, Literal, Name,
                                              ObjectExpr, parse_hcl, parse_json_config, parse_tfvars)
from rumpolicy.model import Inventory, Node, PolicyDocument, Unknown, parse_policy
from rumpolicy.model.inputs import InputFile, UndecidedCheck
from rumpolicy.model.link import link
from rumpolicy.model.policy import Problem
from rumpolicy.model.symbols import MARK, PARAM, as_terraform, render, token

CONFIG_SUFFIXES = (".tf", ".tf.json")
VARIABLE_SUFFIXES = (".tfvars", ".tfvars.json")
TERRAFORM = "terraform"
TERRAFORM_VARIABLES = "terraform-variables"
MAX_MODULE_DEPTH = 16
# Arguments of a module block that are not the module's input variables.
MODULE_META = frozenset({"source", "version", "count", "for_each", "providers", "depends_on"})


def is_configuration(path: str) -> bool:
    return path.endswith(CONFIG_SUFFIXES)


def is_variables(path: str) -> bool:
    return path.endswith(VARIABLE_SUFFIXES)


def is_auto_variables(path: str) -> bool:
    """The variable files Terraform reads without being told (``terraform.tfvars``, ``*.auto.tfvars``)."""
    name = os.path.basename(path)
    return name in ("terraform.tfvars", "terraform.tfvars.json") or name.endswith((".auto.tfvars",
                                                                                  ".auto.tfvars.json"))


# --------------------------------------------------------------------------------------------
# One folder's configuration


@dataclass
class ModuleSource:
    folder: str
    files: list[ConfigFile]
    variables: dict[str, Block] = field(default_factory=dict)
    locals: dict[str, Attribute] = field(default_factory=dict)
    resources: dict[tuple[str, str], Block] = field(default_factory=dict)
    data: dict[tuple[str, str], Block] = field(default_factory=dict)
    modules: dict[str, Block] = field(default_factory=dict)
    outputs: dict[str, Block] = field(default_factory=dict)
    providers: list[Block] = field(default_factory=list)
    resource_types: set[str] = field(default_factory=set)


_LABELS = {"resource": 2, "data": 2, "module": 1, "variable": 1, "output": 1, "provider": 1}


def _index(folder: str, files: list[ConfigFile], run: "_Run") -> ModuleSource:
    source = ModuleSource(folder, files)
    tables: dict[str, dict] = {"variable": source.variables, "module": source.modules, "output": source.outputs,
                               "resource": source.resources, "data": source.data}
    for config in files:
        for block in config.top_blocks:
            wanted = _LABELS.get(block.type)
            if wanted is not None and len(block.labels) != wanted:
                run.problem(block.source, f"a `{block.type}` block needs {wanted} label{'s' if wanted > 1 else ''}",
                            block.span, f"/{block.type}")
                continue
            if block.type == "locals":
                for name in block.body.attribute_names():
                    attribute = block.body.attribute(name)
                    if name in source.locals:
                        run.problem(block.source, f"local value {name!r} is defined twice", attribute.span,
                                    join_pointer("/locals", name))
                    else:
                        source.locals[name] = attribute
                continue
            if block.type == "provider":
                source.providers.append(block)
                continue
            table = tables.get(block.type)
            if table is None:
                continue                     # terraform, moved, import, check: nothing to check here
            key = block.labels if block.type in ("resource", "data") else block.labels[0]
            if key in table:
                run.problem(block.source, f"{block.type} {'.'.join(block.labels)} is declared twice", block.span,
                            join_pointer(f"/{block.type}", *block.labels))
                continue
            table[key] = block
    source.resource_types = {kind for kind, _ in source.resources}
    return source


# --------------------------------------------------------------------------------------------
# The run: files parsed once, problems and files recorded


class _Run:
    def __init__(self, options: LoadOptions):
        self.options = options
        self.files: dict[str, InputFile] = {}
        self.configs: dict[str, ConfigFile | None] = {}
        self.sources: dict[tuple[str, tuple[str, ...]], ModuleSource] = {}
        self.var_files: list[dict[str, Attribute]] | None = None

    def input_file(self, path: str, explicit: bool, kind: str | None) -> InputFile:
        key = os.path.abspath(path)
        file = self.files.get(key)
        if file is None:
            file = self.files[key] = InputFile(path, explicit, kind)
        return file

    def problem(self, path: str, message: str, span: Span | None, pointer: str) -> None:
        self.input_file(path, False, TERRAFORM).problems.append(Problem(message, Location(path, pointer, span)))

    def config(self, path: str, explicit: bool = False) -> ConfigFile | None:
        key = os.path.abspath(path)
        if key in self.configs:
            return self.configs[key]
        file = self.input_file(path, explicit, TERRAFORM)
        try:
            text = read_text(path, max_bytes=self.options.max_file_size)
            config = parse_json_config(text, path) if path.endswith(".json") else parse_hcl(text, path)
        except SourceError as error:
            file.error = error.message
            file.error_location = Location(path, "", error.span)
            config = None
        self.configs[key] = config
        return config

    def module_source(self, folder: str, only: tuple[str, ...] = ()) -> ModuleSource:
        """The configuration of ``folder`` (or of the ``only`` files in it)."""
        key = (os.path.abspath(folder), only)
        if key not in self.sources:
            paths = list(only) or _configuration_files(folder)
            configs = [c for c in (self.config(p) for p in paths) if c is not None]
            self.sources[key] = _index(folder, configs, self)
        return self.sources[key]

    def variable_files(self) -> list[dict[str, Attribute]]:
        """The ``--var-file`` files, parsed once."""
        if self.var_files is None:
            self.var_files = [v for v in (self.variables(p, explicit=True) for p in self.options.var_files)
                              if v is not None]
        return self.var_files

    def variables(self, path: str, explicit: bool) -> dict[str, Attribute] | None:
        file = self.input_file(path, explicit, TERRAFORM_VARIABLES)
        file.kind = TERRAFORM_VARIABLES
        try:
            return parse_tfvars(read_text(path, max_bytes=self.options.max_file_size), path)
        except SourceError as error:
            file.error = error.message
            file.error_location = Location(path, "", error.span)
            return None


def _configuration_files(folder: str) -> list[str]:
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return []
    return [os.path.join(folder, n) for n in names if is_configuration(n) and os.path.isfile(os.path.join(folder, n))]


# --------------------------------------------------------------------------------------------
# Module instances: the evaluation context


@dataclass(frozen=True)
class _Given:
    """A value given for a variable: an expression and where to evaluate it (None: constants only)."""

    attribute: Attribute
    module: "ModuleInstance | None"
    scope: dict = field(default_factory=dict)


@dataclass(frozen=True)
class _NotFollowed:
    reason: str


class ModuleInstance:
    def __init__(self, run: _Run, source: ModuleSource, prefix: str, root_folder: str,
                 given: dict[str, _Given], providers: dict[str, StackEnv], chain: tuple[str, ...]):
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
                    reason = value.reason if isinstance(value, Unknown) else f"it is {_shown(value)}"
                    return Unknown(f"the count of {what} could not be resolved ({reason})")
                return [(i, {"count": {"index": i}}) for i in range(number)]
            if for_each is not None:
                value = concrete(self.evaluate(for_each, sink), Site("", for_each.source, for_each.span, sink))
                if isinstance(value, dict) and all(isinstance(k, str) and MARK not in k for k in value):
                    return [(k, {"each": {"key": k, "value": value[k]}}) for k in sorted(value)]
                if isinstance(value, list) and all(isinstance(k, str) and MARK not in k for k in value):
                    return [(k, {"each": {"key": k, "value": k}}) for k in sorted(set(value))]
                reason = value.reason if isinstance(value, Unknown) else f"it is {_shown(value)}"
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
        refs = [(key, _Instance(self, mode, block, key, scope, self.address(mode, kind, name, key)))
                for key, scope in expansion]
        return _collection(block, refs)

    def instance_attribute(self, ref: "_Instance", name: str, site: Site) -> Any:
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

    def policy_document(self, ref: "_Instance", site: Site) -> Any:
        return self.use(("policy_document", ref.address),
                        lambda sink: _PolicyDocumentBuilder(self, ref, sink).build(), site)

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
            given = {attr: _Given(block.body.attribute(attr), self, scope)
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
            self.providers[key] = StackEnv(partition=partition_of(region, base.partition), region=region,
                                           account=account)

    def run_env(self) -> StackEnv:
        options = self.run.options
        return StackEnv(partition=partition_of(options.region, options.partition), region=options.region,
                        account=options.account)

    def _passed_providers(self, block: Block) -> dict[str, StackEnv]:
        passed = dict(self.providers)
        mapping = block.body.attribute("providers")
        if mapping is not None and isinstance(mapping.expr, ObjectExpr):
            for key_expr, value_expr in mapping.expr.items:
                inner, outer = _provider_name(key_expr), _provider_name(value_expr)
                if inner and outer and outer in self.providers:
                    passed[inner] = self.providers[outer]
        return passed

    def environment(self, block: Block) -> StackEnv:
        chosen = block.body.attribute("provider")
        name = _provider_name(chosen.expr) if chosen is not None else None
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
                                                "was not checked", _block_location(block, "resource")))
                expansion = [(None, self.every_instance(block))]
            for key, scope in expansion:
                address = self.address("resource", kind, name, key)
                builder.add(_HclView(self, block, scope, address, self.run.input_file(block.source, False, TERRAFORM)))
        for name in sorted(self.source.modules):
            children = self.child_instances(name)
            if isinstance(children, (_NotFollowed, Unknown)):
                undecided.append(UndecidedCheck(None, f"{self.prefix}module.{name}", children.reason,
                                                _block_location(self.source.modules[name], "module")))
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
                       f"provider; {meant!r} is, so {kind}.{name} was not checked", _block_location(block, "resource"))
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


class _Instance(Lazy):
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
            return _Instance(self.module, self.mode, self.block, None, scope, self.address)
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


def _shown(value: Any) -> str:
    if isinstance(value, str):
        return repr(render(value))
    return {list: "a list", dict: "an object", type(None): "null"}.get(type(value), repr(value))


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


def _provider_name(expr: Any) -> str | None:
    if isinstance(expr, Literal) and isinstance(expr.value, str):
        return expr.value
    if isinstance(expr, Name):
        return expr.name
    if isinstance(expr, GetAttr) and isinstance(expr.target, Name):
        return f"{expr.target.name}.{expr.name}"
    return None


def _block_location(block: Block, mode: str) -> Location:
    return Location(block.source, join_pointer(f"/{mode}", *block.labels), block.span)


def _data_attribute(module: ModuleInstance, ref: _Instance, kind: str, name: str, env: StackEnv, site: Site) -> Any:
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
# data "aws_iam_policy_document"


class _PolicyDocumentBuilder:
    """Renders the blocks of an ``aws_iam_policy_document`` into the JSON the provider produces.

    Each element of the result is located at the block or attribute it comes from.
    """

    def __init__(self, module: ModuleInstance, ref: _Instance, sink: Sink):
        self.module, self.ref, self.sink = module, ref, sink
        self.body = ref.block.body

    def value(self, body: Body, name: str, pointer: str, scope: dict) -> Any:
        attribute = body.attribute(name)
        if attribute is None:
            return MISSING
        value = self.module.evaluate(attribute, self.sink, scope, pointer)
        return MISSING if value is None else concrete(value, Site(pointer, attribute.source, attribute.span, self.sink))

    def blocks(self, body: Body, name: str, scope: dict, pointer: str) -> list[tuple[Block, dict]] | Unknown:
        return _expand_blocks(self.module, body, name, scope, self.sink, pointer)

    def build(self) -> Any:
        scope = self.ref.scope
        document: dict[str, Any] = {}
        version = self.value(self.body, "version", "/Version", scope)
        document["Version"] = "2012-10-17" if version is MISSING else version
        policy_id = self.value(self.body, "policy_id", "/Id", scope)
        if policy_id is not MISSING:
            document["Id"] = policy_id
        statements: list[Any] = []
        for sources in self.documents("source_json", "source_policy_documents", scope):
            merged = _statements_of(sources, self.sink, self.ref.block)
            if isinstance(merged, Unknown):
                return merged
            statements.extend(merged)
        blocks = self.blocks(self.body, "statement", scope, "/Statement")
        if isinstance(blocks, Unknown):
            return blocks
        for block, inner in blocks:
            pointer = join_pointer("/Statement", len(statements))
            statement = self.statement(block, inner, pointer)
            _replace_by_sid(statements, statement)
        for overrides in self.documents("override_json", "override_policy_documents", scope):
            merged = _statements_of(overrides, self.sink, self.ref.block)
            if isinstance(merged, Unknown):
                return merged
            for statement in merged:
                _replace_by_sid(statements, statement)
        document["Statement"] = statements
        site = Site("", self.ref.block.source, self.ref.block.span, self.sink)
        return JsonText(json_text(document, site), document)

    def documents(self, single: str, several: str, scope: dict) -> list[Any]:
        """The policies to merge: the deprecated one-document argument, then the list."""
        found = []
        one = self.value(self.body, single, "/Statement", scope)
        if one is not MISSING:
            found.append(one if isinstance(one, Unknown) else [one])
        many = self.value(self.body, several, "/Statement", scope)
        if many is not MISSING:
            found.append(many)
        return found

    def statement(self, block: Block, scope: dict, pointer: str) -> dict[str, Any]:
        self.sink.place(pointer, block.source, block.span)
        statement: dict[str, Any] = {}
        for attr, key in (("sid", "Sid"), ("effect", "Effect")):
            value = self.value(block.body, attr, join_pointer(pointer, key), scope)
            if value is not MISSING:
                statement[key] = value
        statement.setdefault("Effect", "Allow")
        for attr, key in (("actions", "Action"), ("not_actions", "NotAction"), ("resources", "Resource"),
                          ("not_resources", "NotResource")):
            value = self.value(block.body, attr, join_pointer(pointer, key), scope)
            if value is not MISSING:
                statement[key] = value
        for attr, key in (("principals", "Principal"), ("not_principals", "NotPrincipal")):
            principal = self.principals(block.body, attr, scope, join_pointer(pointer, key))
            if principal is not MISSING:
                statement[key] = principal
        condition = self.conditions(block.body, scope, join_pointer(pointer, "Condition"))
        if condition is not MISSING:
            statement["Condition"] = condition
        return statement

    def principals(self, body: Body, name: str, scope: dict, pointer: str) -> Any:
        blocks = self.blocks(body, name, scope, pointer)
        if isinstance(blocks, Unknown) or not blocks:
            return blocks if blocks else MISSING
        principal: dict[str, Any] = {}
        for block, inner in blocks:
            self.sink.place(pointer, block.source, block.span)
            kind = self.value(block.body, "type", pointer, inner)
            if not isinstance(kind, str) or MARK in kind:
                return self.sink.unknown(pointer, block.source, block.span,
                                         "the `type` of a principals block is not known before apply")
            identifiers = self.value(block.body, "identifiers", join_pointer(pointer, kind), inner)
            if identifiers is MISSING:
                identifiers = []
            if kind == "*" and identifiers == ["*"]:
                return "*"
            items = identifiers if isinstance(identifiers, list) else [identifiers]
            existing = principal.get(kind, [])
            principal[kind] = (existing if isinstance(existing, list) else [existing]) + items
        return principal

    def conditions(self, body: Body, scope: dict, pointer: str) -> Any:
        blocks = self.blocks(body, "condition", scope, pointer)
        if isinstance(blocks, Unknown) or not blocks:
            return blocks if blocks else MISSING
        condition: dict[str, Any] = {}
        for block, inner in blocks:
            self.sink.place(pointer, block.source, block.span)
            test = self.value(block.body, "test", pointer, inner)
            variable = self.value(block.body, "variable", pointer, inner)
            for part in (test, variable):
                if not isinstance(part, str) or MARK in part:
                    return self.sink.unknown(pointer, block.source, block.span,
                                             "the `test` or `variable` of a condition block is not known before apply")
            test_pointer = join_pointer(pointer, test)
            key_pointer = join_pointer(test_pointer, variable)
            self.sink.place(test_pointer, block.source, block.span)
            variable_attr = block.body.attribute("variable")
            self.sink.place(key_pointer, block.source, variable_attr.span if variable_attr else block.span)
            values = self.value(block.body, "values", key_pointer, inner)
            values = [] if values is MISSING else values if isinstance(values, list) else [values]
            existing = condition.setdefault(test, {}).get(variable, [])
            condition[test][variable] = existing + values
        return condition


def _replace_by_sid(statements: list, statement: Any) -> None:
    """Statements with the same non-empty ``Sid`` replace each other, as the provider merges them."""
    sid = statement.get("Sid") if isinstance(statement, dict) else None
    if isinstance(sid, str) and sid:
        for index, existing in enumerate(statements):
            if isinstance(existing, dict) and existing.get("Sid") == sid:
                statements[index] = statement
                return
    statements.append(statement)


def _statements_of(documents: Any, sink: Sink, block: Block) -> list | Unknown:
    """The statements of the JSON policies in ``source_policy_documents``/``override_policy_documents``."""
    import json

    if isinstance(documents, Unknown):
        return documents
    if not isinstance(documents, list):
        return sink.unknown("/Statement", block.source, block.span, "policy documents to merge must be a list")
    statements: list = []
    for document in documents:
        if isinstance(document, JsonText):
            data = document.structure
        elif isinstance(document, str) and MARK not in document:
            try:
                data = json.loads(document)
            except ValueError:
                return sink.unknown("/Statement", block.source, block.span, "a policy document to merge is not JSON")
        else:
            return sink.unknown("/Statement", block.source, block.span,
                                "a policy document to merge is not known before apply")
        found = data.get("Statement") if isinstance(data, dict) else None
        if isinstance(found, dict):
            found = [found]
        if not isinstance(found, list):
            return sink.unknown("/Statement", block.source, block.span, "a policy document to merge has no statements")
        statements.extend(found)
    return statements


def _expand_blocks(module: ModuleInstance, body: Body, name: str, scope: dict, sink: Sink,
                   pointer: str) -> list[tuple[Block, dict]] | Unknown:
    """Nested ``name`` blocks in order, ``dynamic "name"`` blocks expanded when their ``for_each`` is known."""
    dynamics = [b for b in body.blocks("dynamic") if b.labels[:1] == (name,)]
    if not dynamics:
        return [(b, scope) for b in body.blocks(name)]
    ordered = sorted([*body.blocks(name), *dynamics], key=lambda b: (b.span.line, b.span.column) if b.span else (0, 0))
    out: list[tuple[Block, dict]] = []
    for block in ordered:
        if block.type == name:
            out.append((block, scope))
            continue
        for_each = block.body.attribute("for_each")
        contents = block.body.blocks("content")
        if for_each is None or len(contents) != 1:
            return sink.unknown(pointer, block.source, block.span, f"dynamic {name!r} block without for_each or content")
        iterator = block.body.attribute("iterator")
        iterator_name = _provider_name(iterator.expr) if iterator is not None else name
        collection = module.evaluate(for_each, sink, scope, pointer)
        if isinstance(collection, dict):
            items = [(k, collection[k]) for k in sorted(collection)]
        elif isinstance(collection, list):
            items = list(enumerate(collection))
        else:
            reason = collection.reason if isinstance(collection, Unknown) else f"it is {_shown(collection)}"
            return sink.unknown(pointer, block.source, block.span,
                                f"the for_each of dynamic {name!r} could not be resolved ({reason})")
        for key, value in items:
            out.append((contents[0], {**scope, iterator_name or name: {"key": key, "value": value}}))
    return out


# --------------------------------------------------------------------------------------------
# The view the model builder reads


class _SinkLocator:
    def __init__(self, sink: Sink, fallback: Location):
        self.sink, self.fallback = sink, fallback

    def at(self, pointer: str) -> Location:
        where = self.sink.locate(pointer)
        if where is None:
            return Location(self.fallback.source, pointer, self.fallback.span)
        return Location(where[0], pointer, where[1])


class _HclView:
    def __init__(self, module: ModuleInstance, block: Block, scope: dict, address: str, file: InputFile):
        self.module, self.block, self.scope, self.address, self.file = module, block, scope, address, file
        self.kind = block.labels[0]
        self.location = _block_location(block, "resource")
        self.env = model_environment(module.environment(block))
        self.sink = Sink()
        self.sink.place(self.location.pointer, block.source, block.span)
        self.locator = _SinkLocator(self.sink, self.location)
        self.values: dict[str, Any] = {}

    def get(self, *path: str | int) -> Node | None:
        body, scope, pointer = self.block.body, self.scope, self.location.pointer
        steps = list(path)
        while steps:
            step = steps.pop(0)
            if not isinstance(step, str):
                return None
            attribute = None if steps and isinstance(steps[0], int) and body.has_blocks(step) else body.attribute(step)
            if attribute is not None:
                pointer = join_pointer(pointer, step)
                value = self._evaluate(attribute, scope, pointer)
                for rest in steps:
                    if isinstance(value, dict) and isinstance(rest, str) and rest in value:
                        value = value[rest]
                    elif isinstance(value, list) and isinstance(rest, int) and 0 <= rest < len(value):
                        value = value[rest]
                    else:
                        return None
                    pointer = join_pointer(pointer, rest)
                if value is None:
                    return None       # null: the same as not set
                return Node(value, self.locator.at(pointer))
            blocks = _expand_blocks(self.module, body, step, scope, self.sink, join_pointer(pointer, step))
            if isinstance(blocks, Unknown) or not steps or not isinstance(steps[0], int):
                return None
            index = steps.pop(0)
            if index >= len(blocks):
                return None
            block, scope = blocks[index]
            pointer = join_pointer(pointer, step, index)
            body = block.body
            self.sink.place(pointer, block.source, block.span)
        return None

    def _evaluate(self, attribute: Attribute, scope: dict, pointer: str) -> Any:
        if pointer not in self.values:
            # The attribute is located at its name, as CloudFormation properties are at their key.
            self.sink.place(pointer, attribute.source, attribute.span)
            value = self.module.evaluate(attribute, self.sink, scope, pointer)
            self.values[pointer] = concrete(value, Site(pointer, attribute.source, attribute.span, self.sink))
        return self.values[pointer]

    def locate(self, *path: str | int) -> Location:
        node = self.get(*path)
        if node is not None:
            return node.location
        pointer = join_pointer(self.location.pointer, *path)
        return self.locator.at(pointer)

    def block_count(self, name: str) -> int | Unknown:
        blocks = _expand_blocks(self.module, self.block.body, name, self.scope, self.sink,
                                join_pointer(self.location.pointer, name))
        return blocks if isinstance(blocks, Unknown) else len(blocks)

    def written(self, name: str) -> bool | None:
        return self.get(name) is not None

    def computed(self, name: str) -> Any:
        def configured(attr: str) -> Any:
            node = self.get(attr)
            if node is None:
                return MISSING if self.block.body.attribute(attr) is None else None
            return node.value

        value = resource_attribute(self.kind, self.address, name, configured, self.env)
        return attribute_token(self.address, name) if value is MISSING else value

    def policy(self, node: Node, name: str | None) -> PolicyDocument:
        value = node.value
        if isinstance(value, JsonText) and isinstance(value.structure, dict):
            document = parse_policy(value.structure, node.location.pointer, self.locator, name=name)
            return dataclasses.replace(document, text_bytes=len(value.encode("utf-8")))
        if isinstance(value, (dict, list)):
            # The provider wants a JSON string; Terraform refuses an object before anything is sent.
            self.file.problems.append(Problem(f"`{node.location.pointer.rsplit('/', 1)[-1]}` must be a JSON string "
                                              f"(use jsonencode), not {'an object' if isinstance(value, dict) else 'a list'}",
                                              node.location))
        return parse_policy(value, node.location.pointer, self.locator, name=name)

    def undecided(self) -> list[UndecidedCheck]:
        return [UndecidedCheck(None, self.address, reason, Location(source, pointer, span))
                for (pointer, reason), (source, span) in self.sink.unresolved.items()]


# --------------------------------------------------------------------------------------------
# Entry point


def load_configurations(candidates: Iterable[Any], options: LoadOptions) -> Inventory:
    """Load the Terraform candidates of one run (``Candidate`` objects of ``rumpolicy.load``)."""
    run = _Run(options)
    result = Inventory()
    run.variable_files()           # read (and their errors reported) even when no root module uses them
    roots: list[tuple[str, tuple[str, ...]]] = []
    folders: dict[str, list[str]] = {}
    variables: dict[str, list[str]] = {}
    for candidate in candidates:
        path = candidate.path
        if is_variables(path):
            if candidate.explicit:
                # A variable file is used with --var-file; named as a path it is not something to check.
                run.input_file(path, True, None)
            elif is_auto_variables(path):
                variables.setdefault(os.path.dirname(path) or ".", []).append(path)
            continue
        if candidate.explicit:
            run.config(path, explicit=True)
            roots.append((os.path.dirname(path) or ".", (path,)))
        else:
            folders.setdefault(os.path.dirname(path) or ".", []).append(path)
    called = _called_folders(run, folders)
    for folder in sorted(folders):
        if os.path.abspath(folder) not in called:
            roots.append((folder, ()))
    for folder, only in roots:
        source = run.module_source(folder, only)
        given: dict[str, _Given] = {}
        for path in sorted(variables.get(folder, []), key=_variable_file_order):
            for name, attribute in (run.variables(path, explicit=False) or {}).items():
                given[name] = _Given(attribute, None)
        for values in run.variable_files():
            for name, attribute in values.items():
                given[name] = _Given(attribute, None)
        builder = Builder()
        undecided: list[UndecidedCheck] = []
        try:
            root = ModuleInstance(run, source, "", folder, given, {}, (os.path.abspath(folder),))
            root.collect(builder, undecided)
        except (RecursionError, MemoryError) as error:
            _not_evaluated(run, source, "its expressions refer to each other through too many levels"
                           if isinstance(error, RecursionError) else "it is too large to evaluate")
            continue
        except Exception as error:  # a defect here must not keep the other inputs from being checked
            _not_evaluated(run, source, f"evaluating it failed ({type(error).__name__}: {error}), a defect in "
                                        "rumpolicy to report")
            continue
        group = builder.finish()
        group.undecided.extend(undecided)
        link(group)
        result.extend(group)
    result.files.extend(sorted(run.files.values(), key=lambda f: f.path))
    return result


def _not_evaluated(run: _Run, source: ModuleSource, why: str) -> None:
    where = source.files[0].path if source.files else source.folder
    run.problem(where, f"the Terraform module in {source.folder} was not checked: {why}", None, "")


def _variable_file_order(path: str) -> tuple[int, str]:
    # terraform.tfvars, then terraform.tfvars.json, then *.auto.tfvars(.json) in lexical order.
    name = os.path.basename(path)
    return ({"terraform.tfvars": 0, "terraform.tfvars.json": 1}.get(name, 2), name)


def _called_folders(run: _Run, folders: dict[str, list[str]]) -> set[str]:
    """Folders that a folder of the run calls as a local module: loaded as modules, not as roots."""
    called: set[str] = set()
    for folder in folders:
        source = run.module_source(folder)
        for block in source.modules.values():
            attribute = block.body.attribute("source")
            value = attribute.expr.value if attribute and isinstance(attribute.expr, Literal) else None
            if isinstance(value, str) and value.startswith(("./", "../", ".\\", "..\\")):
                target = os.path.abspath(os.path.join(folder, value))
                if target != os.path.abspath(folder):
                    called.add(target)
    return called
