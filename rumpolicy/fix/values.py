"""A fix's value (the model's strings with symbolic tokens) as the input writes values: CloudFormation's
short form (``!Ref Pool``, ``!Sub arn:...${AWS::Region}...``) or long form (``{"Ref": "Pool"}``), in YAML
block or flow style or in JSON. What the input refers to, the fix refers to: a token is never written as a
literal, and a token that CloudFormation cannot write (an unresolved value) makes the fix ``Unfixable``.

A bare IAM policy refers to nothing: a fix writes into it only values known as literals
(``known_literal``), and a token there (a pool id or monitor ARN the input does not know) makes the fix
``Unfixable``.
"""

from __future__ import annotations

import json
import re

from rumpolicy.fix.nodes import Unfixable
from rumpolicy.model.symbols import ATTR, IMPORT, MARK, PARAM, PSEUDO, REF, Symbol, parts, render

_SHORT_TAG = re.compile(r"(?:^|[\s\[{,:-])!(?:Ref|GetAtt|Sub|Join|If|Select|Split|FindInMap|ImportValue|Base64|"
                        r"GetAZs|Equals|Not|And|Or|Condition|Cidr)\b", re.M)
_LONG_KEY = re.compile(r"""(?:^|[\s{,])["']?(?:Ref|Fn::[A-Za-z]+)["']?\s*:""", re.M)
_PLAIN = re.compile(r"^[A-Za-z0-9_/][A-Za-z0-9_.:/@+\-]*$")
_WORDS = {"true", "false", "yes", "no", "on", "off", "null", "y", "n", "~"}
_NUMBER = re.compile(r"^[-+]?(\d[\d_]*)?(\.\d*)?([eE][-+]?\d+)?$|^0x[0-9a-fA-F]+$|^0o?[0-7]+$")


def short_form(text: str) -> bool:
    """Does a YAML template write intrinsic functions in short form (``!Ref``)? Long form only when it uses
    long form and no short form."""
    return bool(_SHORT_TAG.search(text)) or not _LONG_KEY.search(text)


def long_form(value: object) -> object:
    """The tree with symbolic strings as CloudFormation intrinsic functions (long form)."""
    if isinstance(value, dict):
        return {str(k): long_form(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [long_form(v) for v in value]
    if not isinstance(value, str) or MARK not in value:
        return value
    pieces = parts(value)
    if len(pieces) == 1 and isinstance(pieces[0], Symbol):
        symbol = pieces[0]
        if symbol.kind in (REF, PARAM, PSEUDO):
            return {"Ref": symbol.detail}
        if symbol.kind == ATTR and "." in symbol.detail:
            return {"Fn::GetAtt": symbol.detail.split(".", 1)}
        if symbol.kind == IMPORT:
            return {"Fn::ImportValue": symbol.detail}
        raise Unfixable(f"the value {render(value)} is not known in the input")
    for piece in pieces:
        if isinstance(piece, Symbol) and piece.kind not in (REF, PARAM, PSEUDO, ATTR):
            raise Unfixable(f"the value {render(value)} is not known in the input")
    return {"Fn::Sub": render(value)}


def known_literal(value: object) -> object:
    """The tree itself when it holds no token (the values of a bare policy, which refers to nothing);
    Unfixable naming the first value that is not known as a literal."""
    if isinstance(value, dict):
        for item in value.values():
            known_literal(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            known_literal(item)
    elif isinstance(value, str) and MARK in value:
        raise Unfixable(f"the value {render(value)} is not known in the input")
    return value


def yaml_string(text: str, style: str | None = None) -> str:
    """A literal string as YAML: plain where it reads back as this string, else double-quoted (or the
    quoting ``style`` of the value it replaces)."""
    if style == "'" and "\n" not in text:
        return "'" + text.replace("'", "''") + "'"
    if style == '"':
        return json.dumps(text, ensure_ascii=False)
    if (_PLAIN.match(text) and not text.endswith(":") and ": " not in text and " #" not in text
            and text.lower() not in _WORDS and not _NUMBER.match(text)):
        return text
    return json.dumps(text, ensure_ascii=False)


def _yaml_leaf(value: object, short: bool, style: str | None = None) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, (int, float)):
        return json.dumps(value)
    if not isinstance(value, str):
        raise Unfixable(f"cannot write {value!r}")
    if MARK not in value:
        return yaml_string(value, style)
    written = long_form(value)          # Unfixable for a value CloudFormation cannot write
    if not short:
        return flow_yaml(written, short)
    (function, argument), = written.items()
    name = "Ref" if function == "Ref" else function.split("::", 1)[1]
    if function == "Fn::GetAtt":
        argument = ".".join(argument)
    return f"!{name} {yaml_string(argument)}"


def flow_yaml(value: object, short: bool, style: str | None = None) -> str:
    """The value on one line: ``!Ref Pool``, ``[a, b]``, ``{Ref: Pool}``."""
    if not short and isinstance(value, str) and MARK in value:
        value = long_form(value)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{yaml_string(str(k))}: {flow_yaml(v, short)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(flow_yaml(v, short) for v in value) + "]"
    return _yaml_leaf(value, short, style)


def block_yaml(value: dict, indent: int, step: int, short: bool) -> list[str]:
    """A mapping as block-style lines at ``indent`` columns (nested ones ``step`` further)."""
    pad = " " * indent
    lines: list[str] = []
    for key, item in value.items():
        head = f"{pad}{yaml_string(str(key))}:"
        if not short and isinstance(item, str) and MARK in item:
            item = long_form(item)
        if isinstance(item, dict) and item:
            lines.append(head)
            lines.extend(block_yaml(item, indent + step, step, short))
        elif isinstance(item, (list, tuple)) and item:
            lines.append(head)
            for element in item:
                if isinstance(element, dict) and element:
                    inner = block_yaml(element, indent + step + 2, step, short)
                    lines.append(f"{pad}{' ' * step}- {inner[0].lstrip()}")
                    lines.extend(inner[1:])
                else:
                    lines.append(f"{pad}{' ' * step}- {flow_yaml(element, short)}")
        else:
            lines.append(f"{head} {flow_yaml(item, short)}")
    return lines


def json_value(value: object, indent: int | None, pad: int) -> str:
    """The value as JSON (long form), its continuation lines at ``pad`` columns; one line without ``indent``."""
    tree = long_form(value)
    if indent is None:
        return json.dumps(tree, ensure_ascii=False, separators=(", ", ": "))
    text = json.dumps(tree, ensure_ascii=False, indent=indent)
    return text.replace("\n", "\n" + " " * pad)
