"""The IAM action catalogue, read from botocore's service models without importing botocore.

An IAM action is ``prefix:Operation``. The prefix of a service is taken to be its model's
``metadata.signingName`` (else ``endpointPrefix``), and the directory name of the model counts too:
``rum`` signs as ``rum``; ``sagemaker-runtime`` signs as ``sagemaker``, which is how
``sagemaker:InvokeEndpoint`` (in Cognito's session policy) is known; ``cloudwatch`` signs as
``monitoring`` but is also found under its directory name. Operation names are taken as action
names. Both are heuristics: a few actions have no operation (``s3:ListBucket`` is the
``ListObjectsV2`` operation) and a few prefixes are neither a signing name nor a directory.

Reading one model is cheap; knowing WHICH models make up a prefix needs every model's metadata.
rumpolicy ships that map for the botocore version it is released with (``data/service-prefixes.json``,
written by ``python -m rumpolicy.iam.actions``; a test fails when it no longer matches the installed
botocore), so a prefix such as ``rum`` costs one model, also on a first run in a fresh CI machine.
With another botocore, or for a pattern whose prefix has wildcards (``*``), the full index (every
model, about 0.7 s) is built and kept on disk under ``$XDG_CACHE_HOME/rumpolicy`` (default
``~/.cache/rumpolicy``), keyed by the botocore version; an unwritable cache directory only costs
the rebuild. When botocore is installed, the action names come from its models.

botocore is not a dependency of ``check`` (only of ``rumpolicy audit``: ``pip install 'rumpolicy[audit]'``).
Without it, the operations of every model of that same botocore version are read from
``data/service-operations.json.gz`` (directory -> operations, about 90 kB, written with the prefix
map and checked by the same kind of test), so the answers are the ones the shipped botocore gives.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from functools import lru_cache
from importlib.util import find_spec
from pathlib import Path
from typing import Iterator


_MODEL_FILES = ("service-2.json", "service-2.json.gz")
_INDEX_FORMAT = 1

# Operation-name verbs that read without changing anything. A heuristic on the name only: it is
# what the name promises, not what the Service Authorization Reference's access level says
# (``cognito-identity:GetCredentialsForIdentity`` "gets" credentials).
READ_ONLY_VERBS = ("Get", "List", "Describe", "Head", "BatchGet", "Search", "Query", "Lookup", "Scan")


def service_actions(prefix: str) -> frozenset[str]:
    """Action names (``PutRumEvents``) of an IAM service prefix (``rum``); empty if unknown."""
    prefix = prefix.lower()
    shipped = _shipped_prefixes()
    if shipped is None:
        return _index().get(prefix, frozenset())
    return _prefix_actions(prefix, tuple(shipped.get(prefix, ())))


def expand(pattern: str) -> frozenset[str]:
    """Every catalogued action a pattern matches: ``rum:Put*`` -> ``{"rum:PutRumEvents", ...}``.

    A pattern that leaves the service open (``*``, ``*:Get*``) reads the whole catalogue; to ask
    about a few services only, use ``rumpolicy.iam.action_sets.ActionSet``.
    """
    from rumpolicy.iam.action_sets import ActionSet

    prefix_pattern, colon, _ = pattern.partition(":")
    if not colon and pattern.strip("*") != "":
        return frozenset()
    granted = ActionSet.matching(pattern)
    if colon and not any(c in prefix_pattern for c in "*?"):
        return granted.in_service(prefix_pattern)
    return granted.catalogue()


def catalogue_index() -> dict[str, frozenset[str]]:
    """prefix -> action names over every model of the installed botocore (built once, cached on disk)."""
    return _index()


def is_known(action: str) -> bool | None:
    """Is ``prefix:Name`` an action botocore knows (case-insensitive)? None if the prefix is unknown.

    A pattern (``rum:Put*``) is known when it matches at least one action.
    """
    prefix, colon, name = action.partition(":")
    if not colon:
        return None
    prefix = prefix.lower()
    if any(c in action for c in "*?"):
        if not any(c in prefix for c in "*?") and not service_actions(prefix):
            return None
        return bool(expand(action))
    if name.lower() in {op.lower() for op in _directory_actions(prefix)}:
        return True
    actions = service_actions(prefix)
    if not actions:
        return None
    return name.lower() in {op.lower() for op in actions}


def is_read_only(action: str) -> bool:
    """Does the action's name start with a reading verb (``Get``, ``List``, ``Describe`` ...)?

    See ``READ_ONLY_VERBS``: a naming heuristic that needs no catalogue, so it also answers for
    actions botocore does not model.
    """
    name = action.partition(":")[2] or action
    return name.lower().startswith(tuple(verb.lower() for verb in READ_ONLY_VERBS))


def data_dir() -> Path | None:
    """botocore's ``data`` directory, found without importing botocore (its import is slow)."""
    spec = find_spec("botocore")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def botocore_version() -> str | None:
    """The installed botocore version, read from its ``__init__.py`` rather than by importing it."""
    root = data_dir()
    if root is None:
        return None
    try:
        text = (root.parent / "__init__.py").read_text(encoding="utf-8")
    except OSError:
        return None
    found = re.search(r"^__version__\s*=\s*['\"]([^'\"]+)['\"]", text, re.M)
    return found.group(1) if found else None


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "rumpolicy"


@lru_cache(maxsize=None)
def _directory_actions(prefix: str) -> frozenset[str]:
    """Operations of the model in the directory named like ``prefix`` (the fast path)."""
    if not prefix or prefix.startswith(".") or prefix != Path(prefix).name:
        return frozenset()
    root = data_dir()
    if root is None:
        return _shipped_operations().get(prefix, frozenset())
    model = _read_model(root / prefix)
    return frozenset(model.get("operations", {})) if model else frozenset()


SHIPPED_PREFIXES = Path(__file__).parent / "data" / "service-prefixes.json"
SHIPPED_OPERATIONS = Path(__file__).parent / "data" / "service-operations.json.gz"


@lru_cache(maxsize=None)
def _shipped_prefixes() -> dict[str, list[str]] | None:
    """prefix -> model directories, shipped for one botocore version; None when another version is
    installed (without botocore, the shipped operations are the catalogue, and this map goes with them)."""
    try:
        data = json.loads(SHIPPED_PREFIXES.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data_dir() is not None and data.get("botocore") != botocore_version():
        return None
    prefixes = data.get("prefixes")
    return prefixes if isinstance(prefixes, dict) else None


@lru_cache(maxsize=None)
def _shipped_operations() -> dict[str, frozenset[str]]:
    """model directory -> operations, as shipped: the catalogue when botocore is not installed.

    Part of the package: a copy that cannot be read is a broken installation, and raises (a rule that
    needs the catalogue is then reported as failing, RUM-SRC-003) rather than leaving every action unknown.
    """
    import gzip                          # only without botocore
    import zlib

    try:
        data = json.loads(gzip.decompress(SHIPPED_OPERATIONS.read_bytes()))
        operations = data["operations"]
        return {directory: frozenset(ops) for directory, ops in operations.items()}
    except (OSError, EOFError, ValueError, zlib.error, KeyError, TypeError, AttributeError) as error:
        raise RuntimeError(f"the IAM action catalogue shipped with rumpolicy ({SHIPPED_OPERATIONS}) cannot be "
                           f"read ({type(error).__name__}: {error}); reinstall rumpolicy") from error


@lru_cache(maxsize=None)
def _prefix_actions(prefix: str, directories: tuple[str, ...]) -> frozenset[str]:
    root = data_dir()
    if root is None:
        shipped = _shipped_operations()
        return frozenset().union(*(shipped.get(directory, ()) for directory in directories))
    actions: set[str] = set()
    for directory in directories:
        model = _read_model(root / directory)
        if model:
            actions.update(model.get("operations", {}))
    return frozenset(actions)


def _models() -> Iterator[tuple[str, set[str], set[str]]]:
    """(directory, its IAM prefixes, its operations) for every model of the installed botocore; without
    botocore, for every model of the shipped catalogue (its prefixes from the shipped prefix map)."""
    root = data_dir()
    if root is None:
        yield from _shipped_models()
        return
    if not root.is_dir():
        return
    for service in sorted(p for p in root.iterdir() if p.is_dir()):
        model = _read_model(service)
        if not model:
            continue
        signing = model.get("metadata", {}).get("signingName") or model.get("metadata", {}).get("endpointPrefix")
        prefixes = {service.name.lower(), *([signing.lower()] if isinstance(signing, str) else [])}
        yield service.name, prefixes, set(model.get("operations", {}))


def _shipped_models() -> Iterator[tuple[str, set[str], set[str]]]:
    prefixes_of: dict[str, set[str]] = {}
    for prefix, directories in (_shipped_prefixes() or {}).items():
        for directory in directories:
            prefixes_of.setdefault(directory, set()).add(prefix)
    for directory, operations in sorted(_shipped_operations().items()):
        yield directory, prefixes_of.get(directory, {directory.lower()}), set(operations)


def prefix_map() -> dict[str, list[str]]:
    """prefix -> the model directories that make it up, over every model of the installed botocore."""
    collected: dict[str, set[str]] = {}
    for directory, prefixes, _operations in _models():
        for prefix in prefixes:
            collected.setdefault(prefix, set()).add(directory)
    return {prefix: sorted(dirs) for prefix, dirs in sorted(collected.items())}


def write_prefix_map() -> None:
    """Regenerate ``data/service-prefixes.json`` from the installed botocore (run after upgrading it)."""
    payload = {"botocore": botocore_version(), "prefixes": prefix_map()}
    SHIPPED_PREFIXES.write_text(json.dumps(payload, indent=0, sort_keys=True) + "\n", encoding="utf-8")


def operations_map() -> dict[str, list[str]]:
    """model directory -> its operations, over every model of the installed botocore."""
    return {directory: sorted(operations) for directory, _prefixes, operations in _models()}


def write_operations() -> None:
    """Regenerate ``data/service-operations.json.gz`` from the installed botocore (with the prefix map).

    Written byte for byte the same from the same botocore (sorted keys, no time stamp in the gzip header).
    """
    import gzip

    payload = {"botocore": botocore_version(), "operations": operations_map()}
    text = json.dumps(payload, sort_keys=True, separators=(",", ":")).encode("utf-8")
    SHIPPED_OPERATIONS.write_bytes(gzip.compress(text, compresslevel=9, mtime=0))


@lru_cache(maxsize=None)
def _index() -> dict[str, frozenset[str]]:
    """prefix -> action names, over every model: from the disk cache when it is current."""
    version = botocore_version()
    cache_file = cache_dir() / f"botocore-{version}-actions.json" if version else None
    if cache_file is not None:
        cached = _load_cache(cache_file)
        if cached is not None:
            return cached
    index = _build_index()
    if cache_file is not None:
        _store_cache(cache_file, index)
    return index


def _build_index() -> dict[str, frozenset[str]]:
    collected: dict[str, set[str]] = {}
    for _directory, prefixes, operations in _models():
        for prefix in prefixes:
            collected.setdefault(prefix, set()).update(operations)
    return {prefix: frozenset(ops) for prefix, ops in collected.items()}


def _read_model(service: Path) -> dict | None:
    """The newest ``service-2.json`` (or ``.json.gz``) under ``data/<service>/<api-version>/``."""
    try:
        versions = sorted((p for p in service.iterdir() if p.is_dir()), reverse=True)
    except OSError:
        return None
    for version in versions:
        for name in _MODEL_FILES:
            path = version / name
            if path.is_file():
                try:
                    import gzip                  # only when the index is built from botocore

                    raw = gzip.decompress(path.read_bytes()) if name.endswith(".gz") else path.read_bytes()
                    model = json.loads(raw)
                except (OSError, ValueError):
                    return None
                return model if isinstance(model, dict) else None
    return None


def _load_cache(path: Path) -> dict[str, frozenset[str]] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("format") != _INDEX_FORMAT:
        return None
    prefixes = data.get("prefixes")
    if not isinstance(prefixes, dict) or not all(
            isinstance(ops, list) and all(isinstance(o, str) for o in ops) for ops in prefixes.values()):
        return None
    return {prefix: frozenset(ops) for prefix, ops in prefixes.items()}


def _store_cache(path: Path, index: dict[str, frozenset[str]]) -> None:
    """Write the index atomically; a cache that cannot be written is only a slower next run."""
    import tempfile                      # only when the index is written

    payload = {"format": _INDEX_FORMAT, "prefixes": {p: sorted(ops) for p, ops in sorted(index.items())}}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    except OSError:
        return
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            json.dump(payload, stream)
        os.replace(temporary, path)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(temporary)


if __name__ == "__main__":
    if data_dir() is None:
        raise SystemExit("botocore is not installed: the catalogue is written from its models "
                         "(pip install 'rumpolicy[audit]')")
    write_prefix_map()
    write_operations()
    print(f"wrote {SHIPPED_PREFIXES} and {SHIPPED_OPERATIONS} for botocore {botocore_version()}")
