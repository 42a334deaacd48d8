"""What the Terraform loader reads: each folder's configuration, indexed, and the run that reads every
file once and records its problems.

A ``ModuleSource`` is one folder's ``.tf``/``.tf.json`` files (or the files named alone), their
top-level blocks indexed by kind and name. A ``Run`` parses each configuration and variable file at most
once however many module calls use it, and keeps one ``InputFile`` per path for the report: parse
errors, problems found while indexing, and the suppression comments written in the file (collected here,
where the text is read, so that the suppression stage never reads the file again).
"""

from __future__ import annotations

import os
from dataclasses import field

from rumpolicy.findings import Location, Span, join_pointer
from rumpolicy.load.options import LoadOptions
from rumpolicy.load.source import SourceError, read_text
from rumpolicy.load.suppressions import comment_marks
from rumpolicy.load.terraform_kinds import CONFIG_SUFFIXES, is_configuration
from rumpolicy.load.terraform_nodes import Attribute, Block, ConfigFile
from rumpolicy.load.terraform_syntax import parse_hcl, parse_json_config, parse_tfvars
from rumpolicy.model.inputs import InputFile
from rumpolicy.model.policy import Problem
from rumpolicy.records import record

TERRAFORM = "terraform"
TERRAFORM_VARIABLES = "terraform-variables"


# --------------------------------------------------------------------------------------------
# One folder's configuration


@record
class ModuleSource:
    folder: str
    files: list[ConfigFile]
    variables: dict[str, Block] = field(default_factory=dict)
    locals: dict[str, Attribute] = field(default_factory=dict)
    resources: dict[tuple[str, str], Block] = field(default_factory=dict)
    data: dict[tuple[str, str], Block] = field(default_factory=dict)
    modules: dict[str, Block] = field(default_factory=dict)
    outputs: dict[str, Block] = field(default_factory=dict)
    providers: list[Block] = field(default_factory=list)
    resource_types: set[str] = field(default_factory=set)


_LABELS = {"resource": 2, "data": 2, "module": 1, "variable": 1, "output": 1, "provider": 1}


def _index(folder: str, files: list[ConfigFile], run: "Run") -> ModuleSource:
    source = ModuleSource(folder, files)
    tables: dict[str, dict] = {"variable": source.variables, "module": source.modules, "output": source.outputs,
                               "resource": source.resources, "data": source.data}
    for config in files:
        for block in config.top_blocks:
            wanted = _LABELS.get(block.type)
            if wanted is not None and len(block.labels) != wanted:
                run.problem(block.source, f"a `{block.type}` block needs {wanted} label{'s' if wanted > 1 else ''}",
                            block.span, f"/{block.type}")
                continue
            if block.type == "locals":
                for name in block.body.attribute_names():
                    attribute = block.body.attribute(name)
                    if name in source.locals:
                        run.problem(block.source, f"local value {name!r} is defined twice", attribute.span,
                                    join_pointer("/locals", name))
                    else:
                        source.locals[name] = attribute
                continue
            if block.type == "provider":
                source.providers.append(block)
                continue
            table = tables.get(block.type)
            if table is None:
                continue                     # terraform, moved, import, check: nothing to check here
            key = block.labels if block.type in ("resource", "data") else block.labels[0]
            if key in table:
                run.problem(block.source, f"{block.type} {'.'.join(block.labels)} is declared twice", block.span,
                            join_pointer(f"/{block.type}", *block.labels))
                continue
            table[key] = block
    source.resource_types = {kind for kind, _ in source.resources}
    return source


# --------------------------------------------------------------------------------------------
# The run: files parsed once, problems and files recorded


class Run:
    def __init__(self, options: LoadOptions):
        self.options = options
        self.files: dict[str, InputFile] = {}
        self.configs: dict[str, ConfigFile | None] = {}
        self.sources: dict[tuple[str, tuple[str, ...]], ModuleSource] = {}
        self.var_files: list[dict[str, Attribute]] | None = None
        # Variable files by absolute path: a folder's auto variables are read once even when the folder
        # is the root of more than one module (a file named alone and the folder itself).
        self.tfvars: dict[str, dict[str, Attribute] | None] = {}

    def input_file(self, path: str, explicit: bool, kind: str | None) -> InputFile:
        key = os.path.abspath(path)
        file = self.files.get(key)
        if file is None:
            file = self.files[key] = InputFile(path, explicit, kind)
        return file

    def problem(self, path: str, message: str, span: Span | None, pointer: str) -> None:
        self.input_file(path, False, TERRAFORM).problems.append(Problem(message, Location(path, pointer, span)))

    def read(self, path: str, file: InputFile) -> str:
        """The text of a configuration or variable file, its suppression comments taken as it is read."""
        text = read_text(path, max_bytes=self.options.max_file_size)
        file.marks.extend(comment_marks(path, text))
        return text

    def config(self, path: str, explicit: bool = False) -> ConfigFile | None:
        key = os.path.abspath(path)
        if key in self.configs:
            return self.configs[key]
        file = self.input_file(path, explicit, TERRAFORM)
        try:
            text = self.read(path, file)
            config = parse_json_config(text, path) if path.endswith(".json") else parse_hcl(text, path)
        except SourceError as error:
            file.error = error.message
            file.error_location = Location(path, "", error.span)
            config = None
        self.configs[key] = config
        return config

    def module_source(self, folder: str, only: tuple[str, ...] = ()) -> ModuleSource:
        """The configuration of ``folder`` (or of the ``only`` files in it)."""
        key = (os.path.abspath(folder), only)
        if key not in self.sources:
            paths = list(only) or _configuration_files(folder)
            configs = [c for c in (self.config(p) for p in paths) if c is not None]
            self.sources[key] = _index(folder, configs, self)
        return self.sources[key]

    def variable_files(self) -> list[dict[str, Attribute]]:
        """The ``--var-file`` files, parsed once."""
        if self.var_files is None:
            self.var_files = [v for v in (self.variables(p, explicit=True) for p in self.options.var_files)
                              if v is not None]
        return self.var_files

    def variables(self, path: str, explicit: bool) -> dict[str, Attribute] | None:
        file = self.input_file(path, explicit, TERRAFORM_VARIABLES)
        file.kind = TERRAFORM_VARIABLES
        key = os.path.abspath(path)
        if key not in self.tfvars:
            try:
                self.tfvars[key] = parse_tfvars(self.read(path, file), path)
            except SourceError as error:
                file.error = error.message
                file.error_location = Location(path, "", error.span)
                self.tfvars[key] = None
        return self.tfvars[key]


def _configuration_files(folder: str) -> list[str]:
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return []
    return [os.path.join(folder, n) for n in names if is_configuration(n) and os.path.isfile(os.path.join(folder, n))]
