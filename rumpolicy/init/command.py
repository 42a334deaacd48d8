"""The `rumpolicy init` command: its arguments (`add_parser`) and its run (`run`).

It writes the minimal correct setup for one app monitor (identity pool, guest role, attachment,
monitor, or the monitor and its resource policy) in one infrastructure format, and the web client
snippet that goes with it. Without ``--output-dir`` both go to standard output, the snippet as a
comment at the end of the infrastructure file; with it, each to its own file, and existing files
are left alone unless ``--force``. Exit status 0 when written, 2 for an option init cannot use or a
file it will not overwrite.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rumpolicy.init import cdk, cloudformation, terraform, web_client
from rumpolicy.init.setup import FLOWS, FORMATS, Setup, SetupError, build

EXIT_WRITTEN, EXIT_USAGE = 0, 2

EPILOG = """\
examples:
  rumpolicy init --monitor www-example-com --domain www.example.com --format cloudformation > rum.yaml
  rumpolicy init --monitor web --domain example.com --domain '*.example.com' --format terraform \\
      --region eu-west-1 --output-dir infra/rum
  rumpolicy init --monitor web --domain example.com --flow resource-policy --alias web-prod \\
      --format cdk-typescript --output-dir cdk

flows:
  enhanced         Cognito enhanced flow: the web client gets guest credentials from the pool (default)
  basic            Cognito basic (classic) flow: the web client assumes the guest role itself
  resource-policy  no Cognito: unsigned events, admitted by the app monitor's resource policy when they
                   carry the alias (--alias, default the monitor's name)

exit status:
  0  written
  2  an invalid option (a name or domain the RUM API rejects), or a file that exists (see --force)"""


def add_parser(commands, formatter_class) -> argparse.ArgumentParser:
    parser = commands.add_parser(
        "init", help="write a minimal correct RUM setup and its web client",
        description="Write the minimal correct setup of one CloudWatch RUM app monitor (identity pool, guest "
                    "role, role attachment, app monitor, or a resource policy) and the web client snippet "
                    "that matches it. The output passes `rumpolicy check`.",
        epilog=EPILOG, formatter_class=formatter_class)
    parser.add_argument("--monitor", required=True, metavar="NAME", help="the app monitor's name")
    parser.add_argument("--domain", required=True, action="append", metavar="DOMAIN",
                        help="the domain the app monitor is for (repeat for up to 5: `DomainList`)")
    parser.add_argument("--flow", choices=FLOWS, default="enhanced", help="how browsers are authorized "
                        "(default: enhanced)")
    parser.add_argument("--format", required=True, choices=FORMATS, dest="output_format",
                        help="the infrastructure format to write")
    parser.add_argument("--region", metavar="REGION",
                        help="the region the stack deploys to, for the web client (default: a placeholder)")
    parser.add_argument("--alias", metavar="ALIAS",
                        help="--flow resource-policy: the `rum:alias` the policy requires and the web client sends "
                             "(default: the monitor's name)")
    parser.add_argument("-o", "--output-dir", metavar="DIR",
                        help="write the files into DIR (created if missing) instead of standard output")
    parser.add_argument("--force", action="store_true", help="with --output-dir: overwrite existing files")
    return parser


def files(setup: Setup, output_format: str) -> dict[str, str]:
    """Relative path -> contents: what ``--output-dir`` writes."""
    snippet = {web_client.FILE_NAME: web_client.snippet(setup, output_format)}
    if output_format == "cloudformation":
        return {"rum.yaml": cloudformation.template(setup), **snippet}
    if output_format == "terraform":
        return {"main.tf": terraform.module(setup), **snippet}
    if output_format == "cdk-python":
        return {"app.py": cdk.python_app(setup), **snippet}
    return {"bin/rum.ts": cdk.typescript_bin(), "lib/rum-stack.ts": cdk.typescript_stack(setup), **snippet}


COMMENT = {"cloudformation": "#", "terraform": "#", "cdk-python": "#", "cdk-typescript": "//"}


def single(setup: Setup, output_format: str) -> str:
    """What standard output gets: the infrastructure code, the web client as a comment at its end."""
    written = files(setup, output_format)
    snippet = written.pop(web_client.FILE_NAME)
    mark = COMMENT[output_format]
    parts = []
    for name, text in written.items():
        if len(written) > 1:
            parts.append(f"{mark} ---- {name}\n")
        parts.append(text)
    comment = "".join(f"{mark} {line}".rstrip() + "\n" for line in
                      [f"The web client ({web_client.FILE_NAME} with --output-dir):", "", *snippet.splitlines()])
    return "".join(parts) + "\n" + comment


def unsupported(setup: Setup, output_format: str) -> str | None:
    """Why ``output_format`` cannot express the setup's flow; None when it can (every pair today)."""
    return None


def run(args: argparse.Namespace) -> int:
    try:
        setup = build(args.monitor, args.domain, args.flow, args.region, args.alias)
    except SetupError as exc:
        return _error(str(exc))
    reason = unsupported(setup, args.output_format)
    if reason:
        return _error(reason)
    if args.output_dir is None:
        if args.force:
            return _error("--force goes with --output-dir")
        sys.stdout.write(single(setup, args.output_format))
        sys.stdout.flush()
        return EXIT_WRITTEN
    return write(Path(args.output_dir), files(setup, args.output_format), force=args.force)


def write(directory: Path, contents: dict[str, str], *, force: bool) -> int:
    """Write every file, or none when one exists and ``force`` is not given."""
    targets = {directory / name: text for name, text in contents.items()}
    if not force:
        existing = [str(path) for path in targets if path.exists()]
        if existing:
            return _error(f"{', '.join(existing)} already exist{'s' if len(existing) == 1 else ''}; "
                          "use --force to overwrite")
    try:
        for path, text in targets.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(path, "w" if force else "x", encoding="utf-8", newline="\n") as handle:
                handle.write(text)
    except OSError as exc:
        return _error(f"cannot write {exc.filename or directory}: {exc.strerror or exc}")
    print(f"rumpolicy: wrote {', '.join(str(p) for p in targets)}", file=sys.stderr)
    return EXIT_WRITTEN


def _error(message: str) -> int:
    print(f"rumpolicy: error: {message}", file=sys.stderr)
    return EXIT_USAGE
