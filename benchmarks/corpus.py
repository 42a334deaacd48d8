"""Deterministic generator of realistic CloudFormation stacks that set up CloudWatch RUM.

    python benchmarks/corpus.py OUT_DIR --count N [--seed S] [--manifest FILE]

Stack ``i`` depends only on ``(seed, i)``, so the first N stacks of a larger corpus are exactly
the corpus of size N. About 70% of the stacks are YAML (short, long or mixed intrinsic forms) and
30% JSON (long forms only). Each stack has the RUM authorization chain -- identity pool, role
attachment, guest role with trust policy and inline or managed permissions, app monitor, sometimes
a resource policy given as a JSON string through ``Fn::Sub`` -- plus unrelated resources (S3
buckets, Lambda functions with roles and log groups, SNS topics, SQS queues, DynamoDB tables, KMS
keys, SSM parameters, alarms, schedules): 20 to about 60 resources (median 34), YAML stacks of
about 300 to 1,350 lines (median about 630; 10th-90th percentile 430-920).

About 45% of the stacks are broken the way real stacks break (trust without ``aud``, ``rum:*`` on
``*``, a wrong monitor name in the ARN, classic flow off with ``GuestRoleArn``, ...); the others are
meant to be clean for both rumpolicy and cfn-lint. ``--manifest`` writes what each stack is meant
to be (flow, defects) as JSON, outside the corpus folder so that no checker reads it.

Standard library only.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import sys
from typing import Any

# --------------------------------------------------------------------------------------------
# Template data: plain dicts/lists/scalars plus intrinsic functions and literal blocks.


class Fn:
    """An intrinsic function; ``name`` is the long-form key (``Ref``, ``Fn::Sub``, ...)."""

    __slots__ = ("name", "arg")

    def __init__(self, name: str, arg: Any):
        self.name, self.arg = name, arg


class Block(str):
    """A multi-line string, written as a YAML literal block (``|``)."""


class Flow(list):
    """A list written in YAML flow style (``[a, b]``) when it fits on the line."""


def ref(name: str) -> Fn:
    return Fn("Ref", name)


def getatt(resource: str, attribute: str) -> Fn:
    return Fn("Fn::GetAtt", Flow([resource, attribute]))


def sub(text: str, variables: dict | None = None) -> Fn:
    return Fn("Fn::Sub", [text, variables] if variables else text)


def join(delimiter: str, items: list) -> Fn:
    return Fn("Fn::Join", [delimiter, items])


def if_(condition: str, yes: Any, no: Any) -> Fn:
    return Fn("Fn::If", Flow([condition, yes, no]))


def equals(a: Any, b: Any) -> Fn:
    return Fn("Fn::Equals", Flow([a, b]))


def find_in_map(mapping: str, key: Any, attribute: str) -> Fn:
    return Fn("Fn::FindInMap", Flow([mapping, key, attribute]))


SHORT_TAGS = {
    "Ref": "!Ref", "Fn::GetAtt": "!GetAtt", "Fn::Sub": "!Sub", "Fn::Join": "!Join",
    "Fn::Select": "!Select", "Fn::Split": "!Split", "Fn::If": "!If", "Fn::Equals": "!Equals",
    "Fn::Not": "!Not", "Fn::And": "!And", "Fn::Or": "!Or", "Fn::FindInMap": "!FindInMap",
    "Fn::ImportValue": "!ImportValue", "Fn::GetAZs": "!GetAZs", "Fn::Base64": "!Base64",
    "Condition": "!Condition",
}

# --------------------------------------------------------------------------------------------
# Writers


def to_long(node: Any) -> Any:
    """The tree with every intrinsic in long form (what JSON templates contain)."""
    if isinstance(node, Fn):
        return {node.name: to_long(node.arg)}
    if isinstance(node, dict):
        return {k: to_long(v) for k, v in node.items()}
    if isinstance(node, list):
        return [to_long(v) for v in node]
    if isinstance(node, Block):
        return str(node)
    return node


def choose_forms(node: Any, rng: random.Random, style: str, parent_short: bool = False) -> Any:
    """Decide short (``!Ref``) or long (``Ref:``) form for every intrinsic, in a fixed order.

    Short-form intrinsics stay ``Fn``; long-form ones become one-key dicts. A short-form tag cannot
    carry another tag directly (``!ImportValue !Sub x`` is not YAML), so that inner one goes long.
    """
    if isinstance(node, Fn):
        short = (style == "short" or (style == "mixed" and rng.random() < 0.6)) and not parent_short
        arg = choose_forms(node.arg, rng, style, parent_short=short and isinstance(node.arg, Fn))
        if short:
            return Fn(node.name, arg)
        if node.name == "Fn::GetAtt" and style != "short" and rng.random() < 0.3:
            return {node.name: ".".join(arg)}  # Fn::GetAtt: Res.Attr is also valid
        return {node.name: arg}
    if isinstance(node, dict):
        return {k: choose_forms(v, rng, style) for k, v in node.items()}
    if isinstance(node, Flow):
        return Flow(choose_forms(v, rng, style) for v in node)
    if isinstance(node, list):
        return [choose_forms(v, rng, style) for v in node]
    return node


_RESERVED = {"true", "false", "yes", "no", "on", "off", "null", "~", "y", "n"}
_PLAIN_START = re.compile(r"[A-Za-z_/$(]")


def scalar(value: Any, flow: bool = False) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return "null"
    if isinstance(value, (int, float)):
        return repr(value)
    s = str(value)
    if (not s or not _PLAIN_START.match(s) or s.lower() in _RESERVED or s[-1] in " :"
            or ": " in s or " #" in s or "\n" in s or "\t" in s
            or (flow and any(c in s for c in ",[]{}"))):
        if "'" not in s and "\\" not in s and "\n" not in s and len(s) % 3:
            return "'" + s + "'"  # both quoting styles occur in real templates
        return json.dumps(s)
    return s


class YamlWriter:
    """A small block-style YAML emitter for CloudFormation trees (dict, list, scalar, Fn, Block)."""

    def __init__(self, width: int = 100):
        self.width = width

    def inline(self, v: Any, flow: bool = False) -> str | None:
        if isinstance(v, Block):
            return None if "\n" in v.rstrip("\n") else scalar(v.rstrip("\n"), flow)
        if isinstance(v, (str, int, float, bool)) or v is None:
            return scalar(v, flow)
        if isinstance(v, Fn):
            tag = SHORT_TAGS[v.name]
            if v.name == "Fn::GetAtt":
                return f"{tag} {v.arg[0]}.{v.arg[1]}"
            if isinstance(v.arg, (str, int)) and not isinstance(v.arg, Block):
                return f"{tag} {scalar(v.arg, flow)}"
            if isinstance(v.arg, Flow):
                body = self.inline(v.arg, True)
                return f"{tag} {body}" if body is not None else None
            return None
        if isinstance(v, dict):
            return "{}" if not v else None
        if isinstance(v, list):
            if not v:
                return "[]"
            if isinstance(v, Flow) or flow:
                parts = [self.inline(x, True) for x in v]
                if all(p is not None for p in parts):
                    text = "[" + ", ".join(parts) + "]"
                    if len(text) <= 70:
                        return text
            return None
        raise TypeError(type(v))

    def node(self, v: Any, indent: int) -> tuple[str, list[str]]:
        """(text after ``key:`` or ``-``, following lines) for one value."""
        text = self.inline(v)
        if text is not None:
            return " " + text, []
        if isinstance(v, Block):
            head = " |" if v.endswith("\n") else " |-"
            pad = " " * indent
            return head, [pad + line if line else "" for line in v.rstrip("\n").split("\n")]
        if isinstance(v, Fn):
            arg = list(v.arg) if isinstance(v.arg, Flow) else v.arg
            suffix, lines = self.node(arg, indent)
            return " " + SHORT_TAGS[v.name] + suffix, lines
        if isinstance(v, dict):
            return "", self.mapping(v, indent)
        return "", self.sequence(v, indent)

    def mapping(self, d: dict, indent: int, comments: dict | None = None) -> list[str]:
        out: list[str] = []
        pad = " " * indent
        for key, value in d.items():
            if comments and key in comments:
                out.extend(pad + "# " + c if c else "" for c in comments[key])
            suffix, lines = self.node(value, indent + 2)
            out.append(f"{pad}{scalar(key)}:{suffix}")
            out.extend(lines)
        return out

    def sequence(self, items: list, indent: int) -> list[str]:
        out: list[str] = []
        pad = " " * indent
        for item in items:
            if isinstance(item, dict) and item:
                lines = self.mapping(item, indent + 2)
                lines[0] = pad + "- " + lines[0][indent + 2:]
                out.extend(lines)
            elif isinstance(item, list) and item and self.inline(item) is None:
                lines = self.sequence(item, indent + 2)
                lines[0] = pad + "- " + lines[0][indent + 2:]
                out.extend(lines)
            else:
                suffix, lines = self.node(item, indent + 2)
                out.append(pad + "-" + suffix)
                out.extend(lines)
        return out


def write_yaml(template: dict, rng: random.Random, style: str, header: list[str],
               comments: dict[str, list[str]]) -> str:
    tree = choose_forms(template, rng, style)
    writer = YamlWriter()
    lines = ["# " + h for h in header]
    for section, body in tree.items():
        if section in ("Resources", "Parameters", "Outputs", "Conditions", "Mappings", "Metadata"):
            lines.append("")
            lines.append(f"{section}:")
            lines.extend(writer.mapping(body, 2, comments if section == "Resources" else None))
        else:
            suffix, more = writer.node(body, 2)
            lines.append(f"{section}:{suffix}")
            lines.extend(more)
    return "\n".join(lines) + "\n"


def write_json(template: dict, indent: int) -> str:
    return json.dumps(to_long(template), indent=indent) + "\n"


# --------------------------------------------------------------------------------------------
# Stack builder

PRODUCTS = ["shop", "docs", "portal", "checkout", "blog", "status", "help", "app", "account",
            "search", "careers", "news", "booking", "billing", "catalog", "dashboard", "forum",
            "learn", "partners", "support", "travel", "wallet", "events", "media"]
COMPANIES = ["example", "acme", "contoso", "globex", "initech", "umbrella", "hooli", "wayne",
             "stark", "tyrell", "cyberdyne", "soylent", "vandelay", "oscorp", "aperture"]
PURPOSES = ["Assets", "Uploads", "Reports", "Exports", "Images", "Archive", "Logs", "Backups",
            "Static", "Artifacts", "Media", "Invoices"]
WORKERS = ["Ingest", "Resize", "Notify", "Cleanup", "Export", "Sync", "Audit", "Digest",
           "Webhook", "Indexer", "Billing", "Mailer", "Scheduler", "Thumbnail"]
ENTITIES = ["Orders", "Sessions", "Customers", "Events", "Jobs", "Settings", "Carts", "Invites",
            "Tokens", "Feedback"]
RUNTIMES_PY = ["python3.12", "python3.13"]
RUNTIMES_NODE = ["nodejs22.x", "nodejs24.x"]
RETENTION = [7, 14, 30, 60, 90, 180, 365]

PY_CODE = '''import json
import logging
import os

LOG = logging.getLogger()
LOG.setLevel(os.environ.get("LOG_LEVEL", "INFO"))


def handler(event, context):
    """{doc} ({service})"""
    records = event.get("Records", [event])
    LOG.info("received %d record(s)", len(records))
    sizes = [len(r.get("body") or json.dumps(r)) for r in records]
    return {{"statusCode": 200, "processed": len(sizes), "bytes": sum(sizes)}}
'''

NODE_CODE = '''const {{ {client} }} = require("@aws-sdk/client-{service}");

const client = new {client}({{}});

exports.handler = async (event) => {{
  // {doc}
  const records = event.Records ?? [event];
  console.log(`received ${{records.length}} record(s)`);
  let processed = 0;
  for (const record of records) {{
    if (!record) continue;
    processed += 1;
  }}
  return {{ statusCode: 200, processed }};
}};
'''

SERVICE_NODE = {"dynamodb": "DynamoDBClient", "sqs": "SQSClient", "sns": "SNSClient", "s3": "S3Client"}

FLOWS = [("enhanced", 50), ("basic", 18), ("enhanced+rbp", 20), ("unsigned", 12)]
DEFECTS_COGNITO = ["trust_no_aud", "trust_aud_wildcard", "trust_no_amr", "rum_star",
                   "wrong_monitor", "unauth_off", "attach_authenticated_only", "extra_public_perms"]
DEFECTS_BASIC = ["classic_off_guest_role"]
DEFECTS_RBP = ["rbp_rum_star", "rbp_wrong_monitor"]


def camel_to_kebab(name: str) -> str:
    """``UploadKey2`` -> ``upload-key-2``: unique whenever the logical ids are."""
    return re.sub(r"(?<=[a-z])(?=[A-Z0-9])", "-", name).lower()


def camel(text: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[-_ .]", text) if part)


class Stack:
    def __init__(self, seed: int, index: int):
        self.rng = random.Random(f"{seed}:{index}")
        rng = self.rng
        self.index = index
        self.product = rng.choice(PRODUCTS)
        self.company = rng.choice(COMPANIES)
        self.slug = f"{self.product}-{index:05d}"
        self.domain = f"{self.product}.{self.company}{index:05d}.com"
        self.prefix = rng.choice(["Rum", camel(self.product), "Web", ""])
        self.fmt = "json" if rng.random() < 0.30 else "yaml"
        self.style = "long" if self.fmt == "json" else rng.choices(["short", "long", "mixed"], [60, 15, 25])[0]
        self.flow = rng.choices([f for f, _ in FLOWS], [w for _, w in FLOWS])[0]
        self.defects: list[str] = []
        if rng.random() < 0.45:
            pool = []
            if self.flow != "unsigned":
                pool += DEFECTS_COGNITO
            if self.flow == "basic":
                pool += DEFECTS_BASIC * 4
            if "rbp" in self.flow or self.flow == "unsigned":
                pool += DEFECTS_RBP * (4 if self.flow == "unsigned" else 1)
            self.defects = rng.sample(pool, 2 if rng.random() < 0.3 and len(set(pool)) > 1 else 1)
            self.defects = sorted(set(self.defects))
        self.target = int(rng.triangular(20, 58, 20))
        self.tagged = rng.random() < 0.5  # some teams tag everything, others nothing
        self.parameters: dict = {}
        self.mappings: dict = {}
        self.conditions: dict = {}
        self.resources: dict = {}
        self.outputs: dict = {}
        self.comments: dict[str, list[str]] = {}
        self.tables: list[str] = []
        self.queues: list[str] = []
        self.topics: list[str] = []
        self.buckets: list[str] = []
        self.keys: list[str] = []

    # -- helpers --------------------------------------------------------------------------------
    def lid(self, base: str) -> str:
        name, n = base, 2
        while name in self.resources:
            name, n = f"{base}{n}", n + 1
        return name

    def add(self, logical_id: str, resource: dict, comment: str | None = None) -> str:
        self.resources[logical_id] = resource
        if comment and self.fmt == "yaml":
            self.comments[logical_id] = ([""] if self.resources and len(self.resources) > 1 else []) + [comment]
        return logical_id

    def tags(self, extra: dict | None = None) -> list:
        tags = [{"Key": "app", "Value": self.slug}, {"Key": "env", "Value": ref("Env")}]
        if self.rng.random() < 0.5:
            tags.append({"Key": "owner", "Value": f"team-{self.product}"})
        for k, v in (extra or {}).items():
            tags.append({"Key": k, "Value": v})
        return tags

    def arn(self, service: str, resource: str, region: bool = True, account: bool = True) -> Fn:
        r = "${AWS::Region}" if region else ""
        a = "${AWS::AccountId}" if account else ""
        return sub(f"arn:${{AWS::Partition}}:{service}:{r}:{a}:{resource}")

    # -- build ----------------------------------------------------------------------------------
    def build(self) -> dict:
        rng = self.rng
        self.parameters["Env"] = {
            "Type": "String", "Default": rng.choice(["prod", "staging"]),
            "AllowedValues": Flow(["dev", "staging", "prod"]),
            "Description": "Deployment environment",
        }
        self.parameters["AlertEmail"] = {
            "Type": "String", "Default": f"oncall+{self.product}@{self.company}.com",
            "Description": "Who receives alarm notifications",
        }
        self.mappings["EnvSettings"] = {
            "dev": {"LogRetention": 7, "SampleRate": 0.1},
            "staging": {"LogRetention": 14, "SampleRate": 0.5},
            "prod": {"LogRetention": rng.choice([30, 90, 365]), "SampleRate": 1},
        }
        self.conditions["IsProd"] = equals(ref("Env"), "prod")
        self.rum_core()
        alert_topic = self.topic(alerts=True)
        while len(self.resources) < self.target:
            kind = rng.choices(["bucket", "function", "topic", "queue", "table", "param", "key", "logs"],
                               [18, 30, 8, 12, 12, 8, 5, 7])[0]
            getattr(self, kind)()
        self.alarm(alert_topic)
        template: dict = {"AWSTemplateFormatVersion": "2010-09-09"}
        template["Description"] = (f"{self.domain}: web frontend telemetry (CloudWatch RUM) and backend "
                                   f"services for the {self.product} team")
        if rng.random() < 0.3:
            template["Metadata"] = {"cfn-lint": {"config": {"ignore_checks": Flow(["W3005"])}},
                                    "Team": f"{self.product}-platform"}
        template["Parameters"] = self.parameters
        used = json.dumps(to_long([self.resources, self.outputs]))
        if '"EnvSettings"' in used:
            template["Mappings"] = self.mappings
        if '"IsProd"' in used:
            template["Conditions"] = self.conditions
        template["Resources"] = self.resources
        template["Outputs"] = self.outputs
        return template

    # -- the RUM authorization chain ------------------------------------------------------------
    def rum_core(self) -> None:
        rng, p, d = self.rng, self.prefix, set(self.defects)
        cognito = self.flow != "unsigned"
        basic = self.flow == "basic"
        rbp = "rbp" in self.flow or self.flow == "unsigned"

        # The monitor's name: literal, a parameter, or a parameter plus the environment.
        naming = rng.choice(["literal", "param", "param-env"])
        if naming != "literal":
            self.parameters["AppName"] = {"Type": "String", "Default": self.slug,
                                          "Description": "Name of the CloudWatch RUM app monitor",
                                          "AllowedPattern": "[a-z0-9-]+"}
        name_value = {"literal": self.slug, "param": ref("AppName"),
                      "param-env": sub("${AppName}-${Env}")}[naming]
        name_in_sub = {"literal": self.slug, "param": "${AppName}", "param-env": "${AppName}-${Env}"}[naming]
        wrong_in_sub = rng.choice([name_in_sub + "-legacy", f"{rng.choice(PRODUCTS)}-{(self.index + 7) % 99991:05d}",
                                   "web"])

        pool = f"{p}IdentityPool"
        role = f"{p}GuestRole" if rng.random() < 0.7 else f"{p}RumUnauthRole"
        monitor = f"{p}AppMonitor" if p != "Rum" else "RumAppMonitor"
        policy_placement = rng.choices(["inline", "policy", "managed-arns", "managed-roles"], [50, 20, 20, 10])[0]

        if cognito:
            props: dict = {"IdentityPoolName": self.slug.replace("-", "_") if rng.random() < 0.5 else self.slug,
                           "AllowUnauthenticatedIdentities": "unauth_off" not in d}
            classic = basic and "classic_off_guest_role" not in d
            if classic:
                props["AllowClassicFlow"] = True
            elif rng.random() < 0.6 or "classic_off_guest_role" in d:
                props["AllowClassicFlow"] = False
            self.add(pool, {"Type": "AWS::Cognito::IdentityPool", "Properties": props},
                     "Unauthenticated identities for the RUM web client")

            # Trust policy of the guest role.
            condition: dict = {}
            if "trust_aud_wildcard" in d:
                condition["StringLike"] = {"cognito-identity.amazonaws.com:aud": "*"}
            elif "trust_no_aud" not in d:
                condition["StringEquals"] = {"cognito-identity.amazonaws.com:aud": ref(pool)}
            if "trust_no_amr" not in d:
                condition["ForAnyValue:StringLike"] = {"cognito-identity.amazonaws.com:amr": "unauthenticated"}
            trust_statement = {"Effect": "Allow",
                               "Principal": {"Federated": "cognito-identity.amazonaws.com"},
                               "Action": rng.choice(["sts:AssumeRoleWithWebIdentity",
                                                     Flow(["sts:AssumeRoleWithWebIdentity"])])}
            if condition:
                trust_statement["Condition"] = condition
            trust = {"Version": "2012-10-17", "Statement": [trust_statement]}

            # What the guest role may do.
            if "wrong_monitor" in d:
                target = wrong_in_sub
            elif policy_placement in ("policy", "managed-roles") or not basic and rng.random() < 0.5:
                target = "${" + monitor + "}"  # Ref of an app monitor is its name
            else:
                target = name_in_sub
            arn_text = f"arn:${{AWS::Partition}}:rum:${{AWS::Region}}:${{AWS::AccountId}}:appmonitor/{target}"
            if target == "${" + monitor + "}" and rng.random() < 0.25:
                resource = join("", ["arn:", ref("AWS::Partition"), ":rum:", ref("AWS::Region"), ":",
                                     ref("AWS::AccountId"), ":appmonitor/", ref(monitor)])
            else:
                resource = sub(arn_text)
            statements = []
            if "rum_star" in d:
                statements.append({"Effect": "Allow", "Action": "rum:*", "Resource": "*"})
            else:
                st = {"Effect": "Allow",
                      "Action": rng.choice(["rum:PutRumEvents", ["rum:PutRumEvents"]]),
                      "Resource": resource}
                if rng.random() < 0.3:
                    st = {"Sid": "SendRumEvents", **st}
                statements.append(st)
            if "extra_public_perms" in d:
                statements.append({"Effect": "Allow",
                                   "Action": rng.choice([["s3:GetObject", "s3:PutObject"], "dynamodb:*",
                                                         ["logs:CreateLogGroup", "logs:PutLogEvents"]]),
                                   "Resource": "*"})
            perm_doc = {"Version": "2012-10-17", "Statement": statements}

            role_props: dict = {}
            if rng.random() < 0.5:
                role_props["Description"] = f"Assumed by anonymous browsers on {self.domain} to send RUM telemetry"
            role_props["AssumeRolePolicyDocument"] = trust
            managed = f"{p}RumPutEventsPolicy"
            if policy_placement == "inline":
                role_props["Policies"] = [{"PolicyName": rng.choice(["rum-put-events", "send-rum-events",
                                                                     f"{self.slug}-rum"]),
                                           "PolicyDocument": perm_doc}]
            elif policy_placement == "managed-arns":
                role_props["ManagedPolicyArns"] = [ref(managed)]
            if rng.random() < 0.4:
                role_props["Tags"] = self.tags({"purpose": "rum-guest"})
            self.add(role, {"Type": "AWS::IAM::Role", "Properties": role_props},
                     "Guest role: whatever it allows, anyone who loads the page can do")
            if policy_placement == "policy":
                self.add(self.lid(f"{p}GuestRolePolicy"), {"Type": "AWS::IAM::Policy", "Properties": {
                    "PolicyName": "rum-put-events", "Roles": [ref(role)], "PolicyDocument": perm_doc}})
            elif policy_placement.startswith("managed"):
                mp: dict = {"Description": f"Send CloudWatch RUM events for {self.domain}",
                            "PolicyDocument": perm_doc}
                if policy_placement == "managed-roles":
                    mp["Roles"] = [ref(role)]
                self.add(managed, {"Type": "AWS::IAM::ManagedPolicy", "Properties": mp})

            roles = ({"authenticated": getatt(role, "Arn")} if "attach_authenticated_only" in d
                     else {"unauthenticated": getatt(role, "Arn")})
            self.add(self.lid(f"{p}IdentityPoolRoles" if rng.random() < 0.6 else f"{p}IdentityPoolRoleAttachment"),
                     {"Type": "AWS::Cognito::IdentityPoolRoleAttachment",
                      "Properties": {"IdentityPoolId": ref(pool), "Roles": roles}})

        # The app monitor.
        config: dict = {}
        if cognito:
            config["IdentityPoolId"] = ref(pool)
            if basic:
                config["GuestRoleArn"] = getatt(role, "Arn")
        config["SessionSampleRate"] = rng.choice([1, 0.5, find_in_map("EnvSettings", ref("Env"), "SampleRate"),
                                                  if_("IsProd", 1, 0.1)])
        config["Telemetries"] = Flow(rng.choice([["errors", "performance", "http"], ["errors", "performance"],
                                                 ["performance", "errors", "http"]]))
        if rng.random() < 0.5:
            config["AllowCookies"] = rng.random() < 0.7
        if rng.random() < 0.4:
            config["EnableXRay"] = rng.random() < 0.5
        if rng.random() < 0.3:
            config["ExcludedPages"] = [f"https://{self.domain}/admin", f"https://{self.domain}/health"]
        props = {"Name": name_value}
        if rng.random() < 0.7:
            props["Domain"] = self.domain
        else:
            props["DomainList"] = [self.domain, f"www.{self.company}{self.index:05d}.com"]
        props["AppMonitorConfiguration"] = config
        if rng.random() < 0.5:
            props["CwLogEnabled"] = rng.choice([True, False, if_("IsProd", True, False)])
        if rng.random() < 0.3:
            props["CustomEvents"] = {"Status": "ENABLED"}
        if rbp:
            props["ResourcePolicy"] = {"PolicyDocument": self.resource_policy(
                name_in_sub, wrong_in_sub if "rbp_wrong_monitor" in d else None, "rbp_rum_star" in d)}
        if rng.random() < 0.5:
            props["Tags"] = self.tags()
        self.add(monitor, {"Type": "AWS::RUM::AppMonitor", "Properties": props},
                 "CloudWatch RUM app monitor for the website")

        self.outputs["AppMonitorName"] = {"Description": "Name of the RUM app monitor", "Value": ref(monitor)}
        self.outputs["AppMonitorId"] = {"Value": getatt(monitor, "Id"),
                                        "Export": {"Name": sub("${AWS::StackName}-AppMonitorId")}}
        if cognito:
            self.outputs["IdentityPoolId"] = {"Description": "Put this into the RUM web client snippet",
                                              "Value": ref(pool)}
            self.outputs["GuestRoleArn"] = {"Value": getatt(role, "Arn")}

    def resource_policy(self, name: str, wrong: str | None, star: bool) -> Fn:
        arn = ("arn:${AWS::Partition}:rum:${AWS::Region}:${AWS::AccountId}:appmonitor/"
               + (wrong if wrong else name))
        statements = [{"Sid": "AllowUnsignedPutRumEvents", "Effect": "Allow", "Principal": "*",
                       "Action": "rum:*" if star else "rum:PutRumEvents", "Resource": arn}]
        if self.rng.random() < 0.35:
            statements.append({"Sid": "DenyKnownBadNetworks", "Effect": "Deny", "Principal": "*",
                               "Action": "rum:PutRumEvents", "Resource": arn,
                               "Condition": {"IpAddress": {"aws:SourceIp": ["198.51.100.0/24", "203.0.113.0/24"]}}})
        text = json.dumps({"Version": "2012-10-17", "Statement": statements}, indent=2)
        return sub(Block(text + "\n"))

    # -- filler resources -----------------------------------------------------------------------
    def bucket(self) -> None:
        rng = self.rng
        name = self.lid(f"{rng.choice(PURPOSES)}Bucket")
        props: dict = {}
        if rng.random() < 0.4:
            props["BucketName"] = sub(f"{self.slug}-{name.lower()}-${{AWS::AccountId}}-${{AWS::Region}}")
        enc: dict = {"SSEAlgorithm": "AES256"}
        if self.keys and rng.random() < 0.5:
            enc = {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": getatt(rng.choice(self.keys), "Arn")}
        props["BucketEncryption"] = {"ServerSideEncryptionConfiguration": [{"ServerSideEncryptionByDefault": enc}]}
        props["PublicAccessBlockConfiguration"] = {"BlockPublicAcls": True, "BlockPublicPolicy": True,
                                                   "IgnorePublicAcls": True, "RestrictPublicBuckets": True}
        if rng.random() < 0.6:
            props["VersioningConfiguration"] = {"Status": "Enabled"}
        if rng.random() < 0.6:
            rules = [{"Id": "expire-old-objects", "Status": "Enabled",
                      "ExpirationInDays": rng.choice([30, 90, 365, 730])}]
            if rng.random() < 0.5:
                rules.append({"Id": "abort-incomplete-uploads", "Status": "Enabled",
                              "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7}})
            props["LifecycleConfiguration"] = {"Rules": rules}
        if rng.random() < 0.3:
            props["CorsConfiguration"] = {"CorsRules": [{
                "AllowedMethods": Flow(["GET", "HEAD"]), "AllowedOrigins": [f"https://{self.domain}"],
                "MaxAge": 3600}]}
        if self.tagged:
            props["Tags"] = self.tags()
        self.add(name, {"Type": "AWS::S3::Bucket", "DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain",
                        "Properties": props}, rng.choice([None, "Storage", f"Bucket for {name[:-6].lower()}"]))
        self.buckets.append(name)
        if rng.random() < 0.5:
            self.add(self.lid(f"{name}Policy"), {"Type": "AWS::S3::BucketPolicy", "Properties": {
                "Bucket": ref(name),
                "PolicyDocument": {"Version": "2012-10-17", "Statement": [{
                    "Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
                    "Resource": [getatt(name, "Arn"), sub(f"${{{name}.Arn}}/*")],
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}}})
        if rng.random() < 0.3:
            self.outputs[f"{name}Name"] = {"Value": ref(name)}

    def function(self) -> None:
        rng = self.rng
        worker = rng.choice(WORKERS)
        fn = self.lid(f"{worker}Function")
        role = self.lid(f"{worker}FunctionRole")
        python = rng.random() < 0.6
        env: dict = {"LOG_LEVEL": rng.choice(["INFO", "DEBUG", "WARNING"]), "ENV": ref("Env")}
        statements = []
        service = "s3"
        if self.tables and rng.random() < 0.7:
            t = rng.choice(self.tables)
            env["TABLE_NAME"] = ref(t)
            statements.append({"Effect": "Allow", "Action": ["dynamodb:GetItem", "dynamodb:PutItem",
                                                             "dynamodb:Query", "dynamodb:UpdateItem"],
                               "Resource": [getatt(t, "Arn"), sub(f"${{{t}.Arn}}/index/*")]})
            service = "dynamodb"
        if self.queues and rng.random() < 0.5:
            q = rng.choice(self.queues)
            env["QUEUE_URL"] = ref(q)
            statements.append({"Effect": "Allow", "Action": ["sqs:SendMessage", "sqs:ReceiveMessage",
                                                             "sqs:DeleteMessage", "sqs:GetQueueAttributes"],
                               "Resource": getatt(q, "Arn")})
            service = "sqs"
        if self.topics and rng.random() < 0.4:
            t = rng.choice(self.topics)
            env["TOPIC_ARN"] = ref(t)
            statements.append({"Effect": "Allow", "Action": "sns:Publish", "Resource": ref(t)})
        if self.buckets and rng.random() < 0.5:
            b = rng.choice(self.buckets)
            env["BUCKET"] = ref(b)
            statements.append({"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"],
                               "Resource": sub(f"${{{b}.Arn}}/*")})
        role_props: dict = {
            "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                "Action": "sts:AssumeRole"}]},
            "ManagedPolicyArns": [sub("arn:${AWS::Partition}:iam::aws:policy/service-role/"
                                      "AWSLambdaBasicExecutionRole")],
        }
        if statements:
            role_props["Policies"] = [{"PolicyName": f"{worker.lower()}-access",
                                       "PolicyDocument": {"Version": "2012-10-17", "Statement": statements}}]
        self.add(role, {"Type": "AWS::IAM::Role", "Properties": role_props},
                 rng.choice([None, f"{worker} worker"]))
        doc = f"{worker} worker for {self.domain}"
        if python:
            code, runtime, handler = PY_CODE.format(service=service, doc=doc), rng.choice(RUNTIMES_PY), "index.handler"
        else:
            code = NODE_CODE.format(service=service, client=SERVICE_NODE[service], doc=doc)
            runtime, handler = rng.choice(RUNTIMES_NODE), "index.handler"
        props: dict = {"Description": doc, "Runtime": runtime, "Handler": handler,
                       "Role": getatt(role, "Arn"), "Timeout": rng.choice([10, 30, 60, 300]),
                       "MemorySize": rng.choice([128, 256, 512, 1024]),
                       "Architectures": Flow([rng.choice(["arm64", "x86_64"])]),
                       "Code": {"ZipFile": Block(code)},
                       "Environment": {"Variables": env}}
        if rng.random() < 0.4:
            props["TracingConfig"] = {"Mode": "Active"}
            role_props["ManagedPolicyArns"].append(sub("arn:${AWS::Partition}:iam::aws:policy/AWSXRayDaemonWriteAccess"))
        if self.tagged:
            props["Tags"] = self.tags()
        self.add(fn, {"Type": "AWS::Lambda::Function", "Properties": props})
        self.add(self.lid(f"{fn}LogGroup"), {"Type": "AWS::Logs::LogGroup",
                                             "DeletionPolicy": "Delete", "UpdateReplacePolicy": "Delete",
                                             "Properties": {
            "LogGroupName": sub(f"/aws/lambda/${{{fn}}}"),
            "RetentionInDays": rng.choice([rng.choice(RETENTION),
                                           find_in_map("EnvSettings", ref("Env"), "LogRetention")])}})
        if rng.random() < 0.4:
            rule = self.lid(f"{worker}Schedule")
            self.add(rule, {"Type": "AWS::Events::Rule", "Properties": {
                "Description": f"Runs {fn} periodically",
                "ScheduleExpression": rng.choice(["rate(5 minutes)", "rate(1 hour)", "cron(0 3 * * ? *)"]),
                "State": "ENABLED",
                "Targets": [{"Arn": getatt(fn, "Arn"), "Id": f"{worker.lower()}-target"}]}})
            self.add(self.lid(f"{worker}SchedulePermission"), {"Type": "AWS::Lambda::Permission", "Properties": {
                "Action": "lambda:InvokeFunction", "FunctionName": ref(fn),
                "Principal": "events.amazonaws.com", "SourceArn": getatt(rule, "Arn")}})
        if self.queues and rng.random() < 0.3:
            self.add(self.lid(f"{worker}QueueMapping"), {"Type": "AWS::Lambda::EventSourceMapping", "Properties": {
                "EventSourceArn": getatt(rng.choice(self.queues), "Arn"), "FunctionName": ref(fn),
                "BatchSize": 10}})
            if "sqs:ReceiveMessage" not in json.dumps(to_long(statements)):
                role_props.setdefault("Policies", []).append({"PolicyName": "queue-consumer", "PolicyDocument": {
                    "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": [
                        "sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"],
                        "Resource": [getatt(q, "Arn") for q in self.queues]}]}})
        if rng.random() < 0.3:
            self.outputs[f"{fn}Arn"] = {"Value": getatt(fn, "Arn"),
                                        "Export": {"Name": sub(f"${{AWS::StackName}}-{fn}Arn")}}

    def topic(self, alerts: bool = False) -> str:
        rng = self.rng
        name = self.lid("AlertsTopic" if alerts else f"{rng.choice(ENTITIES)}Topic")
        props: dict = {"DisplayName": f"{self.product} {name[:-5].lower()}"}
        if rng.random() < 0.4:
            props["KmsMasterKeyId"] = "alias/aws/sns"
        if self.tagged:
            props["Tags"] = self.tags()
        self.add(name, {"Type": "AWS::SNS::Topic", "Properties": props}, "Notifications" if alerts else None)
        self.topics.append(name)
        if alerts or rng.random() < 0.5:
            self.add(self.lid(f"{name}EmailSubscription"), {"Type": "AWS::SNS::Subscription", "Properties": {
                "TopicArn": ref(name), "Protocol": "email", "Endpoint": ref("AlertEmail")}})
        if alerts or rng.random() < 0.3:
            self.add(self.lid(f"{name}Policy"), {"Type": "AWS::SNS::TopicPolicy", "Properties": {
                "Topics": [ref(name)],
                "PolicyDocument": {"Version": "2012-10-17", "Statement": [{
                    "Sid": "AllowCloudWatchAlarms", "Effect": "Allow",
                    "Principal": {"Service": "cloudwatch.amazonaws.com"}, "Action": "sns:Publish",
                    "Resource": ref(name),
                    "Condition": {"StringEquals": {"aws:SourceAccount": ref("AWS::AccountId")}}}]}}})
        return name

    def queue(self) -> None:
        rng = self.rng
        entity = rng.choice(ENTITIES)
        q = self.lid(f"{entity}Queue")
        dlq = self.lid(f"{entity}DeadLetterQueue")
        self.add(dlq, {"Type": "AWS::SQS::Queue", "Properties": {
            "MessageRetentionPeriod": 1209600, "SqsManagedSseEnabled": True}},
            rng.choice([None, f"{entity} work queue"]))
        props: dict = {"VisibilityTimeout": rng.choice([300, 900]),
                       "RedrivePolicy": {"deadLetterTargetArn": getatt(dlq, "Arn"),
                                         "maxReceiveCount": rng.choice([3, 5, 10])},
                       "SqsManagedSseEnabled": True}
        if rng.random() < 0.5:
            props["Tags"] = self.tags()
        self.add(q, {"Type": "AWS::SQS::Queue", "Properties": props})
        self.queues.append(q)
        if self.topics and rng.random() < 0.4:
            t = rng.choice(self.topics)
            self.add(self.lid(f"{q}Policy"), {"Type": "AWS::SQS::QueuePolicy", "Properties": {
                "Queues": [ref(q)],
                "PolicyDocument": {"Version": "2012-10-17", "Statement": [{
                    "Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"},
                    "Action": "sqs:SendMessage", "Resource": getatt(q, "Arn"),
                    "Condition": {"ArnEquals": {"aws:SourceArn": ref(t)}}}]}}})
            self.add(self.lid(f"{q}Subscription"), {"Type": "AWS::SNS::Subscription", "Properties": {
                "TopicArn": ref(t), "Protocol": "sqs", "Endpoint": getatt(q, "Arn"),
                "RawMessageDelivery": True}})

    def table(self) -> None:
        rng = self.rng
        name = self.lid(f"{rng.choice(ENTITIES)}Table")
        attrs = [{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "S"}]
        props: dict = {"BillingMode": "PAY_PER_REQUEST", "AttributeDefinitions": attrs,
                       "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                                     {"AttributeName": "sk", "KeyType": "RANGE"}],
                       "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
                       "SSESpecification": {"SSEEnabled": True}}
        if rng.random() < 0.4:
            attrs.append({"AttributeName": "gsi1pk", "AttributeType": "S"})
            props["GlobalSecondaryIndexes"] = [{"IndexName": "gsi1",
                                                "KeySchema": [{"AttributeName": "gsi1pk", "KeyType": "HASH"}],
                                                "Projection": {"ProjectionType": "ALL"}}]
        if rng.random() < 0.4:
            props["TimeToLiveSpecification"] = {"AttributeName": "expiresAt", "Enabled": True}
        if rng.random() < 0.3:
            props["StreamSpecification"] = {"StreamViewType": "NEW_AND_OLD_IMAGES"}
        if self.tagged:
            props["Tags"] = self.tags()
        self.add(name, {"Type": "AWS::DynamoDB::Table", "DeletionPolicy": "Retain",
                        "UpdateReplacePolicy": "Retain", "Properties": props},
                 rng.choice([None, "Data"]))
        self.tables.append(name)

    def param(self) -> None:
        rng = self.rng
        name = self.lid(f"{rng.choice(ENTITIES)}ConfigParameter")
        value = rng.choice([sub("${AWS::StackName}-" + name.lower()), json.dumps({"enabled": True, "limit": 50}),
                            f"https://{self.domain}/api"])
        self.add(name, {"Type": "AWS::SSM::Parameter", "Properties": {
            "Name": sub(f"/{self.slug}/${{Env}}/{camel_to_kebab(name)}"), "Type": "String", "Value": value,
            "Description": f"Runtime configuration for {self.product}"}})

    def key(self) -> None:
        rng = self.rng
        name = self.lid(f"{rng.choice(['Data', 'Backup', 'Upload'])}Key")
        self.add(name, {"Type": "AWS::KMS::Key", "DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain",
                        "Properties": {
            "Description": f"Encrypts {name[:-3].lower()} for {self.product}", "EnableKeyRotation": True,
            "KeyPolicy": {"Version": "2012-10-17", "Statement": [{
                "Sid": "AllowAccountAdministration", "Effect": "Allow",
                "Principal": {"AWS": sub("arn:${AWS::Partition}:iam::${AWS::AccountId}:root")},
                "Action": "kms:*", "Resource": "*"}]}}}, "Encryption")
        self.add(self.lid(f"{name}Alias"), {"Type": "AWS::KMS::Alias", "Properties": {
            "AliasName": f"alias/{self.slug}-{camel_to_kebab(name)}", "TargetKeyId": ref(name)}})
        self.keys.append(name)

    def logs(self) -> None:
        rng = self.rng
        name = self.lid(f"{rng.choice(WORKERS)}LogGroup")
        self.add(name, {"Type": "AWS::Logs::LogGroup", "DeletionPolicy": "Delete", "UpdateReplacePolicy": "Delete",
                        "Properties": {
            "LogGroupName": sub(f"/{self.slug}/${{Env}}/{camel_to_kebab(name)}"),
            "RetentionInDays": find_in_map("EnvSettings", ref("Env"), "LogRetention")}})

    def alarm(self, topic: str) -> None:
        functions = [k for k, v in self.resources.items() if v["Type"] == "AWS::Lambda::Function"]
        for fn in functions[:3]:
            self.add(self.lid(f"{fn}ErrorsAlarm"), {"Type": "AWS::CloudWatch::Alarm", "Condition": "IsProd",
                                                    "Properties": {
                "AlarmDescription": f"{fn} reports errors", "Namespace": "AWS/Lambda", "MetricName": "Errors",
                "Dimensions": [{"Name": "FunctionName", "Value": ref(fn)}], "Statistic": "Sum",
                "Period": 300, "EvaluationPeriods": 1, "Threshold": 1,
                "ComparisonOperator": "GreaterThanOrEqualToThreshold", "TreatMissingData": "notBreaching",
                "AlarmActions": [ref(topic)]}})


def generate(index: int, seed: int) -> tuple[str, str, dict]:
    """(file name, text, manifest entry) of stack ``index``."""
    stack = Stack(seed, index)
    template = stack.build()
    name = f"stack-{index:05d}.{stack.fmt}"
    if stack.fmt == "json":
        text = write_json(template, stack.rng.choice([2, 2, 4]))
    else:
        header = [f"{stack.domain} -- {stack.product} web app, frontend telemetry and backend",
                  "Deploy: aws cloudformation deploy --capabilities CAPABILITY_IAM --template-file <this file>"]
        text = write_yaml(template, stack.rng, stack.style, header, stack.comments)
    entry = {"file": name, "format": stack.fmt, "style": stack.style, "flow": stack.flow,
             "defects": stack.defects, "resources": len(stack.resources),
             "lines": text.count("\n")}
    return name, text, entry


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Generate a corpus of CloudFormation RUM stacks.")
    parser.add_argument("out_dir")
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument("--start", type=int, default=0, help="index of the first stack")
    parser.add_argument("--manifest", help="write what each stack is meant to be (JSON) to this file")
    args = parser.parse_args(argv)
    os.makedirs(args.out_dir, exist_ok=True)
    entries = []
    for i in range(args.start, args.start + args.count):
        name, text, entry = generate(i, args.seed)
        with open(os.path.join(args.out_dir, name), "w", encoding="utf-8") as fh:
            fh.write(text)
        entries.append(entry)
    if args.manifest:
        with open(args.manifest, "w", encoding="utf-8") as fh:
            json.dump({"seed": args.seed, "stacks": entries}, fh, indent=1)
    print(f"wrote {len(entries)} stacks to {args.out_dir}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
