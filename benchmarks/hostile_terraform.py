"""Cost of hostile Terraform inputs: deep nesting and long tokens, which python-hcl2/lark pays for in memory.

    .venv/bin/python benchmarks/hostile_terraform.py            # prints a Markdown table

Each case is written to a temporary folder and checked by ``rumpolicy check --format json`` in a fresh
process (the repository's .venv console script, as benchmarks/run.py does). Wall time is
time.perf_counter() around the process; peak memory is the child's maximum resident set size from
os.wait4() (the figure GNU time calls "Maximum resident set size"). Targets (issue "Trustworthy on every
input"): every case refused as RUM-SRC-000 within 2 s and 200 MiB, the other files still checked.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RUMPOLICY = os.path.join(ROOT, ".venv", "bin", "rumpolicy")
TIME_TARGET, MEMORY_TARGET = 2.0, 200.0      # seconds, MiB

OTHER_FILE = 'resource "aws_rum_app_monitor" "open" {\n  name   = "open"\n  domain = "example.com"\n}\n'


def cases(nesting: int) -> dict[str, str]:
    """Name -> the text of a hostile ``main.tf``; each is about 2 bytes per level of nesting."""
    return {
        f"{nesting:,} x [": "x = " + "[" * nesting + "]" * nesting + "\n",
        f"{nesting:,} x {{": "x = " + "{" * nesting + "}" * nesting + "\n",
        f"{nesting:,} x (": "x = " + "(" * nesting + "1" + ")" * nesting + "\n",
        f"{nesting:,} x [ in an interpolation": 'x = "${' + "[" * nesting + "]" * nesting + '}"\n',
        f"{nesting:,} x ( in a heredoc": "x = <<EOT\n${" + "(" * nesting + "1" + ")" * nesting + "}\nEOT\n",
        # Long tokens: lark's patterns for them cost about 200 bytes of memory per character.
        f"{2 * nesting:,}-character string": 'x = "' + "a" * 2 * nesting + '"\n',
        f"{2 * nesting:,}-character comment": "/* " + "a" * 2 * nesting + " */\nx = 1\n",
        f"{2 * nesting:,}-character heredoc": "x = <<EOT\n" + ("a" * 79 + "\n") * (2 * nesting // 80) + "EOT\n",
    }


def measure(cmd: list[str]) -> dict:
    with tempfile.TemporaryFile() as out:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - start
        out.seek(0)
        report = json.loads(out.read() or b"{}")
    return {"status": os.waitstatus_to_exitcode(status), "seconds": elapsed, "peak_mib": usage.ru_maxrss / 1024,
            "findings": sorted({f["rule_id"] for f in report.get("findings", [])})}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--nesting", type=int, default=1_000_000, help="levels of nesting (default 1,000,000)")
    args = parser.parse_args(argv)
    rows, within = [], True
    for name, text in cases(args.nesting).items():
        with tempfile.TemporaryDirectory() as folder:
            hostile, other = os.path.join(folder, "hostile"), os.path.join(folder, "other")
            os.mkdir(hostile)
            os.mkdir(other)
            with open(os.path.join(hostile, "main.tf"), "w") as handle:
                handle.write(text)
            with open(os.path.join(other, "main.tf"), "w") as handle:
                handle.write(OTHER_FILE)
            result = measure([RUMPOLICY, "check", "--format", "json", hostile, other])
        # RUM-MON-003 comes from the other folder: it shows that one was still checked.
        ok = (result["seconds"] <= TIME_TARGET and result["peak_mib"] <= MEMORY_TARGET
              and {"RUM-SRC-000", "RUM-MON-003"} <= set(result["findings"]))
        within &= ok
        rows.append(f"| {name} | {len(text) / 2**20:.1f} MB | {result['seconds']:.2f} s | {result['peak_mib']:.0f} MiB "
                    f"| {result['status']} | {', '.join(result['findings'])} | {'yes' if ok else 'NO'} |")
    print(f"Hostile Terraform (targets: <= {TIME_TARGET:g} s, <= {MEMORY_TARGET:g} MiB, RUM-SRC-000, "
          "other file checked)\n")
    print("| case | size | wall | peak RSS | exit | findings | within target |")
    print("|---|---|---|---|---|---|---|")
    print("\n".join(rows))
    return 0 if within else 1


if __name__ == "__main__":
    sys.exit(main())
