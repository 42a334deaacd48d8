"""The ``rumpolicy`` command: ``check``, ``rules`` and ``rule``.

Exit status of ``check``: 0 when no finding is at or above ``--fail-on``, 1 otherwise, 2 for usage
errors (unknown option, missing path, malformed argument).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from typing import Sequence

from rumpolicy import __version__
from rumpolicy.findings import Severity

EXIT_CLEAN, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2
REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d+$")
ACCOUNT = re.compile(r"^\d{12}$")
PARTITIONS = ("aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-iso-e", "aws-iso-f", "aws-eusc")


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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rumpolicy", description="Lint the authorization chain of Amazon CloudWatch RUM app monitors.")
    parser.add_argument("--version", action="version", version=f"rumpolicy {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    check = commands.add_parser("check", help="check templates, policies and AWS CLI output",
                                description="Check CloudFormation/SAM templates, CDK cloud assemblies, IAM "
                                            "policies and AWS CLI output. Never touches the network.")
    check.add_argument("paths", nargs="+", metavar="PATH", help="files or folders (folders are walked)")
    check.add_argument("--format", choices=("text", "json"), default="text")
    check.add_argument("--fail-on", choices=[s.value for s in Severity], default="error",
                       help="lowest severity that makes the exit status 1 (default: error)")
    check.add_argument("--app-monitor", action="append", default=[], metavar="ARN",
                       help="an app monitor that bare permission policies must serve (repeatable)")
    check.add_argument("--region", type=_pattern(REGION, "a region"),
                       help="the region templates deploy to (default: left symbolic)")
    check.add_argument("--account", type=_pattern(ACCOUNT, "a 12-digit account id"),
                       help="the account templates deploy to (default: left symbolic)")
    check.add_argument("--partition", choices=PARTITIONS, default="aws")
    check.add_argument("--parameter", action="append", type=_parameter, default=[], metavar="KEY=VALUE",
                       help="a CloudFormation parameter value (repeatable; default: the parameter's Default)")
    check.add_argument("--max-file-size", type=_size, default=5 * 1024 * 1024, metavar="SIZE",
                       help="larger files are reported, not read (default: 5M)")
    check.add_argument("--no-color", action="store_true", help="never colour the text output")

    rules = commands.add_parser("rules", help="list the rules")
    rules.add_argument("--format", choices=("text", "json"), default="text")
    rule = commands.add_parser("rule", help="print one rule's documentation")
    rule.add_argument("rule_id", metavar="RULE-ID")
    return parser


def _use_color(stream, disabled: bool) -> bool:
    if disabled or "NO_COLOR" in os.environ:
        return False
    return hasattr(stream, "isatty") and stream.isatty()


def _check(args: argparse.Namespace) -> int:
    from rumpolicy.engine import run
    from rumpolicy.load import LoadOptions, load_paths
    from rumpolicy.load.iam_json import declared_monitor
    from rumpolicy.report import Report

    missing = [p for p in args.paths if not os.path.exists(p)]
    if missing:
        for path in missing:
            print(f"rumpolicy: error: no such file or folder: {path}", file=sys.stderr)
        return EXIT_USAGE
    names: dict[str, str] = {}
    for arn in args.app_monitor:
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
    options = LoadOptions(app_monitors=tuple(args.app_monitor), region=args.region, account=args.account,
                          partition=args.partition, max_file_size=args.max_file_size,
                          parameters=dict(args.parameter))
    inventory = load_paths(args.paths, options)
    result = run(inventory)
    report = Report(result, files_checked=sum(1 for f in inventory.files if f.kind))
    if args.format == "json":
        from rumpolicy.report.json import render
        sys.stdout.write(render(report))
    else:
        from rumpolicy.report.text import render
        sys.stdout.write(render(report, color=_use_color(sys.stdout, args.no_color)))
    if os.environ.get("RUMPOLICY_DEBUG"):
        for failure in result.failures:
            sys.stderr.write(f"{failure.rule_id} on {failure.subject}:\n{failure.trace}\n")
    threshold = Severity(args.fail_on).rank
    return EXIT_FINDINGS if any(f.severity.rank >= threshold for f in result.findings) else EXIT_CLEAN


def _rules(args: argparse.Namespace) -> int:
    from rumpolicy.engine import registry

    if args.format == "json":
        import json
        rows = [{"id": r.id, "name": r.name, "severity": r.severity.value, "area": r.area,
                 "status": r.status, "aliases": list(r.aliases), "summary": r.summary} for r in registry()]
        print(json.dumps(rows, indent=2))
        return EXIT_CLEAN
    for found in registry():
        alias = f" (also {', '.join(found.aliases)})" if found.aliases else ""
        print(f"{found.id:<15} {found.severity.value:<8} {found.name}{alias}\n{'':<24} {found.summary}")
    return EXIT_CLEAN


def _rule(args: argparse.Namespace) -> int:
    from rumpolicy.docs import rule_page
    from rumpolicy.engine import find_rule

    found = find_rule(args.rule_id)
    if found is None:
        print(f"rumpolicy: error: no rule {args.rule_id!r} (see `rumpolicy rules`)", file=sys.stderr)
        return EXIT_USAGE
    sys.stdout.write(rule_page(found))
    return EXIT_CLEAN


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handler = {"check": _check, "rules": _rules, "rule": _rule}[args.command]
    try:
        return handler(args)
    except BrokenPipeError:
        # `rumpolicy check . | head`: the reader left; nothing more to say.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_CLEAN


if __name__ == "__main__":
    sys.exit(main())
