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
import os
import re
from dataclasses import field
from enum import StrEnum
from functools import lru_cache
from typing import Any, Callable, Iterable, Iterator, Mapping

from rumpolicy.findings import Finding, Location, Severity
from rumpolicy.model import (AppMonitor, GuestRole, IdentityPool, Inventory, ManagedPolicy, Node,
                             ResourcePolicy, Role, RoleAttachment)
from rumpolicy.model.inputs import InputFile, RuleFailure, UndecidedCheck
from rumpolicy.model.resources import OrgPolicies, WebClientConfig
from rumpolicy.records import record, value_type

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


class Violation:
    """What a rule yields: the offending place, a message id of the rule's ``messages`` with its
    parameters, and a fix as data (``rumpolicy.model.messages``). The engine words it and adds the rest.

    ``Violation(statement.node("Condition"), "aud-missing", role=guest.role, key=AUD, fix=trust_fix)``
    """

    __slots__ = ("where", "message_id", "params", "severity", "related", "fix", "subject")

    def __init__(self, where: Any, message_id: str, /, *, severity: Severity | None = None,
                 related: Iterable[Location] = (), fix: Any = None, subject: str | None = None,
                 **params: Any) -> None:
        if "remediation" in params or "message" in params:
            # The keywords of the prose Violation: passed now, they would be taken for message parameters.
            raise TypeError("Violation takes a message id and its parameters, and `fix=` edits: not `message=` "
                            "or `remediation=` text (rumpolicy.model.messages)")
        self.where = where          # a Location, or anything with a ``.location`` (Node, Statement, resource)
        self.message_id = message_id
        self.params = params
        self.severity = severity    # overrides the rule's default where the requirement says so
        self.related = tuple(related)
        self.fix = fix              # an edit, a tuple of edits, or None (the rule's `## Fix` section is shown)
        self.subject = subject      # for rules over the whole inventory: the resource at fault


class Undecided:
    """The rule could not decide for this subject; reported as RUM-SRC-001, never as a pass."""

    __slots__ = ("where", "message_id", "params")

    def __init__(self, where: Any, message_id: str, /, **params: Any) -> None:
        self.where = where
        self.message_id = message_id
        self.params = params


class _NotApplicable:
    pass


NOT_APPLICABLE = _NotApplicable()


@value_type(slots=False)
class Rule:
    """A rule's metadata beside its check function (None until imported when read from the index)."""

    id: str
    name: str
    severity: Severity
    subject: type | tuple[type, ...]        # a rule may judge one fact wherever it appears (RUM-XREF-001)
    # The check function; None for a rule read from the index (rules/_index.py), until it first runs.
    check: Callable[..., Iterable[Any]] | None = field(default=None, compare=False)
    references: tuple[str, ...] = ()
    status: str = "stable"
    since: str = "0.1.0"
    aliases: tuple[str, ...] = ()
    module: str = ""
    # message id -> template, or {dialect: template, "default": template} (rumpolicy.model.messages).
    messages: Mapping[str, Any] = field(default_factory=dict, compare=False)
    docstring: str = ""                      # the check function's docstring, cleaned
    function: str = ""                       # the check function's name in ``module``
    # What `rumpolicy fix` can do for its findings: "safe" (applied by default: cannot break a working
    # setup), "unsafe" (only with --unsafe-fixes), None (no automatic fix; the ``## Fix`` section says what to do).
    fix: str | None = None

    @property
    def area(self) -> str:
        parts = self.module.split(".")
        return parts[-2] if len(parts) >= 2 else ""

    @property
    def doc(self) -> str:
        return self.docstring

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

    def markdown(self, examples: Iterable[str] = ()) -> str:
        """The rule's documentation page (``rumpolicy rule``, SARIF help, docs/rules/): metadata and the
        docstring's sections, then ``examples`` (markdown lines) when given."""
        lines = [f"# {self.id}: {self.name}", "", self.summary, "",
                 "| | |", "|---|---|",
                 f"| Severity | `{self.severity.value}` |",
                 f"| Area | `{self.area}` |",
                 f"| Applies to | {', '.join(f'`{kind.__name__}`' for kind in self.subjects)} |",
                 f"| Status | {self.status} (since {self.since}) |",
                 f"| Automatic fix | {FIX_KINDS[self.fix]} |"]
        if self.aliases:
            lines.append(f"| Also reported for | {', '.join(self.aliases)} |")
        lines.append("")
        for title in DOC_SECTIONS:
            lines += [f"## {title}", "", self.section(title), ""]
        if self.references:
            lines += ["## References", ""] + [f"- <{url}>" for url in self.references] + [""]
        examples = list(examples)
        if examples:
            lines += ["## Examples", "", "Lines marked `# expect:` are where the rule reports.", ""] + examples
        return "\n".join(lines).rstrip() + "\n"

    def loaded(self) -> "Rule":
        """This rule with its check function and messages: imports its module when read from the index."""
        return self if self.check is not None else _import_indexed(self)


FIX_KINDS = {"safe": "safe: `rumpolicy fix` applies it", "unsafe": "unsafe: `rumpolicy fix --unsafe-fixes` applies it",
             None: "none: see Fix"}


def rule(*, id: str, name: str, severity: Severity, subject: type | tuple[type, ...], references: tuple[str, ...] = (),
         status: str = "stable", since: str = "0.1.0", aliases: tuple[str, ...] = (),
         messages: Mapping[str, Any] | None = None, fix: str | None = None) -> Callable:
    """Attach rule metadata to a check function. Registration happens at discovery, not here."""
    if fix not in FIX_KINDS:
        raise RuleError(f"{id}: fix= is 'safe', 'unsafe' or None, not {fix!r}")

    def decorate(func: Callable) -> Callable:
        func.__rumpolicy_rule__ = Rule(id=id, name=name, severity=Severity(severity), subject=subject,
                                       check=func, references=tuple(references), status=status,
                                       since=since, aliases=tuple(aliases), module=func.__module__,
                                       messages=dict(messages or {}), docstring=inspect.cleandoc(func.__doc__ or ""),
                                       function=func.__name__, fix=fix)
        return func

    return decorate


def dispatchable() -> frozenset[type]:
    """The subject types the engine can hand to a rule."""
    from rumpolicy.model.inputs import Suppression

    return frozenset(SUBJECTS) | frozenset(LATE_SUBJECTS) | {Suppression}


def validate(found: Rule) -> None:
    """The rule contract; RuleError when a rule breaks it (it would run wrongly, or silently never)."""
    if not RULE_ID.match(found.id):
        raise RuleError(f"{found.module}: rule id {found.id!r} is not of the form RUM-AREA-NNN")
    if not RULE_NAME.match(found.name):
        raise RuleError(f"{found.module}: rule name {found.name!r} is not kebab-case")
    for title in DOC_SECTIONS:
        if not found.section(title):
            raise RuleError(f"{found.id}: the docstring has no '## {title}' section")
    known = dispatchable()
    for kind in found.subjects:
        if kind not in known:
            raise RuleError(f"{found.id}: the engine cannot hand it a {getattr(kind, '__name__', kind)!r}: subjects "
                            f"are {', '.join(sorted(t.__name__ for t in known))}")
    _check_messages(found)
    retired = _retired()
    for key in (found.id, *found.aliases):
        if key in retired:
            raise RuleError(f"{found.id}: {key} is retired ({retired[key]}); a retired id is never given again")


def _check_messages(found: Rule) -> None:
    from rumpolicy.model.messages import MessageError, check_templates

    try:
        check_templates(found.id, found.messages)
    except MessageError as exc:
        raise RuleError(str(exc)) from exc


def _retired() -> Mapping[str, str]:
    from rumpolicy.rules._retired import RETIRED

    return RETIRED


def rules_in(module: Any) -> list[Rule]:
    """The rules a module defines (not those it imports)."""
    out = []
    for value in vars(module).values():
        found = getattr(value, "__rumpolicy_rule__", None)
        if isinstance(found, Rule) and found.module == module.__name__:
            out.append(found)
    return out


def _subject_types() -> dict[str, type]:
    from rumpolicy.model.inputs import Suppression

    return {t.__name__: t for t in (*SUBJECTS, *LATE_SUBJECTS, Suppression)}


def _from_index(row: tuple, types: Mapping[str, type]) -> Rule:
    rule_id, name, severity, subjects, module, function, references, status, since, aliases, docstring, *rest = row
    fix = rest[0] if rest else None          # an index written before rules had `fix=` (then stale: regenerate)
    kinds = tuple(types[s] for s in subjects)
    return Rule(id=rule_id, name=name, severity=Severity(severity), subject=kinds[0] if len(kinds) == 1 else kinds,
                references=references, status=status, since=since, aliases=aliases, module=module,
                docstring=docstring, function=function, fix=fix)


def index_row(found: Rule) -> tuple:
    """A rule as the generated index (rules/_index.py) records it."""
    return (found.id, found.name, found.severity.value, tuple(t.__name__ for t in found.subjects), found.module,
            found.function, found.references, found.status, found.since, found.aliases, found.docstring, found.fix)


_IMPORTED: dict[str, Rule] = {}


def _import_indexed(indexed: Rule) -> Rule:
    real = _IMPORTED.get(indexed.id)
    if real is not None:
        return real
    try:
        module = importlib.import_module(indexed.module)
    except Exception as exc:  # a broken rule module must stop the run, loudly
        raise RuleError(f"rule module {indexed.module} failed to import: {exc!r}") from exc
    found = {r.id: r for r in rules_in(module)}.get(indexed.id)
    if found is None or found != indexed:
        raise RuleError(f"the rule index is stale for {indexed.id} ({indexed.module}): run `python -m rumpolicy.docs`")
    # The rest of the contract was checked when the index was written (import_builtin) and the row equals
    # the rule, docstring included; what the index cannot hold, the message table, is checked now.
    _check_messages(found)
    _IMPORTED[indexed.id] = found
    return found


def _indexed_modules() -> tuple[dict[str, Rule], set[str]]:
    """The built-in rules read from the generated index, and the rule modules present on disk.

    The index lets a run import only the rule modules its inputs need. It is checked against the
    package: a rule module that the index does not know (a rule added since the index was written) is
    imported and registered like any other, so a stale index costs time, never a rule.
    """
    import rumpolicy.rules as package

    present = _modules_on_disk(package.__path__, package.__name__)
    try:
        from rumpolicy.rules._index import RULES
    except ImportError:
        RULES = ()
    if package.__name__ != "rumpolicy.rules":
        RULES = ()                           # a test points the package elsewhere: no index applies
    types = _subject_types()
    indexed = {row[0]: _from_index(row, types) for row in RULES if row[4] in present}
    return indexed, present - {r.module for r in indexed.values()}


def _modules_on_disk(folders: Iterable[str], prefix: str) -> set[str]:
    """The modules of a package and its subpackages, as ``pkgutil.walk_packages`` names them, without
    ``_``-named ones: read from the folders (``walk_packages`` imports every subpackage to find them,
    1 to 3 ms of each run)."""
    found: set[str] = set()
    for folder in folders:
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError:
            continue
        for entry in entries:
            name = entry.name
            if entry.is_dir():
                if name.isidentifier() and os.path.isfile(os.path.join(entry.path, "__init__.py")):
                    found |= _modules_on_disk([entry.path], f"{prefix}.{name}")
            elif name.endswith(".py") and name[:-3].isidentifier() and name != "__init__.py":
                if not name.startswith("_"):
                    found.add(f"{prefix}.{name[:-3]}")
    return found


def import_builtin() -> list[Rule]:
    """Every built-in rule, its module imported (not read from the index): what the index is made from."""
    import rumpolicy.rules as package

    found: list[Rule] = []
    import pkgutil

    for info in sorted(pkgutil.walk_packages(package.__path__, package.__name__ + "."), key=lambda i: i.name):
        if info.name.rsplit(".", 1)[-1].startswith("_") or info.ispkg:
            continue
        found += rules_in(importlib.import_module(info.name))
    for each in found:
        validate(each)           # the index records only rules that keep the contract
    return sorted(found, key=lambda r: r.id)


def index_source(rules: Iterable[Rule]) -> str:
    """The text of rules/_index.py for these rules."""
    import pprint

    rows = ",\n".join("    " + pprint.pformat(index_row(r), width=116, sort_dicts=False).replace("\n", "\n    ")
                      for r in rules)
    return ('"""The built-in rules\' metadata, so that a run imports only the rule modules its inputs need.\n\n'
            'Generated by `python -m rumpolicy.docs` from the rules; do not edit. The engine checks each row\n'
            'against its module when that module is imported, and imports modules that have no row.\n"""\n\n'
            f"RULES = (\n{rows},\n)\n")


@lru_cache(maxsize=1)
def registry() -> tuple[Rule, ...]:
    """Every rule, ordered by id. Raises RuleError when the catalogue is inconsistent."""
    rules: dict[str, Rule] = {}
    names: dict[str, str] = {}

    def add(found: Rule, checked: bool = False) -> None:
        if not checked:
            validate(found)
        for key in (found.id, *found.aliases):
            if key in rules:
                raise RuleError(f"duplicate rule id {key}: {rules[key].module} and {found.module}")
        if found.name in names:
            raise RuleError(f"duplicate rule name {found.name}: {names[found.name]} and {found.id}")
        rules[found.id] = found
        names[found.name] = found.id

    indexed, unindexed = _indexed_modules()
    for found in indexed.values():
        # Validated when the index was written (import_builtin), and compared with its module on import.
        add(found, checked=True)
    for name in sorted(unindexed):
        try:
            module = importlib.import_module(name)
        except Exception as exc:  # a broken rule module must stop the run, loudly
            raise RuleError(f"rule module {name} failed to import: {exc!r}") from exc
        for found in rules_in(module):
            add(found)
    for entry in _entry_points():
        try:
            module = entry.load()
        except Exception as exc:
            raise RuleError(f"rule plugin {entry.name} failed to load: {exc!r}") from exc
        for found in rules_in(module):
            add(found)
    return tuple(sorted(rules.values(), key=lambda r: r.id))


def builtin(found: Rule) -> bool:
    """Shipped with rumpolicy (not a plugin's): the meta-tests and generated docs cover these."""
    return found.module.startswith("rumpolicy.rules.")


def _entry_points() -> list:
    """Rule plugins (the ``rumpolicy.rules`` entry-point group of installed distributions).

    ``importlib.metadata`` costs a tenth of a cold run to import and scan; a distribution can only
    declare entry points in its ``entry_points.txt``, so when none on ``sys.path`` names the group,
    there is nothing to load and the scan is skipped.
    """
    if not _declares_rule_plugins():
        return []
    from importlib.metadata import entry_points

    return list(entry_points(group="rumpolicy.rules"))


def _declares_rule_plugins() -> bool:
    import sys

    for folder in sys.path:
        try:
            entries = os.scandir(folder or ".")
        except OSError:
            continue
        with entries:
            for entry in entries:
                # What importlib.metadata reads: `NAME.dist-info` and `NAME.egg-info` folders.
                if not entry.name.endswith((".dist-info", ".egg-info")):
                    continue
                try:
                    with open(os.path.join(entry.path, "entry_points.txt"), encoding="utf-8",
                              errors="replace") as handle:
                        if "rumpolicy.rules" in handle.read():
                            return True
                except (FileNotFoundError, NotADirectoryError):
                    continue
                except OSError:
                    return True          # cannot tell: let importlib.metadata decide
    return False


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


@record
class RunState:
    """What the first pass of rules leaves for the late ones: checks it could not decide, rules that failed."""

    undecided: list[UndecidedCheck] = field(default_factory=list)
    failures: list[RuleFailure] = field(default_factory=list)


OutcomeKey = tuple[str, str, str]


def outcome_key(found: Rule, subject: Any) -> OutcomeKey:
    where = getattr(subject, "location", None)
    return (found.id, subject_name(subject), where.source if isinstance(where, Location) else "")


@record
class RunResult:
    """The findings of a run and the outcome of every (rule, subject) pair."""

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


def _words(found: Rule, subject: Any, item: "Violation | Undecided") -> tuple[str, str, tuple]:
    """The message of what a rule yielded, worded in the input's dialect, and its canonical form."""
    from rumpolicy.model.messages import canonical_params, render_message, speaker

    if not found.messages:
        # A rule without a message table (a plugin written before structured messages): its text as given.
        return item.message_id, "", (("text", item.message_id),)
    dialect = speaker(item.where, subject, *item.params.values())
    text = render_message(found.id, found.messages, item.message_id, item.params, dialect)
    return text, item.message_id, canonical_params(item.params)


def _finding(found: Rule, subject: Any, item: Violation) -> Finding:
    from rumpolicy.model.messages import as_fix, render_fix

    message, message_id, params = _words(found, subject, item)
    edits = as_fix(item.fix)
    remediation = render_fix(edits) or found.section("Fix") or None
    return Finding(rule_id=found.id, rule_name=found.name, severity=item.severity or found.severity,
                   message=message, subject=item.subject or subject_name(subject), location=locate(item.where),
                   related=tuple(item.related), remediation=remediation, message_id=message_id, params=params,
                   fix=edits)


def _undecided(found: Rule, subject: Any, item: Undecided) -> UndecidedCheck:
    message, message_id, params = _words(found, subject, item)
    key = "\x1f".join([message_id, *(f"{name}={value}" for name, value in params)])
    return UndecidedCheck(found.id, subject_name(subject), message, locate(item.where), key=key)


def _run_one(found: Rule, subject: Any, state: RunState, findings: list[Finding]) -> Outcome:
    outcome = Outcome.PASS
    try:
        for item in found.check(subject) or ():
            if isinstance(item, Violation):
                findings.append(_finding(found, subject, item))
                outcome = Outcome.FAIL
            elif isinstance(item, Undecided):
                state.undecided.append(_undecided(found, subject, item))
                if outcome is Outcome.PASS:
                    outcome = Outcome.UNKNOWN
            elif item is NOT_APPLICABLE:
                if outcome is Outcome.PASS:
                    outcome = Outcome.NOT_APPLICABLE
            else:
                raise TypeError(f"rule yielded {type(item).__name__}, not a Violation or Undecided")
    except Exception as exc:  # a defect in one rule must not hide the others' findings
        import traceback                  # only for a failing rule: off the cold start

        where = getattr(subject, "location", None)
        state.failures.append(RuleFailure(found.id, subject_name(subject), f"{type(exc).__name__}: {exc}",
                                          where if isinstance(where, Location) else Location("<rumpolicy>"),
                                          "".join(traceback.format_exception(exc))))
        return Outcome.UNKNOWN
    return outcome


def run(inventory: Inventory, rules: Iterable[Rule] | None = None) -> RunResult:
    """Run ``rules`` (default: every rule) over the inventory.

    A rule module is imported only when the inventory holds a subject of its type (rules read from the
    index, ``Rule.loaded``): a run over one template never imports the web client's rules.
    """
    rules = tuple(rules if rules is not None else registry())
    # Loader defects are failures of rumpolicy like a crashing rule's: reported as RUM-SRC-003, and exit 3.
    state = RunState(undecided=list(inventory.undecided),
                     failures=[f.defect for f in inventory.files if f.defect is not None])
    findings: list[Finding] = []
    outcomes: dict[OutcomeKey, Outcome] = {}
    present = {kind: list(subjects(inventory)) for kind, subjects in SUBJECTS.items()}
    for found in rules:
        for kind in found.subjects:
            subjects = present.get(kind)
            if not subjects:
                continue
            loaded = found.loaded()
            for subject in subjects:
                outcomes[outcome_key(loaded, subject)] = _run_one(loaded, subject, state, findings)
    for found in rules:
        for kind in found.subjects:
            subjects = LATE_SUBJECTS.get(kind)
            if subjects is None:
                continue
            late = list(subjects(state))
            if not late:
                continue
            loaded = found.loaded()
            for subject in late:
                _run_one(loaded, subject, state, findings)
    unique = {(f.rule_id, f.location, f.message, f.subject): f for f in findings}
    return RunResult(sorted(unique.values(), key=Finding.sort_key), outcomes, state.failures)


def run_subjects(subjects: Iterable[Any], subject_type: type, rules: Iterable[Rule] | None = None) -> RunResult:
    """Run the rules over ``subject_type`` on subjects that exist only after the run (suppressions)."""
    state = RunState()
    findings: list[Finding] = []
    outcomes: dict[OutcomeKey, Outcome] = {}
    rules = tuple(rules if rules is not None else registry())
    subjects = list(subjects)
    for found in rules:
        if subject_type in found.subjects and subjects:
            loaded = found.loaded()
            for subject in subjects:
                outcomes[outcome_key(loaded, subject)] = _run_one(loaded, subject, state, findings)
    for found in rules:
        if RuleFailure in found.subjects and state.failures:
            loaded = found.loaded()
            for failure in list(state.failures):
                _run_one(loaded, failure, state, findings)
    return RunResult(sorted(findings, key=Finding.sort_key), outcomes, state.failures)


def nodes(*values: Node | None) -> Iterator[Node]:
    return (v for v in values if v is not None)
