"""The command line on hostile ground: defects of rumpolicy, interrupts, and an output that fails.

A defect of rumpolicy (a rule or a loader that crashed, or anything escaping ``main``) exits 3, never 1,
so CI can tell it from findings; Ctrl-C exits 130; a reader that leaves (``| head``) or a full disk never
gives a traceback or an "Exception ignored" at interpreter exit. And the summary never says "0 files
checked" beside findings about a file.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT, run_subprocess

EXAMPLES = ROOT / "examples"
CORRECT = EXAMPLES / "correct" / "rum-web.yaml"
BROKEN = EXAMPLES / "broken" / "rum-shop.yaml"


def _ids(report: dict) -> list[str]:
    return [f["rule_id"] for f in report["findings"]]


# --- 1. a crash is not a finding -------------------------------------------------------------------------

def test_a_crashing_rule_exits_3_and_the_report_is_still_written(cli, crashing_rule, tmp_path):
    out = tmp_path / "report.json"
    result = cli("check", str(CORRECT), "--no-config", "--format", "json", "-o", str(out))
    assert result.status == 3, result.err
    report = json.loads(out.read_text("utf-8"))
    crashed = [f for f in report["findings"] if f["rule_id"] == "RUM-SRC-003"]
    assert [f["message"] for f in crashed] == ["rule RUM-MON-001 failed on RumAppMonitor: KeyError: 'boom'"]
    assert crashed[0]["location"]["path"].endswith("rum-web.yaml")


@pytest.mark.parametrize("extra", [["--fail-on", "error"], ["--fail-on", "info"], ["--ignore", "RUM-MON-002"]])
def test_a_crashing_rule_exits_3_whatever_fail_on_says(cli, crashing_rule, extra):
    result = cli("check", str(BROKEN), "--no-config", *extra)     # findings too: 3 wins over 1
    assert result.status == 3
    assert "RUM-SRC-003 rule RUM-MON-001 failed on ShopAppMonitor: KeyError: 'boom'" in result.out


def test_a_baseline_never_hides_a_crash(cli, crashing_rule, tmp_path):
    baseline = tmp_path / "baseline.json"
    assert cli("check", str(BROKEN), "--no-config", "--write-baseline", str(baseline)).status == 3
    again = cli("check", str(BROKEN), "--no-config", "--baseline", str(baseline), "--format", "json")
    assert again.status == 3
    assert _ids(again.json()) == ["RUM-SRC-003"]        # everything else is in the baseline


def test_a_loader_defect_is_reported_at_the_file_and_exits_3(cli, monkeypatch, tmp_path):
    from rumpolicy.load import files

    shutil.copy(BROKEN, tmp_path / "a.yaml")
    shutil.copy(CORRECT, tmp_path / "b.yaml")
    real = files.load_template

    def load_template(parsed, file, *args, **kwargs):
        if parsed.path.endswith("a.yaml"):
            raise KeyError("x")
        return real(parsed, file, *args, **kwargs)

    monkeypatch.setattr(files, "load_template", load_template)
    result = cli("check", str(tmp_path), "--no-config", "--format", "json")
    assert result.status == 3, result.err
    report = result.json()
    assert [(f["rule_id"], f["message"], Path(f["location"]["path"]).name) for f in report["findings"]] == [
        ("RUM-SRC-003", f"rumpolicy failed while loading {tmp_path / 'a.yaml'}: KeyError: 'x'", "a.yaml")]
    assert report["summary"]["files_checked"] == 1
    text = cli("check", str(tmp_path), "--no-config")
    assert text.status == 3
    assert text.out.splitlines()[-1] == ("1 error, 0 warnings, 0 info in 2 files: 1 checked, "
                                         "1 failed to load (a defect of rumpolicy)")


def test_an_exception_escaping_main_is_one_line_and_exits_3(cli, monkeypatch):
    import rumpolicy.load

    def discover(paths):
        raise RuntimeError("unexpected\nsecond line")

    monkeypatch.setattr(rumpolicy.load, "discover", discover)
    monkeypatch.delenv("RUMPOLICY_DEBUG", raising=False)
    result = cli("check", str(CORRECT), "--no-config")
    assert result.status == 3
    assert result.err.splitlines() == ["rumpolicy: internal error: RuntimeError: unexpected\\x0asecond line "
                                       "(a defect of rumpolicy; RUMPOLICY_DEBUG=1 prints the traceback)"]
    monkeypatch.setenv("RUMPOLICY_DEBUG", "1")
    debug = cli("check", str(CORRECT), "--no-config")
    assert debug.status == 3 and "Traceback (most recent call last)" in debug.err
    assert debug.err.splitlines()[-1].startswith("rumpolicy: internal error: RuntimeError")


def test_usage_errors_still_exit_2(cli):
    assert cli("check", "--format", "nope", str(CORRECT)).status == 2
    assert cli("check", str(ROOT / "no-such-path")).status == 2


def test_help_documents_the_exit_status():
    result = run_subprocess("check", "--help")
    assert result.status == 0
    assert "exit status:" in result.out and "  3    a defect of rumpolicy" in result.out
    assert "  130  interrupted" in run_subprocess("--help").out


# --- 2. interrupts, and an output that fails -----------------------------------------------------------

def test_ctrl_c_in_process_exits_130_with_one_line(cli, monkeypatch):
    from rumpolicy.load import files

    def load_template(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(files, "load_template", load_template)
    result = cli("check", str(CORRECT), "--no-config")
    assert (result.status, result.out, result.err) == (130, "", "rumpolicy: interrupted\n")


def test_sigint_during_a_long_check_exits_130_with_one_line(tmp_path):
    text = BROKEN.read_text("utf-8")
    for i in range(1500):
        (tmp_path / f"stack{i:04}.yaml").write_text(text, "utf-8")
    proc = subprocess.Popen([sys.executable, "-m", "rumpolicy", "check", str(tmp_path), "--no-config"],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(2.0)      # well past start-up: the check is reading the templates
        assert proc.poll() is None, "the check ended before it could be interrupted"
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 130
    assert err == "rumpolicy: interrupted\n"
    assert out == ""


def test_a_reader_that_leaves_early_is_not_an_error():
    """Standard output closed before anything is written: no traceback, no "Exception ignored", status kept."""
    proc = subprocess.Popen([sys.executable, "-m", "rumpolicy", "check", str(EXAMPLES), "--no-config"], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()
    err = proc.stderr.read().decode()
    proc.wait(timeout=60)
    assert err == ""
    assert proc.returncode == 1                  # what it would have been: examples/ has findings


def test_piped_into_head_exits_quietly():
    command = f"set -o pipefail; {sys.executable} -m rumpolicy check {EXAMPLES} --no-config | head -1"
    proc = subprocess.run(["bash", "-c", command], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert proc.stderr == ""
    assert len(proc.stdout.splitlines()) == 1
    assert proc.returncode == 1


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
@pytest.mark.parametrize("fmt", ["text", "json"])
def test_standard_output_full_is_one_line_and_exit_2(fmt):
    with open("/dev/full", "w") as full:
        proc = subprocess.run([sys.executable, "-m", "rumpolicy", "check", str(EXAMPLES), "--no-config",
                               "--format", fmt], cwd=ROOT, stdout=full, stderr=subprocess.PIPE, text=True,
                              timeout=60)
    assert proc.stderr == "rumpolicy: error: cannot write to standard output: No space left on device\n"
    assert proc.returncode == 2


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_a_report_file_on_a_full_disk_is_one_line_and_exit_2():
    result = run_subprocess("check", str(EXAMPLES), "--no-config", "--format", "sarif", "-o", "/dev/full")
    assert result.err == "rumpolicy: error: cannot write /dev/full: No space left on device\n"
    assert result.status == 2


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_the_rule_catalogue_on_a_full_disk_is_one_line_and_exit_2():
    with open("/dev/full", "w") as full:
        proc = subprocess.run([sys.executable, "-m", "rumpolicy", "rules"], cwd=ROOT, stdout=full,
                              stderr=subprocess.PIPE, text=True, timeout=60)
    assert proc.stderr == "rumpolicy: error: cannot write to standard output: No space left on device\n"
    assert proc.returncode == 2


# --- 4. the summary cannot contradict the findings -----------------------------------------------------

def test_the_summary_counts_every_file_it_reports_on(cli, tmp_path):
    shutil.copy(CORRECT, tmp_path / "good.yaml")
    (tmp_path / "broken.json").write_text('{"AWSTemplateFormatVersion": "2010-09-09", "Resources": {', "utf-8")
    (tmp_path / "notes.txt").write_text("just prose\n", "utf-8")
    named = [str(tmp_path / name) for name in ("good.yaml", "broken.json", "notes.txt")]
    result = cli("check", *named, "--no-config")
    assert result.status == 1
    assert result.out.splitlines()[-1] == ("1 error, 0 warnings, 1 info in 3 files: 1 checked, 1 not recognized, "
                                           "1 unreadable")
    only_broken = cli("check", named[1], "--no-config", "--format", "markdown")
    assert "**1 error, 0 warnings, 0 info · 1 file: 0 checked, 1 unreadable**" in only_broken.out
    github = cli("check", named[1], "--no-config", "--format", "github")
    assert github.out.splitlines()[-1] == "rumpolicy: 1 error(s), 0 warning(s), 0 info in 1 file: 0 checked, 1 unreadable"
    clean = cli("check", named[0], "--no-config")
    assert clean.out.splitlines()[-1] == "0 errors, 0 warnings, 0 info in 1 file checked"
