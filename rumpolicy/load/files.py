"""Read, parse and recognize candidate files, then link them in groups.

A CloudFormation template is a group of its own. Other inputs (bare IAM policies, AWS CLI output)
in one folder form a group: their pool ids, role ARNs and monitor names link them to each other.
Monitors declared with ``--app-monitor`` join every folder group.
"""

from __future__ import annotations

import os
from collections import defaultdict
from dataclasses import replace

from rumpolicy.findings import Location, Span
from rumpolicy.load import Candidate, _cdk_source_line, cdk_note
from rumpolicy.load.cfn_intrinsics import StackEnv
from rumpolicy.load.cloudformation import is_template, load_template
from rumpolicy.load.options import LoadOptions
from rumpolicy.load.source import NOT_REGULAR, FileBytes, ParsedSource, SourceError, parse_text, regular_file_error
from rumpolicy.load.suppressions import comment_marks
from rumpolicy.load.terraform_kinds import is_configuration, is_plan, is_variables
# The web client's loaders (parsers, grammars) are imported only for a run that has web client inputs.
from rumpolicy.load.web_projects import WebProjects, is_client_config, is_web_source
from rumpolicy.model.inputs import InputFile, RuleFailure
from rumpolicy.chain.link import drop_unrelated, link, link_clients
from rumpolicy.model.policy import Problem
from rumpolicy.model.resources import Inventory


# The formats a name promises: a file named like this that does not parse is a broken input, not prose.
DATA_SUFFIXES = (".json", ".yaml", ".yml", ".template", ".cfn")
SNIFF_BYTES = 65536


class _Skip(Exception):
    """A walked file that is not an input: passed over quietly."""


def _structurally_ours(text: str) -> bool:
    """Whether the part of a document that parses is the start of an input rumpolicy reads.

    Decided on parsed structure, not on words: prose that mentions "Resources" is not a template, while a
    mapping whose first keys are ``AWSTemplateFormatVersion`` or a ``Resources`` mapping is one, even when
    it breaks further down. Other broken YAML in a repository (Helm charts, CI files) is not ours to judge.
    """
    from rumpolicy.load.source import top_level_shape

    shape = top_level_shape(text)
    if not shape:
        return False
    if "AWSTemplateFormatVersion" in shape or "Transform" in shape or shape.get("Resources") in ("map", "seq"):
        return True
    if shape.get("Statement") in ("map", "seq"):                        # a policy document
        return True
    if shape.get("AssumeRolePolicyDocument") is not None or shape.get("PolicyDocument") is not None:
        return True
    # AWS CLI output and `terraform show -json`
    if shape.get("Role") == "map" or shape.get("AppMonitor") == "map" or shape.get("PolicyVersion") == "map":
        return True
    if shape.get("RoleDetailList") == "seq" or "IdentityPoolId" in shape and "IdentityPoolName" in shape:
        return True
    return "format_version" in shape and any(k in shape for k in ("planned_values", "values", "resource_changes"))


def _prefix_text(data: FileBytes) -> str:
    """What of a file that cannot be read whole (binary, wrongly encoded, too large) is text, for a look
    at its structure: the first bytes up to the first NUL or undecodable byte."""
    try:
        head = data.head(SNIFF_BYTES)
    except (OSError, SourceError):
        return ""
    nul = head.find(b"\x00")
    if nul >= 0:
        head = head[:nul]
    return head.decode("utf-8", errors="ignore")


def _parse(candidate: Candidate, file: InputFile, data: FileBytes) -> ParsedSource | None:
    """The parsed file; None with ``file.error`` set when it is an input that cannot be read. The
    suppression comments of its text go to ``file.marks``.

    Raises _Skip for a file that turns out not to be an input: walked ones are passed over, and named ones
    are left unrecognized (RUM-SRC-002) rather than blamed (RUM-SRC-000).
    """
    path = candidate.path
    data_name = path.lower().endswith(DATA_SUFFIXES)
    try:
        text = data.text()
    except SourceError as error:
        # Too large, binary or not Unicode (regular_file_error has already vouched that it can be read).
        if (candidate.explicit and data_name) or _structurally_ours(_prefix_text(data)) \
                or error.message.startswith("cannot read"):
            return _failed(file, path, error)
        raise _Skip from None
    file.marks.extend(comment_marks(path, text))
    try:
        return parse_text(text, path)
    except SourceError as error:
        if (candidate.explicit and data_name) or _structurally_ours(text):
            return _failed(file, path, error)
        raise _Skip from None


def _failed(file: InputFile, path: str, error: SourceError) -> None:
    file.error = error.message
    file.error_location = Location(path, "", error.span)
    return None


def _text(data: FileBytes) -> str | None:
    try:
        return data.text()
    except SourceError:
        return None


class _CdkSniffs:
    """Which walked inputs are a CDK app's source, as the loader read them (``Candidate.cdk_sniff``)."""

    def __init__(self) -> None:
        self.loaded: dict[str, int | None] = {}      # path -> line of the construct, sniffed while loading it
        self.late: dict[str, int | None] = {}        # sniffed afterwards: not loaded (excluded, say)

    def line(self, path: str) -> int | None:
        if path in self.loaded:
            return self.loaded[path]
        if path not in self.late:
            self.late[path] = _cdk_source_line(path)
        return self.late[path]

    def note(self, sources: tuple[str, ...]) -> InputFile | None:
        """The note on the first of ``sources`` that is a CDK app's source, as the walk would have made it;
        none when that one was not loaded (the configuration excludes it)."""
        for path in sources:
            line = self.line(path)
            if line is not None:
                return _reported(cdk_note(path, line)) if path in self.loaded else None
        return None


def load_candidates(candidates: list[Candidate], options: LoadOptions) -> Inventory:
    result = Inventory()
    base_env = StackEnv(partition=options.partition, region=options.region, account=options.account)
    groups: dict[str, Inventory] = defaultdict(Inventory)
    terraform: list[Candidate] = []
    # Every file is opened once: what the web client loaders need of the other files of a web project,
    # and the CDK sniff of a walked script, come from the same read as the file's own loading.
    projects = WebProjects(options.max_file_size)
    sniffs = _CdkSniffs()
    for candidate in candidates:
        if candidate.cdk_sources:
            note = sniffs.note(candidate.cdk_sources)
            if note is not None:
                result.files.append(note)
            continue
        if candidate.cdk_unless and any(sniffs.line(path) is not None for path in candidate.cdk_unless):
            continue
        if candidate.problems or candidate.note:
            result.files.append(_reported(candidate))
            continue
        # Contents handed over (standard input) are no file on disk to vouch for.
        given = candidate.read is not None and candidate.read.given
        problem = None if given else regular_file_error(candidate.path)
        if problem is not None:
            # Never opened: a FIFO would block the run and a device may never end. A walked one is not an
            # input anyone wrote (a socket of a dev server, a named pipe); a named one, or any file that
            # cannot be read, is reported so that nothing is skipped silently.
            if candidate.explicit or NOT_REGULAR not in problem:
                result.files.append(InputFile(candidate.path, candidate.explicit, error=problem,
                                              error_location=Location(candidate.path)))
            continue
        if is_configuration(candidate.path) or is_variables(candidate.path):
            terraform.append(candidate)   # a folder's files form one module: loaded together below
            continue
        file = InputFile(candidate.path, candidate.explicit)
        data = candidate.read.within(options.max_file_size) if candidate.read is not None else None
        if data is None:
            data = projects.file(candidate.path, options.max_file_size)
        try:
            _load_one(candidate, file, data, options, base_env, groups, result, projects)
        except Exception as exc:  # a defect of ours: recorded (RUM-SRC-003), and the other files still load
            file.defect = _defect("rumpolicy.load", candidate.path, exc)
            if file not in result.files:
                result.files.append(file)
        projects.saw(candidate.path, data)
        if candidate.cdk_sniff:
            sniffs.loaded[candidate.path] = _cdk_source_line(candidate.path, data)
    projects.finish()
    declared = []
    if options.app_monitors:
        from rumpolicy.load.iam_json import declared_monitor

        declared = [declared_monitor(arn) for arn in options.app_monitors]
    if declared and not groups:
        groups["<declared>"] = Inventory()
    for folder in sorted(groups):
        group = groups[folder]
        group.monitors.extend(m for m in declared if not _declared_twice(group, m))
        link(group)
        result.extend(group)
    if terraform or options.var_files:
        result.extend(_load_terraform(terraform, options))
    link_clients(result)
    return result


def _defect(loader: str, path: str, exc: BaseException) -> RuleFailure:
    import traceback

    return RuleFailure(rule_id=loader, subject=path, error=f"{type(exc).__name__}: {exc}",
                       location=Location(path), trace=traceback.format_exc())


def _load_terraform(candidates: list[Candidate], options: LoadOptions) -> Inventory:
    """All Terraform files together (modules call each other across folders); should that fail on a defect
    of ours, each folder's module again on its own, so that one module's defect spares the others."""
    # Imported here: a run without Terraform files does not pay for the Terraform loader.
    from rumpolicy.load.terraform_hcl import load_configurations

    try:
        return load_configurations(candidates, options)
    except Exception:
        pass
    result = Inventory()
    folders: dict[str, list[Candidate]] = defaultdict(list)
    for candidate in candidates:
        folders[os.path.dirname(os.path.abspath(candidate.path))].append(candidate)
    for index, folder in enumerate(sorted(folders) or [""]):
        # --var-file values are read with the first module only, so that their errors are reported once.
        module_options = options if index == 0 else replace(options, var_files=())
        try:
            result.extend(load_configurations(folders.get(folder, []), module_options))
        except Exception as exc:
            first = folders[folder][0].path if folders.get(folder) else (options.var_files or ("<terraform>",))[0]
            file = InputFile(first, any(c.explicit for c in folders.get(folder, [])), kind="terraform")
            file.defect = _defect("rumpolicy.load.terraform_hcl", first, exc)
            result.files.append(file)
    return result


def _reported(candidate: Candidate) -> InputFile:
    """A path that discovery already judged: a folder it could not list, a manifest it refused, a CDK app."""
    file = InputFile(candidate.path, candidate.explicit)
    for message, pointer, line in candidate.problems:
        file.problems.append(Problem(message, Location(candidate.path, pointer, Span(line, 1) if line else None)))
    if candidate.note:
        span = Span(candidate.note_line, 1) if candidate.note_line else None
        file.notes.append(Problem(candidate.note, Location(candidate.path, "", span)))
    return file


def _json5(candidate: Candidate, file: InputFile, data: FileBytes, options: LoadOptions,
           projects: WebProjects) -> Inventory | None:
    text = _text(data)
    if text is None:
        return None
    from rumpolicy.load.webclient import load_json5_client_config

    return load_json5_client_config(candidate.path, file, options.max_file_size, text=text, projects=projects)


def _load_one(candidate: Candidate, file: InputFile, data: FileBytes, options: LoadOptions, base_env: StackEnv,
              groups: dict[str, Inventory], result: Inventory, projects: WebProjects) -> None:
    """Load one file, reading it through ``data`` (once, whatever looks at it)."""
    if candidate.explicit and _note_cdk_source(candidate.path, file, data):
        result.files.append(file)         # named CDK source: the advice to synthesize it (RUM-SRC-002)
        return
    if is_web_source(candidate.path):
        # HTML, JavaScript, TypeScript: the web client's snippet or constructor (rumpolicy.load.webclient).
        from rumpolicy.load.webclient import load_web_source

        loaded = load_web_source(candidate.path, file, options.max_file_size, walked=not candidate.explicit,
                                 data=data, projects=projects)
        if loaded is not None:
            result.extend(loaded)
            result.files.append(file)
        return
    try:
        parsed = _parse(candidate, file, data)
    except _Skip:
        # Not JSON or YAML, nor the start of an input: perhaps a web client's JSON5 config (comments,
        # trailing commas), else prose or another tool's file.
        loaded = _json5(candidate, file, data, options, projects)
        if loaded is not None:
            result.extend(loaded)
            result.files.append(file)
            return
        if candidate.explicit:
            result.files.append(file)     # reported as RUM-SRC-002: named, but not an input
        return
    if parsed is None:
        loaded = _json5(candidate, file, data, options, projects)
        if loaded is not None:
            result.extend(loaded)
        result.files.append(file)
        return
    if is_plan(parsed.data):
        # `terraform show -json` of a plan or a state: one group of its own.
        from rumpolicy.load.terraform_plan import load_plan

        group = load_plan(parsed, file, options)
        link(group)
        drop_unrelated(group)
        result.extend(group)
        result.files.append(file)
        return
    if is_template(parsed.data):
        file.kind = "cloudformation"
        env = base_env
        if candidate.stack_env is not None:
            account, region = candidate.stack_env
            env = StackEnv(partition=options.partition, region=region or options.region,
                           account=account or options.account)
        # Appended first: should the loader fail on a defect of ours, the file is still part of the run.
        result.files.append(file)
        result.extend(_linked_template(parsed, file, env, options))
        return
    if is_client_config(parsed.data):
        from rumpolicy.load.webclient import load_client_config

        result.extend(load_client_config(parsed, file, options.max_file_size, projects=projects))
        result.files.append(file)
        return
    if isinstance(parsed.data, dict) and "AWSTemplateFormatVersion" in parsed.data:
        # Declared a template, but with no resources to read: an input that is broken, not an unknown file.
        pointer = "/Resources" if "Resources" in parsed.data else ""
        file.kind = "cloudformation"
        file.error = ("the template has no `Resources` mapping" if not pointer
                      else "`Resources` of the template must be a mapping of resources")
        file.error_location = Location(candidate.path, pointer, parsed.span_for(pointer))
        result.files.append(file)
        return
    # IAM policies and AWS CLI output: their loaders are imported only for a run that has such a file.
    from rumpolicy.load.iam_json import load_document, recognize

    kind = recognize(parsed.data)
    if kind is None:
        if candidate.explicit:
            result.files.append(file)     # reported as RUM-SRC-002
        return
    file.kind = kind
    folder = os.path.dirname(os.path.abspath(candidate.path))
    groups[folder].extend(load_document(parsed, file, kind, options))
    result.files.append(file)


def _note_cdk_source(path: str, file: InputFile, data: FileBytes) -> bool:
    """Whether ``path`` is a CDK app's source; if so the note saying to check its synthesized templates."""
    from rumpolicy.load import CDK_SOURCE_EXTENSIONS

    if os.path.splitext(path)[1].lower() not in CDK_SOURCE_EXTENSIONS:
        return False
    line = _cdk_source_line(path, data)
    if line is None:
        return False
    file.notes.append(Problem(f"{path} is the source of a CDK app that uses RUM or Cognito constructs: "
                              "run `cdk synth` and check cdk.out", Location(path, "", Span(line, 1))))
    return True


def _declared_twice(group: Inventory, declared) -> bool:
    """A declared ARN that names a monitor loaded from a dump pins that monitor's environment instead."""
    for monitor in group.monitors:
        if monitor.name is not None and declared.name is not None and monitor.name.value == declared.name.value:
            monitor.env = declared.env
            return True
    return False


def load_decoded_template(source: str, data: object, options: LoadOptions, *,
                          spans: dict[str, Span] | None = None, text: str | None = None) -> Inventory:
    """A template another tool has already decoded (cfn-lint, after its transforms), loaded and linked as
    ``load_candidates`` loads a template file. ``spans``: the other tool's position of each JSON pointer;
    ``text``: the file's text, for its suppression comments."""
    file = InputFile(source, True, kind="cloudformation")
    if text is not None:
        file.marks.extend(comment_marks(source, text))
    env = StackEnv(partition=options.partition, region=options.region, account=options.account)
    group = _linked_template(ParsedSource(source, "json", data, spans or {}), file, env, options)
    group.files.append(file)
    return group


def _linked_template(parsed: ParsedSource, file: InputFile, env: StackEnv, options: LoadOptions) -> Inventory:
    """One template's resources, linked into chains on their own (a template is its own group)."""
    group = load_template(parsed, file, env, options.parameters)
    link(group)
    drop_unrelated(group)
    return group
