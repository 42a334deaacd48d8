"""Evaluate CloudFormation intrinsic functions in parsed template data, symbolically where needed.

A template is linted before it is deployed, so the region, the account, the generated id of an
identity pool or a value exported by another stack are not known. Such values are written into
strings as tokens (``rumpolicy.model.symbols``): two places built from the same unknown compare
equal, so ``IdentityPoolId: !Ref Pool`` in the monitor and ``${Pool}`` in the trust policy link up,
while comparing a token with a literal stays undecidable. A whole value that cannot be known (the
list of ``Fn::GetAZs``, an ``Fn::If`` on an undecidable condition) becomes ``Unknown(reason)``.
Nothing is ever guessed, because a guess can turn into a false pass.

The resolver is lazy because it runs on thousands of templates: the loader resolves only the
properties of RUM-relevant resources, and a ``Ref``/``Fn::GetAtt`` to another resource resolves only
the one property that names it (cached per logical id and property), never the whole template.

Input is what the YAML/JSON decoder produced, with short forms (``!Ref``) already turned into the
long form (``{"Ref": ...}``). Malformed intrinsics never raise: they become ``Unknown`` and are listed
in ``Resolver.unresolved`` with their JSON pointer, which the loader turns into findings.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any, Final

from rumpolicy.aws import dns_suffix
from rumpolicy.findings import join_pointer
from rumpolicy.model.arns import iam_path
from rumpolicy.model.symbols import (ATTR, IMPORT, MARK, OPAQUE, PARAM, PSEUDO, REF, Unknown, parts,
                                     render, symbols_in, token)
from rumpolicy.records import value_type

PSEUDO_PARAMETERS: Final = frozenset({
    "AWS::AccountId", "AWS::NotificationARNs", "AWS::Partition", "AWS::Region", "AWS::StackId",
    "AWS::StackName", "AWS::URLSuffix",
})

# Deep enough for any real template (policies nest about ten levels), shallow enough that hostile
# input cannot exhaust the interpreter's stack: each level costs a few Python frames.
MAX_DEPTH: Final = 100

# ``${Name}``, ``${Resource.Attribute}``, ``${AWS::Region}``; ``${!Literal}`` is an escape.
_SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")

# What the name property of a resource is, for the types whose Ref returns that name.
_NAMED_BY: Final[Mapping[str, str]] = {
    "AWS::RUM::AppMonitor": "Name",
    "AWS::IAM::Role": "RoleName",
}


@value_type(slots=False)
class StackEnv:
    """Where the stack will be deployed, as far as the user said.

    Fields left ``None`` stay symbolic rather than defaulting to a plausible guess, so an ARN built
    from them only ever matches an ARN built from the same unknowns. The partition alone defaults to
    ``aws``: it is where almost every template is deployed and RUM exists in few other partitions;
    the assumption is documented so that users of other partitions pass it explicitly.
    """

    partition: str = "aws"
    region: str | None = None
    account: str | None = None
    url_suffix: str | None = None     # None: derived from the partition
    stack_name: str | None = None

    def pseudo(self, name: str) -> str:
        """The value of pseudo parameter ``name``, or its token when it is not known before deployment.

        ``AWS::StackId`` (it contains a generated id) and ``AWS::NotificationARNs`` are always tokens.
        Raises ``ValueError`` for a name that is not a pseudo parameter: that is a caller's bug.
        """
        if name not in PSEUDO_PARAMETERS:
            raise ValueError(f"{name!r} is not a CloudFormation pseudo parameter")
        known = {
            "AWS::Partition": self.partition,
            "AWS::Region": self.region,
            "AWS::AccountId": self.account,
            "AWS::URLSuffix": self.url_suffix or dns_suffix(self.partition),
            "AWS::StackName": self.stack_name,
        }.get(name)
        return known if known is not None else token(PSEUDO, name)


class _NoValue:
    """Type of ``NO_VALUE``; a class of its own so that it can never equal template data."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "NO_VALUE"


NO_VALUE: Final = _NoValue()
"""What ``{"Ref": "AWS::NoValue"}`` evaluates to: "this property is absent". Dicts and lists drop it;
``Resolver.resolve`` returns it only when the value passed in is itself absent."""


class Resolver:
    """Evaluates the intrinsic functions of one template for one deployment environment.

    One instance per template: it caches evaluated conditions and resource names, and collects
    ``unresolved`` for the whole template.
    """

    def __init__(self, template: dict, env: StackEnv,
                 parameter_values: Mapping[str, Any] | None = None) -> None:
        sections = template if isinstance(template, dict) else {}
        self.env = env
        self._parameters = _section(sections, "Parameters")
        self._conditions = _section(sections, "Conditions")
        self._mappings = _section(sections, "Mappings")
        self._resources = _section(sections, "Resources")
        self._parameter_values = dict(parameter_values or {})
        self._unresolved: dict[tuple[str, str], None] = {}
        self._properties: dict[tuple[str, str], str | Unknown | None] = {}
        self._visiting: set[tuple[str, str]] = set()
        self._decided: dict[str, bool | None] = {}
        self._deciding: set[str] = set()
        self._depth = 0
        self._functions: dict[str, Callable[[Any, str], Any]] = {
            "Ref": self._ref,
            "Fn::GetAtt": self._get_att,
            "Fn::Sub": self._sub,
            "Fn::Join": self._join,
            "Fn::Select": self._select,
            "Fn::Split": self._split,
            "Fn::If": self._if,
            "Fn::FindInMap": self._find_in_map,
            "Fn::ImportValue": self._import_value,
            "Fn::Base64": self._base64,
            "Fn::GetAZs": self._get_azs,
            "Fn::Cidr": self._cidr,
            "Fn::Length": self._length,
            "Fn::ToJsonString": self._to_json_string,
        }

    # ------------------------------------------------------------------ public API

    @property
    def unresolved(self) -> list[tuple[str, str]]:
        """``(pointer, reason)`` for each unresolvable intrinsic met so far, in order, without repeats.

        The pointer is where the intrinsic is in the template. Listed: everything that became
        ``Unknown`` or an opaque token, and every ``Fn::ImportValue`` (another stack's value, which
        RUM-IAM-011 requires to be reported). Not listed: tokens for pseudo parameters, parameters
        without a value and generated resource ids; they are the expected symbolic values.
        """
        return list(self._unresolved)

    def resolve(self, value: Any, pointer: str = "") -> Any:
        """``value`` with its intrinsics evaluated; ``pointer`` is where ``value`` is in the template.

        Unresolvable parts of a string become tokens (so they stay comparable), unresolvable whole
        values become ``Unknown``; properties and list items that are ``AWS::NoValue`` are removed.
        Pass the real pointer: it locates ``unresolved`` entries and keeps opaque tokens from
        different places distinct.
        """
        return self._resolve(value, pointer)

    def condition(self, name: str) -> bool | None:
        """The value of condition ``name`` from ``Conditions``; ``None`` when it cannot be decided."""
        return self._condition(name, "/Conditions")

    def physical_ref(self, logical_id: str) -> Any:
        """What ``Ref`` returns for resource ``logical_id``.

        The name of an app monitor or a role, the ARN of a named managed policy; otherwise (a
        generated name, an identity pool id ...) ``token(REF, logical_id)``, so that every
        reference to the resource yields the same token.
        """
        if logical_id not in self._resources:
            return Unknown(f"Ref to undefined {logical_id!r}")
        kind = _resource_type(self._resources[logical_id])
        if kind in _NAMED_BY:
            name = self._string_property(logical_id, _NAMED_BY[kind])
            return name if isinstance(name, str) else token(REF, logical_id)
        if kind == "AWS::IAM::ManagedPolicy":
            name = self._string_property(logical_id, "ManagedPolicyName")
            path = self._iam_path(logical_id)
            if isinstance(name, str) and path is not None:
                return f"arn:{self._partition}:iam::{self._account}:policy{path}{name}"
        return token(REF, logical_id)

    # ------------------------------------------------------------------ traversal

    def _resolve(self, value: Any, pointer: str) -> Any:
        if isinstance(value, str):
            return value if MARK not in value else self._nul_string(pointer)
        if not isinstance(value, (dict, list)):
            return value
        if self._depth >= MAX_DEPTH:
            return self._unknown(pointer, f"nested more than {MAX_DEPTH} levels deep")
        self._depth += 1
        try:
            if isinstance(value, list):
                return [item for index, raw in enumerate(value)
                        if (item := self._resolve(raw, join_pointer(pointer, index))) is not NO_VALUE]
            return self._resolve_dict(value, pointer)
        finally:
            self._depth -= 1

    def _resolve_dict(self, value: dict, pointer: str) -> Any:
        if len(value) == 1:
            ((key, args),) = value.items()
            function = self._functions.get(key)
            if function is not None:
                return function(args, pointer)
            if isinstance(key, str) and key.startswith("Fn::") and not _is_transform(key):
                return self._unknown(pointer, f"{key} is not supported here")
        for key in value:
            if _is_transform(key):
                # A transform inserts keys or replaces the object: nothing around it can be trusted.
                return self._unknown(pointer, f"{key}: transform not expanded")
        return {key: item for key, raw in value.items()
                if (item := self._resolve(raw, join_pointer(pointer, key))) is not NO_VALUE}

    # ------------------------------------------------------------------ bookkeeping

    def _record(self, pointer: str, reason: str) -> None:
        self._unresolved[(pointer, reason)] = None

    def _unknown(self, pointer: str, reason: str) -> Unknown:
        self._record(pointer, reason)
        return Unknown(reason)

    def _opaque(self, pointer: str, reason: str) -> str:
        self._record(pointer, reason)
        return _opaque_token(reason, pointer)

    def _malformed(self, function: str, expected: str, args: Any, pointer: str) -> Unknown:
        return self._unknown(pointer, f"malformed {function}: expected {expected}, got {_type_name(args)}")

    def _nul_string(self, pointer: str) -> str:
        # NUL delimits tokens; a literal holding one could forge a token, so it is not read at all.
        return self._opaque(pointer, "string contains a NUL character, which is reserved for deploy-time values")

    @property
    def _partition(self) -> str:
        return self.env.pseudo("AWS::Partition")

    @property
    def _account(self) -> str:
        return self.env.pseudo("AWS::AccountId")

    # ------------------------------------------------------------------ Ref and resources

    def _ref(self, name: Any, pointer: str) -> Any:
        if not isinstance(name, str):
            return self._malformed("Ref", "a parameter or logical id", name, pointer)
        if name == "AWS::NoValue":
            return NO_VALUE
        if name == "AWS::NotificationARNs":
            return self._unknown(pointer, "AWS::NotificationARNs is a list known only at deployment")
        if name in PSEUDO_PARAMETERS:
            return self.env.pseudo(name)
        if name in self._parameters:
            return self._parameter(name, pointer)
        if name in self._resources:
            return self.physical_ref(name)
        return self._unknown(pointer, f"Ref to undefined {name!r}")

    def _parameter(self, name: str, pointer: str) -> Any:
        declaration = self._parameters[name]
        declaration = declaration if isinstance(declaration, dict) else {}
        kind = declaration.get("Type")
        kind = kind if isinstance(kind, str) else "String"
        if kind.startswith("AWS::SSM::Parameter::Value<"):
            # The default is the name of the SSM parameter; its value is read at deployment.
            if "List<" in kind:
                return self._unknown(pointer, f"parameter {name!r} is a list read from SSM at deployment")
            return token(PARAM, name)
        is_list = kind == "CommaDelimitedList" or kind.startswith("List<")
        if name in self._parameter_values:
            value = self._parameter_values[name]
        elif "Default" in declaration:
            value = declaration["Default"]
        elif is_list:
            return self._unknown(pointer, f"list parameter {name!r} has no default and no value was given")
        else:
            return token(PARAM, name)
        where = join_pointer("/Parameters", name)
        if is_list:
            items = value.split(",") if isinstance(value, str) else value if isinstance(value, list) else [value]
            texts = [_as_text(item) for item in items]
            if None in texts:
                return self._unknown(pointer, f"parameter {name!r} has an item that is not a string")
            return [self._resolve(text, where) for text in texts]
        text = _as_text(value)
        if text is None:
            # Ref of a Number parameter is a string too; anything else is not a parameter value.
            return self._unknown(pointer, f"parameter {name!r} is {_type_name(value)}, not a string")
        return self._resolve(text, where)

    def _string_property(self, logical_id: str, prop: str) -> str | Unknown | None:
        """A resource property that names it, resolved once: ``None`` if absent.

        The visiting set breaks cycles such as ``RoleName: !Ref TheRoleItself``.
        """
        key = (logical_id, prop)
        if key in self._properties:
            return self._properties[key]
        pointer = join_pointer("/Resources", logical_id, "Properties", prop)
        if key in self._visiting:
            return self._unknown(pointer, f"circular reference: {prop} of {logical_id!r} depends on itself")
        resource = self._resources[logical_id]
        properties = resource.get("Properties") if isinstance(resource, dict) else None
        result: str | Unknown | None = None
        if isinstance(properties, dict) and properties.get(prop) is not None:
            self._visiting.add(key)
            try:
                value = self._resolve(properties[prop], pointer)
            finally:
                self._visiting.discard(key)
            text = _as_text(value)
            if text is not None:
                result = text
            elif isinstance(value, Unknown):
                result = value
            elif value is not NO_VALUE:
                result = self._unknown(pointer, f"{prop} of {logical_id!r} is {_type_name(value)}, not a string")
        self._properties[key] = result
        return result

    def _iam_path(self, logical_id: str) -> str | None:
        """The IAM ``Path`` of a role or policy, ``/`` if unset; ``None`` if it cannot be resolved.

        IAM requires a leading and trailing ``/``. A path missing one (which CloudFormation would
        reject) is normalized so that the ARN built from it stays comparable.
        """
        path = self._string_property(logical_id, "Path")
        if path is None:
            return "/"
        if isinstance(path, Unknown):
            return None
        return iam_path(path)

    def _get_att(self, args: Any, pointer: str) -> Any:
        if isinstance(args, str) and "." in args:
            logical_id, attribute = args.split(".", 1)
        elif isinstance(args, list) and len(args) == 2 and isinstance(args[0], str):
            logical_id, attribute = args[0], self._resolve(args[1], join_pointer(pointer, "Fn::GetAtt", 1))
            if not isinstance(attribute, str) or MARK in attribute:
                return self._unknown(pointer, f"Fn::GetAtt {logical_id}: the attribute name "
                                              f"({_describe(attribute)}) cannot be resolved")
        else:
            return self._malformed("Fn::GetAtt", "[logical id, attribute] or \"LogicalId.Attribute\"", args, pointer)
        return self._attribute(logical_id, attribute, pointer)

    def _attribute(self, logical_id: str, attribute: str, pointer: str) -> Any:
        if logical_id not in self._resources:
            return self._unknown(pointer, f"Fn::GetAtt of undefined resource {logical_id!r}")
        kind = _resource_type(self._resources[logical_id])
        if (kind, attribute) == ("AWS::IAM::Role", "Arn"):
            return self._role_arn(logical_id)
        if (kind, attribute) in (("AWS::Cognito::IdentityPool", "Id"), ("AWS::IAM::ManagedPolicy", "PolicyArn")):
            return self.physical_ref(logical_id)
        if (kind, attribute) == ("AWS::Cognito::IdentityPool", "Name"):
            name = self._string_property(logical_id, "IdentityPoolName")
            if isinstance(name, str):
                return name
        return token(ATTR, f"{logical_id}.{attribute}")

    def _role_arn(self, logical_id: str) -> str:
        path = self._iam_path(logical_id)
        if path is None:
            return token(ATTR, f"{logical_id}.Arn")
        name = self._string_property(logical_id, "RoleName")
        if not isinstance(name, str):
            name = token(REF, logical_id)    # the generated name: the same token as ``!Ref Role``
        return f"arn:{self._partition}:iam::{self._account}:role{path}{name}"

    # ------------------------------------------------------------------ string functions

    def _sub(self, args: Any, pointer: str) -> Any:
        if isinstance(args, str):
            template, variables = args, {}
        elif isinstance(args, list) and len(args) == 2 and isinstance(args[0], str) and isinstance(args[1], dict):
            template, variables = args
        else:
            return self._malformed("Fn::Sub", "a string or [string, {variables}]", args, pointer)
        if MARK in template:
            return self._nul_string(pointer)
        variables_pointer = join_pointer(pointer, "Fn::Sub", 1)
        substituted: dict[str, str] = {}

        def substitute(match: re.Match[str]) -> str:
            name = match.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            if name not in substituted:
                substituted[name] = self._sub_variable(name, variables, variables_pointer, pointer)
            return substituted[name]

        return _SUB_VARIABLE.sub(substitute, template)

    def _sub_variable(self, name: str, variables: dict, variables_pointer: str, pointer: str) -> str:
        """The text of ``${name}``; a part that is not a string becomes an opaque token."""
        if name in variables:
            value = self._resolve(variables[name], join_pointer(variables_pointer, name))
        elif "." in name:
            value = self._attribute(*name.split(".", 1), pointer)
        else:
            value = self._ref(name, pointer)
        text = _as_text(value)
        if text is not None:
            return text
        if isinstance(value, Unknown):     # recorded where it arose
            return _opaque_token(f"${{{name}}}: {value.reason}", pointer)
        return self._opaque(pointer, f"Fn::Sub variable ${{{name}}} is {_type_name(value)}, not a string")

    def _join(self, args: Any, pointer: str) -> Any:
        if not (isinstance(args, list) and len(args) == 2):
            return self._malformed("Fn::Join", "[delimiter, [values]]", args, pointer)
        here = join_pointer(pointer, "Fn::Join")
        delimiter = self._resolve(args[0], join_pointer(here, 0))
        if isinstance(delimiter, Unknown):
            return delimiter
        if not isinstance(delimiter, str):
            return self._malformed("Fn::Join", "a string delimiter", delimiter, pointer)
        values = self._resolve(args[1], join_pointer(here, 1))
        if isinstance(values, Unknown):
            return values
        if not isinstance(values, list):
            return self._malformed("Fn::Join", "a list of values", values, pointer)
        texts = []
        for index, value in enumerate(values):
            text = _as_text(value)
            if text is None:
                if not isinstance(value, Unknown):
                    return self._malformed("Fn::Join", "string values", value, pointer)
                text = _opaque_token(f"Fn::Join value {index}: {value.reason}", pointer)
            texts.append(text)
        return delimiter.join(texts)

    def _split(self, args: Any, pointer: str) -> Any:
        split = self._split_pieces(args, pointer)
        if isinstance(split, Unknown):
            return split
        pieces, reason = split
        return pieces if reason is None else self._unknown(pointer, reason)

    def _split_pieces(self, args: Any, pointer: str) -> tuple[list[str], str | None] | Unknown:
        """The pieces of an ``Fn::Split``, and why the list is incomplete (``None`` if complete).

        A deploy-time value may itself contain the delimiter, so only the pieces before the first
        token are known; ``Fn::Select`` can still use those.
        """
        if not (isinstance(args, list) and len(args) == 2):
            return self._malformed("Fn::Split", "[delimiter, string]", args, pointer)
        here = join_pointer(pointer, "Fn::Split")
        delimiter = self._resolve(args[0], join_pointer(here, 0))
        if not isinstance(delimiter, str) or not delimiter or MARK in delimiter:
            return self._unknown(pointer, f"Fn::Split delimiter must be a non-empty literal string, "
                                          f"got {_describe(delimiter)}")
        source = self._resolve(args[1], join_pointer(here, 1))
        if isinstance(source, Unknown):
            return source
        text = _as_text(source)
        if text is None:
            return self._malformed("Fn::Split", "a string to split", source, pointer)
        if MARK not in text:
            return text.split(delimiter), None
        first = symbols_in(text)[0]
        reason = (f"Fn::Split of {render(text)!r} on {delimiter!r}: {render(first.text)} is known only at "
                  f"deployment and may contain {delimiter!r}, so the pieces from there on are unknown")
        return text[:text.index(MARK)].split(delimiter)[:-1], reason

    def _import_value(self, args: Any, pointer: str) -> Any:
        name = self._resolve(args, join_pointer(pointer, "Fn::ImportValue"))
        text = _as_text(name)
        if text is None:
            if isinstance(name, Unknown):
                return self._opaque(pointer, f"Fn::ImportValue of a name that cannot be resolved ({name.reason})")
            return self._malformed("Fn::ImportValue", "an export name", name, pointer)
        # Export names cannot contain "${", so the rendered form of a partly symbolic name (the usual
        # ``!ImportValue !Sub "${Env}-PoolId"``) is unambiguous, and equal imports share one token.
        exported = render(text)
        self._record(pointer, f"Fn::ImportValue {exported!r} is known only at deployment")
        return token(IMPORT, exported)

    def _base64(self, args: Any, pointer: str) -> Any:
        # The encoding does not matter to the linter; what was encoded does.
        value = self._resolve(args, join_pointer(pointer, "Fn::Base64"))
        text = _as_text(value)
        if text is not None or isinstance(value, Unknown):
            return value if text is None else text
        return self._malformed("Fn::Base64", "a string", value, pointer)

    def _to_json_string(self, args: Any, pointer: str) -> Any:
        value = self._resolve(args, join_pointer(pointer, "Fn::ToJsonString"))
        if isinstance(value, Unknown):
            return value
        if value is NO_VALUE:
            return self._malformed("Fn::ToJsonString", "an object or list", value, pointer)
        if _has_unknown(value):
            return self._unknown(pointer, "Fn::ToJsonString of a value with unresolvable parts")
        return _compact_json(value)

    # ------------------------------------------------------------------ list functions

    def _select(self, args: Any, pointer: str) -> Any:
        if not (isinstance(args, list) and len(args) == 2):
            return self._malformed("Fn::Select", "[index, list]", args, pointer)
        here = join_pointer(pointer, "Fn::Select")
        raw_index = self._resolve(args[0], join_pointer(here, 0))
        index = _as_text(raw_index)
        if index is None or not index.isdecimal() or len(index) > 9:
            return self._unknown(pointer, f"Fn::Select index ({_describe(raw_index)}) is not a known "
                                          f"non-negative integer")
        position, source, source_pointer = int(index), args[1], join_pointer(here, 1)
        if isinstance(source, dict) and len(source) == 1 and "Fn::Split" in source:
            split = self._split_pieces(source["Fn::Split"], source_pointer)
            if isinstance(split, Unknown):
                return split
            values, incomplete = split
        else:
            values, incomplete = self._resolve(source, source_pointer), None
            if isinstance(values, Unknown):
                return values
            if not isinstance(values, list):
                return self._malformed("Fn::Select", "a list", values, pointer)
        if position < len(values):
            return values[position]
        if incomplete is not None:
            return self._unknown(source_pointer, incomplete)
        return self._unknown(pointer, f"Fn::Select index {position} is out of range for {len(values)} values")

    def _length(self, args: Any, pointer: str) -> Any:
        values = self._resolve(args, join_pointer(pointer, "Fn::Length"))
        if isinstance(values, Unknown):
            return values
        if not isinstance(values, list):
            return self._malformed("Fn::Length", "a list", values, pointer)
        if any(isinstance(value, Unknown) for value in values):
            # An unknown item may stand for an Fn::If that is AWS::NoValue on one side.
            return self._unknown(pointer, "Fn::Length of a list with an unresolvable item, which may be absent")
        return len(values)

    def _find_in_map(self, args: Any, pointer: str) -> Any:
        if not (isinstance(args, list) and len(args) in (3, 4)):
            return self._malformed("Fn::FindInMap", "[map, top-level key, second-level key]", args, pointer)
        here = join_pointer(pointer, "Fn::FindInMap")
        if len(args) == 4 and not (isinstance(args[3], dict) and list(args[3]) == ["DefaultValue"]):
            return self._malformed("Fn::FindInMap", "{DefaultValue: ...} as 4th argument", args[3], pointer)
        keys = []
        for index in range(3):
            key = self._resolve(args[index], join_pointer(here, index))
            text = _as_text(key)
            if text is None or MARK in text:
                return self._unknown(pointer, f"Fn::FindInMap key {_describe(key)} cannot be resolved "
                                              f"before deployment")
            keys.append(text)
        value: Any = self._mappings
        for key in keys:
            value = _entry(value, key)
        if value is not _MISSING:
            return self._resolve(value, join_pointer("/Mappings", *keys))
        if len(args) == 4:
            return self._resolve(args[3]["DefaultValue"], join_pointer(here, 3, "DefaultValue"))
        map_name, top, second = keys
        return self._unknown(pointer, f"Fn::FindInMap: Mappings has no entry {map_name}/{top}/{second}")

    def _get_azs(self, args: Any, pointer: str) -> Unknown:
        return self._unknown(pointer, "Fn::GetAZs: the Availability Zones are known only at deployment")

    def _cidr(self, args: Any, pointer: str) -> Unknown:
        return self._unknown(pointer, "Fn::Cidr is not evaluated")

    # ------------------------------------------------------------------ conditions

    def _if(self, args: Any, pointer: str) -> Any:
        if not (isinstance(args, list) and len(args) == 3 and isinstance(args[0], str)):
            return self._malformed("Fn::If", "[condition name, value if true, value if false]", args, pointer)
        here = join_pointer(pointer, "Fn::If")
        name, if_true, if_false = args
        decided = self._condition(name, join_pointer(here, 0))
        if decided is not None:
            return self._resolve(if_true if decided else if_false, join_pointer(here, 1 if decided else 2))
        # Both branches alike (say, only a description differs elsewhere) need no decision.
        first = self._resolve(if_true, join_pointer(here, 1))
        second = self._resolve(if_false, join_pointer(here, 2))
        if _same(first, second) and not _has_unknown(first):
            return first
        return self._unknown(pointer, f"depends on condition {name!r}, which cannot be decided before deployment")

    def _condition(self, name: Any, pointer: str) -> bool | None:
        if not isinstance(name, str):
            self._record(pointer, f"malformed condition reference: expected a name, got {_type_name(name)}")
            return None
        if name in self._decided:
            return self._decided[name]
        if name not in self._conditions:
            self._record(pointer, f"condition {name!r} is not defined")
            return None
        if name in self._deciding:
            self._record(pointer, f"circular reference: condition {name!r} depends on itself")
            return None
        self._deciding.add(name)
        try:
            decided = self._evaluate(self._conditions[name], join_pointer("/Conditions", name))
        finally:
            self._deciding.discard(name)
        self._decided[name] = decided
        return decided

    def _evaluate(self, expression: Any, pointer: str) -> bool | None:
        """Three-valued evaluation of a condition expression: ``None`` means undecidable."""
        if not (isinstance(expression, dict) and len(expression) == 1):
            self._record(pointer, f"malformed condition: expected one condition function, got {_type_name(expression)}")
            return None
        if self._depth >= MAX_DEPTH:
            self._record(pointer, f"condition nested more than {MAX_DEPTH} levels deep")
            return None
        ((function, args),) = expression.items()
        here = join_pointer(pointer, function)
        self._depth += 1
        try:
            if function == "Condition":
                return self._condition(args, pointer)
            if function == "Fn::Equals" and isinstance(args, list) and len(args) == 2:
                left, right = (self._resolve(arg, join_pointer(here, index)) for index, arg in enumerate(args))
                return _equals(left, right)
            if function == "Fn::Not" and isinstance(args, list) and len(args) == 1:
                decided = self._evaluate(args[0], join_pointer(here, 0))
                return None if decided is None else not decided
            if function in ("Fn::And", "Fn::Or") and isinstance(args, list) and args:
                values = [self._evaluate(arg, join_pointer(here, index)) for index, arg in enumerate(args)]
                decisive = function == "Fn::Or"      # True decides an Or, False decides an And
                return decisive if decisive in values else None if None in values else not decisive
        finally:
            self._depth -= 1
        self._record(pointer, f"malformed condition: {function} with {_type_name(args)}")
        return None


# ---------------------------------------------------------------------- helpers

_MISSING: Final = object()


def _section(template: dict, name: str) -> dict:
    section = template.get(name)
    return section if isinstance(section, dict) else {}


def _is_transform(key: Any) -> bool:
    return isinstance(key, str) and (key == "Fn::Transform" or key.startswith("Fn::ForEach::"))


def _resource_type(resource: Any) -> str | None:
    """The resource's ``Type``, or None when it is not a string (the loader reports that as RUM-SRC-000)."""
    kind = resource.get("Type") if isinstance(resource, dict) else None
    return kind if isinstance(kind, str) else None


def _entry(mapping: Any, key: str) -> Any:
    """``mapping[key]`` where YAML may have read the key as a number (``123456789012:``)."""
    if not isinstance(mapping, dict):
        return _MISSING
    if key in mapping:
        return mapping[key]
    return next((value for name, value in mapping.items() if _as_text(name) == key), _MISSING)


def _as_text(value: Any) -> str | None:
    """The string CloudFormation makes of a scalar (``Ref`` of a Number parameter is a string)."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return None


def _type_name(value: Any) -> str:
    if value is NO_VALUE:
        return "AWS::NoValue"
    if isinstance(value, Unknown):
        return f"an unknown value ({value.reason})"
    if isinstance(value, bool):
        return "a boolean"
    return {dict: "an object", list: "a list", str: "a string", int: "a number", float: "a number",
            type(None): "null"}.get(type(value), type(value).__name__)


def _describe(value: Any) -> str:
    return repr(render(value)) if isinstance(value, str) else _type_name(value)


def _opaque_token(reason: str, pointer: str) -> str:
    # The pointer keeps two different unknowns with the same reason from comparing equal.
    return token(OPAQUE, f"{reason} at {pointer or '/'}")


def _same(first: Any, second: Any) -> bool:
    """Structural equality that, unlike ``==``, tells ``True`` from ``1``."""
    if type(first) is not type(second):
        return False
    if isinstance(first, list):
        return len(first) == len(second) and all(map(_same, first, second))
    if isinstance(first, dict):
        return first.keys() == second.keys() and all(_same(value, second[key]) for key, value in first.items())
    return first == second


def _has_unknown(value: Any) -> bool:
    if isinstance(value, Unknown):
        return True
    if isinstance(value, list):
        return any(map(_has_unknown, value))
    if isinstance(value, dict):
        return any(map(_has_unknown, value.values()))
    return False


def _equals(left: Any, right: Any) -> bool | None:
    """``Fn::Equals`` on resolved values, comparing the string forms as CloudFormation does.

    Equal strings are equal even when symbolic (the same token is the same value). A symbolic
    string differs from a literal only if its literal parts cannot match (``${Env}-prod`` is never
    ``dev``); two different symbolic strings are undecidable.
    """
    if isinstance(left, list) and isinstance(right, list):
        if len(left) != len(right):
            return False
        values = [_equals(a, b) for a, b in zip(left, right)]
        return False if False in values else None if None in values else True
    first, second = _as_text(left), _as_text(right)
    if first is None or second is None:
        return None
    if first == second:
        return True
    if MARK in first and MARK in second:
        return None
    if MARK not in first and MARK not in second:
        return False
    symbolic, literal = (first, second) if MARK in first else (second, first)
    pattern = "".join(re.escape(part) if isinstance(part, str) else ".*" for part in parts(symbolic))
    return None if re.fullmatch(pattern, literal, re.DOTALL) else False


def _compact_json(value: Any) -> str:
    """``json.dumps`` with compact separators that leaves tokens raw inside strings.

    ``json.dumps`` would escape the NUL that delimits a token, and the token would no longer be one.
    """
    if isinstance(value, str):
        return '"' + "".join(json.dumps(part, ensure_ascii=False)[1:-1] if isinstance(part, str) else part.text
                             for part in parts(value)) + '"'
    if isinstance(value, dict):
        return "{" + ",".join(f"{_compact_json(key if isinstance(key, str) else json.dumps(key))}:{_compact_json(item)}"
                              for key, item in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ",".join(map(_compact_json, value)) + "]"
    return json.dumps(value)
