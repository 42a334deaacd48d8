"""Reading what init wrote back: CDK code as the CloudFormation it stands for."""

from __future__ import annotations

import ast
import re
from typing import Any


def pascal(snake: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in snake.split("_"))


def _cfn_value(node: ast.AST) -> Any:
    """A Python CDK expression as the CloudFormation value it synthesizes to."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.List):
        return [_cfn_value(e) for e in node.elts]
    if isinstance(node, ast.Dict):
        return {_cfn_value(k): _cfn_value(v) for k, v in zip(node.keys, node.values)}
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        if node.attr == "ref":
            return {"Ref": node.value.id}
        if node.attr.startswith("attr_"):
            return {"Fn::GetAtt": [node.value.id, pascal(node.attr[5:])]}
    if isinstance(node, ast.Call):
        func = ast.unparse(node.func)
        args = [_cfn_value(a) for a in node.args]
        if func == "cdk.Fn.sub":
            return {"Fn::Sub": args[0] if len(args) == 1 else args}
        if func.endswith("Property"):
            return {pascal(k.arg): _cfn_value(k.value) for k in node.keywords}
    raise AssertionError(f"unexpected CDK expression {ast.unparse(node)}")


def python_resources(code: str) -> tuple[dict, dict]:
    """The resources (logical id -> {Type, Properties}) and outputs of a generated CDK Python app,
    variables resolved to logical ids."""
    tree = ast.parse(code)
    variables: dict[str, str] = {}
    resources: dict[str, dict] = {}
    outputs: dict[str, Any] = {}
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = ast.unparse(node.func)
        match = re.fullmatch(r"(cognito|iam|rum)\.(Cfn\w+)", func)
        if match:
            logical_id = node.args[1].value
            resources[logical_id] = {"Type": match[2], "Properties": {pascal(k.arg): _cfn_value(k.value)
                                                                      for k in node.keywords}}
        elif func == "cdk.CfnOutput":
            outputs[node.args[1].value] = {pascal(k.arg): _cfn_value(k.value) for k in node.keywords}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call) and \
                isinstance(node.targets[0], ast.Name) and node.value.args[1:2]:
            arg = node.value.args[1]
            if isinstance(arg, ast.Constant):
                variables[node.targets[0].id] = arg.value
    return resolve(resources, variables), resolve(outputs, variables)


def resolve(value: Any, variables: dict[str, str]) -> Any:
    """Variables -> logical ids; `Fn::Sub` with a variables map of refs -> the `${LogicalId}` form."""
    if isinstance(value, dict):
        if set(value) == {"Ref"}:
            return {"Ref": variables.get(value["Ref"], value["Ref"])}
        if set(value) == {"Fn::GetAtt"}:
            var, attr = value["Fn::GetAtt"]
            return {"Fn::GetAtt": [variables.get(var, var), attr]}
        if set(value) == {"Fn::Sub"} and isinstance(value["Fn::Sub"], list):
            text, names = value["Fn::Sub"]
            for name, ref in names.items():
                text = text.replace("${" + name + "}", "${" + variables[ref["Ref"]] + "}")
            return {"Fn::Sub": text}
        return {k: resolve(v, variables) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve(v, variables) for v in value]
    return value


def normalized_template(resources: dict) -> dict:
    """A decoded template's resources with `AWS::Service::Type` shortened to CDK's `CfnType`."""
    return {lid: {"Type": "Cfn" + r["Type"].rsplit("::", 1)[1], "Properties": r["Properties"]}
            for lid, r in resources.items()}


# ---- TypeScript: the construct calls are read with Python's tokenizer. Their arguments use only
# object and array literals, single-quoted strings, `x.ref`, `x.attrName` and `cdk.Fn.sub(...)`,
# which are Python tokens too; a bare key (`identityPoolName:`) becomes a marked string.

BARE = "\x00"


def _python_expression(ts: str) -> str:
    import io
    import tokenize

    tokens = list(tokenize.generate_tokens(io.StringIO(ts).readline))
    out = []
    for i, tok in enumerate(tokens):
        nxt = tokens[i + 1] if i + 1 < len(tokens) else None
        if tok.type == tokenize.NAME and nxt is not None and nxt.string == ":":
            out.append((tokenize.STRING, repr(BARE + tok.string)))
        elif tok.type == tokenize.NAME and tok.string in ("true", "false"):
            out.append((tokenize.NAME, tok.string.title()))
        else:
            out.append((tok.type, tok.string))
    return tokenize.untokenize(out)


def _ts_value(node: ast.AST) -> Any:
    if isinstance(node, ast.Dict):
        keys = [_ts_value(k) for k in node.keys]
        return {pascal(k[1:]) if k.startswith(BARE) else k: _ts_value(v) for k, v in zip(keys, node.values)}
    if isinstance(node, ast.List):
        return [_ts_value(e) for e in node.elts]
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.attr.startswith("attr"):
        return {"Fn::GetAtt": [node.value.id, node.attr[4:]]}
    if isinstance(node, ast.Call) and ast.unparse(node.func) == "cdk.Fn.sub":
        args = [_ts_value(a) for a in node.args]
        return {"Fn::Sub": args[0] if len(args) == 1 else args}
    if isinstance(node, ast.Constant) or isinstance(node, ast.Attribute):
        return _cfn_value(node)
    raise AssertionError(f"unexpected TypeScript expression {ast.unparse(node)}")


CONSTRUCT = re.compile(r"^ *(?:const (\w+) = )?new (cognito|iam|rum|cdk)\.(Cfn\w+)\(this, '(\w+)', ", re.M)


def typescript_resources(code: str) -> tuple[dict, dict]:
    """The resources and outputs of the generated CDK TypeScript stack, as ``python_resources``."""
    variables, resources, outputs = {}, {}, {}
    for match in CONSTRUCT.finditer(code):
        end = code.index(");\n", match.end())
        props = _ts_value(ast.parse(_python_expression(code[match.end():end]), mode="eval").body)
        var, module, cls, logical_id = match.groups()
        if var:
            variables[var] = logical_id
        if cls == "CfnOutput":
            outputs[logical_id] = props
        else:
            resources[logical_id] = {"Type": cls, "Properties": props}
    return resolve(resources, variables), resolve(outputs, variables)
