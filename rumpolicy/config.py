"""The configuration file: ``.rumpolicy.yaml`` or ``pyproject.toml`` ``[tool.rumpolicy]``.

Found by walking up from the folder of the checked paths (``discovery_start``: their common folder),
else from the current directory, each walk stopping at the repository root (the first folder that
holds ``.git``); validated against the JSON Schema shipped as ``rumpolicy/schemas/config.schema.json``
(which also generates ``docs/configuration.md``). Every problem is a ``ConfigError`` naming the file,
and where known the line, and the setting; an unknown setting is named with the nearest known one.
``check`` and ``audit`` both read it; the settings about files and templates (``exclude``,
``app-monitors``, ``var-files``, ``region``, ``account``, ``partition``) are ``check``'s alone.
"""

from __future__ import annotations

import json
import os
from dataclasses import field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable

from rumpolicy.findings import Location, Severity, join_pointer
from rumpolicy.paths import present
from rumpolicy.records import value_type
from rumpolicy.suppress import LIVE_SCHEME, ConfigSuppression, paused_gc

YAML_NAMES = (".rumpolicy.yaml", ".rumpolicy.yml")
PYPROJECT = "pyproject.toml"
# The configuration is the user's own file, not an input under --max-file-size: 60,000 reasoned
# `suppress` entries take about 7 MiB. The bound still keeps a wrong file from filling memory.
MAX_CONFIG_BYTES = 64 * 1024 * 1024
# Findings that mean a check was not made at all: they can be neither deselected nor baselined away.
ALWAYS_ON = ("RUM-SRC-000", "RUM-SRC-003")


class ConfigError(Exception):
    """The configuration (file or options) is wrong: exit status 2."""


@value_type(slots=False)
class Config:
    """The settings of a configuration file (``.rumpolicy.yaml`` or ``[tool.rumpolicy]``), validated; empty: none found."""

    path: Path | None = None
    fail_on: str | None = None
    select: tuple[str, ...] | None = None
    ignore: tuple[str, ...] = ()
    severity: dict[str, Severity] = field(default_factory=dict)
    exclude: tuple[str, ...] = ()
    app_monitors: tuple[str, ...] | None = None
    var_files: tuple[str, ...] | None = None
    region: str | None = None
    account: str | None = None
    partition: str | None = None
    suppress: tuple[ConfigSuppression, ...] = ()

    @property
    def base(self) -> Path:
        return self.path.parent if self.path else Path.cwd()

    def is_excluded(self, path: str) -> bool:
        """Left out of ``check``: matched by ``exclude``, or the configuration file itself, which is
        no input and, walked as one, would be read and parsed a second time."""
        if self.path is not None and os.path.basename(path) == self.path.name \
                and Path(path).resolve() == self.path.resolve():
            return True
        return bool(self.exclude) and _exclude_spec(self.exclude, str(self.base.resolve()))(path)


@lru_cache(maxsize=8)
def _exclude_spec(patterns: tuple[str, ...], base: str):
    import pathspec

    spec = pathspec.GitIgnoreSpec.from_lines(patterns)
    root = Path(base)

    def excluded(path: str) -> bool:
        try:
            relative = Path(path).resolve().relative_to(root)
        except ValueError:
            return False
        return spec.match_file(relative.as_posix())

    return excluded


@lru_cache(maxsize=1)
def schema() -> dict:
    # Beside the package, not through importlib.resources: that import (zipfile, tempfile) costs a cold
    # start 4 ms, and rumpolicy is never imported from a zip.
    return json.loads((Path(__file__).parent / "schemas" / "config.schema.json").read_text("utf-8"))


def find_config(start: Path | None = None) -> Path | None:
    """The nearest ``.rumpolicy.yaml``/``.yml``, or ``pyproject.toml`` with a ``[tool.rumpolicy]`` table, at or
    above ``start`` (default: the current directory) up to the repository root: the first folder holding
    ``.git``, else the filesystem root. A configuration above the repository is another project's."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        for name in YAML_NAMES:
            if present(folder / name, file=True):
                return folder / name
        pyproject = folder / PYPROJECT
        if present(pyproject, file=True) and _has_tool_table(pyproject):
            return pyproject
        if present(folder / ".git"):
            return None
    return None


def discovery_start(paths: Iterable[str]) -> Path | None:
    """Where the search for the configuration of a run over ``paths`` starts: their common folder (a file's
    own folder), so that ``rumpolicy check ../other/infra`` reads the other project's configuration. None
    (the current directory) without paths, or for paths with no common folder (two drives)."""
    folders = []
    for raw in paths:
        absolute = os.path.abspath(raw)
        folders.append(absolute if os.path.isdir(absolute) else os.path.dirname(absolute))
    if not folders:
        return None
    try:
        return Path(os.path.commonpath(folders))
    except ValueError:
        return None


def _has_tool_table(path: Path) -> bool:
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError):
        return False     # not ours to judge
    if not _may_define_table(text):
        return False
    import tomllib       # only for a pyproject.toml that may hold the table: 3 ms of a cold start

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return "tool.rumpolicy" in text      # ours but broken: load_config reports why
    return isinstance(data.get("tool"), dict) and "rumpolicy" in data["tool"]


def _may_define_table(text: str) -> bool:
    """Whether TOML ``text`` can define ``[tool.rumpolicy]``; never False when it does. A table key is
    written in a header, before a line's first ``=`` (a dotted key) or in an inline table (after ``{``);
    an escape in a quoted key (``"rumpolic\\u0079"``) could spell the name, so any escape means maybe."""
    if "\\u" in text or "\\U" in text:
        return True
    for line in text.splitlines():
        at = line.find("rumpolicy")
        while at >= 0:
            before = line[:at]
            if "=" not in before or "{" in before:
                return True
            at = line.find("rumpolicy", at + 1)
    return False


def _read(path: Path) -> tuple[Any, Any, tuple[str, ...]]:
    """The settings, a span lookup for pointers into them, and the keys of the table holding them."""
    if path.name == PYPROJECT:
        import tomllib

        try:
            data = tomllib.loads(path.read_text("utf-8"))
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path}: cannot read: {exc}") from exc
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: {exc}") from exc
        table = data.get("tool", {}).get("rumpolicy")
        if table is None:
            raise ConfigError(f"{path}: no [tool.rumpolicy] table")
        return table, (lambda pointer: None), ("tool", "rumpolicy")
    from rumpolicy.load.source import SourceError, parse_text, read_text

    try:
        size = path.stat().st_size
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    if size > MAX_CONFIG_BYTES:
        raise ConfigError(f"{path}: the configuration file is {size / 2**20:.1f} MiB, above the "
                          f"{MAX_CONFIG_BYTES // 2**20} MiB limit")
    try:
        parsed = parse_text(read_text(str(path), max_bytes=MAX_CONFIG_BYTES), str(path))
    except SourceError as error:
        where = f":{error.span.line}:{error.span.column}" if error.span else ""
        raise ConfigError(f"{path}{where}: {error.message}") from error
    data = {} if parsed.data is None else parsed.data
    return data, parsed.span_for, ()


def load_config(path: Path) -> Config:
    # A long `suppress` list is a million small objects: see `paused_gc`.
    with paused_gc():
        return _load_config(path)


def _load_config(path: Path) -> Config:
    import jsonschema

    data, span_for, table = _read(path)
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the settings must be a mapping (got {type(data).__name__})")

    def where(tokens: Iterable[object], at: Iterable[object] | None = None) -> str:
        """``file:line:col: setting``: the setting ``tokens`` name, located at ``at`` (default: the same)."""
        tokens = list(tokens)
        span = span_for(join_pointer("", *(tokens if at is None else at)))
        position = f":{span.line}:{span.column}" if span else ""
        return f"{path}{position}: {'.'.join(str(t) for t in (*table, *tokens)) or '(top level)'}"

    if not _plainly_valid(data):
        validator = jsonschema.Draft202012Validator(schema())
        errors = sorted(validator.iter_errors(data), key=lambda e: [str(t) for t in e.absolute_path])
        if errors:
            raise ConfigError("\n".join(line for e in errors for line in _described(e, where)))

    def rule_ids(key: str) -> tuple[str, ...]:
        return tuple(_canonical(rule_id, lambda i=index: where([key, i]))
                     for index, rule_id in enumerate(data.get(key, ())))

    severity = {_canonical(rule_id, lambda k=rule_id: where(["severity", k])): Severity(value)
                for rule_id, value in data.get("severity", {}).items()}
    for index, pattern in enumerate(data.get("exclude", ())):
        _check_glob(pattern, lambda i=index: where(["exclude", i]))
    base = path.parent
    shown = _shown(path)
    # The pointer tokens before the index need no escaping, and the index none: formatted, not joined.
    written_prefix = join_pointer("", *table, "suppress")
    known: set[str] = set()          # ids already checked: thousands of entries name a handful of rules
    suppress = []
    for index, entry in enumerate(data.get("suppress", ())):
        rule_id = entry["id"]
        if rule_id not in known:
            _canonical(rule_id, lambda i=index: where(["suppress", i, "id"]))
            known.add(rule_id)
        for number, pattern in enumerate(entry.get("paths", ())):
            _check_glob(pattern, lambda i=index, n=number: where(["suppress", i, "paths", n]))
        written = Location(shown, f"{written_prefix}/{index}", span_for(f"/suppress/{index}"))
        suppress.append(ConfigSuppression((rule_id,), entry.get("reason"), tuple(entry.get("paths", ())), base,
                                          written, subjects=tuple(entry.get("subjects", ()))))
    config = Config(
        path=path, fail_on=data.get("fail-on"),
        select=rule_ids("select") if "select" in data else None,
        ignore=rule_ids("ignore"), severity=severity, exclude=tuple(data.get("exclude", ())),
        app_monitors=tuple(data["app-monitors"]) if "app-monitors" in data else None,
        var_files=tuple(str(base / p) for p in data["var-files"]) if "var-files" in data else None,
        region=data.get("region"), account=data.get("account"), partition=data.get("partition"),
        suppress=tuple(suppress))
    for rule_id in config.ignore:
        if rule_id in ALWAYS_ON:
            raise ConfigError(f"{where(['ignore'])}: {rule_id} cannot be ignored: a file that cannot be read, "
                              "or a rule that crashed, is never a pass")
    return config


def _described(error, where) -> list[str]:
    """One line per problem: an unexpected key of a mapping with fixed keys is an unknown setting, located at
    the key and named with the nearest known one; other errors in jsonschema's words."""
    path = list(error.absolute_path)
    closed = error.validator == "additionalProperties" and error.schema.get("additionalProperties") is False
    known = error.schema.get("properties", {}) if closed else None
    unknown = [key for key in error.instance if key not in known] \
        if isinstance(known, dict) and isinstance(error.instance, dict) else []
    if not unknown:
        return [f"{where(path)}: {error.message}"]
    return [f"{where(path, at=[*path, key])}: unknown setting {_quoted(key)}{_did_you_mean(key, known)}"
            for key in unknown]


def _did_you_mean(key: object, known: Iterable[str]) -> str:
    import difflib

    # `fail_on` for `fail-on`: compare as the settings are spelt, lower case with dashes.
    spelt = {name.lower().replace("_", "-"): name for name in known}
    close = difflib.get_close_matches(str(key).lower().replace("_", "-"), list(spelt), n=1, cutoff=0.6)
    return f" (did you mean {_quoted(spelt[close[0]])}?)" if close else f" (known: {', '.join(sorted(known))})"


def _quoted(key: object) -> str:
    from rumpolicy.escape import visible

    return f"`{visible(str(key))}`"


def _check_glob(pattern: str, where) -> None:
    """A gitignore pattern that pathspec refuses (``!``, a trailing ``\\``, a bad ``[`` range) is a
    configuration error, not a crash when a file is first matched against it. Only patterns with
    ``!`` first, a ``\\`` or a ``[`` can be refused (tests/test_config.py tries every short one), so
    only those are compiled here: compiling all 60,000 of a long ``suppress`` list would take 12 s."""
    if pattern.startswith(LIVE_SCHEME) or not (pattern.startswith("!") or "\\" in pattern or "[" in pattern):
        return
    import re
    import warnings

    import pathspec

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)     # re's "possible nested set" in a `[` range
            pathspec.GitIgnoreSpec.from_lines([pattern])
    except (ValueError, re.error) as error:                    # GitIgnorePatternError is a ValueError
        raise ConfigError(f"{where()}: {pattern!r} is not a valid gitignore pattern ({error})") from None


def _plainly_valid(data: dict) -> bool:
    """True when the settings are valid without asking jsonschema, whose cost is per value: about
    50 µs for each ``suppress`` entry, or 3 s for 60,000. The list is checked by a validator compiled
    from the schema's own definition of it (``_compile``); the rest of the settings, which stay small, by
    jsonschema with an empty list in its place. False means "not known to be valid", and the caller
    then runs jsonschema on everything, which words the errors as before."""
    import jsonschema

    entries = data.get("suppress")
    if not isinstance(entries, list):
        return False
    rest = {**data, "suppress": []}
    if not jsonschema.Draft202012Validator(schema()).is_valid(rest):
        return False
    suppress_valid = _suppress_validator()
    return suppress_valid is not None and suppress_valid(entries)


@lru_cache(maxsize=1)
def _suppress_validator():
    """A predicate for the ``suppress`` list compiled from the schema, or None if the schema uses a
    keyword the compiler does not know (then jsonschema judges the list)."""
    root = schema()
    try:
        return _compile(root["properties"]["suppress"], root)
    except _Unsupported:
        return None


class _Unsupported(Exception):
    """The schema uses a keyword ``_compile`` does not implement."""


# Keywords that describe a value without constraining it.
_ANNOTATIONS = {"description", "examples", "title", "default", "$comment"}


def _compile(node: dict, root: dict):
    """A predicate equivalent to the JSON Schema ``node`` for the subset of keywords used by ``suppress``:
    ``$ref`` (local), ``type`` (object, array, string), ``required``, ``properties``,
    ``additionalProperties: false``, ``items``, ``minLength``, ``pattern``. Any other keyword raises
    ``_Unsupported``, so a schema that grows one falls back to jsonschema instead of being half checked."""
    import re

    if "$ref" in node:
        ref = node["$ref"]
        if set(node) - _ANNOTATIONS - {"$ref"} or not ref.startswith("#/$defs/"):
            raise _Unsupported(ref)
        return _compile(root["$defs"][ref[len("#/$defs/"):]], root)
    unknown = set(node) - _ANNOTATIONS - {"type", "required", "properties", "additionalProperties", "items",
                                          "minLength", "pattern"}
    kind = node.get("type")
    if unknown or kind not in ("object", "array", "string"):
        raise _Unsupported(unknown or kind)
    if kind == "string":
        if {"required", "properties", "additionalProperties", "items"} & set(node):
            raise _Unsupported(node)
        min_length = node.get("minLength", 0)
        # JSON Schema patterns are unanchored searches, as jsonschema runs them.
        search = re.compile(node["pattern"]).search if "pattern" in node else None
        return lambda value: (isinstance(value, str) and len(value) >= min_length
                              and (search is None or search(value) is not None))
    if kind == "array":
        if set(node) - _ANNOTATIONS - {"type", "items"}:
            raise _Unsupported(node)
        if "items" not in node:
            return lambda value: isinstance(value, list)
        item = _compile(node["items"], root)
        # map() rather than a generator: this runs once per entry of a long list.
        return lambda value: isinstance(value, list) and all(map(item, value))
    # Without `additionalProperties: false` other keys would be allowed; refusing them instead is
    # stricter than the schema, which is safe: the entry then goes to jsonschema.
    if set(node) - _ANNOTATIONS - {"type", "required", "properties", "additionalProperties"} \
            or node.get("additionalProperties", False) is not False:
        raise _Unsupported(node)
    required = frozenset(node.get("required", ()))
    properties = {key: _compile(sub, root) for key, sub in node.get("properties", {}).items()}
    allowed = properties.keys()

    def valid_object(value) -> bool:
        if not isinstance(value, dict) or not required <= value.keys() or not value.keys() <= allowed:
            return False
        for key, item in value.items():
            if not properties[key](item):
                return False
        return True

    return valid_object


def _shown(path: Path) -> str:
    """How findings name the configuration file: relative to the current directory when inside it."""
    relative = os.path.relpath(path)
    return str(path) if relative.startswith("..") else relative


def _canonical(rule_id: str, where) -> str:
    from rumpolicy.engine import find_rule

    found = find_rule(rule_id)
    if found is None:
        raise ConfigError(f"{where()}: no rule {rule_id!r} (see `rumpolicy rules`)")
    return found.id


def resolve(explicit: str | None, disabled: bool, start: Path | None = None) -> Config:
    """The configuration in force, the first of: none with ``--no-config``; ``--config FILE``; the nearest
    file at or above ``start`` (the checked paths' folder, ``discovery_start``); the nearest at or above the
    current directory; none. Each search stops at the repository root (``find_config``)."""
    if disabled:
        return Config()
    if explicit is not None:
        path = Path(explicit)
        if not path.is_file():
            raise ConfigError(f"--config: no such file: {explicit}")
        return load_config(path)
    found = find_config(start) if start is not None else None
    found = found or find_config()
    return load_config(found) if found else Config()


def with_options(config: Config, *, select: list[str] | None, ignore: list[str] | None) -> Config:
    """Command-line ``--select``/``--ignore`` replace the file's lists."""
    def ids(values: list[str], option: str) -> tuple[str, ...]:
        return tuple(_canonical(v, lambda v=v: f"{option} {v}") for v in values)

    changes: dict[str, Any] = {}
    if select is not None:
        changes["select"] = ids(select, "--select")
    if ignore is not None:
        changes["ignore"] = ids(ignore, "--ignore")
        for rule_id in changes["ignore"]:
            if rule_id in ALWAYS_ON:
                raise ConfigError(f"--ignore {rule_id}: a file that cannot be read, or a rule that crashed, "
                                  "is never a pass")
    return replace(config, **changes)


def selected_rules(config: Config):
    """The rules that run: ``select`` (default: all), less ``ignore``; RUM-SRC-000/003 always."""
    from rumpolicy.engine import registry

    chosen = set(config.select) | set(ALWAYS_ON) if config.select is not None else None
    return tuple(r for r in registry()
                 if (chosen is None or r.id in chosen) and r.id not in config.ignore)


def override_severity(findings, overrides: dict[str, Severity]):
    if not overrides:
        return findings
    return [replace(f, severity=overrides[f.rule_id]) if f.rule_id in overrides else f for f in findings]


__all__ = ["Config", "ConfigError", "discovery_start", "find_config", "load_config", "override_severity", "resolve",
           "schema", "selected_rules", "with_options"]
