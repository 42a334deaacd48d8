"""Load everything the user named: walk folders, recognize each file by content, build the model.

Files are recognized by what they contain, never by name. A file that cannot be read or parsed is
recorded with its error (reported as RUM-SRC-000) and the others are still loaded.
"""

from __future__ import annotations

import os
import re
from dataclasses import field
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Iterator

from rumpolicy.findings import escape_pointer_token
from rumpolicy.load.options import LoadOptions
from rumpolicy.model.inputs import InputFile
from rumpolicy.model.resources import Inventory
from rumpolicy.records import value_type

if TYPE_CHECKING:
    from rumpolicy.load.source import FileBytes

SKIP_DIRS = {".git", "node_modules", ".venv", ".terraform", "__pycache__", ".tox", ".mypy_cache"}
# Extensions worth opening when walking a folder; an explicitly named file is always opened.
WALK_EXTENSIONS = {".json", ".yaml", ".yml", ".template", ".cfn", ".txt", ""}
# Pages, scripts and JSON5 configs that may start the RUM web client; walked ones are sniffed for the client
# before they are parsed (rumpolicy.load.webclient).
WEB_CLIENT_EXTENSIONS = {".html", ".htm", ".js", ".mjs", ".cjs", ".jsx", ".ts", ".mts", ".cts", ".tsx", ".json5"}
# Terraform configuration and variable files (``.tf.json``/``.tfvars.json`` are walked as ``.json``): a
# folder's files are loaded together as one module (rumpolicy.load.terraform_hcl).
TERRAFORM_EXTENSIONS = {".tf", ".tfvars"}


@value_type(slots=False)
class Candidate:
    """A file discovery found: its path, whether the user named it, and what discovery learnt of it."""

    path: str
    explicit: bool
    stack_env: tuple[str | None, str | None] | None = None   # (account, region) from a CDK manifest
    # Set when discovery itself met a problem at this path (a folder it could not list, a CDK manifest it
    # refused): the path is reported (RUM-SRC-000) instead of loaded. ``(message, pointer, line)``.
    problems: tuple[tuple[str, str, int | None], ...] = ()
    note: str | None = None            # reported as RUM-SRC-002 instead of loaded (a CDK app without cdk.out)
    note_line: int | None = None
    # A CDK app's source is told by its first bytes. Walked files that are also inputs (``.ts``, ``.js``) are
    # sniffed by the loader as it reads them (``cdk_sniff``), not by the walk, so that they are read once.
    # At the end of a walk without cdk.out, ``cdk_sources`` (on a candidate for the walked folder) lists them
    # in walk order: the first that is one gets the note. ``cdk_unless``: this note (a source the walk
    # sniffed itself) stands only when none of those is one.
    cdk_sniff: bool = False
    cdk_sources: tuple[str, ...] = ()
    cdk_unless: tuple[str, ...] = ()
    # What discovery already read of the file (a ``manifest.json`` that is not a CDK assembly's): the
    # loader uses it instead of reading the file again.
    read: FileBytes | None = field(default=None, compare=False, repr=False)


_CDK_STACK = "aws:cloudformation:stack"


def _cdk_stacks(folder: Path, explicit: bool, seen: set[str] | None = None,
                reads: dict[str, FileBytes] | None = None) -> list[Candidate] | None:
    """A CDK cloud assembly: check the stack templates its manifest lists, with their environments.

    None: ``folder`` holds no manifest that is an assembly's (then it is walked as a plain folder, and
    what was read of the manifest is left in ``reads`` for its loading). A manifest of the wrong shape, or
    naming a template outside the assembly, is reported; nested ``assembly-*`` folders are read once each,
    even through a symbolic link back up the tree.
    """
    from rumpolicy.load.source import FileBytes, SourceError, parse_text

    seen = set() if seen is None else seen
    real = os.path.realpath(folder)
    if real in seen:
        return []
    seen.add(real)
    manifest_path = folder / "manifest.json"
    data = FileBytes(str(manifest_path))

    def plain_folder() -> None:
        if reads is not None:
            reads[str(manifest_path)] = data
        return None

    try:
        parsed = parse_text(data.text(), str(manifest_path))
    except SourceError as error:
        if not _looks_like_assembly(folder):
            return plain_folder()    # another tool's manifest.json (a web app's, say): a plain folder
        # The stacks and their environments are unknown: the manifest is reported, and the folder's
        # templates are still checked, without the environment the manifest would have given them.
        line = error.span.line if error.span else None
        broken = Candidate(str(manifest_path), explicit, problems=((
            f"the CDK cloud assembly manifest cannot be read: {error.message}; its stacks were checked "
            "without their account and region", "", line),))
        try:
            names = os.listdir(folder)
        except OSError:
            names = []               # the manifest is reported all the same; no template can be listed
        templates = sorted(str(folder / name) for name in names if name.endswith(".template.json"))
        return [broken, *(Candidate(path, explicit) for path in templates)]
    manifest = parsed.data
    if not isinstance(manifest, dict) or "artifacts" not in manifest and "version" not in manifest:
        return plain_folder()
    problems: list[tuple[str, str, int | None]] = []

    def problem(message: str, pointer: str) -> None:
        span = parsed.span_for(pointer)
        problems.append((message, pointer, span.line if span else None))

    out: list[Candidate] = []
    artifacts = manifest.get("artifacts", {})
    if not isinstance(artifacts, dict):
        problem("`artifacts` of the CDK manifest must be a mapping; no stack of this assembly was checked",
                "/artifacts")
        artifacts = {}
    for name, artifact in artifacts.items():
        pointer = f"/artifacts/{escape_pointer_token(str(name))}"
        if not isinstance(artifact, dict):
            problem(f"artifact {name!r} of the CDK manifest must be a mapping", pointer)
            continue
        if artifact.get("type") != _CDK_STACK:
            continue
        properties = artifact.get("properties")
        template = properties.get("templateFile") if isinstance(properties, dict) else None
        if not isinstance(template, str) or not template:
            where = f"{pointer}/properties/templateFile" if isinstance(properties, dict) else f"{pointer}/properties"
            problem(f"stack {name!r} of the CDK manifest names no template file (`properties.templateFile` "
                    "must be a string); it was not checked", where)
            continue
        target = os.path.realpath(folder / template)
        if os.path.isabs(template) or os.path.commonpath([real, target]) != real:
            problem(f"stack {name!r} of the CDK manifest names template {template!r}, outside the cloud "
                    "assembly; it was not read", f"{pointer}/properties/templateFile")
            continue
        if target in seen:
            continue                     # a template reached twice (a symbolic link) is checked once
        seen.add(target)
        account = region = None
        env = artifact.get("environment")
        if isinstance(env, str) and env.startswith("aws://"):
            account, _, region = env[len("aws://"):].partition("/")
            account = None if account.startswith("unknown") else account
            region = None if region.startswith("unknown") else region
        elif env is not None:
            problem(f"`environment` of stack {name!r} must be a string such as 'aws://123456789012/us-east-1'; "
                    "the stack was checked without it", f"{pointer}/environment")
        out.append(Candidate(str(folder / template), explicit, (account, region)))
    try:
        nested = sorted(d for d in os.listdir(folder) if d.startswith("assembly-") and (folder / d).is_dir())
    except OSError as error:
        nested = []
        problem(f"cannot list the cloud assembly folder: {error.strerror or error}", "")
    for sub in nested:
        out.extend(_cdk_stacks(folder / sub, explicit, seen) or [])
    if problems:
        out.append(Candidate(str(manifest_path), explicit, problems=tuple(problems)))
    return sorted(out, key=lambda c: c.path)


def _looks_like_assembly(folder: Path) -> bool:
    """A CDK cloud assembly by its other marks: the folder's name, its `cdk.out` version file or templates."""
    if not (folder / "manifest.json").is_file():
        return False             # reached through `assembly-*` (or a link) but no manifest at all
    try:
        names = os.listdir(folder)
    except OSError:
        return False
    return (folder.name == "cdk.out" or (folder / "cdk.out").is_file()
            or any(n.endswith(".template.json") for n in names))


def discover(paths: Iterable[str]) -> Iterator[Candidate]:
    """Files to load, in a stable order. Missing paths are the CLI's concern (exit 2)."""
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            reads: dict[str, FileBytes] = {}
            stacks = _cdk_stacks(path, True, reads=reads) if (path / "manifest.json").is_file() else None
            if stacks is not None:
                yield from stacks
                continue
            yield from _walk(path, reads)
        else:
            yield Candidate(raw, True)


# A CDK app's source: it imports the CDK and uses a construct whose permissions rumpolicy checks.
CDK_SOURCE_EXTENSIONS = {".ts", ".js", ".mjs", ".py"}
# An import statement, not a mention: a line that starts importing the CDK (Python, TypeScript, CommonJS).
_CDK_IMPORT = re.compile(rb"^[ \t]*(?:import[ \t]+aws_cdk\b|from[ \t]+aws_cdk\b|import\b[^\n]*\bfrom[ \t]*['\"]"
                         rb"(?:aws-cdk-lib|@aws-cdk/)|(?:const|let|var)\b[^\n]*\brequire\([ \t]*['\"](?:aws-cdk-lib|@aws-cdk/))",
                         re.MULTILINE)
_CDK_RUM = re.compile(rb"aws_rum|aws-rum\b|CfnAppMonitor|aws_cognito|aws-cognito|CfnIdentityPool")


CDK_SNIFF_BYTES = 65536


def _cdk_source_line(path: str, data=None) -> int | None:
    """Line of the RUM/Cognito construct in a CDK app's source file, or None when it is not one.

    ``data``: the file's ``FileBytes`` when a loader reads it anyway (then the sniff is no read of its own).
    """
    from rumpolicy.load.source import read_head

    try:
        head = data.head(CDK_SNIFF_BYTES) if data is not None else read_head(path, CDK_SNIFF_BYTES)
    except Exception:  # unreadable sources are not ours to report: they are not inputs
        return None
    match = _CDK_RUM.search(head) if _CDK_IMPORT.search(head) else None
    return head.count(b"\n", 0, match.start()) + 1 if match else None


def cdk_note(path: str, line: int, unless: tuple[str, ...] = ()) -> Candidate:
    """The note on a walked CDK app's source when the walk found no cdk.out."""
    return Candidate(path, False, note=f"{path} is the source of a CDK app that uses RUM or Cognito constructs, "
                                       "and no cdk.out was found: run `cdk synth` and check cdk.out",
                     note_line=line, cdk_unless=unless)


def _walk(root: Path, reads: dict[str, FileBytes] | None = None) -> Iterator[Candidate]:
    """Walk ``root`` depth first, in name order, without recursion (trees of any depth) and without
    following symbolic links to folders (no loops). A folder that cannot be listed is reported.
    ``reads``: files discovery has read already (manifests that are no CDK assembly's), by path."""
    reads = {} if reads is None else reads
    cdk_source: tuple[str, int] | None = None
    cdk_pending: list[str] = []        # inputs that may be the source, sniffed as they are loaded
    cdk_out_seen = False
    stack: list[tuple[Path, bool]] = [(root, True)]
    while stack:
        here, is_root = stack.pop()
        try:
            with os.scandir(here) as entries:
                listed = list(entries)
        except OSError as error:
            yield Candidate(str(here), is_root, problems=((f"cannot read the folder: {error.strerror or error}; "
                                                          "the files in it were not checked", "", None),))
            continue
        if not is_root and here.name == "cdk.out" and any(e.name == "manifest.json" for e in listed):
            stacks = _cdk_stacks(here, False, reads=reads)
            if stacks is not None:
                cdk_out_seen = True
                yield from stacks
                continue
        folders: list[Path] = []
        for entry in sorted(listed, key=lambda e: e.name):
            try:
                is_folder = entry.is_dir(follow_symlinks=False)
            except OSError:
                is_folder = False
            name = entry.name
            if is_folder:
                if name not in SKIP_DIRS and not (here.name == "cdk.out" and name.startswith("asset.")):
                    folders.append(here / name)
                    cdk_out_seen = cdk_out_seen or name == "cdk.out"
                continue
            suffix = os.path.splitext(name)[1].lower()
            is_input = suffix in WALK_EXTENSIONS or suffix in WEB_CLIENT_EXTENSIONS or suffix in TERRAFORM_EXTENSIONS
            sniff = cdk_source is None and suffix in CDK_SOURCE_EXTENSIONS and not name.endswith(".d.ts")
            if is_input:
                yield Candidate(str(here / name), False, cdk_sniff=sniff, read=reads.pop(str(here / name), None))
                if sniff:
                    cdk_pending.append(str(here / name))
            elif sniff:
                line = _cdk_source_line(str(here / name))
                if line is not None:
                    cdk_source = (str(here / name), line)
        stack.extend((folder, False) for folder in reversed(folders))
    if not cdk_out_seen:
        if cdk_pending:
            yield Candidate(str(root), False, cdk_sources=tuple(cdk_pending))
        if cdk_source is not None:
            yield cdk_note(*cdk_source, unless=tuple(cdk_pending))


def load_paths(paths: Iterable[str], options: LoadOptions | None = None) -> Inventory:
    from rumpolicy.load.files import load_candidates

    return load_candidates(list(discover(paths)), options or LoadOptions())


__all__ = ["Candidate", "InputFile", "LoadOptions", "discover", "load_paths"]
