"""The setup as an AWS CDK app (aws-cdk-lib v2, L1 constructs) in Python or TypeScript.

The app mirrors the CloudFormation that ``--format cloudformation`` writes: the same logical ids
(top-level constructs keep their id as logical id), properties and outputs. Both languages are
rendered from one description (``constructs``), so they cannot drift apart. Not synthesized here:
the tests compare the code with the CloudFormation output instead.

The resource policy needs an aws-cdk-lib recent enough for `CfnAppMonitor`'s `resourcePolicy`
(the CloudFormation property is recent too).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from rumpolicy.init import cloudformation
from rumpolicy.init.setup import (ATTACHMENT_ID, MONITOR_ID, POLICY_ID, POOL_ID, ROLE_ID, SESSION_SAMPLE_RATE,
                                  TELEMETRIES, Setup, permissions_policy, resource_policy, trust_policy)

STACK_ID = "RumStack"


@dataclass(frozen=True)
class Ref:                      # `Ref` of a construct
    var: str


@dataclass(frozen=True)
class Attr:                     # `Fn::GetAtt` of a construct; attribute in CloudFormation spelling
    var: str
    name: str


@dataclass(frozen=True)
class Sub:                      # `Fn::Sub`, with a variables map of references
    template: str
    variables: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Props:                    # a struct of an L1 construct (`CfnAppMonitor.AppMonitorConfigurationProperty`)
    owner: str                  # the construct's class, `CfnAppMonitor`
    name: str                   # `AppMonitorConfiguration`
    values: dict


@dataclass(frozen=True)
class Construct:
    var: str                    # the variable that holds it in the code
    module: str                 # aws_cognito, aws_iam, aws_rum
    cls: str                    # CfnIdentityPool
    logical_id: str
    props: dict                 # CloudFormation property names -> values


def constructs(setup: Setup) -> tuple[list[Construct], list[tuple[str, str, Any]]]:
    """The constructs, in dependency order, and the outputs (name, description, value)."""
    items: list[Construct] = []
    if setup.cognito:
        items.append(Construct("pool", "aws_cognito", "CfnIdentityPool", POOL_ID, {
            "IdentityPoolName": setup.pool_name,
            "AllowUnauthenticatedIdentities": True,
            "AllowClassicFlow": setup.basic,
        }))
        items.append(Construct("role", "aws_iam", "CfnRole", ROLE_ID, {
            "Description": "Assumed by anonymous browsers to send CloudWatch RUM events.",
            "AssumeRolePolicyDocument": trust_policy(Ref("pool")),
        }))
        items.append(Construct("attachment", "aws_cognito", "CfnIdentityPoolRoleAttachment", ATTACHMENT_ID, {
            "IdentityPoolId": Ref("pool"),
            "Roles": {"unauthenticated": Attr("role", "Arn")},
        }))
    configuration: dict[str, Any] = {}
    if setup.cognito:
        configuration["IdentityPoolId"] = Ref("pool")
    if setup.basic:
        configuration["GuestRoleArn"] = Attr("role", "Arn")
    configuration["SessionSampleRate"] = SESSION_SAMPLE_RATE
    configuration["Telemetries"] = list(TELEMETRIES)
    monitor: dict[str, Any] = {"Name": setup.monitor}
    if len(setup.domains) == 1:
        monitor["Domain"] = setup.domains[0]
    else:
        monitor["DomainList"] = list(setup.domains)
    monitor["AppMonitorConfiguration"] = Props("CfnAppMonitor", "AppMonitorConfiguration", configuration)
    if setup.flow == "resource-policy":
        document = json.dumps(resource_policy(cloudformation.MONITOR_ARN_SUB + setup.monitor, setup.alias))
        monitor["ResourcePolicy"] = Props("CfnAppMonitor", "ResourcePolicy", {"PolicyDocument": Sub(document)})
    items.append(Construct("monitor", "aws_rum", "CfnAppMonitor", MONITOR_ID, monitor))
    if setup.cognito:
        arn = Sub(cloudformation.MONITOR_ARN_SUB + "${Monitor}", {"Monitor": Ref("monitor")})
        items.append(Construct("policy", "aws_iam", "CfnRolePolicy", POLICY_ID, {
            "RoleName": Ref("role"),
            "PolicyName": "send-rum-events",
            "PolicyDocument": permissions_policy(arn),
        }))
    described = cloudformation.outputs(setup)
    values = {"AppMonitorId": Attr("monitor", "Id"), "IdentityPoolId": Ref("pool"), "GuestRoleArn": Attr("role", "Arn")}
    return items, [(name, described[name], values[name]) for name in described]


def referenced(items: list[Construct], outputs: list) -> set[str]:
    """The variables some other construct or output refers to (the others need no variable)."""
    found: set[str] = set()

    def walk(value: Any) -> None:
        if isinstance(value, (Ref, Attr)):
            found.add(value.var)
        elif isinstance(value, Sub):
            walk(value.variables)
        elif isinstance(value, Props):
            walk(value.values)
        elif isinstance(value, dict):
            for v in value.values():
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)

    for c in items:
        walk(c.props)
    for _, _, value in outputs:
        walk(value)
    return found


def snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def camel(name: str) -> str:
    return name[0].lower() + name[1:]


# ---- Python


def _py(value: Any, indent: int) -> str:
    pad, inner = "    " * indent, "    " * (indent + 1)
    if isinstance(value, Ref):
        return f"{value.var}.ref"
    if isinstance(value, Attr):
        return f"{value.var}.attr_{snake(value.name)}"
    if isinstance(value, Sub):
        if not value.variables:
            return f"cdk.Fn.sub({_py(value.template, indent)})"
        return f"cdk.Fn.sub({_py(value.template, indent)}, {_py(value.variables, indent)})"
    if isinstance(value, Props):
        body = "".join(f"{inner}{snake(k)}={_py(v, indent + 1)},\n" for k, v in value.values.items())
        return f"rum.{value.owner}.{value.name}Property(\n{body}{pad})"
    if isinstance(value, dict):
        body = "".join(f"{inner}{json.dumps(k)}: {_py(v, indent + 1)},\n" for k, v in value.items())
        return "{\n" + body + pad + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_py(v, indent) for v in value) + "]"
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, str):
        return repr(value) if '"' in value else json.dumps(value)
    return json.dumps(value)


ALIASES = {"aws_cognito": "cognito", "aws_iam": "iam", "aws_rum": "rum"}


def python_app(setup: Setup) -> str:
    items, outputs = constructs(setup)
    lines = [
        "#!/usr/bin/env python3",
        f'"""CloudWatch RUM app monitor {setup.monitor}, {setup.flow} flow (rumpolicy init).',
        "",
        "aws-cdk-lib v2 L1 constructs; it synthesizes what `rumpolicy init --format cloudformation` writes.",
        '"""',
        "",
        "import aws_cdk as cdk",
        *sorted({f"from aws_cdk import {c.module} as {ALIASES[c.module]}" for c in items}),
        "from constructs import Construct",
        "",
        "",
        f"class {STACK_ID}(cdk.Stack):",
        "    def __init__(self, scope: Construct, construct_id: str, **kwargs) -> None:",
        "        super().__init__(scope, construct_id, **kwargs)",
    ]
    used = referenced(items, outputs)
    for c in items:
        lines.append(f"        {c.var + ' = ' if c.var in used else ''}{ALIASES[c.module]}.{c.cls}(")
        lines.append(f"            self, {json.dumps(c.logical_id)},")
        lines += [f"            {snake(k)}={_py(v, 3)}," for k, v in c.props.items()]
        lines.append("        )")
    for name, description, value in outputs:
        lines.append(f"        cdk.CfnOutput(self, {json.dumps(name)}, value={_py(value, 2)}, "
                     f"description={_py(description, 2)})")
    lines += ["", "", "app = cdk.App()", f"{STACK_ID}(app, {json.dumps(STACK_ID)})", "app.synth()"]
    return "\n".join(lines) + "\n"


# ---- TypeScript


def _ts_string(value: str) -> str:
    return "'" + json.dumps(value)[1:-1].replace('\\"', '"').replace("'", "\\'") + "'"


def _ts(value: Any, indent: int) -> str:
    pad, inner = "  " * indent, "  " * (indent + 1)
    if isinstance(value, Ref):
        return f"{value.var}.ref"
    if isinstance(value, Attr):
        return f"{value.var}.attr{value.name}"
    if isinstance(value, Sub):
        if not value.variables:
            return f"cdk.Fn.sub({_ts(value.template, indent)})"
        return f"cdk.Fn.sub({_ts(value.template, indent)}, {_ts(value.variables, indent)})"
    if isinstance(value, Props):            # a struct is a plain object in TypeScript
        body = "".join(f"{inner}{camel(k)}: {_ts(v, indent + 1)},\n" for k, v in value.values.items())
        return "{\n" + body + pad + "}"
    if isinstance(value, dict):
        body = "".join(f"{inner}{_ts_string(k)}: {_ts(v, indent + 1)},\n" for k, v in value.items())
        return "{\n" + body + pad + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_ts(v, indent) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return _ts_string(value)
    return json.dumps(value)


def typescript_stack(setup: Setup) -> str:
    items, outputs = constructs(setup)
    modules = sorted({c.module for c in items})
    lines = [
        f"// CloudWatch RUM app monitor {setup.monitor}, {setup.flow} flow (rumpolicy init).",
        "// aws-cdk-lib v2 L1 constructs; it synthesizes what `rumpolicy init --format cloudformation` writes.",
        "import * as cdk from 'aws-cdk-lib';",
        *[f"import * as {ALIASES[m]} from 'aws-cdk-lib/{m.replace('_', '-')}';" for m in modules],
        "import { Construct } from 'constructs';",
        "",
        f"export class {STACK_ID} extends cdk.Stack {{",
        "  constructor(scope: Construct, id: string, props?: cdk.StackProps) {",
        "    super(scope, id, props);",
    ]
    used = referenced(items, outputs)
    for c in items:
        binding = f"const {c.var} = " if c.var in used else ""
        lines.append(f"    {binding}new {ALIASES[c.module]}.{c.cls}(this, {_ts_string(c.logical_id)}, {{")
        lines += [f"      {camel(k)}: {_ts(v, 3)}," for k, v in c.props.items()]
        lines.append("    });")
    for name, description, value in outputs:
        lines.append(f"    new cdk.CfnOutput(this, {_ts_string(name)}, {{ value: {_ts(value, 2)}, "
                     f"description: {_ts_string(description)} }});")
    lines += ["  }", "}"]
    return "\n".join(lines) + "\n"


def typescript_bin() -> str:
    return "\n".join([
        "#!/usr/bin/env node",
        "import * as cdk from 'aws-cdk-lib';",
        f"import {{ {STACK_ID} }} from '../lib/rum-stack';",
        "",
        "const app = new cdk.App();",
        f"new {STACK_ID}(app, '{STACK_ID}');",
    ]) + "\n"
