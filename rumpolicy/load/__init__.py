"""Load everything the user named: walk folders, recognize each file by content, build the model.

Files are recognized by what they contain, never by name. A file that cannot be read or parsed is
recorded with its error (reported as RUM-SRC-000) and the others are still loaded.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

from rumpolicy.load.options import LoadOptions
from rumpolicy.model.inputs import InputFile
from rumpolicy.model.resources import Inventory

SKIP_DIRS = {".git", "node_modules", ".venv", ".terraform", "__pycache__", ".tox", ".mypy_cache"}
# Extensions worth opening when walking a folder; an explicitly named file is always opened.
WALK_EXTENSIONS = {".json", ".yaml", ".yml", ".template", ".cfn", ".txt", ""}
# Pages, scripts and JSON5 configs that may start the RUM web client; walked ones are sniffed for the client
# before they are parsed (rumpolicy.load.webclient).
WEB_CLIENT_EXTENSIONS = {".html", ".htm", ".js", ".mjs", ".jsx", ".ts", ".tsx", ".json5"}
# Terraform configuration and variable files (``.tf.json``/``.tfvars.json`` are walked as ``.json``): a
# folder's files are loaded together as one module (rumpolicy.load.terraform_hcl).
TERRAFORM_EXTENSIONS = {".tf", ".tfvars"}
SNIFF_BYTES = 4096


@dataclass(frozen=True)
class Candidate:
    path: str
    explicit: bool
    stack_env: tuple[str | None, str | None] | None = None   # (account, region) from a CDK manifest


def _cdk_stacks(folder: Path, explicit: bool) -> list[Candidate] | None:
    """A CDK cloud assembly: check the stack templates its manifest lists, with their environments."""
    manifest_path = folder / "manifest.json"
    try:
        manifest = json.loads(manifest_path.read_text("utf-8"))
    except (OSError, ValueError):
        return None
    artifacts = manifest.get("artifacts") if isinstance(manifest, dict) else None
    if not isinstance(artifacts, dict):
        return None
    out: list[Candidate] = []
    for artifact in artifacts.values():
        if not isinstance(artifact, dict) or artifact.get("type") != "aws:cloudformation:stack":
            continue
        template = (artifact.get("properties") or {}).get("templateFile")
        if not isinstance(template, str):
            continue
        account = region = None
        env = artifact.get("environment")
        if isinstance(env, str) and env.startswith("aws://"):
            account, _, region = env[len("aws://"):].partition("/")
            account = None if account.startswith("unknown") else account
            region = None if region.startswith("unknown") else region
        out.append(Candidate(str(folder / template), explicit, (account, region)))
    nested = [folder / d for d in os.listdir(folder) if d.startswith("assembly-") and (folder / d).is_dir()]
    for sub in sorted(nested):
        out.extend(_cdk_stacks(sub, explicit) or [])
    return sorted(out, key=lambda c: c.path)


def discover(paths: Iterable[str]) -> Iterator[Candidate]:
    """Files to load, in a stable order. Missing paths are the CLI's concern (exit 2)."""
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            stacks = _cdk_stacks(path, True) if (path / "manifest.json").is_file() else None
            if stacks is not None:
                yield from stacks
                continue
            yield from _walk(path)
        else:
            yield Candidate(raw, True)


def _walk(root: Path) -> Iterator[Candidate]:
    for dirpath, dirnames, filenames in os.walk(root):
        here = Path(dirpath)
        if here != root and here.name == "cdk.out" and (here / "manifest.json").is_file():
            stacks = _cdk_stacks(here, False)
            if stacks is not None:
                dirnames[:] = []
                yield from stacks
                continue
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS
                             and not (here.name == "cdk.out" and d.startswith("asset.")))
        for name in sorted(filenames):
            if Path(name).suffix.lower() in WALK_EXTENSIONS or Path(name).suffix.lower() in WEB_CLIENT_EXTENSIONS \
                    or Path(name).suffix.lower() in TERRAFORM_EXTENSIONS:
                yield Candidate(str(here / name), False)


def load_paths(paths: Iterable[str], options: LoadOptions | None = None) -> Inventory:
    from rumpolicy.load.files import load_candidates

    return load_candidates(list(discover(paths)), options or LoadOptions())


__all__ = ["Candidate", "InputFile", "LoadOptions", "discover", "load_paths"]
