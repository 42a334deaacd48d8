"""A Markdown report a person can read in a ticket: each monitor's chain, the findings, the coverage.

For every app monitor, grouped by where it lives (``aws://ACCOUNT/REGION`` in an audit, the file
in ``check``), a table gives each link of its authorization chain with a result:

    monitor -> identity pool -> role attachment -> role trust -> permissions -> resource policy
    (-> service control policies, in an audit that could see them)

A link **fails** when a rule reports an error about it, **warns** on a warning, is **unknown** when
a rule could not decide (the notes under the table say why), and is **n/a** when the monitor does
not use it (no identity pool, no resource policy). Whether the role's permissions let browsers write
to *this* monitor is asked of the IAM evaluator for this monitor alone
(``rumpolicy.chain.coverage.covers``), so a role shared by several monitors passes for the ones it
covers and fails for the one it misses. The links are computed from the model and the run's
outcomes by ``chains`` (the CLI puts them on the Report); the findings table and the coverage
follow, as in the other formats.

Above each monitor's table, its chain is drawn as a Mermaid ``flowchart LR`` (``rumpolicy.report.graph``;
GitHub and GitLab render it): broken links red with their rule ids, links not checked dashed; below the
picture, the monitor's findings, the most severe first, each linked to its rule page and the page's fix.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Iterable

from rumpolicy.engine import Outcome, RunResult
from rumpolicy.findings import Finding, Severity
from rumpolicy.model.resources import AppMonitor, GuestRole, Inventory
from rumpolicy.model.symbols import Unknown
from rumpolicy.model.symbols import render as shown_value
from rumpolicy.paths import is_file_source, project_path
from rumpolicy.escape import visible
from rumpolicy.records import value_type
from rumpolicy.report import Report

PASS, FAIL, WARN, UNKNOWN, NOT_USED = "pass", "FAIL", "warn", "unknown", "n/a"
UNDECIDED = "RUM-SRC-001"
# Rules whose verdict about a shared role concerns one of its monitors: the evaluator decides per monitor.
PER_MONITOR_PERMISSION_RULES = ("RUM-PERM-001", "RUM-XREF-005")
MONITOR_RULES = ("RUM-MON-", "RUM-XREF-001", "RUM-XREF-002", "RUM-XREF-003", "RUM-XREF-004")


@value_type(slots=False)
class ChainLink:
    name: str                       # "Identity pool"
    resource: str                   # what this monitor uses there ("us-east-1:...", "none")
    result: str                     # PASS | FAIL | WARN | UNKNOWN | NOT_USED
    rule_ids: tuple[str, ...] = ()  # the findings behind the result
    findings: tuple[Finding, ...] = ()   # those findings, in the report's order (the graph shows them)


@value_type(slots=False)
class MonitorChain:
    group: str                      # aws://ACCOUNT/REGION, or the file the monitor is declared in
    monitor: str                    # its subject (ARN)
    name: str
    links: tuple[ChainLink, ...]
    notes: tuple[str, ...] = ()     # what could not be checked about it (RUM-SRC-001 messages)
    web_client: ChainLink | None = None   # the web clients that send to it (RUM-CLIENT-*); None: none in the input


def chains(inventory: Inventory, result: RunResult) -> tuple[MonitorChain, ...]:
    """Every monitor's chain, link by link, from the linked model and the findings that count."""
    # Indexed by subject once: a link looks up its own subjects instead of scanning every finding and
    # outcome, which made an audit of 3,000 monitors take minutes (quadratic in the number of monitors).
    findings_by_subject: dict[str, list[Finding]] = {}
    for finding in result.findings:
        if not finding.suppressed:
            findings_by_subject.setdefault(finding.subject, []).append(finding)
    unknown_by_subject: dict[str, list[str]] = {}
    for (rule, subject, _source), outcome in result.outcomes.items():
        if outcome is Outcome.UNKNOWN:
            unknown_by_subject.setdefault(subject, []).append(rule)
    return tuple(_chain(monitor, inventory, findings_by_subject, unknown_by_subject)
                 for monitor in inventory.monitors if not monitor.declared_only)


def _chain(monitor: AppMonitor, inventory: Inventory, findings_by_subject: dict[str, list[Finding]],
           unknown_by_subject: dict[str, list[str]]) -> MonitorChain:
    def judged(name: str, resource: str, prefixes: tuple[str, ...], subjects: set[str],
               floor: str = PASS, per_monitor: tuple[str, ...] = ()) -> ChainLink:
        # A rule in ``per_monitor`` counts here only when its message is about this monitor.
        # In the report's order, as the scan of the sorted findings gave before.
        mine = sorted((f for subject in subjects for f in findings_by_subject.get(subject, ())
                       if f.rule_id.startswith(prefixes)
                       and (f.rule_id not in per_monitor or monitor.subject in f.message)),
                      key=Finding.sort_key)
        undecided = any(rule.startswith(prefixes) for subject in subjects
                        for rule in unknown_by_subject.get(subject, ()))
        if any(f.severity is Severity.ERROR for f in mine) or floor == FAIL:
            verdict = FAIL
        elif any(f.severity is Severity.WARNING for f in mine):
            verdict = WARN
        elif undecided or floor == UNKNOWN:
            verdict = UNKNOWN
        else:
            verdict = floor
        return ChainLink(name, resource, verdict, tuple(dict.fromkeys(f.rule_id for f in mine)), tuple(mine))

    pool = monitor.identity_pool
    guests = [g for g in inventory.guest_roles if monitor in g.monitors and g.role is not None]
    links = [judged("App monitor", _code(_value(monitor.name)), MONITOR_RULES, {monitor.subject})]
    pool_id = _value(monitor.identity_pool_id)
    pool_subjects = ({pool.subject} | {a.subject for a in pool.attachments}) if pool is not None else set()
    if monitor.identity_pool_id is None:
        links += [ChainLink("Identity pool", "none", NOT_USED), ChainLink("Role attachment", "none", NOT_USED)]
    elif pool is None:
        links += [ChainLink("Identity pool", _code(pool_id), UNKNOWN), ChainLink("Role attachment", "?", UNKNOWN)]
    else:
        links.append(judged("Identity pool", _code(pool_id), ("RUM-POOL-",), pool_subjects))
        attached = [_value(a.role_arn("unauthenticated")) for a in pool.attachments if a.role_arn("unauthenticated")]
        links.append(judged("Role attachment", ", ".join(_code(a) for a in attached) or "no unauthenticated role",
                            ("RUM-ATT-",), pool_subjects))
    links += _role_links(monitor, guests, judged)
    policies = monitor.resource_policies
    if policies:
        readable = all(p.raw is None or not isinstance(p.raw.value, Unknown) for p in policies)
        links.append(judged("Resource policy", "attached" if readable else "not readable", ("RUM-RBP-",),
                            {p.subject for p in policies}, floor=PASS if readable else UNKNOWN))
    else:
        links.append(judged("Resource policy", "none", ("RUM-RBP-",), {monitor.subject}, floor=NOT_USED))
    orgs = [o for o in inventory.org_policies if o.account == monitor.env.account]
    for org in orgs:
        if not org.applies:
            links.append(ChainLink("Service control policies", _cell(org.why_not_applicable or "none apply"), NOT_USED))
        else:
            links.append(judged("Service control policies", f"account {org.account}", ("RUM-IAM-ORG-",),
                                {org.subject}, floor=UNKNOWN if org.levels is None else PASS))
    subjects = ({monitor.subject} | pool_subjects | {g.subject for g in guests}
                | {p.subject for p in policies} | {o.subject for o in orgs})
    undecided = sorted((f for subject in subjects for f in findings_by_subject.get(subject, ())
                        if f.rule_id == UNDECIDED), key=Finding.sort_key)
    notes = tuple(dict.fromkeys(f.message for f in undecided))
    clients = list(monitor.web_clients)
    client = (judged("Web client", ", ".join(_code(c.subject) for c in clients), ("RUM-CLIENT-",),
                     {c.subject for c in clients}) if clients else None)
    return MonitorChain(monitor.location.source, monitor.subject, _value(monitor.name), tuple(links), notes,
                        client)


def _role_links(monitor: AppMonitor, guests: list[GuestRole], judged) -> list[ChainLink]:
    from rumpolicy.chain.coverage import allowed, covers

    if not guests:
        needed = monitor.guest_role_arn is not None or monitor.identity_pool_id is not None
        verdict = UNKNOWN if needed else NOT_USED
        resource = "not read" if needed else "none"
        return [ChainLink("Role trust", resource, verdict), ChainLink("Permissions", resource, verdict)]
    subjects = {g.subject for g in guests}
    roles = ", ".join(_code(g.subject) for g in guests)
    trust = judged("Role trust", roles, ("RUM-TRUST-",), subjects)
    decisions = [allowed(covers(g, monitor)) for g in guests]
    floor = FAIL if False in decisions else UNKNOWN if None in decisions else PASS
    permissions = judged("Permissions", roles, ("RUM-PERM-", "RUM-XREF-005"), subjects, floor=floor,
                         per_monitor=PER_MONITOR_PERMISSION_RULES)
    return [trust, permissions]


def _value(node) -> str:
    return shown_value(node.value) if node is not None else ""


def _code(text: str) -> str:
    """``text`` as a code span that no character of it can end: a fence longer than any run of backticks in
    it, controls shown escaped, and ``|`` escaped (GFM splits table cells before it reads code spans)."""
    if not text:
        return "?"
    shown = visible(text).replace("|", "\\|")
    fence = "`" * (max((len(run) for run in re.findall("`+", shown)), default=0) + 1)
    pad = " " if shown.startswith("`") or shown.endswith("`") else ""
    return f"{fence}{pad}{shown}{pad}{fence}"


# --- rendering ------------------------------------------------------------------------------------------

# ASCII punctuation that starts Markdown inline structure: HTML, code spans, emphasis, links, images, tables.
INLINE_MARKUP = re.compile(r"([\\`*_\[\]<>|#~!&])")


def _cell(text: str) -> str:
    """Prose from the input, as text in a table cell, a list item or a heading: markup characters are
    backslash-escaped (so `<script>` is text), line breaks and controls shown escaped, and what would start a
    block at the start of a line (a list, a heading underline) is escaped too."""
    shown = INLINE_MARKUP.sub(r"\\\1", visible(text)).strip()
    shown = re.sub(r"^(\d+)([.)])", r"\1\\\2", shown)
    return "\\" + shown if shown[:1] in ("-", "+", "=") else shown


def _where(finding: Finding, root: Path) -> str:
    location = finding.location
    source = project_path(location.source, root)
    if location.line is not None:
        return _code(f"{source}:{location.line}:{location.column or 1}")
    return _code(f"{source}#{location.pointer}" if location.pointer else source)


def _heading(group: str) -> str:
    if is_file_source(group) or not group.startswith("aws://"):
        return group
    account, _, region = group[len("aws://"):].partition("/")
    return f"Account {account} · {region}" if region else f"Account {account}"


def _monitors(count: int) -> str:
    return f"{count} app monitor{'s' if count != 1 else ''}"


def summary_line(report: Report, monitors: int) -> str:
    """The report's one-line summary (counts, what was checked), as the Markdown and HTML reports head it."""
    counts = report.counts()
    text = (f"{counts['error']} error{'s' if counts['error'] != 1 else ''}, "
            f"{counts['warning']} warning{'s' if counts['warning'] != 1 else ''}, {counts['info']} info")
    if report.coverage is not None:
        scopes = [c for c in report.coverage]
        complete = sum(1 for c in scopes if c.status == "checked")
        text += f" · {_monitors(monitors)} · {complete} of {len(scopes)} scopes fully checked"
    else:
        text += f" · {report.files_phrase()}"
    if report.suppressed:
        text += f" · {report.suppressed} suppressed"
    if report.baselined:
        text += f" · {report.baselined} in the baseline"
    return text


def _picture(chain: MonitorChain, fixes: dict[str, str | None]) -> list[str]:
    """The chain as a Mermaid flowchart (GitHub and GitLab draw it), then its findings, the most severe first,
    each with its rule's page and the first paragraph of the rule's fix."""
    from rumpolicy.report.graph import graph, mermaid
    from rumpolicy.report.sarif import help_url

    drawn = graph(chain)
    lines = mermaid(drawn) + [""]
    found = [f for f in drawn.findings if f.rule_id != UNDECIDED]
    for finding in found:
        page = help_url(finding.rule_id)
        lines.append(f"- **{finding.severity.value}** [{finding.rule_id}]({page}): {_cell(finding.message)}"
                     + (f" ([fix]({page}#fix))" if fixes.get(finding.rule_id) else ""))
    return lines + [""] if found else lines


def render(report: Report, *, root: Path) -> str:
    chain_list: Iterable[MonitorChain] = report.chains or ()
    chain_list = list(chain_list)
    lines = ["# rumpolicy report", "", f"**{summary_line(report, len(chain_list))}**", ""]
    fixes = {r.id: r.section("Fix") for r in report.rules if hasattr(r, "section")}
    groups: dict[str, list[MonitorChain]] = {}
    for chain in chain_list:
        groups.setdefault(chain.group, []).append(chain)
    for group, members in groups.items():
        lines += [f"## {_cell(_heading(project_path(group, root)))}", ""]
        for chain in members:
            lines += [f"### App monitor {_code(chain.name)}", "", _code(chain.monitor), ""]
            lines += _picture(chain, fixes)
            lines += ["| Link | Resource | Result | Findings |", "|---|---|---|---|"]
            for link in chain.links:
                result = f"**{link.result}**" if link.result == FAIL else link.result
                lines.append(f"| {link.name} | {link.resource} | {result} | {_cell(', '.join(link.rule_ids))} |")
            lines.append("")
            if chain.notes:
                lines += ["Not checked:", ""] + [f"- {_cell(note)}" for note in chain.notes] + [""]
    lines += ["## Findings", ""]
    active = report.active
    if active:
        lines += ["| Severity | Rule | Subject | Location | Message |", "|---|---|---|---|---|"]
        for finding in active:
            lines.append(f"| {finding.severity.value} | {finding.rule_id} | {_code(finding.subject)} | "
                         f"{_where(finding, root)} | {_cell(finding.message)} |")
    else:
        lines.append("None.")
    lines.append("")
    if report.coverage is not None:
        lines += ["## Coverage", "", "| Scope | Status | What | Reason |", "|---|---|---|---|"]
        for entry in report.coverage:
            regional = "/" in entry.scope.partition("://")[2]
            lines.append(f"| {_code(entry.scope)} | {entry.status.replace('_', ' ')} | "
                         f"{_monitors(entry.monitors) if regional else 'IAM, SCPs'} | {_cell(entry.reason or '')} |")
        lines.append("")
    return "\n".join(lines)
