"""Symbolic values: what the input leaves open stays open, and stays comparable.

A value the linter cannot know exactly (``${AWS::Region}``, the generated id of an identity pool,
an ``Fn::ImportValue``) is written into strings as an opaque token ``\\x00kind:detail\\x00``. Two
strings built from the same tokens are equal, so ``!Ref Pool`` in a monitor and in a trust policy
link up; comparing a token with a literal is undecidable, and the IAM evaluator says "unknown".
"""

from __future__ import annotations

import re
from dataclasses import field

from rumpolicy.records import value_type

MARK = "\x00"
_TOKEN = re.compile("\x00([^\x00]*)\x00")

# Token kinds.
PSEUDO = "pseudo"      # AWS::Region, AWS::AccountId, AWS::Partition, AWS::URLSuffix, AWS::StackName ...
REF = "ref"            # physical id of a resource in the same input
ATTR = "attr"          # Fn::GetAtt of a value only known after deploy
PARAM = "param"        # parameter without a default
IMPORT = "import"      # Fn::ImportValue
OPAQUE = "opaque"      # anything else that cannot be resolved (reason in detail)


# A pseudo parameter's token from a Terraform input says so (``pseudo@terraform:AWS::Region``), so that
# every message, whichever code writes it, shows it as Terraform does (``data.aws_region.current.name``),
# while code that reads symbols sees the same kind and detail as CloudFormation's.
TERRAFORM = "terraform"
TERRAFORM_PSEUDO = {
    "AWS::Region": ("aws_region", "data.aws_region.current.name"),
    "AWS::AccountId": ("aws_caller_identity", "data.aws_caller_identity.current.account_id"),
    "AWS::Partition": ("aws_partition", "data.aws_partition.current.partition"),
    "AWS::URLSuffix": ("aws_partition", "data.aws_partition.current.dns_suffix"),
}
_PSEUDO_MARK = f"{MARK}pseudo:"


def token(kind: str, detail: str) -> str:
    return f"{MARK}{kind}:{detail.replace(MARK, '')}{MARK}"


def as_terraform(value: str) -> str:
    """``value`` with its pseudo-parameter tokens marked as a Terraform input's deploy target."""
    if not isinstance(value, str) or _PSEUDO_MARK not in value:
        return value
    return value.replace(_PSEUDO_MARK, f"{MARK}pseudo@{TERRAFORM}:")


def has_symbols(value: object) -> bool:
    return isinstance(value, str) and MARK in value


@value_type
class Symbol:
    """A value known only at deploy time (a parameter, pseudo parameter, attribute, import), as a token in text."""

    kind: str
    detail: str
    dialect: str = field(default="", compare=False)   # TERRAFORM for a Terraform input's pseudo parameter

    @property
    def text(self) -> str:
        return token(f"{self.kind}@{self.dialect}" if self.dialect else self.kind, self.detail)


def parts(value: str) -> list[str | Symbol]:
    """Split a string into literal pieces and symbols, in order."""
    out: list[str | Symbol] = []
    pos = 0
    for match in _TOKEN.finditer(value):
        if match.start() > pos:
            out.append(value[pos:match.start()])
        kind, _, detail = match.group(1).partition(":")
        kind, _, dialect = kind.partition("@")
        out.append(Symbol(kind, detail, dialect))
        pos = match.end()
    if pos < len(value):
        out.append(value[pos:])
    return out


def symbols_in(value: str) -> list[Symbol]:
    return [p for p in parts(value) if isinstance(p, Symbol)]


def render(value: object) -> str:
    """A value as a person would write it: tokens become ``${AWS::Region}`` or ``<import X>``."""
    if not isinstance(value, str):
        return str(value)
    if MARK not in value:
        return value
    out = []
    for part in parts(value):
        if isinstance(part, str):
            out.append(part)
        elif part.kind == PSEUDO and part.dialect == TERRAFORM and part.detail in TERRAFORM_PSEUDO:
            out.append("${%s}" % TERRAFORM_PSEUDO[part.detail][1])
        elif part.kind in (PSEUDO, PARAM):
            out.append("${%s}" % part.detail)
        elif part.kind in (REF, ATTR):
            out.append("${%s}" % part.detail)
        elif part.kind == IMPORT:
            out.append("<Fn::ImportValue %s>" % part.detail)
        else:
            out.append("<%s>" % part.detail)
    return "".join(out)


def wildcard_form(value: str) -> str:
    """The string with every symbol replaced by ``*``: the set of values it could take."""
    return _TOKEN.sub("*", value)


@value_type
class Unknown:
    """A whole value (list, object, boolean ...) that cannot be resolved, and why."""

    reason: str

    def __str__(self) -> str:
        return f"<unknown: {self.reason}>"


def is_unknown(value: object) -> bool:
    return isinstance(value, Unknown)
