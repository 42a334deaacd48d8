"""Which findings `rumpolicy fix` can fix, with which patches, and whether it may (safe / unsafe).

A finding is fixable when its rule declares a fix kind (``rule(fix="safe"|"unsafe")``), it is not
suppressed, and it carries precise edits (``ReplaceNode``, ``SetPath``) into a CloudFormation template
(YAML or JSON), a Terraform ``.tf`` file or a bare IAM policy (JSON or YAML; only literal values go into one,
``Document(literal=True)``). Everything else that has a fix kind is reported, never skipped in silence:
other formats ("no automatic fix for this format yet"), or the case the rule cannot edit precisely.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from rumpolicy.findings import Finding
from rumpolicy.fix.apply import Document, Patch, overlaps
from rumpolicy.fix.nodes import Unfixable
from rumpolicy.fix.terraform_text import TerraformDocument
from rumpolicy.model.messages import PRECISE

FORMAT_NOT_YET = ("no automatic fix for this format yet (CloudFormation YAML and JSON, Terraform `.tf` files and "
                  "bare IAM policies only)")
FIXED_FORMATS = ("cloudformation:yaml", "cloudformation:json", "terraform:hcl", "iam:json", "iam:yaml")
UNSAFE = "unsafe fix available (--unsafe-fixes)"


@dataclass
class FilePlan:
    path: str
    text: str
    fixes: list[tuple[Finding, list[Patch]]] = field(default_factory=list)
    patches: list[Patch] = field(default_factory=list)


@dataclass
class Plan:
    files: dict[str, FilePlan] = field(default_factory=dict)
    skipped: list[tuple[Finding, str]] = field(default_factory=list)     # (finding, why it is not fixed)


def key(finding: Finding) -> tuple:
    """A finding's identity across edits of its file: no line, no pointer (as a baseline fingerprint)."""
    return (finding.rule_id, finding.location.source, finding.subject, finding.message_id, finding.params)


def make_plan(findings: list[Finding], kinds: dict[str, str | None], formats: dict[str, str],
              texts: dict[str, str], unsafe: bool) -> Plan:
    """``kinds``: rule id -> fix kind; ``formats``: source -> loader format ("cloudformation", "iam" for a
    bare policy ...) and whether JSON; ``texts``: source -> its text (read for the edited formats only)."""
    plan = Plan()
    documents: dict[str, Document | Unfixable] = {}
    by_file: dict[str, list[Finding]] = defaultdict(list)
    for finding in sorted(findings, key=Finding.sort_key):
        kind = kinds.get(finding.rule_id)
        if kind is None or finding.suppressed:
            continue
        source = finding.location.source
        edits = [e for e in finding.fix if isinstance(e, PRECISE)]
        if formats.get(source, "") not in FIXED_FORMATS:
            plan.skipped.append((finding, FORMAT_NOT_YET))
            continue
        if not edits:
            continue          # this case of the rule has no automatic fix: `check` shows what to do
        if any(e.location.source != source for e in edits):
            plan.skipped.append((finding, "the fix edits another file than the finding's"))
            continue
        if kind == "unsafe" and not unsafe:
            plan.skipped.append((finding, UNSAFE))
            continue
        by_file[source].append(finding)
    for source, found in by_file.items():
        text = texts[source]
        if source not in documents:
            try:
                documents[source] = (TerraformDocument(text) if formats[source] == "terraform:hcl"
                                     else Document(text, formats[source].endswith(":json"),
                                                   literal=formats[source].startswith("iam:")))
            except Unfixable as error:
                documents[source] = error
        document = documents[source]
        if isinstance(document, Unfixable):
            plan.skipped.extend((f, str(document)) for f in found)
            continue
        file_plan = FilePlan(source, text)
        for finding in found:
            try:
                patches = [p for e in finding.fix if isinstance(e, PRECISE) for p in document.patches(e)]
            except Unfixable as error:
                plan.skipped.append((finding, str(error)))
                continue
            new = [p for p in patches if p not in file_plan.patches]
            if any(overlaps(p, q) for p in new for q in file_plan.patches):
                plan.skipped.append((finding, "its edit overlaps another fix's: run `rumpolicy fix` again"))
                continue
            file_plan.fixes.append((finding, patches))
            file_plan.patches.extend(new)
        if file_plan.fixes:
            plan.files[source] = file_plan
    return plan


def fix_table(rules) -> str:
    """The README's table of the rules that have automatic fixes (tests/fix/test_readme.py keeps it current)."""
    lines = ["| Rule | Name | Fix |", "|---|---|---|"]
    for found in sorted(rules, key=lambda r: r.id):
        if found.fix is not None:
            lines.append(f"| [{found.id}](docs/rules/{found.id}.md) | `{found.name}` | {found.fix} |")
    return "\n".join(lines) + "\n"
