"""Where each value of a YAML or JSON text is, by JSON pointer: start, end, style, and the column its keys
start at. The loader's source map has start positions only; an edit by span needs ends too, so this reads
the text's own event stream (PyYAML's pure-Python parser: its marks count characters, as ``str`` indexes do).

JSON is read by the same parser (JSON is flow-style YAML). A value reached through an alias, or inside an
anchored value, is marked ``shared``: editing it would change every place that refers to it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rumpolicy.load.pyyaml import yaml

from rumpolicy.findings import escape_pointer_token


class Unfixable(Exception):
    """This edit cannot be made to this text; the message says why (one phrase)."""


@dataclass
class TextNode:
    kind: str                      # "scalar", "map", "seq", "alias"
    start: int                     # index of the first character (a tag or anchor included)
    end: int                       # index after the last character of the value's own content
    column: int                    # 0-based column of ``start``
    flow: bool = False             # a flow collection ({...}, [...]) or a JSON value
    close: int | None = None       # flow collection: index of its closing bracket
    style: str | None = None       # scalar: None plain, '"', "'", "|", ">"
    tag: str | None = None
    shared: bool = False           # an alias, or inside an anchored value
    keys: list[str] = field(default_factory=list)        # map: its keys in order
    key_columns: list[int] = field(default_factory=list)  # map: the column of each key
    key_lines: list[int] = field(default_factory=list)    # map: the 0-based line of each key
    merged: bool = False           # map: has a ``<<`` merge key
    line: int = 0


@dataclass
class _Open:
    node: TextNode
    pointer: str
    count: int = 0
    key: str | None = None
    expecting_key: bool = True


def text_nodes(text: str) -> dict[str, TextNode]:
    """Every value of the (single-document) text by JSON pointer; Unfixable when it does not parse."""
    nodes: dict[str, TextNode] = {}
    stack: list[_Open] = []
    anchored = 0
    try:
        events = list(yaml.parse(text, Loader=yaml.SafeLoader))
    except yaml.YAMLError as error:
        raise Unfixable(f"the text does not parse as YAML: {error}") from None

    def slot() -> str | None:
        """The pointer of the value starting now; None when it is a mapping key (then recorded)."""
        if not stack:
            return ""
        top = stack[-1]
        if top.node.kind == "map":
            if top.expecting_key:
                return None
            top.expecting_key = True
            return f"{top.pointer}/{escape_pointer_token(top.key)}"
        pointer = f"{top.pointer}/{top.count}"
        top.count += 1
        return pointer

    def grow(end: int) -> None:
        for item in stack:
            if end > item.node.end:
                item.node.end = end

    for event in events:
        if isinstance(event, (yaml.StreamStartEvent, yaml.StreamEndEvent, yaml.DocumentStartEvent,
                              yaml.DocumentEndEvent)):
            continue
        mark = event.start_mark
        if isinstance(event, (yaml.ScalarEvent, yaml.AliasEvent)):
            pointer = slot()
            if pointer is None:
                top = stack[-1]
                key = event.value if isinstance(event, yaml.ScalarEvent) else f"*{event.anchor}"
                top.key = key
                top.expecting_key = False
                if key == "<<":
                    top.node.merged = True
                top.node.keys.append(key)
                top.node.key_columns.append(mark.column)
                top.node.key_lines.append(mark.line)
                grow(event.end_mark.index)
                continue
            if isinstance(event, yaml.AliasEvent):
                node = TextNode("alias", mark.index, event.end_mark.index, mark.column, shared=True, line=mark.line)
            else:
                node = TextNode("scalar", mark.index, event.end_mark.index, mark.column, style=event.style,
                                tag=event.tag, shared=anchored > 0 or event.anchor is not None, line=mark.line,
                                flow=bool(stack and stack[-1].node.flow))
            nodes[pointer] = node
            grow(node.end)
        elif isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            pointer = slot()
            if pointer is None:
                raise Unfixable("a mapping key is a collection")
            if event.anchor is not None:
                anchored += 1
            node = TextNode("map" if isinstance(event, yaml.MappingStartEvent) else "seq", mark.index,
                            event.end_mark.index, mark.column, flow=bool(event.flow_style), tag=event.tag,
                            shared=anchored > 0, line=mark.line)
            nodes[pointer] = node
            stack.append(_Open(node, pointer))
            stack[-1].anchor = event.anchor  # type: ignore[attr-defined]
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            done = stack.pop()
            if getattr(done, "anchor", None) is not None:
                anchored -= 1
            if done.node.flow:
                done.node.close = mark.index
                done.node.end = event.end_mark.index
                grow(done.node.end)
    return nodes
