"""``terraform show -json`` output (plan and state) -> the model.

A plan lists known values in ``planned_values`` (module by module, ``child_modules`` nested), and
marks in ``resource_changes[].change.after_unknown`` the ones known only after apply: a value that
is absent from ``planned_values`` is unset when ``after_unknown`` does not mark it, unknown when it
does (RUM-REQUIREMENTS 4.3). State output (``values``) is fully known.

An unknown value is never guessed. It stays comparable where the ``configuration`` section shows
what it is: an attribute whose expression references exactly one value (``identity_pool_id =
aws_cognito_identity_pool.rum.id``) is that value, which is the token every other reference to it
(and the referenced resource itself) produces; variables and module outputs are followed to what
they reference. Anything else unknown is reported as RUM-SRC-001, naming what it references, and
the checks that needed it are not made. (The references of an expression do not show its structure,
so a policy known only after apply is not reconstructed from them.)

Positions point into the JSON file: known values at ``planned_values``, unknown ones at the
``after_unknown`` entry that marks them.

Planned values are what AWS will be sent: they are read even when the ``configuration`` section has no
expressions for a resource (or no section at all), and a resource that only ``resource_changes`` lists
is read from its ``change.after``. The literal ARNs and identity pool ids the provider reports for its
own resources (``arn``, a pool's ``id``) pin the region and account of that provider configuration.
"""

from __future__ import annotations

import re
from typing import Any

from rumpolicy.aws import ACCOUNT_ID, REGION, partition_of_region
from rumpolicy.findings import Location, join_pointer
from rumpolicy.load.cfn_intrinsics import StackEnv
from rumpolicy.load.options import LoadOptions
from rumpolicy.load.source import ParsedSource
from rumpolicy.load.terraform_kinds import is_plan
from rumpolicy.load.terraform_resources import (LINK_ATTRIBUTES, MISSING, RUM_TYPES, Builder, attribute_token,
                                                model_environment, resource_attribute)
from rumpolicy.model import Inventory, Node, PolicyDocument, Unknown, parse_policy
from rumpolicy.model.arns import parse_arn, pool_region
from rumpolicy.model.inputs import InputFile, UndecidedCheck
from rumpolicy.model.locator import SourceLocator
from rumpolicy.model.symbols import MARK

PLAN = "terraform-plan"
STATE = "terraform-state"
MAX_REFERENCE_DEPTH = 32
_INDEX = re.compile(r"\[[^\]]*\]")


def load_plan(parsed: ParsedSource, file: InputFile, options: LoadOptions) -> Inventory:
    data: dict = parsed.data
    version = data.get("format_version")
    if not (isinstance(version, str) and re.fullmatch(r"1(\.\d+)*", version)):
        file.kind = PLAN
        file.error = (f"unsupported Terraform JSON format_version {version!r}: rumpolicy reads format 1.x "
                      "(`terraform show -json` of Terraform 0.12 and later)")
        file.error_location = Location(parsed.path, "/format_version", parsed.span_for("/format_version"))
        return Inventory()
    try:
        return _PlanLoader(parsed, file, options).load()
    except Exception as error:  # a defect here must not keep the other inputs from being checked
        file.error = (f"the plan was not checked: reading it failed ({type(error).__name__}: {error}), a defect "
                      "in rumpolicy to report")
        file.error_location = Location(parsed.path, "", None)
        return Inventory()


class _PlanLoader:
    def __init__(self, parsed: ParsedSource, file: InputFile, options: LoadOptions):
        self.parsed, self.file, self.options = parsed, file, options
        self.data: dict = parsed.data
        self.where = SourceLocator(parsed.path, parsed.span_for)
        file.kind = PLAN if "planned_values" in self.data or "resource_changes" in self.data else STATE
        self.changes: dict[str, tuple[int, dict]] = {}
        for index, change in enumerate(_list(self.data.get("resource_changes"))):
            if isinstance(change, dict) and isinstance(change.get("address"), str):
                self.changes[change["address"]] = (index, change)
        self.resources: dict[str, tuple[dict, str]] = {}       # address -> (entry, pointer)
        self.data_sources: dict[str, dict] = {}                # address -> values (known ones)
        root_key = "planned_values" if "planned_values" in self.data else "values"
        self._index(_dict(_dict(self.data.get(root_key)).get("root_module")), f"/{root_key}/root_module")
        self._index_changes()
        prior = _dict(_dict(_dict(self.data.get("prior_state")).get("values")).get("root_module"))
        self._index(prior, "/prior_state/values/root_module", data_only=True)
        configuration = _dict(self.data.get("configuration"))
        self.config_root = _dict(configuration.get("root_module")) if configuration else None
        self.provider_config = _dict(configuration.get("provider_config"))
        self.envs: dict[str, StackEnv] = {}
        self.pins: dict[str, tuple[set[str], set[str]]] | None = None
        self.depth = 0                                         # references being followed, one inside another

    def _index(self, module: dict, pointer: str, data_only: bool = False) -> None:
        for index, entry in enumerate(_list(module.get("resources"))):
            if not isinstance(entry, dict) or not isinstance(entry.get("address"), str):
                continue
            if entry.get("mode") == "data":
                values = entry.get("values")
                if isinstance(values, dict):
                    self.data_sources.setdefault(entry["address"], values)
            elif not data_only:
                self.resources[entry["address"]] = (entry, join_pointer(pointer, "resources", index))
        for index, child in enumerate(_list(module.get("child_modules"))):
            if isinstance(child, dict):
                self._index(child, join_pointer(pointer, "child_modules", index), data_only)

    def _index_changes(self) -> None:
        """Resources that only ``resource_changes`` lists (a plan whose ``planned_values`` leaves them out):
        what ``change.after`` says is what will be created, so it is read as planned values are."""
        for address, (index, change) in self.changes.items():
            body = _dict(change.get("change"))
            actions = body.get("actions")
            if address in self.resources or change.get("mode", "managed") != "managed" \
                    or not isinstance(body.get("after"), dict) or actions == ["delete"]:
                continue
            entry = {"address": address, "mode": "managed", "type": change.get("type"), "name": change.get("name"),
                     "values": body["after"]}
            self.resources[address] = (entry, join_pointer("/resource_changes", index, "change"))

    # -- the run -------------------------------------------------------------------------------
    def load(self) -> Inventory:
        builder = Builder()
        for address, (entry, pointer) in self.resources.items():
            if entry.get("type") in RUM_TYPES:
                builder.add(_PlanView(self, address, entry, pointer))
        inventory = builder.finish()
        path = self.parsed.path
        if self.data.get("errored") is True:
            inventory.undecided.append(UndecidedCheck(
                None, path, "the plan comes from a `terraform plan` that failed (`errored: true`): what it did not "
                            "reach is missing from it and was not checked", self.where.at("/errored")))
        elif self.data.get("complete") is False:
            inventory.undecided.append(UndecidedCheck(
                None, path, "the plan is incomplete (`complete: false`): the changes it defers are not in it and "
                            "were not checked", self.where.at("/complete")))
        return inventory

    # -- configuration ---------------------------------------------------------------------------
    def config_module(self, module_path: tuple[str, ...]) -> dict | None:
        """The configuration of the module at ``module_path`` (call names, instance keys removed)."""
        module = self.config_root
        for name in module_path:
            if module is None:
                return None
            call = _dict(_dict(module.get("module_calls")).get(name))
            module = _dict(call.get("module")) or None
        return module

    def config_resource(self, module_path: tuple[str, ...], relative: str) -> dict | None:
        module = self.config_module(module_path)
        if module is None:
            return None
        for resource in _list(module.get("resources")):
            if isinstance(resource, dict) and resource.get("address") == relative:
                return resource
        return None

    # -- environment -----------------------------------------------------------------------------
    def environment(self, module_path: tuple[str, ...], config: dict | None, kind: str) -> StackEnv:
        key = _provider_key(module_path, config, kind)
        if key not in self.envs:
            self.envs[key] = self._pinned(key, self._environment(key))
        return self.envs[key]

    def _pinned(self, key: str, env: StackEnv) -> StackEnv:
        """``env`` with the region and account that the literal ARNs and pool ids the provider itself
        reports for its resources (``arn``, a pool's ``id``) say: these are where they are."""
        if self.pins is None:
            self.pins = self._literal_places()
        regions, accounts = self.pins.get(key, (set(), set()))
        # Two different answers mean the plan is not one provider's: then nothing is pinned.
        region = next(iter(regions)) if len(regions) == 1 else env.region
        account = next(iter(accounts)) if len(accounts) == 1 else env.account
        partition = (partition_of_region(region) or self.options.partition) if region else env.partition
        return StackEnv(partition=partition, region=region, account=account)

    def _literal_places(self) -> dict[str, tuple[set[str], set[str]]]:
        """Provider key -> the regions and accounts its resources' literal ARNs and pool ids name."""
        pins: dict[str, tuple[set[str], set[str]]] = {}
        for address, (entry, _) in self.resources.items():
            module_path = _module_path(address)
            config = self.config_resource(module_path, _INDEX.sub("", _module_relative(address)))
            regions, accounts = pins.setdefault(_provider_key(module_path, config, str(entry.get("type"))),
                                                (set(), set()))
            values = _dict(entry.get("values"))
            arn = values.get("arn")
            parsed = parse_arn(arn) if isinstance(arn, str) and MARK not in arn else None
            if parsed is not None:
                if REGION.match(parsed.region):
                    regions.add(parsed.region)
                if ACCOUNT_ID.match(parsed.account):
                    accounts.add(parsed.account)
            pool_id = values.get("id") if entry.get("type") == "aws_cognito_identity_pool" else None
            region = pool_region(pool_id) if isinstance(pool_id, str) and MARK not in pool_id else None
            if region is not None and REGION.match(region):
                regions.add(region)
        return pins

    def _environment(self, key: str) -> StackEnv:
        options = self.options
        region, account = options.region, options.account
        if key == "aws":
            # What the root module's data sources read through the default provider during the plan.
            region = _known_data(self.data_sources, "aws_region", ("region", "name")) or region
            account = _known_data(self.data_sources, "aws_caller_identity", ("account_id",)) or account
        expressions = _dict(_dict(self.provider_config.get(key)).get("expressions"))
        constant = _dict(expressions.get("region")).get("constant_value")
        if isinstance(constant, str) and constant:
            region = constant
        allowed = _dict(expressions.get("allowed_account_ids")).get("constant_value")
        if isinstance(allowed, list) and len(allowed) == 1 and isinstance(allowed[0], str):
            account = allowed[0]
        partition = partition_of_region(region or "") or options.partition
        return StackEnv(partition=partition, region=region, account=account)

    # -- references ------------------------------------------------------------------------------
    def resolve(self, references: Any, module_path: tuple[str, ...]) -> Any:
        """The value an expression with these ``references`` has, when it references exactly one value."""
        specific = _specific(references)
        if len(specific) != 1:
            return Unknown(f"known only after apply (it references {', '.join(specific) or 'nothing'})")
        reference = specific[0]
        if self.depth >= MAX_REFERENCE_DEPTH:
            # A chain this long only comes from references that go round in a circle.
            return Unknown(f"known only after apply (it references {reference}, through too many steps)")
        self.depth += 1
        try:
            return self._reference(reference, module_path)
        finally:
            self.depth -= 1

    def _reference(self, reference: str, module_path: tuple[str, ...]) -> Any:
        prefix = "".join(f"module.{m}." for m in module_path)
        parts = _split_address(reference)
        if parts[0] == "var" and len(parts) >= 2:
            return self._variable(parts[1], module_path)
        if parts[0] == "module" and len(parts) >= 3:
            call = _INDEX.sub("", parts[1])
            child = self.config_module((*module_path, call))
            output = _dict(_dict(_dict(child).get("outputs")).get(parts[2])) if child else {}
            return self._expression(_dict(output.get("expression")), (*module_path, call), f"{prefix}{reference}")
        if parts[0] == "data" and len(parts) >= 4:
            address = prefix + ".".join(parts[:3])
            values = self.data_sources.get(address)
            if values is not None and parts[3] in values and values[parts[3]] is not None:
                return values[parts[3]]
            return attribute_token(address, parts[3])
        if len(parts) >= 3 and "_" in parts[0] and not parts[0].startswith(("local", "each", "count", "path")):
            address = prefix + ".".join(parts[:2])
            resource = self.resources.get(address)
            if resource is None:
                return Unknown(f"known only after apply (it references {reference})")
            view = _PlanView(self, address, resource[0], resource[1])
            return view.computed(parts[2])
        return Unknown(f"known only after apply (it references {reference})")

    def _variable(self, name: str, module_path: tuple[str, ...]) -> Any:
        if not module_path:
            value = _dict(_dict(self.data.get("variables")).get(name))
            return value["value"] if "value" in value else Unknown(f"variable {name!r} has no value in the plan")
        parent = self.config_module(module_path[:-1])
        call = _dict(_dict(_dict(parent).get("module_calls")).get(module_path[-1])) if parent else {}
        expression = _dict(_dict(call.get("expressions")).get(name))
        return self._expression(expression, module_path[:-1], f"var.{name}")

    def _expression(self, expression: dict, module_path: tuple[str, ...], what: str) -> Any:
        if "constant_value" in expression:
            return expression["constant_value"]
        if "references" in expression:
            return self.resolve(expression["references"], module_path)
        return Unknown(f"{what} could not be followed in the plan's configuration")


class _PlanView:
    """One resource of the plan or state, read through ``planned_values`` and ``after_unknown``."""

    def __init__(self, loader: _PlanLoader, address: str, entry: dict, pointer: str):
        self.loader, self.address, self.entry, self.pointer = loader, address, entry, pointer
        self.kind = entry.get("type")
        self.file = loader.file
        self.values = _dict(entry.get("values"))
        # Planned values are at <resource>/values; a resource read from resource_changes has them at change/after.
        self.values_pointer = join_pointer(pointer, "after" if pointer.startswith("/resource_changes/") else "values")
        self.location = loader.where.at(pointer)
        self.module_path = _module_path(address)
        relative = _module_relative(address)
        self.config = loader.config_resource(self.module_path, _INDEX.sub("", relative))
        change = loader.changes.get(address)
        self.change_pointer = join_pointer("/resource_changes", change[0], "change") if change else None
        self.unknown = _dict(change[1].get("change")).get("after_unknown") if change else None
        self.env = model_environment(loader.environment(self.module_path, self.config, self.kind))
        self.problems: list[UndecidedCheck] = []

    def get(self, *path: str | int) -> Node | None:
        value: Any = self.values
        unknown: Any = self.unknown
        pointer = self.values_pointer
        unknown_pointer = join_pointer(self.change_pointer, "after_unknown") if self.change_pointer else None
        for step in path:
            if unknown is True:
                break
            value = _step(value, step)
            unknown = _step(unknown, step)
            pointer = join_pointer(pointer, step)
            unknown_pointer = join_pointer(unknown_pointer, step) if unknown_pointer else None
        if unknown is True or (value is MISSING and _contains_unknown(unknown)):
            expressions = _dict(self.config.get("expressions")) if self.config is not None else {}
            if expressions and path and path[0] not in expressions:
                # Computed by the provider (a role's inline_policy, managed_policy_arns) and not set by the
                # configuration: what the configuration declares is all there is to check.
                return None
            return self._unknown(path, unknown_pointer or pointer)
        if value is MISSING or value is None:
            return None
        return Node(value, self.loader.where.at(pointer))

    def _unknown(self, path: tuple, pointer: str) -> Node:
        location = self.loader.where.at(pointer)
        value = self._from_configuration(path)
        if isinstance(value, Unknown):
            shown = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".")
            message = f"{shown} of {self.address} is {value.reason}"
            self.problems.append(UndecidedCheck(None, self.address, message, location))
            value = Unknown(message)
        return Node(value, location)

    def _from_configuration(self, path: tuple) -> Any:
        """An unknown value named by the one value its expression references."""
        expressions: Any = _dict(self.config).get("expressions") if self.config else None
        if expressions is None:
            return Unknown("known only after apply")
        steps = list(path)
        while steps:
            if isinstance(expressions, dict) and ("references" in expressions or "constant_value" in expressions):
                break
            expressions = _step(expressions, steps.pop(0))
            if expressions is MISSING:
                return Unknown("known only after apply")
        if not isinstance(expressions, dict) or "references" not in expressions:
            return Unknown("known only after apply")
        prefix = "".join(f"module.{m}." for m in self.module_path)
        named = ", ".join(prefix + r for r in _specific(expressions["references"])) or "nothing"
        if not _names_a_resource(path):
            # Only identifiers are named by their reference: a policy or a flag is not rebuilt from it.
            return Unknown(f"known only after apply (it references {named})")
        if steps and not self._one_unknown_key(path[:len(path) - len(steps)], steps):
            # A map written as one expression (``roles = {...}``): which reference is which key cannot be told.
            return Unknown(f"known only after apply (it is part of an expression that references {named})")
        return self.loader.resolve(expressions["references"], self.module_path)

    def _one_unknown_key(self, prefix: tuple, rest: list) -> bool:
        marks: Any = self.unknown
        for step in prefix:
            marks = _step(marks, step)
        return len(rest) == 1 and isinstance(marks, dict) and sum(1 for v in marks.values() if v) == 1

    def locate(self, *path: str | int) -> Location:
        return self.loader.where.at(join_pointer(self.values_pointer, *path))

    def block_count(self, name: str) -> int | Unknown:
        node = self.get(name)
        if node is None:
            return 0
        if isinstance(node.value, Unknown):
            return node.value
        return len(node.value) if isinstance(node.value, list) else 1

    def written(self, name: str) -> bool | None:
        expressions = self.config.get("expressions") if self.config is not None else None
        if isinstance(expressions, dict) and expressions:
            return name in expressions
        # A configuration section without expressions tells nothing: the planned value is what AWS will
        # be sent, so a value there is set.
        return True if self.values.get(name) is not None else None

    def computed(self, name: str) -> Any:
        known = self.values.get(name)
        marks = self.unknown if isinstance(self.unknown, dict) else {}
        if known is not None and not marks.get(name):
            return known

        def configured(attr: str) -> Any:
            node = self.get(attr)
            if node is None:
                return MISSING
            return node.value

        value = resource_attribute(self.kind, self.address, name, configured, self.env)
        return attribute_token(self.address, name) if value is MISSING else value

    def policy(self, node: Node, name: str | None) -> PolicyDocument:
        return parse_policy(node.value, node.location.pointer, self.loader.where, name=name)

    def undecided(self) -> list[UndecidedCheck]:
        return self.problems


def _provider_key(module_path: tuple[str, ...], config: dict | None, kind: str) -> str:
    """The ``provider_config_key`` of a resource, or the default provider of its module and type."""
    key = config.get("provider_config_key") if config else None
    if isinstance(key, str):
        return key
    return ":".join(["module." + ".module.".join(module_path)] if module_path else []) + kind.split("_")[0]


def _specific(references: Any) -> list[str]:
    """The references of an expression without the ones that only contain another
    (``aws_iam_role.guest`` is listed with ``aws_iam_role.guest.arn``)."""
    refs = [r for r in _list(references) if isinstance(r, str)]
    return [r for r in refs if not any(o != r and o.startswith((r + ".", r + "[")) for o in refs)]


def _names_a_resource(path: tuple) -> bool:
    """A single identifier: a link attribute, or one item of a list or map of them (``roles["unauthenticated"]``)."""
    if len(path) == 2 and path[0] in ("roles", "managed_policy_arns"):
        return True
    return isinstance(path[-1], str) and path[-1] in LINK_ATTRIBUTES - {"roles", "managed_policy_arns"}


def _step(value: Any, step: str | int) -> Any:
    if isinstance(value, dict) and isinstance(step, str):
        return value.get(step, MISSING)
    if isinstance(value, list) and isinstance(step, int) and 0 <= step < len(value):
        return value[step]
    return MISSING


def _contains_unknown(marks: Any) -> bool:
    if marks is True:
        return True
    if isinstance(marks, dict):
        return any(map(_contains_unknown, marks.values()))
    if isinstance(marks, list):
        return any(map(_contains_unknown, marks))
    return False


def _module_path(address: str) -> tuple[str, ...]:
    """``module.a[0].module.b.aws_iam_role.x`` -> ``("a", "b")``."""
    path = []
    parts = _split_address(address)
    while len(parts) >= 2 and parts[0] == "module":
        path.append(_INDEX.sub("", parts[1]))
        parts = parts[2:]
    return tuple(path)


def _module_relative(address: str) -> str:
    parts = _split_address(address)
    while len(parts) >= 2 and parts[0] == "module":
        parts = parts[2:]
    return ".".join(parts)


def _split_address(address: str) -> list[str]:
    """Split on the dots outside brackets (``for_each`` keys may contain dots)."""
    parts, depth, current = [], 0, []
    in_string = False
    for char in address:
        if char == '"' and depth:
            in_string = not in_string
        elif char == "[" and not in_string:
            depth += 1
        elif char == "]" and not in_string:
            depth -= 1
        if char == "." and depth == 0:
            parts.append("".join(current))
            current = []
            continue
        current.append(char)
    parts.append("".join(current))
    return parts


def _known_data(sources: dict[str, dict], kind: str, names: tuple[str, ...]) -> str | None:
    """A value the root module's data source (``data.aws_region.x``) read during the plan."""
    for address, values in sources.items():
        if address.startswith(f"data.{kind}."):
            for name in names:
                value = values.get(name)
                if isinstance(value, str) and value:
                    return value
    return None


def _dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list:
    return value if isinstance(value, list) else []
