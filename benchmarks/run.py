"""Benchmark rumpolicy side by side with cfn-lint (and checkov when it is installed).

    make bench                              # = .venv/bin/python benchmarks/run.py
    .venv/bin/python benchmarks/run.py --quick
    CHECKOV=/path/to/checkov .venv/bin/python benchmarks/run.py

What it does:

1. Generates a seeded corpus of CloudFormation RUM stacks (benchmarks/corpus.py) into
   benchmarks/corpus/ (git-ignored): all/ holds every stack, nNNNN/ the first NNNN of them (hard
   links), one.yaml a median-sized YAML stack.
2. Measures each tool as a fresh subprocess (the console scripts of the repository's .venv, the way
   a user or CI job runs them): wall time with time.perf_counter() around the process, peak memory as
   the child's maximum resident set size from os.wait4() (the same number as GNU time's "Maximum
   resident set size"; it covers the child and any grandchildren it waited for).
   a. cold start, one template: ``rumpolicy check one.yaml`` vs ``cfn-lint one.yaml`` vs
      ``checkov -f one.yaml --framework cloudformation``;
   b. COUNT templates in one run: ``rumpolicy check nCOUNT/`` vs ``cfn-lint nCOUNT/*.yaml
      nCOUNT/*.json`` vs ``checkov -d nCOUNT/ --framework cloudformation``;
   c. peak memory of every run above;
   d. linearity: rumpolicy on 100, 300, 1000 and 3000 templates.
   rumpolicy runs in a. and b. both ways: *bytecode cached* (the console script, what an installed
   package gives: pip compiles bytecode on install) and *no bytecode* (``python -m rumpolicy`` from a
   copy of ``rumpolicy/`` and ``rules/`` without ``__pycache__``, with ``PYTHONDONTWRITEBYTECODE=1``, so
   every start compiles rumpolicy's modules from source -- the helper of benchmarks/terraform.py).
   cfn-lint and checkov run as installed.
   Every figure is the median of several runs, with min-max; one untimed warm-up run per command
   comes first, so "cold start" means a fresh process with the files in the page cache. The slow
   baselines over the big corpus run --slow-runs times (default 1).
3. Prints a Markdown table with the ratios against the targets and writes the same figures as JSON to
   benchmarks/results/latest.json (git-ignored) and the Markdown to benchmarks/results/latest.md.

Targets (from the product issue, point 7): one template from a cold start <= 0.10x cfn-lint's wall
time; 1,000 templates in one run <= 0.03x; peak memory <= 60 MiB (with and without bytecode); time linear in the number of templates
(here: the marginal time per template -- the extra wall time per extra template between two
consecutive sizes, so start-up cancels out -- varies by at most 1.25x across the sizes).
"""

from __future__ import annotations

import argparse
import datetime as dt
import glob
import hashlib
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import corpus  # noqa: E402  (benchmarks/corpus.py)
from terraform import uncached_env  # noqa: E402  (the no-bytecode copy of the sources)

TARGET_SINGLE = 0.10
TARGET_BATCH = 0.03
TARGET_RSS_MIB = 60.0
NOBC = "rumpolicy-nobc"          # rumpolicy compiled from source at every start (no bytecode)
TARGET_LINEAR = 1.25
RUMPOLICY_OK = (0, 1)          # 2 = usage error, anything else = crash
SEED = 20240601


def log(*parts) -> None:
    print(*parts, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------------
# Corpus


def prepare_corpus(root: str, total: int, sizes: list[int], seed: int) -> dict:
    """Generate ``total`` stacks into root/all (unless already there) and link root/nNNNN subsets."""
    with open(os.path.join(HERE, "corpus.py"), "rb") as fh:
        generator = hashlib.sha256(fh.read()).hexdigest()[:16]
    stamp_path = os.path.join(root, ".stamp.json")
    stamp = {"seed": seed, "count": total, "generator": generator}
    all_dir = os.path.join(root, "all")
    manifest_path = os.path.join(HERE, "results", "corpus-manifest.json")
    try:  # stack i depends only on (seed, i): a bigger corpus made by the same generator will do
        with open(stamp_path) as fh:
            old = json.load(fh)
        fresh = (old["seed"] == seed and old["generator"] == generator and old["count"] >= total
                 and os.path.exists(manifest_path))
        stamp["count"] = max(total, old["count"]) if fresh else total
    except (OSError, ValueError, KeyError, TypeError):
        fresh = False
    if not fresh:
        log(f"generating {total} stacks (seed {seed}) into {all_dir} ...")
        shutil.rmtree(root, ignore_errors=True)
        os.makedirs(all_dir)
        os.makedirs(os.path.dirname(manifest_path), exist_ok=True)
        corpus.main([all_dir, "--count", str(total), "--seed", str(seed), "--manifest", manifest_path])
    with open(manifest_path) as fh:
        stacks = json.load(fh)["stacks"]
    for n in sizes:
        sub_dir = os.path.join(root, f"n{n:04d}")
        if not fresh or not os.path.isdir(sub_dir):
            shutil.rmtree(sub_dir, ignore_errors=True)
            os.makedirs(sub_dir)
            for entry in stacks[:n]:
                src, dst = os.path.join(all_dir, entry["file"]), os.path.join(sub_dir, entry["file"])
                try:
                    os.link(src, dst)
                except OSError:
                    shutil.copyfile(src, dst)
    # The single template: the correct YAML stack of median length among the first 100.
    yamls = sorted((e for e in stacks[:100] if e["format"] == "yaml" and not e["defects"]),
                   key=lambda e: (e["lines"], e["file"]))
    one = yamls[len(yamls) // 2]
    one_path = os.path.join(root, "one.yaml")
    if not fresh or not os.path.exists(one_path):
        shutil.copyfile(os.path.join(all_dir, one["file"]), one_path)
    with open(stamp_path, "w") as fh:
        json.dump(stamp, fh)
    first = stacks[:max(sizes)]
    return {
        "seed": seed, "generated": total, "generator_sha256_16": generator,
        "one": {"path": os.path.relpath(one_path, ROOT), "source": one["file"], "lines": one["lines"],
                "resources": one["resources"], "bytes": os.path.getsize(one_path)},
        "share_json": round(sum(e["format"] == "json" for e in first) / len(first), 3),
        "share_broken": round(sum(bool(e["defects"]) for e in first) / len(first), 3),
        "resources_median": statistics.median(e["resources"] for e in first),
        "yaml_lines_median": statistics.median(e["lines"] for e in first if e["format"] == "yaml"),
        "bytes_per_size": {str(n): sum(os.path.getsize(os.path.join(all_dir, e["file"])) for e in stacks[:n])
                           for n in sizes},
    }


# --------------------------------------------------------------------------------------------
# Measuring one process


def measure(cmd: list[str], timeout: float, env: dict, keep: str | None = None, cwd: str = ROOT) -> dict:
    """Run ``cmd`` once; wall time, peak RSS (from wait4) and exit status. ``keep``: save stdout there."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, stdin=subprocess.DEVNULL, cwd=cwd, env=env,
                                start_new_session=True)
        deadline = start + timeout
        timed_out = False
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                os.killpg(proc.pid, signal.SIGKILL)
                timed_out = True
                pid, status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.002)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)  # keep Popen from waiting again
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if keep:
        with open(keep, "wb") as fh:
            fh.write(stdout)
    lines = stdout.decode(errors="replace").rstrip("\n").splitlines()
    return {"wall_s": wall, "maxrss_mib": usage.ru_maxrss / 1024, "user_s": usage.ru_utime,
            "sys_s": usage.ru_stime, "rc": proc.returncode, "timed_out": timed_out,
            "stdout_lines": len(lines), "stdout_last": lines[-1][:300] if lines else "",
            "traceback": b"Traceback (most recent call last)" in stderr,
            "stderr_tail": stderr.decode(errors="replace")[-600:]}


def summarize(samples: list[dict]) -> dict:
    walls = [s["wall_s"] for s in samples]
    return {
        "runs": len(samples),
        "wall_median_s": statistics.median(walls), "wall_min_s": min(walls), "wall_max_s": max(walls),
        "wall_spread_pct": 100 * (max(walls) - min(walls)) / statistics.median(walls) if walls else None,
        "cpu_median_s": statistics.median(s["user_s"] + s["sys_s"] for s in samples),
        "maxrss_mib": max(s["maxrss_mib"] for s in samples),
        "exit_codes": sorted({s["rc"] for s in samples}),
        "timed_out": any(s["timed_out"] for s in samples),
        "traceback": any(s["traceback"] for s in samples),
        "stdout_lines": samples[-1]["stdout_lines"], "stdout_last": samples[-1]["stdout_last"],
        "stderr_tail": samples[-1]["stderr_tail"] if samples[-1]["traceback"] or samples[-1]["timed_out"] else "",
        "samples_s": [round(w, 4) for w in walls],
    }


def valid(tool: str, summary: dict | None) -> bool:
    tool = tool.split("@")[0]
    if summary is None or summary["timed_out"] or summary["traceback"]:
        return False
    if tool.startswith("rumpolicy"):
        return all(rc in RUMPOLICY_OK for rc in summary["exit_codes"])
    if tool == "cfn-lint":   # bit flags: 2 error, 4 warning, 8 info; findings are fine, 1 is not
        return all(rc >= 0 and not rc & 1 for rc in summary["exit_codes"])
    return all(rc in (0, 1) for rc in summary["exit_codes"])   # checkov: 1 = failed checks


OUTPUT_DIR = os.path.join(HERE, "results", "output")


def bench(commands: dict[str, list[str]], runs: dict[str, int], timeout: float, env: dict,
          label: str, warm_up: bool = True, fresh_cache: bool = False,
          special: dict[str, tuple[dict, str]] | None = None) -> dict[str, dict]:
    """Warm up every command once, then interleave the timed runs so that background load is shared.

    ``fresh_cache``: every run gets its own empty XDG_CACHE_HOME (a first run after installing).
    ``special``: tool -> (environment, working directory) for the commands that need their own.
    """
    special = special or {}
    samples: dict[str, list[dict]] = {tool: [] for tool in commands}
    os.makedirs(OUTPUT_DIR, exist_ok=True)
    slug = label.replace(" ", "-").replace(",", "")
    for tool, cmd in commands.items():
        if warm_up and (runs[tool] > 1 or len(commands) > 1 and tool.startswith("rumpolicy@")):
            log(f"[{label}] warm-up {tool}")
            tool_env, cwd = special.get(tool, (env, ROOT))
            measure(cmd, timeout, tool_env, cwd=cwd)
    for i in range(max(runs.values())):
        for tool, cmd in commands.items():
            if i < runs[tool]:
                keep = os.path.join(OUTPUT_DIR, f"{slug}.{tool}.txt") if i == runs[tool] - 1 else None
                tool_env, cwd = special.get(tool, (env, ROOT))
                if fresh_cache:
                    with tempfile.TemporaryDirectory(prefix="rumbench-xdg-") as empty:
                        s = measure(cmd, timeout, dict(tool_env, XDG_CACHE_HOME=empty), keep, cwd)
                else:
                    s = measure(cmd, timeout, tool_env, keep, cwd)
                samples[tool].append(s)
                log(f"[{label}] {tool} run {i + 1}/{runs[tool]}: {s['wall_s']:.3f} s, "
                    f"{s['maxrss_mib']:.1f} MiB, exit {s['rc']}" + (" TRACEBACK" if s["traceback"] else "")
                    + (" TIMEOUT" if s["timed_out"] else ""))
    return {tool: summarize(s) for tool, s in samples.items()}


# --------------------------------------------------------------------------------------------
# Tools


def source_fingerprint() -> str:
    """A hash of rumpolicy's code, to notice edits made while the benchmark runs."""
    digest = hashlib.sha256()
    for top in ("rumpolicy", "rules"):
        for folder, dirs, files in sorted(os.walk(os.path.join(ROOT, top))):
            dirs[:] = sorted(d for d in dirs if d != "__pycache__")
            for name in sorted(files):
                if name.endswith((".py", ".json")):
                    path = os.path.join(folder, name)
                    digest.update(os.path.relpath(path, ROOT).encode())
                    with open(path, "rb") as fh:
                        digest.update(fh.read())
    return digest.hexdigest()[:16]


def cfn_lint_census(path: str) -> dict | None:
    """Rule ids in cfn-lint's text output: E0000 would mean a template it could not parse."""
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            text = fh.read()
    except OSError:
        return None
    counts: dict[str, int] = {}
    for match in re.finditer(r"^([EWI]\d{4}) ", text, re.M):
        counts[match.group(1)] = counts.get(match.group(1), 0) + 1
    return dict(sorted(counts.items()))


def find_tools(args) -> dict[str, str | None]:
    venv_bin = os.path.join(ROOT, ".venv", "bin")

    def pick(name: str) -> str | None:
        local = os.path.join(venv_bin, name)
        return local if os.access(local, os.X_OK) else shutil.which(name)

    checkov = args.checkov or os.environ.get("CHECKOV") or shutil.which("checkov")
    if checkov and not os.access(checkov, os.X_OK):
        log(f"CHECKOV={checkov} is not executable; skipping checkov")
        checkov = None
    return {"rumpolicy": pick("rumpolicy"), "cfn-lint": pick("cfn-lint"), "checkov": checkov}


def version(path: str | None, env: dict) -> str | None:
    if not path:
        return None
    try:
        out = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=120, env=env)
        return (out.stdout.strip() or out.stderr.strip()).splitlines()[-1][:80]
    except (OSError, subprocess.SubprocessError, IndexError):
        return "?"


def commands_single(tools: dict, one: str) -> dict[str, list[str]]:
    cmds = {"rumpolicy": [tools["rumpolicy"], "check", one], "cfn-lint": [tools["cfn-lint"], "--", one]}
    if tools["checkov"]:
        cmds["checkov"] = [tools["checkov"], "-f", one, "--framework", "cloudformation", "--quiet", "--compact",
                           "--skip-download"]
    return cmds


def commands_batch(tools: dict, folder: str) -> dict[str, list[str]]:
    # cfn-lint gets the file list a shell makes of `cfn-lint DIR/*.yaml DIR/*.json` (one process).
    files = sorted(glob.glob(os.path.join(folder, "*.yaml"))) + sorted(glob.glob(os.path.join(folder, "*.json")))
    cmds = {"rumpolicy": [tools["rumpolicy"], "check", folder], "cfn-lint": [tools["cfn-lint"], "--", *files]}
    if tools["checkov"]:
        cmds["checkov"] = [tools["checkov"], "-d", folder, "--framework", "cloudformation", "--quiet", "--compact",
                           "--skip-download"]
    return cmds


def display(cmd: list[str]) -> str:
    """The command as a user would type it, relative to the repository root."""
    shown = []
    for part in cmd:
        rel = os.path.relpath(part, ROOT) if os.path.isabs(part) and part.startswith(ROOT) else part
        shown.append(rel)
    if len(shown) > 8 and "cfn-lint" in shown[0]:
        folder = os.path.dirname(shown[2])
        shown = shown[:1] + [f"{folder}/*.yaml", f"{folder}/*.json"]
    return " ".join(shown)


# --------------------------------------------------------------------------------------------
# Report


def fmt_s(summary: dict | None) -> str:
    if summary is None:
        return "n/a"
    med, lo, hi = summary["wall_median_s"], summary["wall_min_s"], summary["wall_max_s"]
    text = f"{med:.3f} s" if med < 10 else f"{med:.1f} s"
    if summary["runs"] > 1:
        text += f" ({lo:.3f}–{hi:.3f})" if med < 10 else f" ({lo:.1f}–{hi:.1f})"
    else:
        text += " (1 run)"
    return text


def fmt_mib(summary: dict | None) -> str:
    return "n/a" if summary is None else f"{summary['maxrss_mib']:.1f} MiB"


def verdict(ok: bool | None) -> str:
    return "n/a" if ok is None else ("PASS" if ok else "**FAIL**")


def evaluate(results: dict) -> dict:
    single, batch, lin = results["single"], results["batch"], results.get("linearity")
    empty = results.get("empty_cache", {})
    ev: dict = {}
    for key, part, base, target in (("single_ratio", single, single, TARGET_SINGLE),
                                    ("batch_ratio", batch, batch, TARGET_BATCH),
                                    ("single_ratio_nobc", {"rumpolicy": single.get(NOBC)}, single, TARGET_SINGLE),
                                    ("batch_ratio_nobc", {"rumpolicy": batch.get(NOBC)}, batch, TARGET_BATCH),
                                    ("single_ratio_empty_cache", empty.get("single", {}), single, TARGET_SINGLE),
                                    ("batch_ratio_empty_cache", empty.get("batch", {}), batch, TARGET_BATCH)):
        r, c = part.get("rumpolicy"), base.get("cfn-lint")
        if r and c and valid("rumpolicy", r) and valid("cfn-lint", c):
            ratio = r["wall_median_s"] / c["wall_median_s"]
            ev[key] = {"value": ratio, "target": target, "pass": ratio <= target}
    for key, part in (("rss_single", single), ("rss_batch", batch),
                      ("rss_single_nobc", {"rumpolicy": single.get(NOBC)}),
                      ("rss_batch_nobc", {"rumpolicy": batch.get(NOBC)}),
                      ("rss_single_empty_cache", empty.get("single", {})),
                      ("rss_batch_empty_cache", empty.get("batch", {}))):
        r = part.get("rumpolicy")
        if r and valid("rumpolicy", r):
            ev[key] = {"value": r["maxrss_mib"], "target": TARGET_RSS_MIB, "pass": r["maxrss_mib"] <= TARGET_RSS_MIB}
    if lin and len(lin["points"]) >= 2 and all(valid("rumpolicy", p["summary"]) for p in lin["points"]):
        pts = lin["points"]
        per = [p["summary"]["wall_median_s"] / p["n"] for p in pts]
        # Marginal cost: what each template between two sizes added (start-up cancels out).
        marginal = [(b["summary"]["wall_median_s"] - a["summary"]["wall_median_s"]) / (b["n"] - a["n"])
                    for a, b in zip(pts, pts[1:])]
        pts[0]["per_template_ms"], pts[0]["marginal_ms"] = per[0] * 1000, None
        for p, x, m in zip(pts[1:], per[1:], marginal):
            p["per_template_ms"], p["marginal_ms"] = x * 1000, m * 1000
        xs = [p["n"] for p in pts]
        fit = linear_fit(xs, [p["summary"]["wall_median_s"] for p in pts])
        raw_ratio = max(per) / min(per)
        marginal_ratio = max(marginal) / min(marginal) if min(marginal) > 0 else float("inf")
        ev["linearity"] = {"per_template_ratio_raw": raw_ratio, "marginal_ratio": marginal_ratio,
                           "fit_intercept_s": fit[0], "fit_slope_ms": fit[1] * 1000, "fit_r2": fit[2],
                           "target": TARGET_LINEAR, "pass": marginal_ratio <= TARGET_LINEAR}
        mem = linear_fit(xs, [p["summary"]["maxrss_mib"] for p in lin["points"]])
        ev["memory_growth"] = {"intercept_mib": mem[0], "mib_per_1000_templates": mem[1] * 1000, "r2": mem[2],
                               "templates_at_target": ((TARGET_RSS_MIB - mem[0]) / mem[1]) if mem[1] > 0 else None}
    return ev


def linear_fit(xs: list[float], ys: list[float]) -> tuple[float, float, float]:
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx if sxx else 0.0
    intercept = my - slope * mx
    ss_tot = sum((y - my) ** 2 for y in ys)
    ss_res = sum((y - intercept - slope * x) ** 2 for x, y in zip(xs, ys))
    return intercept, slope, 1 - ss_res / ss_tot if ss_tot else 1.0


def markdown(results: dict) -> str:
    single, batch, ev = results["single"], results["batch"], results["evaluation"]
    count = results["settings"]["count"]
    has_checkov = "checkov" in single
    head = ["Measurement", "rumpolicy", "cfn-lint"] + (["checkov"] if has_checkov else []) + \
        ["rumpolicy / cfn-lint", "Target", "Verdict"]
    rows = []

    def row(name, part, f, ratio_key, target_text):
        cells = [name] + [f(part.get(t)) for t in ("rumpolicy", "cfn-lint")]
        if has_checkov:
            cells.append(f(part.get("checkov")))
        e = ev.get(ratio_key)
        if ratio_key.startswith("rss"):
            cells += ["", target_text, verdict(e["pass"]) if e else "n/a"]
        else:
            cells += [f"{e['value']:.3f}x" if e else "n/a", target_text, verdict(e["pass"]) if e else "n/a"]
        rows.append(cells)

    empty = results.get("empty_cache", {})
    same = {"cfn-lint": "(as above)", "checkov": "(as above)"}

    def row_empty(name, part, f, key, target_text):
        if not part:
            return
        row(name, dict(same, rumpolicy=part.get("rumpolicy")), lambda x: x if isinstance(x, str) else f(x),
            key, target_text)

    st, bt = f"≤ {TARGET_SINGLE:.2f}x", f"≤ {TARGET_BATCH:.2f}x"
    mt = f"≤ {TARGET_RSS_MIB:.0f} MiB"
    ec = "empty cache (first run, fresh CI container)"
    row("Cold start, 1 template: wall, median (min–max)", single, fmt_s, "single_ratio", st)
    nb = "no bytecode (compiled at each start)"
    row_empty(f"… same, {nb}", {"rumpolicy": single.get(NOBC)} if NOBC in single else None, fmt_s,
              "single_ratio_nobc", st)
    row_empty(f"… same, {ec}", empty.get("single"), fmt_s, "single_ratio_empty_cache", st)
    row(f"{count:,} templates in one run: wall, median (min–max)", batch, fmt_s, "batch_ratio", bt)
    row_empty(f"… same, {nb}", {"rumpolicy": batch.get(NOBC)} if NOBC in batch else None, fmt_s,
              "batch_ratio_nobc", bt)
    row_empty(f"… same, {ec}", empty.get("batch"), fmt_s, "batch_ratio_empty_cache", bt)
    row("Peak RSS, 1 template", single, fmt_mib, "rss_single", mt)
    row_empty(f"… same, {nb}", {"rumpolicy": single.get(NOBC)} if NOBC in single else None, fmt_mib,
              "rss_single_nobc", mt)
    row_empty(f"… same, {ec}", empty.get("single"), fmt_mib, "rss_single_empty_cache", mt)
    row(f"Peak RSS, {count:,} templates", batch, fmt_mib, "rss_batch", mt)
    row_empty(f"… same, {nb}", {"rumpolicy": batch.get(NOBC)} if NOBC in batch else None, fmt_mib,
              "rss_batch_nobc", mt)
    row_empty(f"… same, {ec}", empty.get("batch"), fmt_mib, "rss_batch_empty_cache", mt)
    per = [f"Per template in the {count:,} run"]
    for t in ("rumpolicy", "cfn-lint") + (("checkov",) if has_checkov else ()):
        s = batch.get(t)
        per.append(f"{1000 * s['wall_median_s'] / count:.2f} ms" if s else "n/a")
    rows.append(per + ["", "", ""])
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]

    problems = []
    for part_name, part in (("cold start", single), (f"{count} templates", batch)):
        for tool, s in part.items():
            if not valid(tool, s):
                problems.append(f"- {tool} ({part_name}) did not run cleanly: exit codes {s['exit_codes']}"
                                + (", traceback" if s["traceback"] else "") + (", timed out" if s["timed_out"] else ""))
    lin = results.get("linearity")
    if lin:
        lines += ["", "Linearity (rumpolicy; *marginal* = extra wall time per extra template since the "
                      "previous size, so start-up cancels out):", "",
                  "| Templates | Wall, median (min–max) | Per template | Marginal per template | Peak RSS |",
                  "|---|---|---|---|---|"]
        for p in lin["points"]:
            per_t = p.get("per_template_ms")
            marg = p.get("marginal_ms")
            lines.append(f"| {p['n']:,} | {fmt_s(p['summary'])} | "
                         + (f"{per_t:.2f} ms" if per_t is not None else "n/a") + " | "
                         + (f"{marg:.2f} ms" if marg is not None else "–") + f" | {fmt_mib(p['summary'])} |")
            if not valid("rumpolicy", p["summary"]):
                problems.append(f"- rumpolicy ({p['n']} templates) did not run cleanly: "
                                f"exit codes {p['summary']['exit_codes']}")
        e = ev.get("linearity")
        if e:
            lines += ["", f"Largest / smallest per-template time: {e['per_template_ratio_raw']:.2f} (start-up "
                          f"included); largest / smallest marginal time: {e['marginal_ratio']:.2f} (target ≤ "
                          f"{TARGET_LINEAR}) → {verdict(e['pass'])}. Least-squares fit: {e['fit_intercept_s']:.3f} s + "
                          f"{e['fit_slope_ms']:.3f} ms × N, R² = {e['fit_r2']:.4f}."]
        g = ev.get("memory_growth")
        if g:
            lines += ["", f"Peak RSS grows with the number of templates: {g['intercept_mib']:.1f} MiB + "
                          f"{g['mib_per_1000_templates']:.1f} MiB per 1,000 templates (R² = {g['r2']:.3f})"
                      + (f"; the {TARGET_RSS_MIB:.0f} MiB line is crossed at about "
                         f"{g['templates_at_target']:,.0f} templates." if g["templates_at_target"] else ".")]
    if problems:
        lines += ["", "Problems:"] + problems
    census = results["corpus"].get("cfn_lint_findings")
    c = results["corpus"]
    lines += ["", f"Corpus: seed {c['seed']}, {int(100 * c['share_json'])}% JSON, {int(100 * c['share_broken'])}% "
                  f"broken on purpose, median {c['resources_median']:g} resources and "
                  f"{c['yaml_lines_median']:g} lines (YAML) per stack; the single template is "
                  f"{c['one']['source']} ({c['one']['lines']} lines, {c['one']['resources']} resources)."
              + (f" cfn-lint findings over the {count:,} templates: "
                 + (", ".join(f"{k} ×{v}" for k, v in census.items()) or "none")
                 + (" (no E0000: every template parses)." if "E0000" not in census else " — E0000 = PARSE ERRORS.")
                 if census is not None else "")]
    m = results["machine"]
    lines += ["", f"Machine: {m['cpu_model']}, {m['nproc']} CPUs, {m['mem_gib']:.0f} GiB, Python "
                  f"{m['python']}, {m['os']}; load average {m['loadavg_before'][0]:.2f} before, "
                  f"{m['loadavg_after'][0]:.2f} after. Date: {results['date']}.",
              "Versions: " + ", ".join(f"{k} {v}" for k, v in results["versions"].items() if v) + "."]
    lines += ["", "Commands (from the repository root):", ""]
    lines += [f"- `{c}`" for c in results["commands_shown"]]
    if results.get("notes"):
        lines += ["", "Notes:"] + [f"- {n}" for n in results["notes"]]
    return "\n".join(lines) + "\n"


def machine_info() -> dict:
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = 0.0
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemTotal:"):
                    mem = int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass
    return {"cpu_model": cpu, "nproc": len(os.sched_getaffinity(0)), "mem_gib": mem,
            "python": platform.python_version(), "os": f"{platform.system()} {platform.release()}",
            "loadavg_before": list(os.getloadavg())}


# --------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true",
                    help="smoke check: 100 templates, sizes 50/100/200, fewer runs (a minute or two)")
    ap.add_argument("--count", type=int, help="templates in the one-run comparison (default 1000; quick: 100)")
    ap.add_argument("--runs", type=int, help="timed runs of the fast measurements (default 7; quick: 3)")
    ap.add_argument("--batch-runs", type=int, help="timed runs of rumpolicy over COUNT templates (default 5; quick: 2)")
    ap.add_argument("--slow-runs", type=int, default=1,
                    help="timed runs of cfn-lint and checkov over COUNT templates (default 1: minutes each)")
    ap.add_argument("--sizes", help="comma-separated template counts for the linearity runs "
                                    "(default 100,300,1000,3000; quick: 50,100,200; 0 = skip)")
    ap.add_argument("--lin-runs", type=int, help="timed runs per linearity size (default 3; quick: 2)")
    ap.add_argument("--checkov", help="path of a checkov executable (default: $CHECKOV, then PATH)")
    ap.add_argument("--no-checkov", action="store_true", help="leave checkov out even if it is installed")
    ap.add_argument("--no-batch-baselines", action="store_true",
                    help="do not run cfn-lint/checkov over COUNT templates (their figures become n/a)")
    ap.add_argument("--seed", type=int, default=SEED)
    ap.add_argument("--timeout", type=float, default=3600, help="seconds before one run is killed")
    ap.add_argument("--out", default=os.path.join(HERE, "results", "latest.json"))
    ap.add_argument("--report-only", action="store_true",
                    help="measure nothing: print the report of the JSON file given by --out again")
    args = ap.parse_args(argv)
    if args.report_only:
        with open(args.out) as fh:
            results = json.load(fh)
        results["evaluation"] = evaluate(results)
        print(markdown(results))
        return 0

    count = args.count or (100 if args.quick else 1000)
    runs = args.runs or (3 if args.quick else 7)
    batch_runs = args.batch_runs or (2 if args.quick else 5)
    lin_runs = args.lin_runs or (2 if args.quick else 3)
    sizes_text = args.sizes or ("50,100,200" if args.quick else "100,300,1000,3000")
    sizes = [] if sizes_text.strip() == "0" else sorted({int(x) for x in sizes_text.split(",") if x.strip()})
    all_sizes = sorted(set(sizes) | {count})

    # The tools' caches (rumpolicy keeps its IAM action index under $XDG_CACHE_HOME) live in a
    # directory of this run, so that nothing else on the machine can empty them half-way.
    cache_home = tempfile.mkdtemp(prefix="rumbench-cache-")
    env = dict(os.environ, NO_COLOR="1", LC_ALL="C.UTF-8", XDG_CACHE_HOME=cache_home)
    for var in ("PYTHONDONTWRITEBYTECODE", "PYTHONPROFILEIMPORTTIME", "PYTHONDEVMODE", "PYTHONTRACEMALLOC"):
        env.pop(var, None)
    tools = find_tools(args)
    if args.no_checkov:
        tools["checkov"] = None
    if not tools["rumpolicy"] or not tools["cfn-lint"]:
        log(f"need rumpolicy and cfn-lint executables, found {tools}; run `make bench` (it installs .venv/)")
        return 2
    notes = []
    if not tools["checkov"]:
        notes.append("checkov not found (set CHECKOV=/path/to/checkov or put it on PATH): no checkov figures.")

    machine = machine_info()
    corpus_root = os.path.join(HERE, "corpus")
    info = prepare_corpus(corpus_root, max(all_sizes), all_sizes, args.seed)
    one = os.path.join(ROOT, info["one"]["path"])
    versions = {t: version(p, env) for t, p in tools.items()}
    log(f"tools: {tools}\nversions: {versions}")

    results: dict = {"date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
                     "settings": {"count": count, "runs": runs, "batch_runs": batch_runs,
                                  "slow_runs": args.slow_runs, "lin_runs": lin_runs, "sizes": sizes,
                                  "quick": args.quick, "seed": args.seed},
                     "machine": machine, "tools": tools, "versions": versions, "corpus": info}

    results["source_fingerprint_before"] = source_fingerprint()
    # No bytecode: python -m rumpolicy from a copy of the sources without __pycache__, run from the
    # scratch directory (python -m puts the working directory first on the path).
    scratch = tempfile.mkdtemp(prefix="rumbench-nobc-")
    copy_env = uncached_env(scratch)
    nobc_env = dict(env, PYTHONPATH=copy_env["PYTHONPATH"], PYTHONDONTWRITEBYTECODE="1")
    special = {NOBC: (nobc_env, scratch)}
    python = os.path.join(ROOT, ".venv", "bin", "python")
    single_cmds = commands_single(tools, one)
    single_cmds = {"rumpolicy": single_cmds.pop("rumpolicy"), NOBC: [python, "-m", "rumpolicy", "check", one],
                   **single_cmds}
    results["single"] = bench(single_cmds, {t: runs for t in single_cmds}, args.timeout, env, "1 template",
                              special=special)

    folder = os.path.join(corpus_root, f"n{count:04d}")
    batch_cmds = commands_batch(tools, folder)
    batch_cmds = {"rumpolicy": batch_cmds.pop("rumpolicy"), NOBC: [python, "-m", "rumpolicy", "check", folder],
                  **batch_cmds}
    if args.no_batch_baselines:
        batch_cmds = {t: batch_cmds[t] for t in ("rumpolicy", NOBC)}
        notes.append(f"cfn-lint/checkov were not run over {count} templates (--no-batch-baselines).")
    batch_plan = {t: (batch_runs if t.startswith("rumpolicy") else args.slow_runs) for t in batch_cmds}
    results["batch"] = bench(batch_cmds, batch_plan, args.timeout, env, f"{count} templates", special=special)
    shutil.rmtree(scratch, ignore_errors=True)
    notes.append("'No bytecode': `python -m rumpolicy` from a copy of rumpolicy/ and rules/ without "
                 "__pycache__, with PYTHONDONTWRITEBYTECODE=1, so every start compiles rumpolicy's modules "
                 "from source (the standard library and the dependencies keep their bytecode); cfn-lint "
                 "and checkov run as installed.")
    if args.slow_runs == 1 and len(batch_cmds) > 2:
        notes.append(f"cfn-lint{' and checkov' if 'checkov' in batch_cmds else ''} over {count:,} templates "
                     f"ran once (they take minutes); rumpolicy ran {batch_runs} times after a warm-up.")
    notes.append("Cold start = a fresh process per run, files already in the page cache (one untimed "
                 "warm-up run per command first); runs of the tools are interleaved.")
    notes.append("Peak RSS = ru_maxrss of the child from os.wait4() (includes waited-for grandchildren), "
                 "max over the runs.")
    if tools["checkov"]:
        notes.append("checkov runs with --framework cloudformation --quiet --compact --skip-download "
                     "(no network); with -d it parallelizes over the CPUs itself.")

    # First run after installing: an empty cache directory every run.
    first = {}
    for key, label, cmd in (("single", "1 template", single_cmds["rumpolicy"]),
                            ("batch", f"{count} templates", batch_cmds["rumpolicy"])):
        first[key] = bench({"rumpolicy": cmd}, {"rumpolicy": min(3, runs)}, args.timeout, env,
                           f"{label}, empty cache", warm_up=False, fresh_cache=True)
    results["empty_cache"] = first
    notes.append("'Empty cache': rumpolicy keeps an index of IAM actions (built from botocore's service "
                 "models) under $XDG_CACHE_HOME/rumpolicy; these runs start each time with an empty "
                 "XDG_CACHE_HOME, as the first run after installing or any run in a fresh CI container does. "
                 "The other runs use a cache filled by the warm-up.")
    results["corpus"]["cfn_lint_findings"] = cfn_lint_census(
        os.path.join(OUTPUT_DIR, f"{count}-templates.cfn-lint.txt"))

    if sizes:
        # All sizes in one round-robin, so that a change in background load hits every size alike.
        cmds = {f"rumpolicy@{n}": [tools["rumpolicy"], "check", os.path.join(corpus_root, f"n{n:04d}")]
                for n in sizes}
        lin = bench(cmds, {k: lin_runs for k in cmds}, args.timeout, env, "linearity")
        results["linearity"] = {"points": [{"n": n, "summary": lin[f"rumpolicy@{n}"]} for n in sizes]}

    machine["loadavg_after"] = list(os.getloadavg())
    results["source_fingerprint_after"] = source_fingerprint()
    if results["source_fingerprint_after"] != results["source_fingerprint_before"]:
        notes.append("rumpolicy's source (rumpolicy/, rules/) changed while the benchmark ran: the figures "
                     "mix versions; run it again on a quiet checkout.")
    shutil.rmtree(cache_home, ignore_errors=True)
    if max(machine["loadavg_before"][0], machine["loadavg_after"][0]) > 0.5 * machine["nproc"]:
        notes.append("The machine was not idle (see the load averages): absolute times are noisy; the "
                     "interleaved ratios less so.")
    def shown_cmd(tool: str, cmd: list[str]) -> str:
        if tool == NOBC:
            return "PYTHONDONTWRITEBYTECODE=1 PYTHONPATH=COPY " + display(cmd) + "   (COPY = the sources without __pycache__)"
        return display(cmd)

    shown = [shown_cmd(t, c) for t, c in single_cmds.items()] + [shown_cmd(t, c) for t, c in batch_cmds.items()]
    if sizes:
        shown.append(display([tools["rumpolicy"], "check", os.path.join(corpus_root, "nNNNN")]) +
                     f"   (NNNN = {', '.join(f'{n:04d}' for n in sizes)})")
    results["commands_shown"] = shown
    results["notes"] = notes
    results["evaluation"] = evaluate(results)
    text = markdown(results)
    results["markdown"] = text
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as fh:
        json.dump(results, fh, indent=1, default=str)
    with open(os.path.splitext(args.out)[0] + ".md", "w") as fh:
        fh.write(text)
    print(text)
    log(f"wrote {os.path.relpath(args.out, ROOT)} and {os.path.relpath(os.path.splitext(args.out)[0] + '.md', ROOT)}")
    # A benchmark, not a test: missed targets are reported, not turned into a failing exit status.
    # Exit 3 only when rumpolicy itself did not run cleanly (then the figures mean nothing).
    runs_ok = [valid("rumpolicy", results["single"].get("rumpolicy")),
               valid("rumpolicy", results["batch"].get("rumpolicy"))]
    runs_ok += [valid("rumpolicy", p["summary"]) for p in results.get("linearity", {}).get("points", [])]
    return 0 if all(runs_ok) else 3


if __name__ == "__main__":
    sys.exit(main())
