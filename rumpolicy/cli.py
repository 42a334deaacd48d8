"""The ``rumpolicy`` command: ``check``, ``audit`` (live accounts, ``rumpolicy.audit``), ``rules``, ``rule``
and ``completion`` (shell completion scripts generated from this parser).

Exit status of ``check``: 0 when no finding that counts (not suppressed, not in the baseline) is at
or above ``--fail-on``, 1 otherwise, 2 for usage errors (unknown option, missing path, malformed
argument, invalid configuration, unreadable baseline, unwritable output, standard output full), 3 for
a defect of rumpolicy (a rule or loader that crashed, RUM-SRC-003, whatever ``--fail-on``,
suppressions and baselines say; or an unexpected exception anywhere, one line on stderr), 130 when
interrupted. When several apply, the highest wins. ``--exit-zero`` turns 1 into 0 and nothing else:
a usage error, a defect or an interruption still shows. ``audit`` shares the configuration,
suppressions, baselines and exit status with ``check`` (``_settings``, ``_judged``), and also exits 2
when it cannot start (no credentials, STS unreachable or rejecting them) or could read nothing, and
with ``--to-security-hub`` when Security Hub refused a call or a finding (``_to_security_hub``; the
reports are written first, and ``--exit-zero`` does not forgive it).

The linter conventions users of ruff, cfn-lint and checkov expect: ``.`` when no path is named, ``-``
for standard input (``--stdin-filename`` names it), ``-q``, ``--statistics``, ``FORCE_COLOR`` and
``NO_COLOR``, the configuration found from the checked paths, ``--changed-since REF`` for pull
requests (``_changed_files``: git runs only then), rule names and cfn-lint ids for ``rumpolicy rule``.

The CLI parses arguments and prints: every run is ``rumpolicy.api`` (``load`` and ``judge`` for
``check``, ``audit``), the sequence the cfn-lint plugin and library users call too.

Reports: ``--format F`` may be repeated, and ``-o FILE`` names the file for the ``--format`` just
before it (see ``outputs_from``); ``emit_reports`` renders and writes them for every subcommand.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

from rumpolicy import __version__, aws
from rumpolicy.findings import Severity
from rumpolicy.records import value_type

if TYPE_CHECKING:
    from rumpolicy.config import Config
    from rumpolicy.report import Report

EXIT_CLEAN, EXIT_FINDINGS, EXIT_USAGE, EXIT_DEFECT = 0, 1, 2, 3
EXIT_INTERRUPTED = 130              # 128 + SIGINT, as shells report a process Ctrl-C stopped
EXIT_STATUS_HELP = """\
exit status:
  0    no finding that counts is at or above --fail-on (or --exit-zero)
  1    findings at or above --fail-on
  2    usage error: bad option or argument, missing path, invalid configuration or baseline, a report
       that cannot be written (also standard output full), --changed-since outside a git repository
       or with an unknown REF; audit: boto3 not installed, no credentials, STS unreachable or
       rejecting the credentials, nothing could be read, --to-security-hub: Security Hub refused a
       call or a finding (the reports are written all the same)
  3    a defect of rumpolicy: a rule or loader crashed (RUM-SRC-003 in the report, which is still
       written, whatever --fail-on, suppressions or baselines say), or an internal error (one line on
       stderr; RUMPOLICY_DEBUG=1 prints the traceback)
  130  interrupted (Ctrl-C)
when several apply, the highest wins; a reader that leaves early (| head) does not change it;
--exit-zero turns 1 into 0 only: 2, 3 and 130 still show"""
EXAMPLES = {
    None: """\
examples:
  rumpolicy check                          check the current folder
  rumpolicy check infra/ --format sarif -o rumpolicy.sarif
  rumpolicy fix infra/ --diff              the fixes of the findings, as a diff
  rumpolicy init --monitor shop --domain shop.example.com --format terraform
                                           a correct new setup
  rumpolicy audit --all-regions            live accounts, read-only
  rumpolicy rule guest-role-trust-missing-amr
  source <(rumpolicy completion bash)      shell completion (also zsh, fish)""",
    "check": """\
examples:
  rumpolicy check                          the current folder (.), walked
  rumpolicy check infra/ cdk.out           folders; a CDK cloud assembly, stack by stack
  rumpolicy check infra/ --format json -o report.json --format text
  rumpolicy check --changed-since origin/main
                                           a pull request: the whole tree is loaded, the findings
                                           in files changed since REF are reported
  rumpolicy check - --stdin-filename infra/rum.yaml < buffer.yaml
                                           standard input, reported as infra/rum.yaml
  rumpolicy check -q --statistics          how many findings of each rule
  rumpolicy check --exit-zero              report, and exit 0 even with findings""",
    "audit": """\
examples:
  rumpolicy audit                          the profile's account and region
  rumpolicy audit --profile prod --all-regions --format markdown -o audit.md
  rumpolicy audit --to-security-hub        also import the findings into Security Hub
  rumpolicy audit --org --role-name RumPolicyAudit --exclude-accounts 111111111111""",
    "rules": """\
examples:
  rumpolicy rules
  rumpolicy rules --format json""",
    "rule": """\
examples:
  rumpolicy rule RUM-TRUST-003             by id
  rumpolicy rule guest-role-trust-missing-amr
                                           by name
  rumpolicy rule W90403                    by the id the cfn-lint plugin reports it under""",
    "completion": """\
examples:
  source <(rumpolicy completion bash)      this shell; or in ~/.bashrc
  rumpolicy completion zsh > "${fpath[1]}/_rumpolicy"
  rumpolicy completion fish > ~/.config/fish/completions/rumpolicy.fish""",
}
SHELLS = ("bash", "zsh", "fish")
STDIN = "-"                         # the path that means standard input
STDIN_NAME = "<stdin>"              # where its findings are located without --stdin-filename
# read by programs (and HTML, which declares UTF-8): always UTF-8
MACHINE_FORMATS = ("json", "sarif", "junit", "gitlab", "dot", "html", "asff")
FORMATS = ("text", "json", "sarif", "junit", "github", "gitlab", "markdown", "dot", "html", "asff")
REGION, ACCOUNT, PARTITIONS = aws.REGION, aws.ACCOUNT_ID, aws.PARTITIONS


def _size(text: str) -> int:
    match = re.fullmatch(r"(\d+)\s*([kKmMgG]?)(i?[bB])?", text.strip())
    if not match:
        raise argparse.ArgumentTypeError(f"not a size: {text!r} (examples: 5000000, 5M, 512k)")
    factor = {"": 1, "k": 1024, "m": 1024 ** 2, "g": 1024 ** 3}[match.group(2).lower()]
    return int(match.group(1)) * factor


def _pattern(regex: re.Pattern, what: str):
    def check(text: str) -> str:
        if not regex.match(text):
            raise argparse.ArgumentTypeError(f"not {what}: {text!r}")
        return text
    return check


def _parameter(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected Key=Value, got {text!r}")
    return key, value


def _rule_ids(text: str) -> list[str]:
    ids = [part.strip() for part in text.split(",") if part.strip()]
    if not ids:
        raise argparse.ArgumentTypeError(f"expected rule ids separated by commas, got {text!r}")
    return ids


# --- reports: --format / -o ------------------------------------------------------------------------

@value_type(slots=False)
class Output:
    """One report to write: its format and file."""

    format: str
    path: str | None = None         # None: standard output


class _OutputOption(argparse.Action):
    """Keeps ``--format`` and ``-o`` in the order given: ``-o`` pairs with the ``--format`` before it."""

    def __call__(self, parser, namespace, value, option_string=None):
        given = list(getattr(namespace, "output_options", None) or [])
        given.append((self.dest, value))
        namespace.output_options = given


def add_output_options(parser: argparse.ArgumentParser) -> None:
    parser.set_defaults(output_options=[])
    parser.add_argument("--format", choices=FORMATS, action=_OutputOption, dest="format",
                        help="text (default), json, sarif, junit, github (workflow annotations), gitlab "
                             "(code quality), markdown (per-monitor chains with a Mermaid picture, for a ticket), "
                             "dot (the chains as a Graphviz graph), html (one self-contained page: the chains "
                             "drawn, the findings filterable) or asff (AWS Security Hub's finding format, the "
                             "body of securityhub:BatchImportFindings); repeatable")
    parser.add_argument("-o", "--output", action=_OutputOption, dest="output", metavar="FILE",
                        help="write the report of the --format just before this option to FILE ('-': standard "
                             "output); without --format, writes the text report")
    parser.add_argument("--show-suppressed", action="store_true",
                        help="list suppressed findings in the text, SARIF and GitLab reports (JSON always lists them)")
    parser.add_argument("-q", "--quiet", action="count", default=0,
                        help="text report: the findings only, without the summary (and an audit's coverage); "
                             "-qq: nothing, the exit status alone tells")
    parser.add_argument("--statistics", action="store_true",
                        help="text report: how many findings of each rule (count, id, name), the most frequent "
                             "first, instead of the findings")
    parser.add_argument("--no-fix", action="store_true",
                        help="text report: leave out the fix printed under each finding")
    parser.add_argument("--asff-account", type=_pattern(ACCOUNT, "a 12-digit account id"), metavar="ID",
                        help="ASFF report: the AWS account of findings whose location names none (check: every "
                             "finding; needed with --format asff)")
    parser.add_argument("--asff-region", type=_pattern(REGION, "a region"), metavar="REGION",
                        help="ASFF report: the region of findings whose location names none (check: needed with "
                             "--format asff; audit: default the first audited region, for IAM)")
    parser.add_argument("--asff-previous", metavar="FILE",
                        help="ASFF report: an earlier ASFF report; its findings this run no longer reports are "
                             "written again as ARCHIVED and RESOLVED (only where this run read everything), and "
                             "the ones still reported keep their CreatedAt")


def add_policy_options(parser: argparse.ArgumentParser) -> None:
    """What ``check`` and ``audit`` share: the configuration, the rules, the exit status and the baseline."""
    parser.add_argument("--fail-on", choices=[s.value for s in Severity], default=None,
                        help="lowest severity that makes the exit status 1 (default: error, or `fail-on` "
                             "in the configuration)")
    parser.add_argument("--exit-zero", action="store_true",
                        help="exit 0 even with findings (usage errors still exit 2, defects of rumpolicy 3)")
    parser.add_argument("--no-color", action="store_true",
                        help="never colour the text output (else coloured on a terminal; NO_COLOR=1 never, "
                             "FORCE_COLOR=1 also when piped)")
    parser.add_argument("--config", metavar="FILE",
                        help="the configuration file (default: the nearest .rumpolicy.yaml or pyproject.toml "
                             "with [tool.rumpolicy] at or above the checked paths, else the current directory, "
                             "up to the repository root)")
    parser.add_argument("--no-config", action="store_true", help="ignore configuration files")
    parser.add_argument("--select", type=_rule_ids, action="extend", default=None, metavar="IDS",
                        help="run only these rules (comma-separated, repeatable; replaces `select`)")
    parser.add_argument("--ignore", type=_rule_ids, action="extend", default=None, metavar="IDS",
                        help="do not run these rules (comma-separated, repeatable; replaces `ignore`)")
    parser.add_argument("--baseline", metavar="FILE", help="report only findings that FILE does not record")
    parser.add_argument("--write-baseline", metavar="FILE",
                        help="record the current findings in FILE (then report only what it cannot record)")


def outputs_from(args: argparse.Namespace) -> list[Output]:
    """Pair formats and files.

    Read in order, each ``--format F`` adds a report in F, to standard output until an ``-o FILE``
    right after it names a file. Without any ``--format``, a single ``-o FILE`` gets the text
    report. An ``-o`` that follows no ``--format`` while formats are given, a second ``-o`` for one
    ``--format``, one file named twice, or more than one report left on standard output is a usage
    error (ValueError).
    """
    given: list[tuple[str, str]] = args.output_options
    outputs: list[Output] = []
    formats_given = any(kind == "format" for kind, _ in given)
    paired = False                  # the last output has had its -o
    for kind, value in given:
        if kind == "format":
            outputs.append(Output(value))
            paired = False
            continue
        path = None if value == "-" else value
        if not outputs and not formats_given:
            outputs.append(Output("text", path))
        elif not outputs:
            raise ValueError(f"-o {value}: give -o after the --format it is for")
        elif paired:
            raise ValueError(f"-o {value}: --format {outputs[-1].format} already has an output")
        else:
            outputs[-1] = Output(outputs[-1].format, path)
        paired = True
    outputs = outputs or [Output("text")]
    if sum(1 for o in outputs if o.path is None) > 1:
        raise ValueError("more than one report would go to standard output: give -o FILE after all --format "
                         "options but one")
    files = [os.path.abspath(o.path) for o in outputs if o.path is not None]
    if len(files) != len(set(files)):
        raise ValueError("-o: the same file is named for two reports")
    return outputs


@value_type(slots=False)
class TextOptions:
    """How the text report is written (``-q``, ``--statistics``, ``--no-fix``, ``--show-suppressed``)."""

    show_suppressed: bool = False
    quiet: int = 0
    statistics: bool = False
    fixes: bool = True

    @classmethod
    def of(cls, args: argparse.Namespace) -> "TextOptions":
        return cls(show_suppressed=args.show_suppressed, quiet=args.quiet, statistics=args.statistics,
                   fixes=not args.no_fix)


def render_report(report: "Report", output: Output, *, fail_on: Severity, root: Path, color: bool = False,
                  show_suppressed: bool = False, rules=None, text: TextOptions | None = None, asff=None) -> str:
    """The report in the output's format. ``asff``: the ASFF report's ``rumpolicy.report.asff.AsffOptions``
    (account and region defaults, the previous report); it raises ``AsffError`` (a ValueError) when a finding
    has no account or region."""
    if text is not None:
        show_suppressed = text.show_suppressed       # --show-suppressed: the text, SARIF and GitLab reports
    if output.format == "json":
        from rumpolicy.report.json import render
        return render(report, root)
    if output.format == "sarif":
        from rumpolicy.report.sarif import MAX_RESULTS, left_out, render
        dropped = left_out(report, show_suppressed=show_suppressed)
        if dropped:
            print(f"rumpolicy: warning: the SARIF report leaves out the {dropped} least severe results: GitHub code "
                  f"scanning rejects a run of more than {MAX_RESULTS} (the JSON report lists every finding)",
                  file=sys.stderr)
        return render(report, root=root, rules=rules, show_suppressed=show_suppressed)
    if output.format == "junit":
        from rumpolicy.report.junit import render
        return render(report, root=root, fail_on=fail_on)
    if output.format == "github":
        from rumpolicy.report.github import render, write_step_summary
        problem = write_step_summary(report, root=root)
        if problem:
            print(f"rumpolicy: warning: {problem}", file=sys.stderr)
        return render(report, root=root)
    if output.format == "gitlab":
        from rumpolicy.report.gitlab import render
        return render(report, root=root, show_suppressed=show_suppressed)
    if output.format == "markdown":
        from rumpolicy.report.markdown import render
        return render(report, root=root)
    if output.format == "dot":
        from rumpolicy.report.dot import render
        return render(report, root=root)
    if output.format == "html":
        from rumpolicy.report.html import render
        return render(report, root=root)
    if output.format == "asff":
        from rumpolicy.report.asff import render
        return render(report, root=root, options=asff)
    from rumpolicy.report.text import render
    text = text or TextOptions(show_suppressed=show_suppressed)
    return render(report, color=color, show_suppressed=text.show_suppressed, quiet=text.quiet,
                  statistics=text.statistics, fixes=text.fixes)


def emit_reports(report: "Report", outputs: Sequence[Output], *, fail_on: Severity, root: Path | None = None,
                 no_color: bool = False, show_suppressed: bool = False, rules=None,
                 text: TextOptions | None = None, asff=None) -> int:
    """Write every report and return the exit status: 1 when an active finding is at or above ``fail_on``.

    ``root``: the project root that reports name files against (default: ``rumpolicy.paths.project_root()``);
    ``rules``: the rules that ran (SARIF describes them; default: all). A file that cannot be written
    is a usage error (2), after the other reports have been written.
    """
    from rumpolicy.paths import project_root

    root = root or project_root()
    status = EXIT_FINDINGS if report.failing(fail_on) else EXIT_CLEAN
    for output in outputs:
        to_terminal = output.path is None
        try:
            rendered = render_report(report, output, fail_on=fail_on, root=root, rules=rules,
                                     color=to_terminal and _use_color(sys.stdout, no_color),
                                     show_suppressed=show_suppressed, text=text, asff=asff)
        except ValueError as exc:       # rumpolicy.report.asff.AsffError: a finding with no account or region
            if output.format != "asff":
                raise
            print(f"rumpolicy: error: {_shown(str(exc))}", file=sys.stderr)
            status = max(status, EXIT_USAGE)
            continue
        if to_terminal:
            if rendered:
                status = max(status, write_stdout(rendered, machine=output.format in MACHINE_FORMATS))
            continue
        try:
            # backslashreplace: the renderers escape what they must; nothing left may stop the report.
            with open(output.path, "w", encoding="utf-8", errors="backslashreplace", newline="\n") as handle:
                handle.write(rendered)
        except OSError as exc:
            print(f"rumpolicy: error: cannot write {_shown(output.path)}: {exc.strerror or exc}", file=sys.stderr)
            status = max(status, EXIT_USAGE)
    if report.defects:
        # A defect must never be hidden, nor read as findings: not by --fail-on, a suppression or a baseline.
        status = EXIT_DEFECT
    return status


def write_stdout(text: str, *, machine: bool = False) -> int:
    """Write ``text`` to standard output: EXIT_CLEAN, or EXIT_USAGE after one line on stderr when it cannot.

    Machine-readable formats go out as UTF-8 whatever the locale (JUnit declares it); the others in the
    stream's encoding, with what it cannot encode backslash-escaped. A reader that leaves early
    (``| head``) is not an error. After a failure standard output is pointed at the null device, so
    that the interpreter's last flush at exit has nothing to complain about.
    """
    stream = sys.stdout
    if stream is None:                          # started with standard output closed (>&-)
        print("rumpolicy: error: cannot write the report: standard output is closed", file=sys.stderr)
        return EXIT_USAGE
    try:
        buffer = getattr(stream, "buffer", None)
        if buffer is None:
            stream.write(text)
            stream.flush()
        else:
            stream.flush()
            buffer.write(text.encode("utf-8" if machine else (stream.encoding or "utf-8"), "backslashreplace"))
            buffer.flush()
    except BrokenPipeError:
        _discard_stdout()
        return EXIT_CLEAN
    except OSError as exc:
        _discard_stdout()
        print(f"rumpolicy: error: cannot write to standard output: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_USAGE
    return EXIT_CLEAN


def _discard_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):   # not a real file (tests capture it): nothing to flush
        pass


def _shown(text: str) -> str:
    from rumpolicy.escape import visible
    return visible(text)


def _epilog(command: str | None, exit_status: bool = True) -> str:
    return EXAMPLES[command] + ("\n\n" + EXIT_STATUS_HELP if exit_status else "")


COMMANDS = ("check", "fix", "init", "audit", "rules", "rule", "completion")


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The parser of every command, or with ``only`` the parser of that one command alone: a run of
    ``rumpolicy check`` does not build the audit's forty options (a few milliseconds of a cold start)."""
    def wanted(name: str) -> bool:
        return only is None or only == name

    raw = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(
        prog="rumpolicy", description="Lint the authorization chain of Amazon CloudWatch RUM app monitors.",
        epilog=_epilog(None), formatter_class=raw)
    parser.add_argument("--version", action="version", version=f"rumpolicy {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    if wanted("check"):
        _add_check_parser(commands, raw)
    if wanted("fix"):
        from rumpolicy.fix.command import add_parser as add_fix_parser      # only when its parser is built

        add_fix_parser(commands, raw)
    if wanted("init"):
        from rumpolicy.init.command import add_parser as add_init_parser

        add_init_parser(commands, raw)
    if wanted("audit"):
        add_audit_parser(commands)
    if wanted("rules"):
        rules = commands.add_parser("rules", help="list the rules", description="List the rules.",
                                    epilog=_epilog("rules", exit_status=False), formatter_class=raw)
        rules.add_argument("--format", choices=("text", "json"), default="text")
    if wanted("rule"):
        rule = commands.add_parser("rule", help="print one rule's documentation",
                                   description="Print one rule's documentation page. Exit status 2 for a rule "
                                               "that does not exist.",
                                   epilog=_epilog("rule", exit_status=False), formatter_class=raw)
        rule.add_argument("rule_id", metavar="RULE",
                          help="the rule's id (RUM-TRUST-003), name (guest-role-trust-missing-amr) or cfn-lint id "
                               "(W90403)")
    if wanted("completion"):
        completion = commands.add_parser("completion", help="print a shell completion script",
                                         description="Print the completion script for a shell, generated from "
                                                     "rumpolicy's own options.",
                                         epilog=_epilog("completion", exit_status=False), formatter_class=raw)
        completion.add_argument("shell", choices=SHELLS)
    return parser


def _add_check_parser(commands, raw) -> None:
    check = commands.add_parser("check", help="check templates, policies and AWS CLI output",
                                description="Check CloudFormation/SAM templates, CDK cloud assemblies, Terraform, "
                                            "IAM policies, AWS CLI output and the RUM web client's "
                                            "configuration.\nNever touches the network.",
                                epilog=_epilog("check"), formatter_class=raw)
    check.add_argument("paths", nargs="*", metavar="PATH",
                       help="files or folders (folders are walked; default: the current folder, `.`); "
                            "`-` reads standard input")
    check.add_argument("--stdin-filename", metavar="NAME",
                       help="with `-`: the name standard input is reported under; its folder is where the "
                            "configuration is looked for, and a .html/.js/.ts name makes it read as a web page or "
                            "script (default: <stdin>, recognized by content)")
    check.add_argument("--changed-since", metavar="REF",
                       help="load the paths as usual but report only findings in files changed since REF (from "
                            "its merge base with HEAD to the working tree, uncommitted and untracked files "
                            "included), or related to one: for pull requests. Needs git")
    add_output_options(check)
    add_policy_options(check)
    check.add_argument("--app-monitor", action="append", default=None, metavar="ARN",
                       help="an app monitor that bare permission policies must serve (repeatable)")
    check.add_argument("--region", type=_pattern(REGION, "a region"),
                       help="the region templates deploy to (default: left symbolic)")
    check.add_argument("--account", type=_pattern(ACCOUNT, "a 12-digit account id"),
                       help="the account templates deploy to (default: left symbolic)")
    check.add_argument("--partition", choices=PARTITIONS, default=None, help="default: aws")
    check.add_argument("--parameter", action="append", type=_parameter, default=[], metavar="KEY=VALUE",
                       help="a CloudFormation parameter value (repeatable; default: the parameter's Default)")
    check.add_argument("--var-file", action="append", default=[], metavar="FILE",
                       help="a Terraform variable definitions file (.tfvars or .tfvars.json) for the root "
                            "modules, as `terraform plan -var-file` reads it (repeatable; later files win)")
    check.add_argument("--max-file-size", type=_size, default=5 * 1024 * 1024, metavar="SIZE",
                       help="larger files are reported, not read (default: 5M)")
    check.add_argument("--skip-unrecognized", action="store_true",
                       help="treat named files like files found by walking: skip the ones rumpolicy does not "
                            "recognize quietly (for pre-commit and tools that pass every changed file)")


def _use_color(stream, disabled: bool) -> bool:
    """Colour on a terminal. ``--no-color`` never; else ``NO_COLOR`` set to anything but the empty string
    never (no-color.org), ``FORCE_COLOR`` so set also when piped (force-color.org); NO_COLOR wins, as in
    CPython's own ``_colorize``."""
    if disabled or os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return hasattr(stream, "isatty") and stream.isatty()


def _check(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from rumpolicy import api
    from rumpolicy.load import LoadOptions
    from rumpolicy.report import FileTally

    stdin = STDIN in args.paths or (args.stdin_filename is not None and not args.paths)
    problem = _paths_problem(args, stdin)
    if problem is not None:
        print(f"rumpolicy: error: {problem}", file=sys.stderr)
        return EXIT_USAGE
    stdin_name = (args.stdin_filename or STDIN_NAME) if stdin else None
    paths = [stdin_name] if stdin else (args.paths or ["."])
    from rumpolicy.config import discovery_start

    # The configuration of the checked files: found from their folder (standard input: its name's).
    start = discovery_start([args.stdin_filename] if args.stdin_filename else [] if stdin else paths)
    settings = _settings(args, start)
    if settings is None:
        return EXIT_USAGE
    config, outputs = settings
    try:
        asff_base = _asff_options(args, outputs, account=args.account or config.account,
                                  region=args.region or config.region, required=True)
    except ValueError as exc:
        print(f"rumpolicy: error: {_shown(str(exc))}", file=sys.stderr)
        return EXIT_USAGE
    var_files = list(args.var_file) or list(config.var_files or ())      # --var-file replaces `var-files`
    on_disk = [] if stdin else paths
    missing = [p for p in on_disk if not os.path.exists(p)] + [p for p in var_files if not os.path.isfile(p)]
    if missing:
        for path in missing:
            print(f"rumpolicy: error: no such file or folder: {_shown(path)}", file=sys.stderr)
        return EXIT_USAGE
    app_monitors = args.app_monitor if args.app_monitor is not None else list(config.app_monitors or ())
    names: dict[str, str] = {}
    if app_monitors:
        from rumpolicy.load.iam_json import declared_monitor      # only with --app-monitor: off the cold start
    for arn in app_monitors:
        try:
            monitor = declared_monitor(arn)
        except ValueError as exc:
            print(f"rumpolicy: error: --app-monitor: {exc}", file=sys.stderr)
            return EXIT_USAGE
        name = monitor.name.value
        if name in names and names[name] != arn:
            # Monitors loaded from CLI output are matched by name: two ARNs for one name are ambiguous.
            print(f"rumpolicy: error: --app-monitor: {names[name]} and {arn} name the same monitor {name!r}",
                  file=sys.stderr)
            return EXIT_USAGE
        names[name] = arn
    load_options = LoadOptions(app_monitors=tuple(app_monitors), region=args.region or config.region,
                               account=args.account or config.account,
                               partition=args.partition or config.partition or "aws",
                               max_file_size=args.max_file_size, parameters=dict(args.parameter),
                               var_files=tuple(var_files))
    options = _options(args, config, outputs, load=load_options, skip_unrecognized=args.skip_unrecognized)
    changed = None
    if args.changed_since is not None:
        try:
            changed = _changed_files(args.changed_since, start or Path.cwd())
        except ValueError as exc:
            print(f"rumpolicy: error: --changed-since: {_shown(str(exc))}", file=sys.stderr)
            return EXIT_USAGE
    contents = None
    if stdin:
        raw = _read_stdin(args.max_file_size)
        if raw is None:
            return EXIT_USAGE
        contents = {stdin_name: raw}
    try:
        inventory = api.load(paths, options, contents=contents)
    except ValueError as exc:           # contents that cannot be handed over (a Terraform file)
        print(f"rumpolicy: error: {_shown(str(exc))}", file=sys.stderr)
        return EXIT_USAGE

    def judge():
        report = api.judge(inventory, options, files=FileTally.of(inventory.files))
        return report if changed is None else _only_changed(report, changed, args)

    def asff(report: "Report"):
        from rumpolicy.paths import project_path

        # The files read and checked, whose findings this run reports in full (with --changed-since, only
        # the changed ones): a previous finding elsewhere is not called resolved.
        read = {f.path for f in inventory.files if f.kind is not None and f.error is None and f.defect is None}
        if changed is not None:
            read = {path for path in read if os.path.realpath(path) in changed}
        return replace(asff_base, complete_sources=frozenset(project_path(path, report.root) for path in read))

    return _judged(args, config, outputs, judge, asff=asff if asff_base is not None else None)


def _asff_options(args: argparse.Namespace, outputs: Sequence[Output], *, account: str | None = None,
                  region: str | None = None, required: bool = False, export: bool = False):
    """The ASFF report's options when one is written (else None): ``--asff-account`` and ``--asff-region``
    (default ``account``, ``region``), the findings of ``--asff-previous``. ValueError for a usage error: an
    --asff option without --format asff (or the export, ``export``), an unreadable previous report, and with
    ``required`` (check: files name no account) an account or region that nothing gives."""
    if not any(o.format == "asff" for o in outputs):
        given = [name for name, value in (("--asff-account", args.asff_account), ("--asff-region", args.asff_region),
                                          ("--asff-previous", args.asff_previous))
                 if value is not None and not (export and name != "--asff-previous")]
        if given:
            raise ValueError(f"{', '.join(given)} go{'es' if len(given) == 1 else ''} with --format asff")
        return None
    from rumpolicy.report.asff import AsffOptions, read_previous

    account, region = args.asff_account or account, args.asff_region or region
    if required and (account is None or region is None):
        missing = " and ".join(name for name, value in (("--asff-account ID", account), ("--asff-region REGION", region))
                               if value is None)
        raise ValueError(f"--format asff: findings in files name no AWS account or region; give {missing} (the "
                         "account and region Security Hub is to hold them in)")
    previous = read_previous(args.asff_previous) if args.asff_previous else ()
    return AsffOptions(account=account, region=region, previous=previous)


def _paths_problem(args: argparse.Namespace, stdin: bool) -> str | None:
    """What is wrong with the paths and the options about them, if anything (a usage error)."""
    if stdin and args.paths not in ([], [STDIN]):
        return "`-` (standard input) is checked on its own: name no other path with it"
    if args.stdin_filename is not None and not stdin:
        return "--stdin-filename names standard input: give `-` as the path"
    if stdin and args.changed_since is not None:
        return "--changed-since selects files of a git tree; standard input is none"
    if args.stdin_filename == "":
        return "--stdin-filename: the name is empty"
    return None


def _read_stdin(max_bytes: int) -> bytes | None:
    """Standard input's bytes, at most one more than ``max_bytes`` (more is reported as too large, as a
    file's would be); None after saying why on stderr when it cannot be read."""
    stream = sys.stdin
    if stream is None:
        print("rumpolicy: error: cannot read standard input: it is closed", file=sys.stderr)
        return None
    try:
        buffer = getattr(stream, "buffer", None)
        data = buffer.read(max_bytes + 1) if buffer is not None else stream.read(max_bytes + 1)
    except OSError as exc:
        print(f"rumpolicy: error: cannot read standard input: {exc.strerror or exc}", file=sys.stderr)
        return None
    return data.encode("utf-8", "surrogateescape") if isinstance(data, str) else data


def _changed_files(ref: str, where: Path) -> set[str]:
    """The real paths of the files changed since ``ref``: from the merge base of ``ref`` and HEAD (what a
    pull request shows; ``ref`` itself when they share no history) to the working tree, staged and
    unstaged changes included, and the untracked files git does not ignore. ValueError with what is wrong:
    git missing, ``where`` outside a repository, ``ref`` naming no commit."""
    import subprocess

    if ref.startswith("-"):
        raise ValueError(f"{ref!r} is not a revision (it reads as an option)")

    def git(*argv: str, cwd: Path | str) -> subprocess.CompletedProcess:
        try:
            return subprocess.run(["git", *argv], cwd=cwd, capture_output=True, timeout=120)
        except FileNotFoundError:
            raise ValueError("git is not installed (or not on PATH)") from None
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise ValueError(f"git could not be run: {exc}") from None

    def said(proc: subprocess.CompletedProcess) -> str:
        """The last line git wrote on stderr (its reason)."""
        text = os.fsdecode(proc.stderr).strip().splitlines()
        return text[-1] if text else f"exit status {proc.returncode}"

    folder = where if where.is_dir() else where.parent
    top = git("rev-parse", "--show-toplevel", cwd=folder)
    if top.returncode != 0:
        raise ValueError(f"{folder} is not in a git repository ({said(top)})")
    root = os.fsdecode(top.stdout).strip()
    if git("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}", cwd=root).returncode != 0:
        raise ValueError(f"{ref!r} names no commit of {root} (a branch, tag or commit; fetch it first in a "
                         "shallow clone)")
    base = git("merge-base", ref, "HEAD", cwd=root)
    since = os.fsdecode(base.stdout).strip() if base.returncode == 0 and base.stdout.strip() else ref
    diff = git("diff", "--name-only", "--no-renames", "-z", since, "--", cwd=root)
    if diff.returncode != 0:
        raise ValueError(f"git diff {since} failed: {said(diff)}")
    untracked = git("ls-files", "--others", "--exclude-standard", "--full-name", "-z", cwd=root)
    if untracked.returncode != 0:
        raise ValueError(f"git ls-files failed: {said(untracked)}")
    names = [name for out in (diff.stdout, untracked.stdout) for name in out.split(b"\0") if name]
    return {os.path.realpath(os.path.join(root, os.fsdecode(name))) for name in names}


def _only_changed(report: "Report", changed: set[str], args: argparse.Namespace) -> "Report":
    """The report with only the findings located in a changed file, or related to one (a monitor in a
    changed template naming an unchanged role); a defect of rumpolicy (RUM-SRC-003) is kept wherever it
    is, as it decides the exit status."""
    from dataclasses import replace

    from rumpolicy.paths import is_file_source

    real: dict[str, str] = {}

    def in_changed(source: str) -> bool:
        if not is_file_source(source):
            return False
        if source not in real:
            real[source] = os.path.realpath(source)
        return real[source] in changed

    kept = [f for f in report.result.findings
            if f.rule_id == "RUM-SRC-003" or in_changed(f.location.source)
            or any(in_changed(r.source) for r in f.related)]
    if not args.quiet:
        left = len(report.result.findings) - len(kept)
        print(f"rumpolicy: --changed-since {args.changed_since}: {len(changed)} file{'s' if len(changed) != 1 else ''} "
              f"changed; {left} finding{'s' if left != 1 else ''} in other files left out", file=sys.stderr)
    return replace(report, result=replace(report.result, findings=kept))


def _options(args: argparse.Namespace, config: "Config", outputs: Sequence[Output], **given):
    from rumpolicy.api import Options

    # The chains: for the Markdown report, the DOT graph, the HTML page and a GitHub job summary
    # ($GITHUB_STEP_SUMMARY).
    summary = bool(os.environ.get("GITHUB_STEP_SUMMARY"))
    chains = any(o.format in ("markdown", "dot", "html") or o.format == "github" and summary for o in outputs)
    return Options(config=config, baseline=args.baseline, write_baseline=args.write_baseline, chains=chains,
                   **given)


def _judged(args: argparse.Namespace, config: "Config", outputs: Sequence[Output], judge, asff=None) -> int:
    """Run the pipeline's judging stages (``judge()``) and write the reports; the exit status. ``asff``: a
    function of the report that gives the ASFF report's options (``rumpolicy.report.asff.AsffOptions``)."""
    from rumpolicy.baseline import BaselineError

    try:
        report = judge()
    except BaselineError as exc:
        print(f"rumpolicy: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if report.recorded is not None and not args.quiet:
        print(f"rumpolicy: recorded {report.recorded} finding{'s' if report.recorded != 1 else ''} in "
              f"{args.write_baseline}", file=sys.stderr)
    if os.environ.get("RUMPOLICY_DEBUG"):
        for failure in report.result.failures:
            sys.stderr.write(f"{failure.rule_id} on {failure.subject}:\n{failure.trace}\n")
    fail_on = Severity(args.fail_on or config.fail_on or "error")
    status = emit_reports(report, outputs, fail_on=fail_on, root=report.root, no_color=args.no_color,
                          rules=report.rules, text=TextOptions.of(args), asff=asff(report) if asff else None)
    # --exit-zero forgives findings only: a usage error (2) or a defect of rumpolicy (3) must still show.
    return EXIT_CLEAN if args.exit_zero and status == EXIT_FINDINGS else status


def _settings(args: argparse.Namespace, start: Path | None = None) -> "tuple[Config, list[Output]] | None":
    """The configuration in force (the file, then ``--select``/``--ignore``) and the reports to write.

    ``start``: where the configuration is looked for first (the checked paths' folder; see
    ``rumpolicy.config.resolve``). None after saying why on stderr: the configuration or the output
    options are wrong (exit 2).
    """
    from rumpolicy.config import ConfigError, resolve, with_options

    try:
        config = with_options(resolve(args.config, args.no_config, start), select=args.select, ignore=args.ignore)
        return config, outputs_from(args)
    except (ConfigError, ValueError) as exc:
        print(f"rumpolicy: error: {exc}", file=sys.stderr)
        return None


def add_audit_parser(commands) -> None:
    audit = commands.add_parser(
        "audit", help="check live AWS accounts (read-only)",
        description="Check the RUM authorization chain of live AWS accounts with the rules of `check`. Only "
                    "read-only operations are called (plus sts:AssumeRole with --org, and with --to-security-hub "
                    "securityhub:BatchImportFindings). Credentials come from the usual AWS chain: --profile, "
                    "environment, SSO, instance role.",
        epilog=_epilog("audit"), formatter_class=argparse.RawDescriptionHelpFormatter)
    audit.add_argument("--profile", help="the AWS profile to use (default: the usual credential chain)")
    where = audit.add_mutually_exclusive_group()
    where.add_argument("--region", action="append", type=_pattern(REGION, "a region"), default=[],
                       help="a region to audit (repeatable; default: the profile's region)")
    where.add_argument("--all-regions", action="store_true",
                       help="every region where botocore knows CloudWatch RUM, in the caller's partition")
    audit.add_argument("--org", action="store_true",
                       help="audit every active member account of the caller's AWS Organization (needs --role-name)")
    audit.add_argument("--role-name", metavar="NAME", help="with --org: the role to assume in each member account")
    audit.add_argument("--accounts", type=_accounts, action="extend", default=[], metavar="IDS",
                       help="with --org: only these member accounts (comma-separated)")
    audit.add_argument("--exclude-accounts", type=_accounts, action="extend", default=[], metavar="IDS",
                       help="with --org: skip these member accounts (comma-separated)")
    audit.add_argument("--external-id", metavar="ID", help="with --org: the ExternalId the member roles require")
    audit.add_argument("--jobs", type=_positive, default=8, metavar="N",
                       help="accounts and regions read at the same time (default: 8)")
    audit.add_argument("--retry-mode", choices=("standard", "adaptive"), default="standard",
                       help="botocore's retry mode for throttling and transient errors (default: standard)")
    audit.add_argument("--max-attempts", type=_positive, default=8, metavar="N",
                       help="attempts per call, the first included (default: 8)")

    def duration(text: str) -> float:
        """``90s``, ``15m``, ``1h``, ``1h30m`` or plain seconds (``90``, ``2.5``)."""
        found = re.fullmatch(r"(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m)?(?:(\d+(?:\.\d+)?)s?)?", text.strip())
        seconds = sum(float(part) * unit for part, unit in zip(found.groups(), (3600, 60, 1)) if part) if found else 0
        if seconds <= 0:
            raise argparse.ArgumentTypeError(f"expected a duration such as 90s, 15m, 1h or seconds, got {text!r}")
        return seconds

    audit.add_argument("--deadline", type=duration, default=15 * 60, metavar="DURATION",
                       help="stop calling AWS after this long and check what was read; the rest is reported as not "
                            "read (e.g. 90s, 15m, 1h; default: 15m). Each call also times out: 10 s to connect, "
                            "60 s per read")
    audit.add_argument("--to-security-hub", action="store_true",
                       help="after the audit, import its findings into AWS Security Hub in each audited account and "
                            "region (securityhub:BatchImportFindings, the one write an audit makes) and archive "
                            "rumpolicy's findings that are fixed, where the audit read everything; see "
                            "docs/security-hub.md for the IAM policy")
    add_output_options(audit)
    add_policy_options(audit)


def _accounts(text: str) -> list[str]:
    ids = [part.strip() for part in text.split(",") if part.strip()]
    bad = [i for i in ids if not ACCOUNT.match(i)]
    if not ids or bad:
        raise argparse.ArgumentTypeError(f"expected 12-digit account ids separated by commas, got {text!r}")
    return ids


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text!r}")
    return int(text)


def _audit(args: argparse.Namespace) -> int:
    """``rumpolicy audit``: exit 0/1 as ``check``; 2 for usage errors and when nothing could be checked.

    The configuration, suppressions, severity overrides and baselines work as in ``check``
    (``rumpolicy.api.judge``); a baseline is not rewritten by an audit that could read nothing.
    """
    from rumpolicy.audit import AuditError, AuditOptions, require_boto3
    from rumpolicy.audit.progress import Progress
    from rumpolicy.audit.readonly import ReadOnlyViolation

    try:
        require_boto3()          # boto3 is optional: without it, say how to install it before anything else
    except AuditError as exc:
        print(f"rumpolicy: error: {_shown(str(exc))}", file=sys.stderr)
        return EXIT_USAGE
    settings = _settings(args)
    if settings is None:
        return EXIT_USAGE
    config, outputs = settings
    if args.org and not args.role_name:
        print("rumpolicy: error: --org needs --role-name (the role to assume in each member account)", file=sys.stderr)
        return EXIT_USAGE
    if not args.org and (args.role_name or args.accounts or args.exclude_accounts or args.external_id):
        print("rumpolicy: error: --role-name, --accounts, --exclude-accounts and --external-id go with --org",
              file=sys.stderr)
        return EXIT_USAGE
    try:
        asff_base = _asff_options(args, outputs, export=args.to_security_hub)
    except ValueError as exc:
        print(f"rumpolicy: error: {_shown(str(exc))}", file=sys.stderr)
        return EXIT_USAGE
    options = AuditOptions(profile=args.profile, regions=tuple(args.region), all_regions=args.all_regions,
                           org=args.org, role_name=args.role_name, accounts=tuple(args.accounts),
                           exclude_accounts=tuple(args.exclude_accounts), external_id=args.external_id,
                           jobs=args.jobs, retry_mode=args.retry_mode, max_attempts=args.max_attempts,
                           deadline=args.deadline)
    from rumpolicy import api

    audited = judged = None

    def judge():
        nonlocal audited, judged
        report = judged = api.audit(options, _options(args, config, outputs), Progress(sys.stderr))
        audited = report.audit
        if audited.deadline_reached:
            print(f"rumpolicy: warning: {audited.deadline_reached}: what was read is checked, the rest is reported "
                  "as not read (see the coverage)", file=sys.stderr)
        return report

    def asff(report: "Report"):
        from dataclasses import replace

        return replace(asff_base, account=asff_base.account or _caller_account(report.audit),
                       region=asff_base.region or report.audit.regions[0],
                       complete_sources=frozenset(s for s, complete in report.audit.scopes_read.items() if complete))

    try:
        status = _judged(args, config, outputs, judge, asff=asff if asff_base is not None else None)
    except AuditError as exc:
        print(f"rumpolicy: error: {_shown(_audit_failure(exc))}", file=sys.stderr)
        return EXIT_USAGE
    except ReadOnlyViolation as exc:     # a defect in rumpolicy: nothing was changed, and nothing is reported
        print(f"rumpolicy: internal error: {exc}", file=sys.stderr)
        return EXIT_DEFECT
    if audited is None:
        return status                    # the baseline could not be read or written: said above
    if not audited.checked_anything:
        kept = f"; {args.write_baseline} was left as it was" if args.write_baseline else ""
        print("rumpolicy: error: nothing could be checked: no region of any account could be read "
              f"(see the coverage in the report){kept}", file=sys.stderr)
        return EXIT_USAGE
    unread = [scope for scope, complete in audited.scopes_read.items() if not complete]
    if args.write_baseline and unread and status != EXIT_USAGE:
        print(f"rumpolicy: warning: {len(unread)} of {len(audited.scopes_read)} scopes were not fully read, so "
              f"{args.write_baseline} lacks whatever their unread parts would show (see the coverage)", file=sys.stderr)
    if args.to_security_hub and status != EXIT_USAGE:
        status = max(status, _to_security_hub(args, judged))
    return status


def _caller_account(audited) -> str:
    """The account the audit ran as (``arn:aws:sts::ACCOUNT:assumed-role/...``)."""
    return audited.caller.split(":")[4]


def _to_security_hub(args: argparse.Namespace, report: "Report") -> int:
    """``audit --to-security-hub``: import the report's findings into Security Hub, per audited account and
    region, with that account's credentials (the caller's, or the member role's with --org); archive the fixed
    ones only in scopes read completely. Exit status 0, or 2 after one line on stderr per account and region
    that refused (AccessDenied, Security Hub not enabled) or that refused findings.

    A finding goes to the account and region of its location; a global one (IAM: ``aws://ACCOUNT``) to
    ``--asff-region`` or the first audited region, whose archiving then waits for both the account scope and
    that region scope to be read completely.
    """
    from botocore.exceptions import BotoCoreError, ClientError

    from rumpolicy import security_hub
    from rumpolicy.audit.readonly import ReadOnlyViolation
    from rumpolicy.audit.sessions import Clients
    from rumpolicy.load.live_data import account_scope, region_scope
    from rumpolicy.report.asff import AsffError, timestamp

    audited = report.audit
    home = args.asff_region or audited.regions[0]
    now = timestamp()
    try:
        findings = security_hub.asff_findings(report, account=args.asff_account or _caller_account(audited),
                                              region=home, now=now)
    except AsffError as exc:
        print(f"rumpolicy: error: --to-security-hub: {_shown(str(exc))}", file=sys.stderr)
        return EXIT_USAGE
    by_place: dict[tuple[str, str], list[dict]] = {}
    for finding in findings:
        by_place.setdefault((finding["AwsAccountId"], finding["Region"]), []).append(finding)
    complete = audited.scopes_read
    held_back = security_hub.archive_blocker(report)
    if held_back:
        print(f"rumpolicy: warning: Security Hub: nothing is archived, since {held_back}", file=sys.stderr)
    # Every account and region the audit entered, findings or not: a region without findings may have fixed some.
    places = {(account, region) for account in audited.access for region in audited.regions} | set(by_place)
    # No deadline: the audit's has passed or nearly; each call still has its timeouts and retries.
    clients = Clients(args.profile, args.retry_mode, args.max_attempts, guard=export_guard())
    imported = archived = 0
    status = EXIT_CLEAN
    done: set[str] = set()
    for account, region in sorted(places):
        access = audited.access.get(account)
        if access is None:          # an account the audit could not enter (the coverage says why): no credentials
            count = len(by_place.get((account, region), []))
            print(f"rumpolicy: warning: Security Hub: the audit could not enter account {account}, so its {count} "
                  f"finding{'s' if count != 1 else ''} in {region} {'were' if count != 1 else 'was'} not imported",
                  file=sys.stderr)
            continue
        read_all = complete.get(region_scope(account, region), False) and (
            region != home or complete.get(account_scope(account), False))
        try:
            result = security_hub.sync(clients.client(access, "securityhub", region), by_place.get((account, region), []),
                                       account=account, region=region, partition=access.partition, now=now,
                                       archive=read_all and not held_back)
        except ClientError as exc:
            error = exc.response.get("Error", {})
            print(f"rumpolicy: error: Security Hub in {account} {region}: {error.get('Code', 'error')}: "
                  f"{_shown(error.get('Message', str(exc)))}{_hub_hint(error.get('Code'))}", file=sys.stderr)
            status = EXIT_USAGE
            continue
        except BotoCoreError as exc:
            print(f"rumpolicy: error: Security Hub in {account} {region}: {_shown(str(exc))}", file=sys.stderr)
            status = EXIT_USAGE
            continue
        except ReadOnlyViolation as exc:     # a defect: the guard refused an operation the export should not call
            print(f"rumpolicy: internal error: {exc}", file=sys.stderr)
            return EXIT_DEFECT
        done.add(region)
        imported += result.imported
        archived += result.archived
        for failed in result.failed:
            print(f"rumpolicy: error: Security Hub in {account} {region} refused finding {failed.get('Id')}: "
                  f"{failed.get('ErrorCode')}: {_shown(str(failed.get('ErrorMessage')))}", file=sys.stderr)
            status = EXIT_USAGE
    accounts = {account for account, _ in places}
    if not args.quiet or status != EXIT_CLEAN:
        print(f"rumpolicy: Security Hub: {imported} finding{'s' if imported != 1 else ''} imported, {archived} "
              f"archived in {len(accounts)} account{'s' if len(accounts) != 1 else ''} and {len(done)} "
              f"region{'s' if len(done) != 1 else ''}", file=sys.stderr)
    return status


def export_guard():
    """The guard of ``--to-security-hub``'s clients: the audit's reads, ``securityhub:GetFindings`` and
    ``securityhub:BatchImportFindings``; anything else is refused before it is signed."""
    from rumpolicy.audit.readonly import READ_ONLY_OPERATIONS, Guard, merged
    from rumpolicy.aws_config.allowed import SECURITY_HUB_EXPORT

    return Guard(merged(READ_ONLY_OPERATIONS, SECURITY_HUB_EXPORT),
                 "`rumpolicy audit --to-security-hub` only reads, and imports findings into Security Hub")


def _hub_hint(code: str | None) -> str:
    if code == "InvalidAccessException":
        return " (is Security Hub enabled in this account and region?)"
    if code in ("AccessDeniedException", "AccessDenied"):
        return (" (the credentials need securityhub:GetFindings and securityhub:BatchImportFindings: see "
                "docs/security-hub.md)")
    return ""


def _audit_failure(error: Exception) -> str:
    """Why the audit could not start. The caller's identity is its first call: when that failed, whether STS
    was out of reach or refused the credentials (``rumpolicy.audit.sessions.identity_failure``)."""
    from rumpolicy.load.live_read import CallFailed

    if isinstance(error.__cause__, CallFailed):
        from rumpolicy.audit.sessions import identity_failure

        return identity_failure(error.__cause__) or str(error)
    return str(error)


def _rules(args: argparse.Namespace) -> int:
    from rumpolicy.engine import registry

    if args.format == "json":
        import json
        rows = [{"id": r.id, "name": r.name, "severity": r.severity.value, "area": r.area,
                 "status": r.status, "aliases": list(r.aliases), "summary": r.summary} for r in registry()]
        return write_stdout(json.dumps(rows, indent=2) + "\n", machine=True)
    lines = []
    for found in registry():
        alias = f" (also {', '.join(found.aliases)})" if found.aliases else ""
        lines.append(f"{found.id:<15} {found.severity.value:<8} {found.name}{alias}\n{'':<24} {found.summary}\n")
    return write_stdout("".join(lines))


CFNLINT_ID = re.compile(r"[EWI]9\d{4}", re.IGNORECASE)


def _rule(args: argparse.Namespace) -> int:
    from rumpolicy.docs import rule_page

    try:
        found = _named_rule(args.rule_id)
    except LookupError as exc:
        print(f"rumpolicy: error: {_shown(str(exc))}", file=sys.stderr)
        return EXIT_USAGE
    if found is None:
        print(f"rumpolicy: error: no rule {_shown(repr(args.rule_id))}{_rule_suggestion(args.rule_id)} "
              "(`rumpolicy rules` lists them)", file=sys.stderr)
        return EXIT_USAGE
    return write_stdout(rule_page(found))


def _named_rule(text: str):
    """The rule ``text`` names: its id or an alias (``find_rule``), its name (kebab or snake case), or the
    id the cfn-lint plugin reports it under (``W90403``; the letter, cfn-lint's severity, is not compared).
    LookupError when ``text`` is a cfn-lint id and the plugin, which needs cfn-lint, cannot be imported."""
    from rumpolicy.engine import find_rule, registry

    found = find_rule(text.strip())
    if found is not None:
        return found
    name = text.strip().lower().replace("_", "-")
    for candidate in registry():
        if candidate.name == name:
            return candidate
    if CFNLINT_ID.fullmatch(text.strip()):
        try:
            from rumpolicy.cfnlint_plugin import cfnlint_id     # imports cfn-lint: only for such an id
        except ImportError as exc:
            raise LookupError(f"{text!r} looks like a cfn-lint id, which the cfn-lint plugin numbers, and it "
                              f"cannot be imported ({exc}): pip install 'rumpolicy[cfn-lint]', or name the rule "
                              "by id or name (`rumpolicy rules` lists them)") from None
        for candidate in registry():
            given = cfnlint_id(candidate)
            if given is not None and given[1:] == text.strip()[1:]:
                return candidate
    return None


def _rule_suggestion(text: str) -> str:
    import difflib

    from rumpolicy.engine import registry

    spelt: dict[str, str] = {}
    for candidate in registry():
        for known in (candidate.id, candidate.name, *candidate.aliases):
            spelt.setdefault(known.lower(), known)
    close = difflib.get_close_matches(text.strip().lower().replace("_", "-"), list(spelt), n=3, cutoff=0.6)
    shown = [spelt[c] for c in close]
    if not shown:
        return ""
    return f"; did you mean {shown[0] if len(shown) == 1 else ', '.join(shown[:-1]) + ' or ' + shown[-1]}?"


def _fix(args: argparse.Namespace) -> int:
    from rumpolicy.fix.command import run

    return run(args)


def _init(args: argparse.Namespace) -> int:
    from rumpolicy.init.command import run

    return run(args)


def _completion(args: argparse.Namespace) -> int:
    from rumpolicy.completion import script

    return write_stdout(script(args.shell, build_parser()))


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; the exit status is returned (see ``EXIT_STATUS_HELP``), never a traceback.

    Argument errors leave through argparse (SystemExit 2). Reports go through ``write_stdout``, which
    handles a reader that left and a full disk itself; whatever else escapes is a defect (exit 3).
    """
    try:
        argv = sys.argv[1:] if argv is None else list(argv)
        # A command named first is the only one parsed: its parser alone is built (see build_parser).
        args = build_parser(argv[0] if argv and argv[0] in COMMANDS else None).parse_args(argv)
        handler = {"check": _check, "audit": _audit, "rules": _rules, "rule": _rule,
                   "completion": _completion, "fix": _fix, "init": _init}[args.command]
        return handler(args)
    except KeyboardInterrupt:
        _say("rumpolicy: interrupted")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # `rumpolicy ... | head`: the reader left while something other than a report was printed.
        _discard_stdout()
        return EXIT_CLEAN
    except Exception as exc:  # a defect of ours: one line, never a traceback that reads like findings (exit 1)
        if os.environ.get("RUMPOLICY_DEBUG"):
            import traceback
            traceback.print_exc()
        _say(f"rumpolicy: internal error: {type(exc).__name__}: {_shown(str(exc))} (a defect of rumpolicy; "
             "RUMPOLICY_DEBUG=1 prints the traceback)")
        return EXIT_DEFECT


def _say(line: str) -> None:
    try:
        print(line, file=sys.stderr)
    except (OSError, ValueError, AttributeError):     # stderr closed or full: the exit status still tells
        pass


if __name__ == "__main__":
    sys.exit(main())
