"""Benchmark a configuration with many ``suppress`` entries: loading it, and a whole check with it.

    .venv/bin/python benchmarks/suppressions.py                  # 60,000 entries, 5 timed runs
    .venv/bin/python benchmarks/suppressions.py --entries 120000 --runs 3

Target (issue "Trustworthy on every input"): a ``.rumpolicy.yaml`` with 60,000 entries loads in
under 2 s on this machine.

The configuration is written the way large ones are: entries cycle through the rules teams
suppress, with file globs (``legacy/team-N/**``, ``stacks/N/*.yaml``, ``**/module-N/*.tf``,
``svc-N/``), ``aws://`` accounts, ``subjects`` globs and a reason each; the last entry suppresses
RUM-PERM-005 in ``examples/broken/`` so that the run shows the entries still apply. The bundled
``examples/`` are copied beside it.

Figures, each the minimum and median of ``--runs`` after one untimed warm-up (bytecode cached):
``load_config`` in this process (and the share of it spent parsing YAML in
``rumpolicy.load.source.parse_text``), and ``rumpolicy check examples`` as a fresh process of the
repository's .venv. This prints figures and does not judge them: the exit status is 0 unless
rumpolicy itself failed (3).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
TARGET_S = 2.0
RULES = ("RUM-PERM-004", "RUM-PERM-005", "RUM-POOL-002", "RUM-TRUST-002", "RUM-POOL-003", "RUM-RBP-005")


def write_config(path: Path, entries: int) -> None:
    lines = ["fail-on: error", "suppress:"]
    for i in range(entries):
        lines.append(f"  - id: {RULES[i % len(RULES)]}")
        shape = i % 4
        if shape == 0:
            lines.append(f'    paths: ["legacy/team-{i}/**", "stacks/{i}/*.yaml"]')
        elif shape == 1:
            lines.append(f'    paths: ["aws://{100000000000 + i}/*"]')
        elif shape == 2:
            lines.append(f'    paths: ["svc-{i}/"]')
            lines.append(f'    subjects: ["arn:aws:iam::*:role/team-{i}-*"]')
        else:
            lines.append(f'    paths: ["**/module-{i}/*.tf"]')
        lines.append(f"    reason: accepted for team {i} until the migration (RISK-{i})")
    lines += ["  - id: RUM-PERM-005", '    paths: ["examples/broken/**"]',
              "    reason: the last entry still applies"]
    path.write_text("\n".join(lines) + "\n")


def _timed(function, runs: int) -> list[float]:
    function()                                    # warm-up: imports, bytecode, file cache
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return times


def _figures(times: list[float]) -> str:
    return f"min {min(times):.3f} s, median {statistics.median(times):.3f} s"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=60_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from rumpolicy import config
    from rumpolicy.load import source

    rumpolicy = ROOT / ".venv" / "bin" / "rumpolicy"
    with tempfile.TemporaryDirectory(prefix="rumpolicy-suppressions-") as folder:
        work = Path(folder)
        config_file = work / ".rumpolicy.yaml"
        write_config(config_file, args.entries)
        shutil.copytree(ROOT / "examples", work / "examples")
        size = config_file.stat().st_size / 2**20
        print(f"{args.entries:,} suppress entries, {size:.1f} MiB; {os.cpu_count()} CPUs; Python {sys.version.split()[0]}")

        parsing: list[float] = []
        parse_text = source.parse_text

        def timed_parse(*a, **k):
            start = time.perf_counter()
            try:
                return parse_text(*a, **k)
            finally:
                parsing.append(time.perf_counter() - start)

        source.parse_text = timed_parse
        try:
            loads = _timed(lambda: config.load_config(config_file), args.runs)
        finally:
            source.parse_text = parse_text
        loaded = config.load_config(config_file)
        assert len(loaded.suppress) == args.entries + 1
        print(f"load_config:             {_figures(loads)}  (target < {TARGET_S:.0f} s; "
              f"YAML parse_text: median {statistics.median(parsing[1:]):.3f} s)")

        statuses: list[int] = []

        def check() -> None:
            proc = subprocess.run([str(rumpolicy), "check", "examples"], cwd=work, capture_output=True, text=True)
            statuses.append(proc.returncode)
            if proc.returncode not in (0, 1):
                sys.stderr.write(proc.stderr)

        checks = _timed(check, args.runs)
        print(f"rumpolicy check examples: {_figures(checks)}  (exit status {statuses[-1]})")
        def check_without() -> None:
            subprocess.run([str(rumpolicy), "check", "examples", "--no-config"], cwd=work, capture_output=True)

        baseline = _timed(check_without, args.runs)
        print(f"  the same, --no-config:  {_figures(baseline)}")
    return 3 if any(status not in (0, 1) for status in statuses) else 0


if __name__ == "__main__":
    sys.exit(main())
