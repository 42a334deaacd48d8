"""The configuration file: ``.rumpolicy.yaml`` or ``pyproject.toml`` ``[tool.rumpolicy]``.

Found by walking up from the current directory; validated against the JSON Schema shipped as
``rumpolicy/schemas/config.schema.json`` (which also generates ``docs/configuration.md``). Every
problem is a ``ConfigError`` naming the file, and where known the line, and the setting.
``check`` and ``audit`` both read it; the settings about files and templates (``exclude``,
``app-monitors``, ``var-files``, ``region``, ``account``, ``partition``) are ``check``'s alone.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field, replace
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Iterable

from rumpolicy.findings import Location, Severity, join_pointer
from rumpolicy.paths import present
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


@dataclass(frozen=True)
class Config:
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
    return json.loads(resources.files("rumpolicy").joinpath("schemas/config.schema.json").read_text("utf-8"))


def find_config(start: Path | None = None) -> Path | None:
    """The nearest ``.rumpolicy.yaml``/``.yml``, or ``pyproject.toml`` with a ``[tool.rumpolicy]`` table."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        for name in YAML_NAMES:
            if present(folder / name, file=True):
                return folder / name
        pyproject = folder / PYPROJECT
        if present(pyproject, file=True) and _has_tool_table(pyproject):
            return pyproject
    return None


def _has_tool_table(path: Path) -> bool:
    import tomllib

    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError):
        return False     # not ours to judge
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return "tool.rumpolicy" in text      # ours but broken: load_config reports why
    return isinstance(data.get("tool"), dict) and "rumpolicy" in data["tool"]


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

    def where(tokens: Iterable[object]) -> str:
        tokens = list(tokens)
        span = span_for(join_pointer("", *tokens))
        position = f":{span.line}:{span.column}" if span else ""
        return f"{path}{position}: {'.'.join(str(t) for t in (*table, *tokens)) or '(top level)'}"

    if not _plainly_valid(data):
        validator = jsonschema.Draft202012Validator(schema())
        errors = sorted(validator.iter_errors(data), key=lambda e: [str(t) for t in e.absolute_path])
        if errors:
            raise ConfigError("\n".join(f"{where(list(e.absolute_path))}: {e.message}" for e in errors))

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
    """The configuration in force: ``--config FILE``, none with ``--no-config``, else the nearest file."""
    if disabled:
        return Config()
    if explicit is not None:
        path = Path(explicit)
        if not path.is_file():
            raise ConfigError(f"--config: no such file: {explicit}")
        return load_config(path)
    found = find_config(start)
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


__all__ = ["Config", "ConfigError", "find_config", "load_config", "override_severity", "resolve",
           "schema", "selected_rules", "with_options"]
