"""One resource instance of a configuration as the model builder reads it (``ResourceView`` of
``terraform_resources``): attributes evaluated on demand in the instance's scope, nested and dynamic
blocks by index, provider-computed attributes, policy documents, and a location for every value read.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from rumpolicy.findings import Location, join_pointer
from rumpolicy.load.terraform_blocks import block_location, expand_blocks
from rumpolicy.load.terraform_eval import JsonText, Site, Sink, concrete
from rumpolicy.load.terraform_nodes import Attribute, Block
from rumpolicy.load.terraform_resources import MISSING, attribute_token, model_environment, resource_attribute
from rumpolicy.model import Node, PolicyDocument, Unknown, parse_policy
from rumpolicy.model.inputs import InputFile, UndecidedCheck
from rumpolicy.model.policy import Problem

if TYPE_CHECKING:
    from rumpolicy.load.terraform_modules import ModuleInstance


class _SinkLocator:
    def __init__(self, sink: Sink, fallback: Location):
        self.sink, self.fallback = sink, fallback

    def at(self, pointer: str) -> Location:
        where = self.sink.locate(pointer)
        if where is None:
            return Location(self.fallback.source, pointer, self.fallback.span)
        return Location(where[0], pointer, where[1])


class HclView:
    def __init__(self, module: "ModuleInstance", block: Block, scope: dict, address: str, file: InputFile):
        self.module, self.block, self.scope, self.address, self.file = module, block, scope, address, file
        self.kind = block.labels[0]
        self.location = block_location(block, "resource")
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
            blocks = expand_blocks(self.module, body, step, scope, self.sink, join_pointer(pointer, step))
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
        blocks = expand_blocks(self.module, self.block.body, name, self.scope, self.sink,
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
