"""Regenerate the plan fixtures (``fixtures/inputs/terraform-plan/*.json``) with real Terraform.

    TF_PLUGIN_MIRROR=/opt/tf-plugins .venv/bin/python -m tests.load.terraform_plans

Each fixture is ``terraform show -json`` of ``terraform plan`` on a configuration of
``fixtures/inputs/terraform/`` or ``examples/terraform/``, made with the terraform binary on PATH and
the hashicorp/aws provider from a local filesystem mirror. Nothing reaches AWS: the provider's
endpoints point at a moto server on loopback, which answers the one call a plan makes
(``sts:GetCallerIdentity`` for ``data.aws_caller_identity``); for ``errored.json`` they point at a
closed port, so that the plan fails the way it does without credentials. A configuration without a
``provider "aws"`` block gets one for ``eu-west-1``, as a plan needs a region.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PLANS = ROOT / "fixtures" / "inputs" / "terraform-plan"
# fixture name -> (configuration folder, written as terraform prints it (one line) or indented, STS reachable)
CASES = {
    "enhanced-flow.json": (ROOT / "fixtures/inputs/terraform/enhanced-flow", "indented", True),
    "basic-flow-module.json": (ROOT / "fixtures/inputs/terraform/basic-flow-module", "raw", True),
    "errored.json": (ROOT / "fixtures/inputs/terraform/enhanced-flow", "indented", False),
    "example-correct.json": (ROOT / "examples/terraform/correct", "indented", True),
    "example-broken.json": (ROOT / "examples/terraform/broken", "indented", True),
}
CLOSED_PORT = "http://127.0.0.1:9"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start_moto() -> tuple[subprocess.Popen, str]:
    port = _free_port()
    server = subprocess.Popen([str(Path(sys.executable).parent / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return server, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise RuntimeError("the moto server did not start")


def _plan(folder: Path, endpoint: str, mirror: str, work: Path) -> dict:
    target = work / folder.name
    shutil.copytree(folder, target)
    if not any('provider "aws"' in p.read_text() for p in target.glob("*.tf")):
        (target / "generated_provider.tf").write_text('provider "aws" {\n  region = "eu-west-1"\n}\n')
    rc = work / "terraformrc"
    rc.write_text(f'provider_installation {{\n  filesystem_mirror {{\n    path = "{mirror}"\n  }}\n}}\n'
                  "disable_checkpoint = true\n")
    env = {**os.environ, "TF_CLI_CONFIG_FILE": str(rc), "CHECKPOINT_DISABLE": "1", "TF_IN_AUTOMATION": "1",
           "AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE", "AWS_SECRET_ACCESS_KEY": "example",
           "AWS_EC2_METADATA_DISABLED": "true", "AWS_ENDPOINT_URL": endpoint}
    subprocess.run(["terraform", "init", "-input=false", "-no-color"], cwd=target, env=env, capture_output=True,
                   timeout=300, check=True)
    planned = subprocess.run(["terraform", "plan", "-input=false", "-no-color", "-out=plan.out"], cwd=target,
                             env=env, capture_output=True, text=True, timeout=300)
    if planned.returncode != 0 and endpoint != CLOSED_PORT:
        raise RuntimeError(f"terraform plan failed in {folder}:\n{planned.stderr}")
    shown = subprocess.run(["terraform", "show", "-json", "plan.out"], cwd=target, env=env, capture_output=True,
                           text=True, timeout=120, check=True)
    return json.loads(shown.stdout)


def regenerate(mirror: str) -> None:
    server, endpoint = _start_moto()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for name, (folder, layout, reachable) in CASES.items():
                plan = _plan(folder, endpoint if reachable else CLOSED_PORT, mirror, Path(tmp) / name)
                text = json.dumps(plan, indent=2) if layout == "indented" else json.dumps(plan, separators=(",", ":"))
                (PLANS / name).write_text(text + "\n")
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    regenerate(os.environ.get("TF_PLUGIN_MIRROR", "/opt/tf-plugins"))
