"""rumpolicy as a library, and the one sequence every run goes through.

    from rumpolicy.api import Options, check
    report = check(["infra/"], Options())
    for finding in report.active:
        print(finding.rule_id, finding.location.source, finding.location.line, finding.message)

The stages, in order: **load** (files -> model, each template, Terraform module or dump linked into
chains as it is read: ``rumpolicy.load``), **rules** (``rumpolicy.engine.run`` over the rules the
configuration selects), **suppressions** (``rumpolicy.suppress``: what the loaders found written in the
files, and the configuration's entries), **severities** (the configuration's overrides), **baseline**
(``rumpolicy.baseline``). ``check`` runs them over files, ``audit`` over live accounts; the CLI only
parses arguments around them and prints the ``Report``; the cfn-lint plugin calls ``judge`` on the
template cfn-lint decoded. Nothing here prints or exits.

Errors the caller must handle: ``rumpolicy.config.ConfigError`` (a bad configuration),
``rumpolicy.baseline.BaselineError`` (a baseline that cannot be read or written), and from ``audit``
``rumpolicy.audit.AuditError`` (no credentials, nothing to audit). A defect of rumpolicy while
loading or in a rule never raises: it is a RUM-SRC-003 finding and ``Report.defects``.
"""

from __future__ import annotations

from dataclasses import field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Mapping

from rumpolicy.config import Config
from rumpolicy.findings import Finding, Location, Severity
from rumpolicy.load import LoadOptions
from rumpolicy.records import value_type
from rumpolicy.report import FileTally, Report

if TYPE_CHECKING:
    from rumpolicy.audit import AuditOptions
    from rumpolicy.audit.progress import Progress
    from rumpolicy.model import Inventory

__all__ = ["Finding", "Location", "Options", "Report", "Severity", "audit", "check", "judge", "load"]


@value_type(slots=False)
class Options:
    """What a run needs besides its inputs. The defaults are ``rumpolicy check`` without options and
    without a configuration file (``rumpolicy.config.resolve`` reads one)."""

    load: LoadOptions = field(default_factory=LoadOptions)
    config: Config = field(default_factory=Config)
    baseline: str | None = None              # report only findings this baseline file does not record
    write_baseline: str | None = None        # record the findings in this file first (then as `baseline`)
    root: Path | None = None                 # the project root reports and baselines name files against
    skip_unrecognized: bool = False          # named files that are not inputs are skipped, as walked ones are
    chains: bool = False                     # compute the per-monitor chains (Markdown, DOT, the GitHub summary)


def check(paths: Iterable[str], options: Options | None = None) -> Report:
    """Check files and folders: never touches the network."""
    options = options or Options()
    inventory = load(paths, options)
    return judge(inventory, options, files=FileTally.of(inventory.files))


def load(paths: Iterable[str], options: Options, *, contents: Mapping[str, bytes] | None = None) -> "Inventory":
    """The load stage: discover the inputs (walk folders, follow CDK assemblies), read and link them.

    ``contents``: inputs handed over rather than read (``rumpolicy check -`` reads standard input), by the
    name findings locate them at; a path among ``paths`` with contents is not read from disk. Terraform
    files are read with the rest of their folder's module, so they cannot be handed over (ValueError).
    """
    from rumpolicy.load import Candidate, discover
    from rumpolicy.load.files import load_candidates
    from rumpolicy.load.source import FileBytes
    from rumpolicy.load.terraform_kinds import is_configuration, is_variables

    contents = contents or {}
    for name in contents:
        if is_configuration(name) or is_variables(name):
            raise ValueError(f"{name}: Terraform is read one module (a folder) at a time, not from standard input: "
                             "name the folder")

    def discovered():
        for path in paths:
            if path in contents:
                yield Candidate(path, True, read=FileBytes.of(path, contents[path], options.load.max_file_size))
            else:
                yield from discover([path])

    candidates = [c for c in discovered() if not options.config.is_excluded(c.path)]
    if options.skip_unrecognized:
        candidates = [replace(c, explicit=False) for c in candidates]
    return load_candidates(candidates, options.load)


def judge(inventory: "Inventory", options: Options, *, files: FileTally | None = None, coverage: tuple | None = None,
          live_scopes: Mapping[str, bool] | None = None, record_baseline: bool = True,
          only_source: str | None = None) -> Report:
    """Every stage after loading: rules, suppressions, severities, baseline; the report of the run.

    ``live_scopes``: an audit's locations and whether each was read completely (suppressions judge
    their configuration entries by them); ``record_baseline`` False leaves ``write_baseline`` as it
    was (an audit that could read nothing); ``only_source``: keep only findings in this file (the
    cfn-lint plugin, which is asked about one template).
    """
    from rumpolicy import suppress
    from rumpolicy.config import override_severity, selected_rules
    from rumpolicy.engine import run
    from rumpolicy.paths import project_root

    config = options.config
    rules = selected_rules(config)
    result = run(inventory, rules)
    result = suppress.apply(result, inventory.files, config.suppress, rules_run={r.id for r in rules},
                            live_scopes=live_scopes)
    result = replace(result, findings=override_severity(result.findings, config.severity))
    if only_source is not None:
        result = replace(result, findings=[f for f in result.findings if f.location.source == only_source])
    root = options.root or project_root()
    baselined, recorded = 0, None
    write_to = options.write_baseline if record_baseline else None
    if write_to or options.baseline:
        from rumpolicy import baseline    # hashlib and the fingerprints: only for a run with a baseline
    if write_to:
        recorded = baseline.write(Path(write_to), result.findings, root)
    baseline_file = write_to or options.baseline
    if baseline_file:
        kept, baselined = baseline.new_findings(result.findings, baseline.read(Path(baseline_file)), root)
        result = replace(result, findings=kept)
    chains = None
    if options.chains:
        from rumpolicy.report.markdown import chains as monitor_chains
        chains = monitor_chains(inventory, result)
    checked = files.checked if files is not None else 0
    return Report(result, files_checked=checked, files=files, coverage=coverage, baselined=baselined,
                  chains=chains, rules=tuple(rules), recorded=recorded, root=root,
                  severities=dict(config.severity) if config.severity else None)


def audit(audit_options: "AuditOptions", options: Options | None = None, progress: "Progress | None" = None) -> Report:
    """Audit live accounts with the rules of ``check`` (read-only AWS calls only).

    ``Report.audit`` holds what the audit read: its coverage, whether the deadline cut it short,
    and whether any region could be read at all (when none could, ``write_baseline`` is left alone).
    """
    import io

    from rumpolicy.audit import run_audit
    from rumpolicy.audit.progress import Progress

    options = options or Options()
    # No progress bar unless the caller asks for one (a library must not draw on the terminal).
    audited = run_audit(audit_options, progress or Progress(io.StringIO()))
    report = judge(audited.inventory, options, coverage=audited.coverage, live_scopes=audited.scopes_read,
                   record_baseline=audited.checked_anything)
    return replace(report, audit=audited)
