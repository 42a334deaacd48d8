"""The RUM rules inside cfn-lint: ``cfn-lint --append-rules rumpolicy.cfnlint_plugin -- template.yaml``.

cfn-lint instantiates every ``CloudFormationLintRule`` subclass of this module, so there is one
class per rumpolicy rule, built from the registry when the module is imported. cfn-lint derives a
rule's severity from the first letter of its id, so the id is

    <E|W|I> 9 <area, 2 digits> <rule number, 2 digits>       RUM-PERM-004 (warning) -> W90504

with the areas numbered in ``AREA_CODES`` (a fixed table: ids never depend on discovery order).
Every message starts with the rumpolicy id, and with the severity where a finding's differs from
its rule's default (the id's letter cannot show it). Each template is checked once by rumpolicy,
on the template cfn-lint decoded (after transforms), by the stages of every run (``rumpolicy.api``); findings are handed back to cfn-lint as
matches at the path of their JSON pointer, so cfn-lint places them on their line and honours its
own ``Metadata: cfn-lint: config: ignore_checks``. Deploy targets stay symbolic, as in
``rumpolicy check`` without ``--region``/``--account``.

Only ``cfn-lint`` imports this module; ``rumpolicy check`` never does.
"""

from __future__ import annotations

import json
import re
import weakref
from typing import Any

from cfnlint.rules import CloudFormationLintRule, RuleMatch

from rumpolicy.engine import Rule, registry
from rumpolicy.findings import Finding, Severity

AREA_CODES = {"SRC": 0, "MON": 1, "POOL": 2, "ATT": 3, "TRUST": 4, "PERM": 5, "RBP": 6, "XREF": 7,
              "CLIENT": 8, "ADMIN": 9, "IAM": 10, "USER": 11}
LETTERS = {Severity.ERROR: "E", Severity.WARNING: "W", Severity.INFO: "I"}
RULE_PARTS = re.compile(r"^RUM-(?P<area>[A-Z]+)-(?P<number>\d{3})$")

# Findings per decoded template: the rule classes all read the one rumpolicy run of a template.
_RUNS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def cfnlint_id(found: Rule) -> str | None:
    """The cfn-lint id of a rule, or None for a rule outside the numbered areas (``RUM-X-Y-NNN``)."""
    parts = RULE_PARTS.match(found.id)
    if parts is None or parts["area"] not in AREA_CODES or int(parts["number"]) > 99:
        return None
    return f"{LETTERS[found.severity]}9{AREA_CODES[parts['area']]:02d}{int(parts['number']):02d}"


def _plain(template: Any) -> Any:
    """cfn-lint's decoded nodes as plain JSON values (dates and other scalars as strings)."""
    return json.loads(json.dumps(template, default=str))


def template_findings(cfn) -> list[Finding]:
    """rumpolicy's findings on the template cfn-lint decoded: the load stage of a template, then the
    judging stages of every run (``rumpolicy.api.judge``), kept to this template's own findings."""
    if cfn in _RUNS:
        return _RUNS[cfn]
    from rumpolicy.api import Options, judge
    from rumpolicy.load.files import load_decoded_template

    source = cfn.filename or "template"
    inventory = load_decoded_template(source, _plain(cfn.template), Options().load)
    findings = judge(inventory, Options(), only_source=source).findings
    _RUNS[cfn] = findings
    return findings


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


def _make(found: Rule, rule_id: str) -> type:
    def match(self, cfn) -> list[RuleMatch]:
        matches = []
        for finding in template_findings(cfn):
            if finding.rule_id != found.id:
                continue
            severity = "" if finding.severity is found.severity else f" ({finding.severity.value})"
            matches.append(RuleMatch(cfnlint_path(cfn.template, finding.location.pointer),
                                     f"{found.id}{severity} {finding.message}"))
        return matches


    return type(found.id.replace("-", ""), (CloudFormationLintRule,), {
        "__module__": __name__,
        "__doc__": found.summary,
        "id": rule_id,
        "shortdesc": f"{found.id} {found.name}",
        "description": found.summary,
        "source_url": found.help_url,
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
