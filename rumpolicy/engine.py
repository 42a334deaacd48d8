"""The rule registry and the run: which rules exist, which subjects they see, what came out.

A rule is a function decorated with ``@rule(...)``: its metadata sits beside its logic. The
decorator only attaches metadata; ``registry()`` finds rules by walking the ``rumpolicy.rules``
package (and the ``rumpolicy.rules`` entry-point group), so importing a module never registers
anything twice. Duplicate ids and rule modules that fail to import are fatal: a linter that quietly
loses a rule gives false passes.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
import traceback
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache
from typing import Any, Callable, Iterable, Iterator

from rumpolicy.findings import Finding, Location, Severity
from rumpolicy.model import (AppMonitor, GuestRole, IdentityPool, Inventory, ManagedPolicy, Node,
                             ResourcePolicy, Role, RoleAttachment)
from rumpolicy.model.inputs import InputFile, RuleFailure, UndecidedCheck
from rumpolicy.model.resources import OrgPolicies, WebClientConfig

RULE_ID = re.compile(r"^RUM-[A-Z]+(-[A-Z]+)?-\d{3}$")
RULE_NAME = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
DOC_SECTIONS = ("What it checks", "Why it matters", "Fix")


class RuleError(Exception):
    """The rule catalogue itself is broken (duplicate id, bad metadata, import failure)."""


class Outcome(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    UNKNOWN = "unknown"
    NOT_APPLICABLE = "not_applicable"


@dataclass(frozen=True, slots=True)
class Violation:
    """What a rule yields: the offending place and one sentence. The engine adds the rest."""

    where: Any                      # a Location, or anything with a ``.location`` (Node, Statement, resource)
    message: str
    severity: Severity | None = None            # overrides the rule's default where the requirement says so
    related: tuple[Location, ...] = ()
    remediation: str | None = None
    subject: str | None = None                  # for rules over the whole inventory: the resource at fault


@dataclass(frozen=True, slots=True)
class Undecided:
    """The rule could not decide for this subject; reported as RUM-SRC-001, never as a pass."""

    where: Any
    message: str


class _NotApplicable:
    pass


NOT_APPLICABLE = _NotApplicable()


@dataclass(frozen=True)
class Rule:
    id: str
    name: str
    severity: Severity
    subject: type | tuple[type, ...]        # a rule may judge one fact wherever it appears (RUM-XREF-001)
    check: Callable[..., Iterable[Any]]
    references: tuple[str, ...] = ()
    status: str = "stable"
    since: str = "0.1.0"
    aliases: tuple[str, ...] = ()
    module: str = ""

    @property
    def area(self) -> str:
        parts = self.module.split(".")
        return parts[-2] if len(parts) >= 2 else ""

    @property
    def doc(self) -> str:
        return inspect.cleandoc(self.check.__doc__ or "")

    def section(self, title: str) -> str:
        """One ``## Title`` section of the rule's docstring."""
        match = re.search(rf"^## {re.escape(title)}\s*\n(.*?)(?=^## |\Z)", self.doc, re.S | re.M)
        return match.group(1).strip() if match else ""

    @property
    def summary(self) -> str:
        return self.doc.split("\n", 1)[0].strip()

    @property
    def subjects(self) -> tuple[type, ...]:
        return self.subject if isinstance(self.subject, tuple) else (self.subject,)


def rule(*, id: str, name: str, severity: Severity, subject: type | tuple[type, ...], references: tuple[str, ...] = (),
         status: str = "stable", since: str = "0.1.0", aliases: tuple[str, ...] = ()) -> Callable:
    """Attach rule metadata to a check function. Registration happens at discovery, not here."""

    def decorate(func: Callable) -> Callable:
        func.__rumpolicy_rule__ = Rule(id=id, name=name, severity=Severity(severity), subject=subject,
                                       check=func, references=tuple(references), status=status,
                                       since=since, aliases=tuple(aliases), module=func.__module__)
        return func

    return decorate


def _validate(found: Rule) -> None:
    if not RULE_ID.match(found.id):
        raise RuleError(f"{found.module}: rule id {found.id!r} is not of the form RUM-AREA-NNN")
    if not RULE_NAME.match(found.name):
        raise RuleError(f"{found.module}: rule name {found.name!r} is not kebab-case")
    for title in DOC_SECTIONS:
        if not found.section(title):
            raise RuleError(f"{found.id}: the docstring has no '## {title}' section")


@lru_cache(maxsize=1)
def registry() -> tuple[Rule, ...]:
    """Every rule, ordered by id. Raises RuleError when the catalogue is inconsistent."""
    import rumpolicy.rules as package

    rules: dict[str, Rule] = {}
    names: dict[str, str] = {}

    def add(found: Rule) -> None:
        _validate(found)
        for key in (found.id, *found.aliases):
            if key in rules:
                raise RuleError(f"duplicate rule id {key}: {rules[key].module} and {found.module}")
        if found.name in names:
            raise RuleError(f"duplicate rule name {found.name}: {names[found.name]} and {found.id}")
        rules[found.id] = found
        names[found.name] = found.id

    for info in sorted(pkgutil.walk_packages(package.__path__, package.__name__ + "."), key=lambda i: i.name):
        if info.name.rsplit(".", 1)[-1].startswith("_"):
            continue
        try:
            module = importlib.import_module(info.name)
        except Exception as exc:  # a broken rule module must stop the run, loudly
            raise RuleError(f"rule module {info.name} failed to import: {exc!r}") from exc
        for value in vars(module).values():
            found = getattr(value, "__rumpolicy_rule__", None)
            if isinstance(found, Rule) and found.module == module.__name__:
                add(found)
    for entry in _entry_points():
        try:
            module = entry.load()
        except Exception as exc:
            raise RuleError(f"rule plugin {entry.name} failed to load: {exc!r}") from exc
        for value in vars(module).values():
            found = getattr(value, "__rumpolicy_rule__", None)
            if isinstance(found, Rule) and found.module == module.__name__:
                add(found)
    return tuple(sorted(rules.values(), key=lambda r: r.id))


def _entry_points() -> list:
    from importlib.metadata import entry_points

    return list(entry_points(group="rumpolicy.rules"))


def find_rule(rule_id: str) -> Rule | None:
    key = rule_id.upper()
    for found in registry():
        if found.id == key or key in found.aliases:
            return found
    return None


def locate(where: Any) -> Location:
    if isinstance(where, Location):
        return where
    location = getattr(where, "location", None)
    if isinstance(location, Location):
        return location
    raise TypeError(f"cannot locate {where!r}")


def subject_name(subject: Any) -> str:
    return str(getattr(subject, "subject", None) or getattr(subject, "path", None) or subject)


SUBJECTS: dict[type, Callable[[Inventory], Iterable[Any]]] = {
    AppMonitor: lambda inv: [m for m in inv.monitors if not m.declared_only],
    IdentityPool: lambda inv: inv.pools,
    RoleAttachment: lambda inv: inv.attachments,
    GuestRole: lambda inv: inv.guest_roles,
    Role: lambda inv: inv.roles,
    ManagedPolicy: lambda inv: inv.managed_policies,
    ResourcePolicy: lambda inv: inv.resource_policies,
    # A file a loader crashed on is reported by RUM-SRC-003 alone: what the loader left on it is not to be trusted.
    InputFile: lambda inv: [f for f in inv.files if f.defect is None],
    Inventory: lambda inv: [inv],
    OrgPolicies: lambda inv: inv.org_policies,
    WebClientConfig: lambda inv: inv.web_clients,
}
# Rules over these run after the others: they report what the first pass could not decide or crashed on.
LATE_SUBJECTS: dict[type, Callable[["RunState"], Iterable[Any]]] = {
    UndecidedCheck: lambda state: state.undecided,
    RuleFailure: lambda state: state.failures,
}


@dataclass
class RunState:
    undecided: list[UndecidedCheck] = field(default_factory=list)
    failures: list[RuleFailure] = field(default_factory=list)


OutcomeKey = tuple[str, str, str]


def outcome_key(found: Rule, subject: Any) -> OutcomeKey:
    where = getattr(subject, "location", None)
    return (found.id, subject_name(subject), where.source if isinstance(where, Location) else "")


@dataclass
class RunResult:
    findings: list[Finding]
    # (rule id, subject, source of the subject) -> outcome. The source keeps apart subjects that share a
    # logical id in two templates, and lets reports attribute passing checks to their file.
    outcomes: dict[OutcomeKey, Outcome]
    failures: list[RuleFailure] = field(default_factory=list)

    def outcome_counts(self) -> dict[str, int]:
        counts = {o.value: 0 for o in Outcome}
        for outcome in self.outcomes.values():
            counts[outcome.value] += 1
        return counts


def _finding(found: Rule, subject: Any, item: Violation) -> Finding:
    remediation = item.remediation or found.section("Fix") or None
    return Finding(rule_id=found.id, rule_name=found.name, severity=item.severity or found.severity,
                   message=item.message, subject=item.subject or subject_name(subject), location=locate(item.where),
                   related=tuple(item.related), remediation=remediation)


def _run_one(found: Rule, subject: Any, state: RunState, findings: list[Finding]) -> Outcome:
    outcome = Outcome.PASS
    try:
        for item in found.check(subject) or ():
            if isinstance(item, Violation):
                findings.append(_finding(found, subject, item))
                outcome = Outcome.FAIL
            elif isinstance(item, Undecided):
                state.undecided.append(UndecidedCheck(found.id, subject_name(subject), item.message,
                                                      locate(item.where)))
                if outcome is Outcome.PASS:
                    outcome = Outcome.UNKNOWN
            elif item is NOT_APPLICABLE:
                if outcome is Outcome.PASS:
                    outcome = Outcome.NOT_APPLICABLE
            else:
                raise TypeError(f"rule yielded {type(item).__name__}, not a Violation or Undecided")
    except Exception as exc:  # a defect in one rule must not hide the others' findings
        where = getattr(subject, "location", None)
        state.failures.append(RuleFailure(found.id, subject_name(subject), f"{type(exc).__name__}: {exc}",
                                          where if isinstance(where, Location) else Location("<rumpolicy>"),
                                          "".join(traceback.format_exception(exc))))
        return Outcome.UNKNOWN
    return outcome


def run(inventory: Inventory, rules: Iterable[Rule] | None = None) -> RunResult:
    rules = tuple(rules if rules is not None else registry())
    # Loader defects are failures of rumpolicy like a crashing rule's: reported as RUM-SRC-003, and exit 3.
    state = RunState(undecided=list(inventory.undecided),
                     failures=[f.defect for f in inventory.files if f.defect is not None])
    findings: list[Finding] = []
    outcomes: dict[OutcomeKey, Outcome] = {}
    for found in rules:
        for kind in found.subjects:
            subjects = SUBJECTS.get(kind)
            if subjects is None:
                continue
            for subject in subjects(inventory):
                outcomes[outcome_key(found, subject)] = _run_one(found, subject, state, findings)
    for found in rules:
        for kind in found.subjects:
            subjects = LATE_SUBJECTS.get(kind)
            if subjects is None:
                continue
            for subject in list(subjects(state)):
                _run_one(found, subject, state, findings)
    unique = {(f.rule_id, f.location, f.message, f.subject): f for f in findings}
    return RunResult(sorted(unique.values(), key=Finding.sort_key), outcomes, state.failures)


def run_subjects(subjects: Iterable[Any], subject_type: type, rules: Iterable[Rule] | None = None) -> RunResult:
    """Run the rules over ``subject_type`` on subjects that exist only after the run (suppressions)."""
    state = RunState()
    findings: list[Finding] = []
    outcomes: dict[OutcomeKey, Outcome] = {}
    rules = tuple(rules if rules is not None else registry())
    for found in rules:
        if subject_type in found.subjects:
            for subject in subjects:
                outcomes[outcome_key(found, subject)] = _run_one(found, subject, state, findings)
    for found in rules:
        if RuleFailure in found.subjects:
            for failure in list(state.failures):
                _run_one(found, failure, state, findings)
    return RunResult(sorted(findings, key=Finding.sort_key), outcomes, state.failures)


def nodes(*values: Node | None) -> Iterator[Node]:
    return (v for v in values if v is not None)
