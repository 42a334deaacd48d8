"""Read, parse and recognize candidate files, then link them in groups.

A CloudFormation template is a group of its own. Other inputs (bare IAM policies, AWS CLI output)
in one folder form a group: their pool ids, role ARNs and monitor names link them to each other.
Monitors declared with ``--app-monitor`` join every folder group.
"""

from __future__ import annotations

import os
from collections import defaultdict

from rumpolicy.findings import Location
from rumpolicy.load import Candidate
from rumpolicy.load.cfn_intrinsics import StackEnv
from rumpolicy.load.cloudformation import is_template, load_template
from rumpolicy.load.iam_json import declared_monitor, load_document, recognize
from rumpolicy.load.options import LoadOptions
from rumpolicy.load.source import ParsedSource, SourceError, parse_text, read_text
from rumpolicy.load.terraform_hcl import is_configuration, is_variables, load_configurations
from rumpolicy.load.terraform_plan import is_plan, load_plan
from rumpolicy.load.webclient import (is_client_config, is_web_source, load_client_config,
                                      load_json5_client_config, load_web_source)
from rumpolicy.model.inputs import InputFile
from rumpolicy.model.link import drop_unrelated, link, link_clients
from rumpolicy.model.resources import Inventory


def _looks_parsable(path: str) -> bool:
    """Cheap content sniff for files met while walking: JSON or YAML text, not binary."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(4096)
    except OSError:
        return True  # let the real read report the error
    if b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return False
    text = head.lstrip()
    return bool(text) and (text[:1] in (b"{", b"[") or b":" in text)


def _parse(candidate: Candidate, file: InputFile, options: LoadOptions) -> ParsedSource | None:
    try:
        return parse_text(read_text(candidate.path, max_bytes=options.max_file_size), candidate.path)
    except SourceError as error:
        file.error = error.message
        file.error_location = Location(candidate.path, "", error.span)
        return None


def load_candidates(candidates: list[Candidate], options: LoadOptions) -> Inventory:
    result = Inventory()
    base_env = StackEnv(partition=options.partition, region=options.region, account=options.account)
    groups: dict[str, Inventory] = defaultdict(Inventory)
    terraform: list[Candidate] = []
    for candidate in candidates:
        if is_configuration(candidate.path) or is_variables(candidate.path):
            terraform.append(candidate)   # a folder's files form one module: loaded together below
            continue
        if is_web_source(candidate.path):
            # HTML, JavaScript, TypeScript: the web client's snippet or constructor (rumpolicy.load.webclient).
            file = InputFile(candidate.path, candidate.explicit)
            loaded = load_web_source(candidate.path, file, options.max_file_size, walked=not candidate.explicit)
            if loaded is not None:
                result.extend(loaded)
                result.files.append(file)
            continue
        if not candidate.explicit and not _looks_parsable(candidate.path):
            continue
        file = InputFile(candidate.path, candidate.explicit)
        parsed = _parse(candidate, file, options)
        if parsed is None:
            loaded = load_json5_client_config(candidate.path, file, options.max_file_size)
            if loaded is not None:
                result.extend(loaded)
                result.files.append(file)
                continue
            # Walking a folder, a file that is not JSON/YAML at all is not ours to judge.
            if candidate.explicit or _probably_ours(candidate.path):
                result.files.append(file)
            continue
        if is_plan(parsed.data):
            # `terraform show -json` of a plan or a state: one group of its own.
            group = load_plan(parsed, file, options)
            link(group)
            drop_unrelated(group)
            result.extend(group)
            result.files.append(file)
            continue
        if is_template(parsed.data):
            file.kind = "cloudformation"
            env = base_env
            if candidate.stack_env is not None:
                account, region = candidate.stack_env
                env = StackEnv(partition=options.partition, region=region or options.region,
                               account=account or options.account)
            group = load_template(parsed, file, env, options.parameters)
            link(group)
            drop_unrelated(group)
            result.extend(group)
            result.files.append(file)
            continue
        if is_client_config(parsed.data):
            result.extend(load_client_config(parsed, file))
            result.files.append(file)
            continue
        kind = recognize(parsed.data)
        if kind is None:
            if candidate.explicit:
                result.files.append(file)     # reported as RUM-SRC-002
            continue
        file.kind = kind
        folder = os.path.dirname(os.path.abspath(candidate.path))
        groups[folder].extend(load_document(parsed, file, kind, options))
        result.files.append(file)
    declared = [declared_monitor(arn) for arn in options.app_monitors]
    if declared and not groups:
        groups["<declared>"] = Inventory()
    for folder in sorted(groups):
        group = groups[folder]
        group.monitors.extend(m for m in declared if not _declared_twice(group, m))
        link(group)
        result.extend(group)
    if terraform or options.var_files:
        result.extend(load_configurations(terraform, options))
    link_clients(result)
    return result


def _declared_twice(group: Inventory, declared) -> bool:
    """A declared ARN that names a monitor loaded from a dump pins that monitor's environment instead."""
    for monitor in group.monitors:
        if monitor.name is not None and declared.name is not None and monitor.name.value == declared.name.value:
            monitor.env = declared.env
            return True
    return False


OURS_MARKERS = (b"AWSTemplateFormatVersion", b"Resources", b"Statement", b"AppMonitor", b"IdentityPool",
                b"AssumeRolePolicyDocument")


def _probably_ours(path: str) -> bool:
    """A broken file found by walking is reported when it looks like a template or a policy.

    Other broken YAML in a repository (Helm charts, CI files) is not ours to judge.
    """
    try:
        with open(path, "rb") as handle:
            head = handle.read(65536)
    except OSError:
        return True
    return any(marker in head for marker in OURS_MARKERS)
