"""The audit benchmark keeps working: a small run of benchmarks/audit.py, as its own process."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import ROOT


@pytest.mark.bench
def test_audit_benchmark_runs_and_meets_its_targets():
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "audit.py"), "--monitors", "20",
                           "--accounts", "2", "--share", "5", "--jobs", "4", "--memory-monitors", "30"],
                          capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = {line.split(" | ")[0].lstrip("| "): line for line in proc.stdout.splitlines() if line.startswith("| ")}
    assert rows["unique"].split(" | ")[1:4] == ["20", "2", "20"]
    assert rows["shared"].split(" | ")[1:4] == ["20", "2", "4"]
    assert "| rum:GetAppMonitor | 20 | 20 |" in proc.stdout
    memory = rows["one region"].split(" | ")
    assert memory[1:4] == ["30", "1", "30"]
    assert memory[6].endswith(" MiB") and 0 < float(memory[6].split()[0]) < 300
    assert "Peak RSS: VmHWM of the audit process" in proc.stdout
