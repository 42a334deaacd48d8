"""The RUM rules inside cfn-lint: ``cfn-lint --append-rules rumpolicy.cfnlint_plugin -- template.yaml``.

cfn-lint instantiates every ``CloudFormationLintRule`` subclass of this module, so there is one
class per rumpolicy rule, built from the registry when the module is imported. cfn-lint derives a
rule's severity from the first letter of its id, so the id is

    <E|W|I> 9 <area, 2 digits> <rule number, 2 digits>       RUM-PERM-004 (warning) -> W90504

with the areas numbered in ``AREA_CODES`` (a fixed table: ids never depend on discovery order).
Every message starts with the rumpolicy id, and with the severity where a finding's differs from
its rule's default (the id's letter cannot show it: a ``severity`` override in the configuration
shows in the message, while cfn-lint's level and exit status follow the letter).

Each template is checked once, by the stages of every run (``rumpolicy.api.judge``), on the template
cfn-lint decoded (after transforms), and with what ``rumpolicy check`` on that one file would apply:

- the configuration ``rumpolicy.config.resolve`` finds from the template's folder (``select``,
  ``ignore``, ``severity``, ``suppress``, ``exclude``, ``region``, ``account``, ``partition``); a
  configuration that cannot be read is one error on the template (under RUM-SRC-000's cfn-lint id),
  never a silent pass;
- the suppressions written in the template: ``# rumpolicy: ignore ID -- reason`` comments (read from
  the file's text) and ``Metadata: rumpolicy: ignore``. Suppressed findings are not handed to cfn-lint;
  suppressions that are wrong are (RUM-SRC-004), as ``check`` reports them.

Positions come from cfn-lint's decoded nodes, given to rumpolicy as the template's source map, so a
comment covers the line cfn-lint shows; findings are handed back at those positions, with the path of
their JSON pointer, so cfn-lint honours its own ``--ignore-checks`` and
``Metadata: cfn-lint: config: ignore_checks``. Deploy targets stay symbolic unless the configuration
pins them, as in ``rumpolicy check``. Findings located outside the template (a configuration entry
that suppresses nothing) are ``check``'s to report.

Only ``cfn-lint`` imports this module; ``rumpolicy check`` never does.
"""

from __future__ import annotations

import json
import re
import sys
import weakref
from dataclasses import field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cfnlint.rules import CloudFormationLintRule, RuleMatch

from rumpolicy.engine import Rule, registry
from rumpolicy.findings import Finding, Location, Severity, Span, join_pointer
from rumpolicy.records import value_type
from rumpolicy.report.sarif import help_url

if TYPE_CHECKING:
    from rumpolicy.model import Inventory

AREA_CODES = {"SRC": 0, "MON": 1, "POOL": 2, "ATT": 3, "TRUST": 4, "PERM": 5, "RBP": 6, "XREF": 7,
              "CLIENT": 8, "ADMIN": 9, "IAM": 10, "USER": 11}
LETTERS = {Severity.ERROR: "E", Severity.WARNING: "W", Severity.INFO: "I"}
RULE_PARTS = re.compile(r"^RUM-(?P<area>[A-Z]+)-(?P<number>\d{3})$")
# A configuration that cannot be read is reported under this rule's cfn-lint id: the template was not checked.
CONFIG_ERROR_RULE = "RUM-SRC-000"

# What rumpolicy found in each decoded template: the rule classes all read the one run of a template.
_RUNS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
# cfn-lint's positions, 0-based (line, column, end line, end column).
Position = tuple[int, int, int, int]


@value_type(slots=False)
class TemplateRun:
    """rumpolicy's findings on one template cfn-lint decoded, and the positions of its nodes."""

    findings: tuple[Finding, ...] = ()       # active findings only: suppressed ones are not cfn-lint's
    positions: dict[str, Position] = field(default_factory=dict)     # by JSON pointer
    config_error: str | None = None          # the configuration could not be read: nothing was checked


def cfnlint_id(found: Rule) -> str | None:
    """The cfn-lint id of a rule, or None for a rule outside the numbered areas (``RUM-X-Y-NNN``)."""
    parts = RULE_PARTS.match(found.id)
    if parts is None or parts["area"] not in AREA_CODES or int(parts["number"]) > 99:
        return None
    return f"{LETTERS[found.severity]}9{AREA_CODES[parts['area']]:02d}{int(parts['number']):02d}"


def _plain(template: Any) -> Any:
    """cfn-lint's decoded nodes as plain JSON values (dates and other scalars as strings)."""
    return json.loads(json.dumps(template, default=str))


def node_positions(template: Any) -> dict[str, Position]:
    """The position of every node of cfn-lint's decoded template that has one, by JSON pointer: a
    mapping entry at its key (where cfn-lint puts a match on that path), a list item at the item."""
    positions: dict[str, Position] = {}

    def mark(node: Any) -> Position | None:
        start, end = getattr(node, "start_mark", None), getattr(node, "end_mark", None)
        if start is None or end is None:
            return None
        return start.line, start.column, end.line, end.column

    def walk(node: Any, pointer: str) -> None:
        if isinstance(node, dict):
            entries = ((key, key, value) for key, value in node.items())
        elif isinstance(node, list):
            entries = ((index, value, value) for index, value in enumerate(node))
        else:
            return
        for token, marked, value in entries:
            child = join_pointer(pointer, token)
            found = mark(marked)
            if found is not None:
                positions[child] = found
            walk(value, child)

    root = mark(template)
    if root is not None:
        positions[""] = root
    walk(template, "")
    return positions


def _template_text(source: str) -> str | None:
    """The template file's text, for its suppression comments; None when cfn-lint did not read a file."""
    from rumpolicy.load.source import SourceError, read_text
    from rumpolicy.paths import present

    if not present(Path(source), file=True):
        return None
    try:
        return read_text(source, max_bytes=sys.maxsize)     # cfn-lint has read it whole already
    except SourceError:
        return None


def _load(source: str, data: Any, positions: dict[str, Position], text: str | None, options) -> "Inventory":
    """The template as ``rumpolicy check`` loads a template file (``rumpolicy.load.files``): its
    suppression comments, then its resources (and their metadata suppressions), linked on their own;
    with cfn-lint's positions as its source map."""
    from rumpolicy.load.files import load_decoded_template

    spans = {pointer: Span(line + 1, column + 1) for pointer, (line, column, _, _) in positions.items()}
    return load_decoded_template(source, data, options, spans=spans, text=text)


def template_run(cfn) -> TemplateRun:
    """rumpolicy's run on the template cfn-lint decoded, with the configuration found from its path."""
    if cfn in _RUNS:
        return _RUNS[cfn]
    from rumpolicy.api import Options, judge
    from rumpolicy.config import ConfigError, discovery_start, resolve
    from rumpolicy.load import LoadOptions

    source = cfn.filename or "template"          # cfn-lint names no file for standard input
    positions = node_positions(cfn.template)
    try:
        # Found as `rumpolicy check TEMPLATE` finds it (from standard input: from the current directory).
        config = resolve(None, False, discovery_start([source] if cfn.filename else []))
    except ConfigError as error:
        run = TemplateRun(config_error=" / ".join(str(error).splitlines()))      # one line per match
    else:
        if config.is_excluded(source):
            run = TemplateRun()
        else:
            options = Options(config=config, load=LoadOptions(region=config.region, account=config.account,
                                                              partition=config.partition or "aws"))
            text = _template_text(cfn.filename) if cfn.filename else None
            inventory = _load(source, _plain(cfn.template), positions, text, options.load)
            report = judge(inventory, options, only_source=source)
            run = TemplateRun(tuple(report.active), positions)
    _RUNS[cfn] = run
    return run


def cfnlint_path(template: Any, pointer: str) -> list[str | int]:
    """A JSON pointer as a cfn-lint path: list indices as ints, so cfn-lint finds the node's line."""
    path: list[str | int] = []
    node = template
    for raw in pointer.split("/")[1:]:
        token = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, list) and token.isdigit():
            path.append(int(token))
            node = node[int(token)] if int(token) < len(node) else None
        else:
            path.append(token)
            node = node.get(token) if isinstance(node, dict) else None
    return path


def _position(run: TemplateRun, location: Location) -> Position | None:
    """Where cfn-lint shows a finding: the node whose start is its span (the pointer's, else the nearest
    ancestor's, as ``ParsedSource.span_for`` chose it), else its span alone (a comment's line); None
    without a span (a node cfn-lint's transform made), and cfn-lint places the match by its path."""
    span = location.span
    if span is None:
        return None
    pointer = location.pointer
    while True:
        found = run.positions.get(pointer)
        if found is not None and (found[0] + 1, found[1] + 1) == (span.line, span.column):
            return found
        if found is not None or not pointer:
            return span.line - 1, span.column - 1, span.line - 1, span.column
        pointer = pointer[: max(pointer.rfind("/"), 0)]


def _make(found: Rule, rule_id: str) -> type:
    def match(self, cfn) -> list[RuleMatch]:
        run = template_run(cfn)
        if run.config_error is not None:
            if found.id != CONFIG_ERROR_RULE:
                return []
            return [RuleMatch([], f"{found.id} the rumpolicy configuration cannot be read, so no RUM rule "
                                  f"checked this template: {run.config_error}", location=(0, 0, 0, 1))]
        matches = []
        for finding in run.findings:
            if finding.rule_id != found.id:
                continue
            severity = "" if finding.severity is found.severity else f" ({finding.severity.value})"
            extra = {}
            position = _position(run, finding.location)
            if position is not None:
                extra["location"] = position
            matches.append(RuleMatch(cfnlint_path(cfn.template, finding.location.pointer),
                                     f"{found.id}{severity} {finding.message}", **extra))
        return matches

    return type(found.id.replace("-", ""), (CloudFormationLintRule,), {
        "__module__": __name__,
        "__doc__": found.summary,
        "id": rule_id,
        "shortdesc": f"{found.id} {found.name}",
        "description": found.summary,
        "source_url": help_url(found.id),
        "tags": ["rumpolicy", "rum", found.area],
        "match": match,
    })


def _define_rules() -> dict[str, type]:
    classes: dict[str, type] = {}
    for found in registry():
        rule_id = cfnlint_id(found)
        if rule_id is not None:
            cls = _make(found, rule_id)
            classes[cls.__name__] = cls
    return classes


globals().update(_define_rules())
