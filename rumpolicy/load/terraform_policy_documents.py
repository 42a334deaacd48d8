"""``data "aws_iam_policy_document"`` -> the JSON policy the provider renders from its blocks.

Statements, principals and conditions are built as the provider builds them (statements with the same
``sid`` replace each other; ``source_policy_documents`` come first and ``override_policy_documents``
last), each element located at the block or attribute it comes from, so that a finding in a rendered
policy points at the ``statement`` block that wrote it.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from rumpolicy.findings import join_pointer
from rumpolicy.load.terraform_blocks import expand_blocks
from rumpolicy.load.terraform_eval import JsonText, Site, Sink, concrete, json_text
from rumpolicy.load.terraform_nodes import Block, Body
from rumpolicy.load.terraform_resources import MISSING
from rumpolicy.model import Unknown
from rumpolicy.model.symbols import MARK

if TYPE_CHECKING:
    from rumpolicy.load.terraform_modules import Instance, ModuleInstance


class PolicyDocumentBuilder:
    """Renders the blocks of an ``aws_iam_policy_document`` into the JSON the provider produces.

    Each element of the result is located at the block or attribute it comes from.
    """

    def __init__(self, module: "ModuleInstance", ref: "Instance", sink: Sink):
        self.module, self.ref, self.sink = module, ref, sink
        self.body = ref.block.body

    def value(self, body: Body, name: str, pointer: str, scope: dict) -> Any:
        attribute = body.attribute(name)
        if attribute is None:
            return MISSING
        value = self.module.evaluate(attribute, self.sink, scope, pointer)
        return MISSING if value is None else concrete(value, Site(pointer, attribute.source, attribute.span, self.sink))

    def blocks(self, body: Body, name: str, scope: dict, pointer: str) -> list[tuple[Block, dict]] | Unknown:
        return expand_blocks(self.module, body, name, scope, self.sink, pointer)

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
