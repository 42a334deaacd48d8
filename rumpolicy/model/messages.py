"""Structured messages and fixes: what a rule says is data; the words come from one renderer.

A rule yields ``Violation(where, "aud-missing", role=guest.role, key=AUD, fix=AddStatement(...))``:
a message id from the rule's own ``messages`` table, named parameters, and a fix as edits on the
model. ``render_message`` words it in the dialect of the input (``rumpolicy.model.dialect``):
a ``Prop`` names a property as CloudFormation, Terraform or the API spells it, a ``Value`` writes
a deploy-time token as that dialect does (``${AWS::Region}``, ``${data.aws_region.current.name}``),
a resource is its logical id, address or ARN. A template may differ per dialect
(``{"terraform": "...", "default": "..."}``) where the facts differ, not only the names.

``canonical`` is the same message without words: the id and each parameter in a form that no
dialect or wording change alters (property names as CloudFormation names them, values as the
model holds them). Baselines hash it (``rumpolicy.baseline``), so rewording a message, or fixing
a Terraform spelling, keeps every recorded finding.

A fix is a tuple of edits (``SetProperties``, ``AddStatement``, ``WriteResource``, ``WriteTree``,
``Advice``). ``render_fix`` writes them as the remediation text of a report; ``rumpolicy fix``
applies the precise ones (``ReplaceNode``, ``SetPath``: an edit at a JSON pointer of the input), which
add no text to the remediation.
"""

from __future__ import annotations

import string
from typing import Any, Mapping, Sequence

from rumpolicy.model.dialect import (Dialect, describe_place, dialect_of, policy_snippet, prop, property_snippet,
                                     render_for, resource_snippet, snippet, undecided_place)
from rumpolicy.model.resources import Resource
from rumpolicy.model.symbols import render
from rumpolicy.records import value_type

DEFAULT = "default"
_FORMATTER = string.Formatter()


# ----------------------------------------------------------------------------- parameters

@value_type
class Prop:
    """Property ``name`` (its CloudFormation name) of ``resource``, as the resource's dialect names it."""

    resource: Resource
    name: str

    def words(self) -> str:
        return prop(self.resource, self.name)

    def canonical(self) -> str:
        return self.name


@value_type
class Value:
    """A value of ``resource``'s input, written as its dialect writes deploy-time tokens."""

    resource: Resource
    value: object

    def words(self) -> str:
        return render_for(self.resource, self.value)

    def canonical(self) -> str:
        return render(self.value)


@value_type
class Place:
    """A region, account or partition as a phrase: ``us-east-1``, "the stack's region", ``account 1234...``."""

    resource: Resource
    value: object
    what: str

    def words(self) -> str:
        return describe_place(self.resource, self.value, self.what)

    def canonical(self) -> str:
        return f"{self.what} {render(self.value)}"


@value_type
class UndecidedPlace:
    """A comparison of places the input cannot decide, with what would make it hold (see ``undecided_place``)."""

    resource: Resource
    what: str
    subject_noun: str
    subject_value: object
    monitor_value: object

    def words(self) -> str:
        return undecided_place(self.resource, self.what, self.subject_noun, self.subject_value, self.monitor_value)

    def canonical(self) -> str:
        return f"{self.what} {self.subject_noun} {render(self.subject_value)} {render(self.monitor_value)}"


@value_type
class Said:
    """A phrase already worded elsewhere (a loader's problem, another rule's undecided check), with the
    identity it keeps when its wording changes."""

    text: str
    key: str | None = None

    def words(self) -> str:
        return self.text

    def canonical(self) -> str:
        return self.text if self.key is None else self.key


@value_type
class Listed:
    """Several parameters as one phrase: ``a, b, c`` (or ``a, b and c`` with ``last="and"``)."""

    items: tuple[Any, ...]
    separator: str = ", "
    last: str | None = None

    def words(self) -> str:
        shown = [words(item) for item in self.items]
        if self.last and len(shown) > 1:
            return f"{self.separator.join(shown[:-1])} {self.last} {shown[-1]}"
        return self.separator.join(shown)

    def canonical(self) -> str:
        return "\x1e".join(canonical(item) for item in self.items)


def words(value: object) -> str:
    """One parameter as a message shows it."""
    if hasattr(value, "words"):
        return value.words()
    if isinstance(value, Resource):
        return value.subject
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return ", ".join(words(item) for item in value)
    return str(value)


def canonical(value: object) -> str:
    """One parameter without words (see the module docstring)."""
    if hasattr(value, "canonical"):
        return value.canonical()
    if isinstance(value, Resource):
        return value.subject
    if isinstance(value, (list, tuple)):
        return "\x1e".join(canonical(item) for item in value)
    return str(value)


# ----------------------------------------------------------------------------- messages

Templates = Mapping[str, "str | Mapping[str, str]"]


class MessageError(Exception):
    """A rule's message table is wrong, or a rule used a message id or parameter it does not define."""


def template_fields(template: str) -> set[str]:
    """The parameter names a template uses; MessageError when it is not a valid template."""
    try:
        return {name.split(".")[0].split("[")[0] for _, name, _, _ in _FORMATTER.parse(template) if name}
    except ValueError as exc:
        raise MessageError(f"bad template {template!r}: {exc}") from exc


def check_templates(owner: str, messages: Templates) -> None:
    """Registration-time check of a rule's ``messages``: ids, dialect keys and template syntax."""
    dialects = {d.value for d in Dialect} | {DEFAULT}
    for message_id, template in messages.items():
        if not isinstance(message_id, str) or not message_id:
            raise MessageError(f"{owner}: message ids must be non-empty strings, not {message_id!r}")
        variants = template if isinstance(template, Mapping) else {DEFAULT: template}
        if DEFAULT not in variants:
            raise MessageError(f"{owner}: message {message_id!r} has no 'default' wording")
        for key, text in variants.items():
            if key not in dialects:
                raise MessageError(f"{owner}: message {message_id!r} names no dialect {key!r}")
            if not isinstance(text, str):
                raise MessageError(f"{owner}: message {message_id!r} ({key}) is not a string")
            template_fields(text)


def speaker(*candidates: object) -> Dialect:
    """The dialect a message is worded in: that of the first resource among the candidates."""
    for candidate in candidates:
        if isinstance(candidate, Resource):
            return dialect_of(candidate)
        resource = getattr(candidate, "resource", None)
        if isinstance(resource, Resource):
            return dialect_of(resource)
    return Dialect.API


def render_message(owner: str, messages: Templates, message_id: str, params: Mapping[str, object],
                   dialect: Dialect) -> str:
    """The words of message ``message_id`` of ``messages`` with ``params``, in ``dialect``."""
    template = messages.get(message_id)
    if template is None:
        raise MessageError(f"{owner} has no message {message_id!r}")
    if isinstance(template, Mapping):
        template = template.get(dialect.value, template[DEFAULT])
    needed = template_fields(template)
    missing = needed - set(params)
    if missing:
        raise MessageError(f"{owner} message {message_id!r} needs {', '.join(sorted(missing))}")
    return template.format_map({name: words(params[name]) for name in needed})


def canonical_params(params: Mapping[str, object]) -> tuple[tuple[str, str], ...]:
    return tuple((name, canonical(params[name])) for name in sorted(params))


# ----------------------------------------------------------------------------- fixes

@value_type
class SetProperties:
    """Set properties of ``target`` (keys: CloudFormation names; nested paths per dialect)."""

    target: Resource
    values: Mapping[str, object]
    comment: str | None = None

    def text(self) -> str:
        return property_snippet(self.target, dict(self.values), comment=self.comment)


@value_type
class AddStatement:
    """Add one IAM statement to a policy of ``target`` (``attribute``: Terraform's attribute holding it)."""

    target: Resource
    statement: Mapping[str, object]
    attribute: str
    comment: str | None = None

    def text(self) -> str:
        return policy_snippet(self.target, dict(self.statement), self.attribute, comment=self.comment)


@value_type
class WriteResource:
    """Write ``body`` as the properties of ``target`` (a resource that the fix may create)."""

    target: Resource
    body: Mapping[str, object]
    comment: str | None = None

    def text(self) -> str:
        return resource_snippet(self.target, dict(self.body), comment=self.comment)


@value_type
class WriteTree:
    """A tree of configuration (a policy document, a block) as ``target``'s dialect writes it."""

    target: Resource
    tree: object
    comment: str | None = None

    def text(self) -> str:
        return snippet(self.target, self.tree, comment=self.comment)


@value_type
class Advice:
    """What to do that is not an edit of the input (run a command, change the web page, talk to AWS)."""

    said: str

    def text(self) -> str:
        return self.said


# ----------------------------------------------------------------------------- precise edits
# The edits above say what to write into a resource, for a person to place. These say exactly where:
# ``rumpolicy fix`` applies them to the source text by span. They add no words to the remediation text
# (``text`` is empty); a rule attaches one beside the describing edit when it can say precisely where.

@value_type
class ReplaceNode:
    """Replace the value at ``location`` (its pointer names the value itself) with ``tree``."""

    location: object          # rumpolicy.findings.Location
    tree: object

    def text(self) -> str:
        return ""


@value_type
class SetPath:
    """In the mapping at ``location``, set ``path`` (keys, nested) to ``tree``: the keys missing along the
    path are created, a value already at the end of it is replaced."""

    location: object          # rumpolicy.findings.Location of a mapping
    path: tuple[str, ...]
    tree: object

    def text(self) -> str:
        return ""


PRECISE = (ReplaceNode, SetPath)

Edit = SetProperties | AddStatement | WriteResource | WriteTree | Advice | ReplaceNode | SetPath
EDITS = (SetProperties, AddStatement, WriteResource, WriteTree, Advice, ReplaceNode, SetPath)


def as_fix(fix: object) -> tuple[Edit, ...]:
    """A rule's ``fix=``: one edit, several, or None. Anything else is a defect of the rule."""
    if fix is None:
        return ()
    edits = tuple(fix) if isinstance(fix, (list, tuple)) else (fix,)
    for edit in edits:
        if not isinstance(edit, EDITS):
            raise MessageError(f"a fix is made of edits ({', '.join(t.__name__ for t in EDITS)}), not "
                               f"{type(edit).__name__}")
    return edits


def render_fix(edits: Sequence[Edit]) -> str | None:
    """The remediation text of a fix: each edit's text, in order, a blank line apart."""
    texts = [edit.text().rstrip("\n") for edit in edits]
    texts = [t for t in texts if t]
    return "\n\n".join(texts) + "\n" if texts else None
