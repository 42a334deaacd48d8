"""The Config rule benchmark keeps working: its smallest run, as its own process."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import ROOT


@pytest.mark.bench
def test_config_rule_benchmark_runs():
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "config_rule.py"), "--sizes", "1",
                           "--region-monitors", "2", "--repeat", "1", "--json"],
                          capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = {(row["trigger"], row["monitors"]): row for row in json.loads(proc.stdout)}
    assert rows.keys() == {("role change", 2), ("pool change", 2), ("monitor change", 2), ("scheduled", 1)}
    # A monitor change reads that monitor's chain without listing; a pool change lists and looks at both.
    assert "rum:ListAppMonitors" not in rows[("monitor change", 2)]["calls"]
    assert rows[("pool change", 2)]["calls"]["rum:GetAppMonitor"] == 2
    assert rows[("scheduled", 1)]["evaluations"] == 3
    assert all(row["calls"]["config:PutEvaluations"] == 1 and row["peak_rss_mib"] > 0 for row in rows.values())
