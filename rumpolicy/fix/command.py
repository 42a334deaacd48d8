"""The `rumpolicy fix` command: its arguments (`add_parser`) and its run (`run`).

One pass: check as `check` does (configuration, suppressions), plan the fixable findings
(``rumpolicy.fix.plan``), patch each file's text by span (``rumpolicy.fix.apply``), and re-check the run
in memory with the patched text (``rumpolicy.fix.verify``). A file is written only when the findings
fixed in it are gone and no new finding appeared; otherwise it is left byte-for-byte as it was, and
reported. Passes repeat (at most ``MAX_PASSES``) while a pass fixes something, so that fixes that
touched the same value are made one after the other, and a second run changes nothing.

Exit status (ruff's convention): 0 when no finding with an automatic fix is left; 1 when some are left
unfixed (unsafe without ``--unsafe-fixes``, a format without fixes yet, a fix that did not verify), and
with ``--diff``/``--check`` when any file would change; 2 usage; 3 a defect of rumpolicy.
"""

from __future__ import annotations

import argparse
import difflib
import os
import sys

EXIT_CLEAN, EXIT_FINDINGS, EXIT_USAGE, EXIT_DEFECT = 0, 1, 2, 3
MAX_PASSES = 4

EXAMPLES = """\
examples:
  rumpolicy fix infra/                 apply the safe fixes, in place
  rumpolicy fix infra/ --diff          show them as a unified diff; change nothing
  rumpolicy fix infra/ --check         exit 1 when a fix is pending (CI); change nothing
  rumpolicy fix infra/ --unsafe-fixes  also the unsafe ones (e.g. narrowing a role to the monitors in the input)
  rumpolicy fix policies/ --unsafe-fixes --app-monitor arn:aws:rum:us-east-1:123456789012:appmonitor/web
                                       bare IAM policies, for the monitor they serve

Fixes CloudFormation templates (YAML and JSON), Terraform .tf files and bare IAM policies (only values the
input knows as literals go into those, such as the ARN of --app-monitor; others are reported as not known
in the input). Terraform JSON, AWS CLI output and other inputs are not edited yet: their fixable findings
are reported as "no automatic fix for this format yet".

exit status: 0 no fixable finding left, 1 some left unfixed (or, with --diff/--check, a change pending),
2 usage error, 3 defect of rumpolicy"""


def add_parser(commands, formatter_class) -> argparse.ArgumentParser:
    parser = commands.add_parser(
        "fix", help="apply the fixes rules attach (CloudFormation YAML/JSON, Terraform .tf, bare IAM policies)",
        description="Apply the fixes that rules attach to their findings, editing the source text by span so "
                    "that comments, key order, quoting and indentation are kept. Only safe fixes unless "
                    "--unsafe-fixes. CloudFormation YAML and JSON, Terraform .tf files and bare IAM policies.",
        epilog=EXAMPLES, formatter_class=formatter_class)
    parser.add_argument("paths", nargs="*", metavar="PATH", help="files and folders (default: .)")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--diff", action="store_true", help="print the fixes as a unified diff; write nothing")
    mode.add_argument("--check", action="store_true", help="exit 1 when a fix is pending; write nothing")
    parser.add_argument("--unsafe-fixes", action="store_true",
                        help="also apply unsafe fixes (they can change what a working setup does)")
    parser.add_argument("--config", metavar="FILE", help="configuration file (default: the nearest one)")
    parser.add_argument("--no-config", action="store_true", help="read no configuration file")
    parser.add_argument("--app-monitor", action="append", default=None, metavar="ARN",
                        help="an app monitor that bare permission policies must serve (repeatable), as in check")
    parser.add_argument("--region", help="the region of templates that do not say")
    parser.add_argument("--account", help="the account of templates that do not say")
    parser.add_argument("--partition", help="the partition (default: aws)")
    parser.add_argument("--parameter", action="append", default=[], metavar="KEY=VALUE",
                        help="a CloudFormation parameter's value (repeatable)")
    parser.add_argument("-q", "--quiet", action="store_true", help="print only what changed or would change")
    return parser


def run(args: argparse.Namespace) -> int:
    from rumpolicy.config import ConfigError, discovery_start, resolve
    from rumpolicy.fix.verify import FixRun

    paths = args.paths or ["."]
    missing = [p for p in paths if not os.path.exists(p)]
    if missing:
        for path in missing:
            print(f"rumpolicy: error: no such file or folder: {path}", file=sys.stderr)
        return EXIT_USAGE
    parameters = {}
    for item in args.parameter:
        name, sep, value = item.partition("=")
        if not sep or not name:
            print(f"rumpolicy: error: --parameter {item!r}: expected KEY=VALUE", file=sys.stderr)
            return EXIT_USAGE
        parameters[name] = value
    try:
        config = resolve(args.config, args.no_config, discovery_start(paths))
    except ConfigError as exc:
        print(f"rumpolicy: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    app_monitors = args.app_monitor if args.app_monitor is not None else list(config.app_monitors or ())
    names: dict[str, str] = {}
    for arn in app_monitors:                  # as `check` validates them (rumpolicy.cli)
        from rumpolicy.load.iam_json import declared_monitor

        try:
            name = declared_monitor(arn).name.value
        except ValueError as exc:
            print(f"rumpolicy: error: --app-monitor: {exc}", file=sys.stderr)
            return EXIT_USAGE
        if names.setdefault(name, arn) != arn:
            print(f"rumpolicy: error: --app-monitor: {names[name]} and {arn} name the same monitor {name!r}",
                  file=sys.stderr)
            return EXIT_USAGE
    from rumpolicy.api import Options
    from rumpolicy.load import LoadOptions

    load = LoadOptions(app_monitors=tuple(app_monitors), region=args.region or config.region,
                       account=args.account or config.account,
                       partition=args.partition or config.partition or "aws", parameters=parameters)
    outcome = FixRun(paths, Options(load=load, config=config), unsafe=args.unsafe_fixes).run()
    if outcome.defects:
        for line in outcome.defects:
            print(f"rumpolicy: {line}", file=sys.stderr)
        return EXIT_DEFECT
    out = sys.stdout
    changed = {path: text for path, text in outcome.texts.items() if text != outcome.originals[path]}
    for path in sorted(changed):
        if args.diff:
            out.writelines(unified_diff(outcome.originals[path], changed[path], path))
        elif not args.check:
            _write(path, changed[path])
    verb = "would fix" if args.diff or args.check else "fixed"
    report = sys.stderr if args.diff else out
    for path in sorted(outcome.fixed):
        ids = outcome.fixed[path]
        print(f"{path}: {verb} {len(ids)} finding{'s' if len(ids) != 1 else ''} ({', '.join(ids)})", file=report)
    if not args.quiet:
        for finding, why in outcome.left:
            where = f"{finding.location.source}:{finding.location.line or 0}:{finding.location.column or 0}"
            print(f"{where}: {finding.rule_id} not fixed: {why}", file=report)
        for path, why in outcome.refused:
            print(f"{path}: left unchanged: {why}", file=report)
        if not outcome.fixed and not outcome.left and not outcome.refused:
            print("nothing to fix", file=report)
    if (args.diff or args.check) and changed:
        return EXIT_FINDINGS
    return EXIT_FINDINGS if outcome.left or outcome.refused else EXIT_CLEAN


def unified_diff(before: str, after: str, path: str) -> list[str]:
    lines = list(difflib.unified_diff(before.splitlines(keepends=True), after.splitlines(keepends=True),
                                      fromfile=path if os.path.isabs(path) else f"a/{path}",
                                      tofile=path if os.path.isabs(path) else f"b/{path}"))
    return [line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines]


def _write(path: str, text: str) -> None:
    """Replace the file's contents atomically, keeping its mode."""
    folder = os.path.dirname(os.path.abspath(path))
    temporary = os.path.join(folder, f".{os.path.basename(path)}.rumpolicy-fix")
    with open(temporary, "w", encoding="utf-8", newline="") as handle:
        handle.write(text)
    try:
        os.chmod(temporary, os.stat(path).st_mode & 0o7777)
    except OSError:
        pass
    os.replace(temporary, path)
