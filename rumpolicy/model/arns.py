"""ARNs and identifiers that may hold symbolic tokens: parse them, compare them, without guessing.

``parse_arn("arn:${AWS::Partition}:iam::${AWS::AccountId}:role/rum-guest")`` keeps the tokens in the
fields (``partition`` is the token of ``AWS::Partition``), so a rule can compare a field with the
monitor's environment and get ``True``, ``False`` or ``None`` (undecidable) from ``same()``.

Tokens (``rumpolicy.model.symbols``) contain ``:`` themselves, so ARNs are split only on the colons
of their literal parts. Nothing here raises on odd input: what does not parse is ``None``.
"""

from __future__ import annotations

import re

# The id grammars live in rumpolicy.aws; re-exported here for the modules that still import them from this one.
from rumpolicy.aws import ACCOUNT_ID, POOL_ID, REGION, ROLE_NAME, ROLE_PATH  # noqa: F401
from rumpolicy.model.symbols import MARK, REF, Symbol, has_symbols, parts, render, wildcard_form
from rumpolicy.records import value_type


@value_type
class Arn:
    """``arn:partition:service:region:account:resource``; every field a string, possibly symbolic."""

    partition: str
    service: str
    region: str
    account: str
    resource: str

    @property
    def resource_type(self) -> str:
        """``role`` of ``role/path/name``, ``appmonitor`` of ``appmonitor/web`` ('' when there is none)."""
        head, sep = _split_first(self.resource, "/:")
        return head if sep else ""

    @property
    def resource_id(self) -> str:
        """What follows the resource type (``path/name`` of a role, the monitor name of a RUM ARN)."""
        head, sep = _split_first(self.resource, "/:")
        return self.resource[len(head) + 1:] if sep else self.resource

    @property
    def text(self) -> str:
        return f"arn:{self.partition}:{self.service}:{self.region}:{self.account}:{self.resource}"

    def render(self) -> str:
        return render(self.text)

    @property
    def symbolic(self) -> bool:
        return has_symbols(self.text)


def _split_first(value: str, separators: str) -> tuple[str, str]:
    """The part of ``value`` before the first literal separator, and that separator ('' if none)."""
    out = []
    for part in parts(value):
        if isinstance(part, Symbol):
            out.append(part.text)
            continue
        for i, ch in enumerate(part):
            if ch in separators:
                out.append(part[:i])
                return "".join(out), ch
        out.append(part)
    return "".join(out), ""


def split_literal(value: str, separator: str, maxsplit: int = -1) -> list[str]:
    """``str.split`` that never splits inside a symbolic token."""
    fields = [""]
    splits = 0
    for part in parts(value):
        if isinstance(part, Symbol):
            fields[-1] += part.text
            continue
        pieces = part.split(separator, maxsplit - splits) if maxsplit >= 0 else part.split(separator)
        fields[-1] += pieces[0]
        for piece in pieces[1:]:
            fields.append(piece)
            splits += 1
    return fields


def parse_arn(value: object) -> Arn | None:
    """An ARN with six colon-separated fields starting with a literal ``arn:``; else None.

    A value that is one opaque token (an unresolved ``!GetAtt``, an ``Fn::ImportValue``) is None
    too: use ``maybe_arn`` to tell "not an ARN" from "cannot tell".
    """
    if not isinstance(value, str) or not value.startswith("arn:"):
        return None
    fields = split_literal(value, ":", 5)
    if len(fields) != 6:
        return None
    _, partition, service, region, account, resource = fields
    return Arn(partition, service, region, account, resource)


def monitor_arn(partition: str, region: str, account: str, name: str) -> str:
    """The ARN of a RUM app monitor: the resource ``rum:PutRumEvents`` is authorized on."""
    return f"arn:{partition}:rum:{region}:{account}:appmonitor/{name}"


def identity_pool_arn(partition: str, region: str, account: str, pool_id: str) -> str:
    """The ARN of a Cognito identity pool (its id, ``us-east-1:<uuid>``, is the resource part)."""
    return f"arn:{partition}:cognito-identity:{region}:{account}:identitypool/{pool_id}"


def maybe_arn(value: object) -> bool:
    """Could this value turn out to be an ARN at deploy time (it starts with a token)?"""
    return isinstance(value, str) and value.startswith(MARK)


def same(a: object, b: object, *, distinct_resources: bool = False) -> bool | None:
    """Are two possibly-symbolic strings equal? True, False, or None when only the deploy can tell.

    Equal strings (same tokens included) are equal. A literal differs from a symbolic string only when
    no substitution of the tokens could produce it (``arn:aws:...`` vs ``arn:${AWS::Partition}:...``
    is undecidable; ``eu-west-1`` vs ``${AWS::Region}`` too; ``x-${A}`` vs ``y`` is False).

    ``distinct_resources=True`` says that the strings are identifiers of one kind of resource in one
    input (two role ARNs of one template): then strings that differ only in the generated names of
    two different resources (``role/${RoleA}`` vs ``role/${RoleB}``) are different, since two roles
    of one account never share a name.
    """
    if not isinstance(a, str) or not isinstance(b, str):
        return None
    if a == b:
        return True
    sa, sb = has_symbols(a), has_symbols(b)
    if not sa and not sb:
        return False
    if sa and sb:
        return False if distinct_resources and _differ_in_refs_only(a, b) else None
    pattern, literal = (a, b) if sa else (b, a)
    return None if _could_be(pattern, literal) else False


def _differ_in_refs_only(a: str, b: str) -> bool:
    pa, pb = parts(a), parts(b)
    if len(pa) != len(pb):
        return False
    differing = [(x, y) for x, y in zip(pa, pb) if x != y]
    return bool(differing) and all(
        isinstance(x, Symbol) and isinstance(y, Symbol) and x.kind == y.kind == REF for x, y in differing)


def _could_be(symbolic: str, literal: str) -> bool:
    regex = "".join(re.escape(p) if isinstance(p, str) else ".*" for p in parts(symbolic))
    return re.fullmatch(regex, literal, re.S) is not None


def is_literal(value: object) -> bool:
    return isinstance(value, str) and not has_symbols(value)


def pool_region(pool_id: object) -> str | None:
    """The region prefix of an identity-pool id (``us-east-1`` of ``us-east-1:...``), possibly symbolic.

    None when the id has no literal ``:`` (a bare ``!Ref Pool`` token or ``Fn::ImportValue``).
    """
    if not isinstance(pool_id, str):
        return None
    fields = split_literal(pool_id, ":", 1)
    return fields[0] if len(fields) == 2 and fields[0] else None


def pool_id_well_formed(pool_id: str) -> bool:
    return POOL_ID.match(pool_id) is not None


def shown(value: object) -> str:
    """A value as the input spells it: booleans as ``true``/``false``, tokens as ``${...}``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return render(value)


def wildcard(value: str) -> str:
    """The value with its tokens as ``*`` (for display next to literal patterns)."""
    return wildcard_form(value)


def iam_path(path: str) -> str:
    """An IAM path as IAM stores it, with a leading and trailing ``/`` (a token may stand at either end).

    A path written without them (which the service would reject) is normalized, so that the role ARN
    built from it stays comparable with the ARN written elsewhere.
    """
    if not path.startswith(("/", MARK)):
        path = "/" + path
    if not path.endswith(("/", MARK)):
        path += "/"
    return path


# The CloudFormation pseudo parameter that stands for a stack's own region, account or partition.
STACK_PSEUDO = {"region": "AWS::Region", "account": "AWS::AccountId", "partition": "AWS::Partition"}
