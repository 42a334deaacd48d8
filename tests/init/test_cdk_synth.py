"""The CDK Python app `rumpolicy init --format cdk-python` writes, synthesized by the real aws-cdk-lib.

aws-cdk-lib (with its Node.js runtime, 460 MB) is no dependency of rumpolicy: .ci/run installs it in a
virtual environment of its own and names its Python in RUMPOLICY_CDK_PYTHON; without it these tests are
skipped, saying so. The synthesized template must check clean and pass cfn-lint, as the CloudFormation
output does (tests/init/test_init.py compares the CDK source with it; this runs it).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.conftest import ROOT

CDK_PYTHON = os.environ.get("RUMPOLICY_CDK_PYTHON", "")
FLOWS = ("enhanced", "basic", "resource-policy")

pytestmark = pytest.mark.skipif(
    not CDK_PYTHON or subprocess.run([CDK_PYTHON, "-c", "import aws_cdk"], capture_output=True).returncode != 0,
    reason="aws-cdk-lib is not installed (.ci/run installs it and sets RUMPOLICY_CDK_PYTHON)")


def _synthesized(flow: str, folder: Path) -> Path:
    """Write the app for ``flow`` into ``folder``, synthesize it, and return the template CDK wrote."""
    subprocess.run([sys.executable, "-m", "rumpolicy", "init", "--monitor", "shop-example-com", "--domain",
                    "shop.example.com", "--flow", flow, "--region", "eu-west-1", "--format", "cdk-python",
                    "--output-dir", str(folder)], check=True, capture_output=True, cwd=ROOT)
    env = dict(os.environ, CDK_OUTDIR=str(folder / "cdk.out"), JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION="1")
    done = subprocess.run([CDK_PYTHON, "app.py"], cwd=folder, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    templates = sorted((folder / "cdk.out").glob("*.template.json"))
    assert len(templates) == 1, templates
    return templates[0]


@pytest.fixture(scope="module")
def synthesized(tmp_path_factory) -> dict[str, Path]:
    folders = {flow: tmp_path_factory.mktemp(f"cdk-{flow}") for flow in FLOWS}
    with ThreadPoolExecutor(max_workers=len(FLOWS)) as pool:        # each synth is a Node.js process
        return dict(zip(FLOWS, pool.map(lambda flow: _synthesized(flow, folders[flow]), FLOWS)))


@pytest.mark.parametrize("flow", FLOWS)
def test_the_synthesized_app_checks_clean_and_passes_cfn_lint(synthesized, flow):
    template = synthesized[flow]
    assert json.loads(template.read_text())["Resources"]
    check = subprocess.run([sys.executable, "-m", "rumpolicy", "check", str(template.parent), "--region",
                            "eu-west-1", "--format", "json", "--no-config"], capture_output=True, text=True, cwd=ROOT)
    assert check.returncode == 0, check.stdout[-3000:]
    assert json.loads(check.stdout)["findings"] == []
    lint = subprocess.run([str(Path(sys.executable).with_name("cfn-lint")), "--", str(template)],
                          capture_output=True, text=True)
    assert lint.returncode == 0, lint.stdout + lint.stderr
