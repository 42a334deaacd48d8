"""Bare IAM policy documents (``{"Version", "Statement"}``) -> the model; what all document loaders share.

A bare policy names neither its owner nor its kind, so its content decides (``BarePolicyLoader``):
a resource policy when a statement with a principal allows a ``rum:`` action or names a RUM
resource, a trust policy when such a statement is about ``sts:``, else the permission policy of a
guest role when it could grant a ``rum:`` action (or when the user named the file and declared
monitors with ``--app-monitor``). The app monitor a resource policy belongs to is the one its
``Resource`` ARNs name, else the only monitor ``--app-monitor`` declares (``declared_monitor``).

``DocumentLoader`` is the plumbing of loading one recognized JSON document, shared with the AWS CLI
outputs of ``rumpolicy.load.cli_output``.
"""

from __future__ import annotations

import os
import re
from typing import Any
from urllib.parse import unquote

from rumpolicy.aws import ACCOUNT_ID, REGION, dns_suffix
from rumpolicy.findings import Location
from rumpolicy.iam.globs import glob_intersects
from rumpolicy.load.options import LoadOptions
from rumpolicy.load.source import ParsedSource
from rumpolicy.model import (AppMonitor, Environment, Inventory, Node, PolicyDocument, PolicyRef, ResourcePolicy,
                             Role, parse_policy)
from rumpolicy.model.inputs import IAM_POLICY, NOT_RUM_RELATED, InputFile, UndecidedCheck
from rumpolicy.model.locator import SourceLocator
from rumpolicy.model.policy import Problem, Statement, type_name
from rumpolicy.model.symbols import OPAQUE, token
from rumpolicy.records import value_type


DECLARED_SOURCE = "<--app-monitor>"
POLICY_KEYS = frozenset({"Version", "Id", "Statement"})
POLICY_VERSIONS = ("2012-10-17", "2008-10-17")

# RUM-REQUIREMENTS section 2: region grammar of every partition's regionRegex, the API's monitor name.
_APP_MONITOR_ARN = re.compile(
    r"^arn:(?P<partition>aws(?:-[a-z]+)*):rum:(?P<region>[a-z]{2,4}(?:-[a-z]+)+-\d+):(?P<account>\d{12})"
    r":appmonitor/(?P<name>(?!\.)[.\-_#A-Za-z0-9]{1,255})$")
_GLOB_CHARS = re.compile(r"[*?]|\$\{")


def is_policy(data: dict, keys: set[str]) -> bool:
    """Is a JSON object (with top-level ``keys``) a bare policy document?"""
    return "Statement" in keys and (keys <= POLICY_KEYS or data.get("Version") in POLICY_VERSIONS)


# --- declared monitors ---------------------------------------------------------------------------------

@value_type
class MonitorArn:
    """The parts of an app monitor's ARN."""

    partition: str
    region: str
    account: str
    name: str


def parse_monitor_arn(arn: str) -> MonitorArn | None:
    match = _APP_MONITOR_ARN.match(arn)
    return MonitorArn(**match.groupdict()) if match else None


def declared_monitor(arn: str) -> AppMonitor:
    """The app monitor named by ``--app-monitor ARN``: bare permission policies are checked against it.

    Raises ValueError with a sentence for the user when ``arn`` is not an app monitor ARN; the CLI
    turns it into exit status 2, because checking policies against a wrong ARN would mislead.
    """
    parsed = parse_monitor_arn(arn)
    if parsed is None:
        raise ValueError(f"{arn!r} is not an app monitor ARN: {_arn_defect(arn)}; expected "
                         "arn:<partition>:rum:<region>:<12-digit account id>:appmonitor/<app monitor name>")
    location = Location(DECLARED_SOURCE)
    env = Environment(parsed.partition, parsed.region, parsed.account, url_suffix(parsed.partition))
    return AppMonitor(subject=arn, location=location, kind="declared", env=env,
                      name=Node(parsed.name, location), declared_only=True)


def _arn_defect(arn: str) -> str:
    """What is wrong with a would-be app monitor ARN, for the error message."""
    parts = arn.split(":", 5)
    if len(parts) < 6 or parts[0] != "arn":
        return "it does not have the six colon-separated parts of an ARN"
    _, partition, service, region, account, resource = parts
    if not re.fullmatch(r"aws(?:-[a-z]+)*", partition):
        return f"{partition!r} is not a partition"
    if service != "rum":
        return f"the service is {service!r}, not 'rum'"
    if not REGION.fullmatch(region):
        return f"{region!r} is not a region"
    if not ACCOUNT_ID.fullmatch(account):
        return f"{account!r} is not a 12-digit account id"
    if not resource.startswith("appmonitor/"):
        return f"the resource is {resource!r}, not appmonitor/<name>"
    return f"{resource[len('appmonitor/'):]!r} is not a valid app monitor name"


def url_suffix(partition: str) -> str:
    return dns_suffix(partition) or token(OPAQUE, f"DNS suffix of partition {partition}")


def decoded(value: Any) -> Any:
    """IAM returns policy documents URL-encoded (RFC 3986); the AWS CLI decodes them, raw API dumps do not."""
    if isinstance(value, str) and value.lstrip()[:3].upper() == "%7B":
        return unquote(value.strip())
    return value


@value_type
class _Arn:
    """The five fields of an ARN."""

    partition: str
    service: str
    region: str
    account: str
    resource: str


def split_arn(value: Any) -> _Arn | None:
    if not isinstance(value, str):
        return None
    parts = value.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or not parts[1]:
        return None
    return _Arn(*parts[1:])


# --- what a bare policy is, by content -----------------------------------------------------------------

def _principal_statements(document: PolicyDocument) -> list[Statement]:
    return [s for s in document.statements if s.principal is not None or s.not_principal is not None
            or "Principal" in s.fields or "NotPrincipal" in s.fields]


def _action_patterns(statement: Statement) -> list[str]:
    nodes = (statement.actions or ()) + (statement.not_actions or ())
    return [n.value.lower() for n in nodes if isinstance(n.value, str)]


def _mentions_rum_resource(statement: Statement) -> bool:
    nodes = (statement.resources or ()) + (statement.not_resources or ())
    return any(isinstance(n.value, str) and ":rum:" in n.value for n in nodes)


def _is_resource_policy(statements: list[Statement]) -> bool:
    return any(p.startswith("rum:") for s in statements for p in _action_patterns(s)) \
        or any(_mentions_rum_resource(s) for s in statements)


def _is_trust_policy(statements: list[Statement]) -> bool:
    """Trust policies allow ``sts:AssumeRole*`` and, unlike resource policies, have no ``Resource``."""
    patterns = [p for s in statements for p in _action_patterns(s)]
    if any(p.startswith("sts:") for p in patterns):
        return True
    has_resource = any("Resource" in s.fields or "NotResource" in s.fields for s in statements)
    return not has_resource and any(glob_intersects(p, "sts:assumerole*") for p in patterns)


def _named_monitors(document: PolicyDocument) -> dict[str, Node]:
    """App monitor names written literally in ``Resource`` ARNs (patterns name no single monitor)."""
    named: dict[str, Node] = {}
    for statement in document.statements:
        for node in statement.resources or ():
            arn = split_arn(node.value)
            if arn and arn.service == "rum" and arn.resource.startswith("appmonitor/"):
                name = arn.resource[len("appmonitor/"):]
                if name and not _GLOB_CHARS.search(name):
                    named.setdefault(name, Node(name, node.location))
    return named


def _grants_rum(document: PolicyDocument) -> bool:
    """An identity policy that could grant some ``rum:`` action, ``NotAction`` forms included."""
    for statement in document.statements:
        if statement.not_actions is not None:
            return True
        if any(glob_intersects(p, "rum:*") for p in _action_patterns(statement)):
            return True
    return False


# --- the loaders ---------------------------------------------------------------------------------------

class DocumentLoader:
    """Loads one recognized document: subclasses read its object (``read``), with these helpers."""

    def __init__(self, parsed: ParsedSource, file: InputFile, kind: str, options: LoadOptions):
        self.parsed = parsed
        self.file = file
        self.kind = kind
        self.options = options
        self.where = SourceLocator(parsed.path, parsed.span_for)
        self.inventory = Inventory()

    # -- plumbing ------------------------------------------------------------------------------------
    def load(self) -> Inventory:
        data = self.parsed.data
        if not isinstance(data, dict):
            self.problem(f"{self.kind} output must be an object, not {type_name(data)}", "")
            return self.inventory
        self.read(data)
        return self.inventory

    def read(self, data: dict) -> None:
        raise NotImplementedError

    def problem(self, message: str, pointer: str) -> None:
        self.file.problems.append(Problem(message, self.where.at(pointer)))

    def undecided(self, subject: str, message: str, location: Location) -> None:
        self.inventory.undecided.append(UndecidedCheck(None, subject, message, location))

    def unpinned_env(self, subject: str) -> Environment:
        """Where something with no ARN lives: the command-line options, else tokens that stay undecided."""
        partition = self.options.partition
        return Environment(partition, self.options.region or token(OPAQUE, f"region of {subject}"),
                           self.options.account or token(OPAQUE, f"account of {subject}"), url_suffix(partition))

    def policy_monitor(self, document: PolicyDocument, subject: str) -> Node | None:
        """The app monitor a resource policy names in its ``Resource`` ARNs, else the only declared one."""
        named = _named_monitors(document)
        if len(named) == 1:
            return next(iter(named.values()))
        declared = [m for m in (parse_monitor_arn(a) for a in self.options.app_monitors) if m]
        if not named and len(declared) == 1:
            return Node(declared[0].name, Location(DECLARED_SOURCE))
        reason = (f"its Resource ARNs name several app monitors ({', '.join(sorted(named))})" if named
                  else "no Resource ARN names an app monitor")
        self.undecided(subject, f"the app monitor this resource policy belongs to is not known: {reason}; "
                                "pass --app-monitor with the monitor's ARN", document.location)
        return None


class BarePolicyLoader(DocumentLoader):
    """Loads a bare policy document (kind ``IAM_POLICY``)."""

    def read(self, data: dict) -> None:
        """A resource policy, a trust policy, or a permission policy of a guest role, by content.

        A permission policy is taken when it could grant a ``rum:`` action, or when the user named
        the file and declared monitors with ``--app-monitor``: then it is meant to serve them, even if
        a typo (``rmu:PutRumEvents``) hides that. A folder walk finds unrelated policies too, so there
        the file has to mention RUM itself.
        """
        path = self.parsed.path
        document = parse_policy(data, "", self.where, name=os.path.basename(path))
        location = self.where.at("")
        statements = _principal_statements(document)
        if statements and _is_resource_policy(statements):
            self.inventory.resource_policies.append(ResourcePolicy(
                path, location, IAM_POLICY, monitor_name=self.policy_monitor(document, path), document=document))
        elif statements and _is_trust_policy(statements):
            self.file.problems.extend(document.problems)
            self.inventory.roles.append(Role(path, location, IAM_POLICY, env=self.unpinned_env(path),
                                             trust_policy=document, bare=True))
        elif not statements and (_grants_rum(document) or (self.options.app_monitors and self.file.explicit)):
            self.file.problems.extend(document.problems)
            self.inventory.roles.append(Role(
                path, location, IAM_POLICY, env=self.unpinned_env(path), bare=True,
                policies=[PolicyRef(location, document, name=document.name, kind="inline")]))
        elif not document.fully_known:
            # Too broken to tell what it is: its problems are the finding.
            self.file.problems.extend(document.problems)
        else:
            self.file.kind = NOT_RUM_RELATED

