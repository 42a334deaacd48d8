"""The pre-commit hook, run by the real pre-commit against a copy of this repository.

pre-commit builds a virtualenv and pip-installs the hook repository into it, once per repository
and revision. The copy is committed once per test session and every run shares one PRE_COMMIT_HOME,
so the install happens once (it needs the package index, or the pip configuration's wheel folder).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

EXAMPLES = ROOT / "examples"
BIN = Path(sys.executable).parent
GIT_IDENTITY = {"GIT_AUTHOR_NAME": "rumpolicy tests", "GIT_AUTHOR_EMAIL": "tests@example.com",
                "GIT_COMMITTER_NAME": "rumpolicy tests", "GIT_COMMITTER_EMAIL": "tests@example.com"}
# Not valid YAML (a Helm template) and not ours: the hook must pass over it without a word.
HELM_TEMPLATE = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Values.name }}\n  {{- toYaml .Values.labels | nindent 4 }}\n"


def _run(args: list[str], cwd: Path, env: dict[str, str], timeout: float = 900) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def env(tmp_path_factory) -> dict[str, str]:
    home = tmp_path_factory.mktemp("pre-commit-home")
    return {**os.environ, **GIT_IDENTITY, "PRE_COMMIT_HOME": str(home), "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
            "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1", "NO_COLOR": "1",
            # Compiling the hook environment's .pyc files (botocore, sympy) would take most of the install time.
            "PIP_NO_COMPILE": "1"}


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory, env) -> tuple[Path, str]:
    """This repository's files as they are now (committed or not) in a git repository of their own."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                            capture_output=True, text=True, check=True).stdout
    repo = tmp_path_factory.mktemp("hook-repo")
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():
            (repo / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, repo / name)
    for args in (["git", "init", "-q"], ["git", "add", "-A"], ["git", "commit", "-q", "-m", "hook"]):
        subprocess.run(args, cwd=repo, env=env, check=True, capture_output=True)
    rev = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, env=env, capture_output=True, text=True,
                         check=True).stdout.strip()
    return repo, rev


@pytest.fixture
def project(tmp_path, env) -> Path:
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, env=env, check=True)
    (tmp_path / "README.md").write_text("an infrastructure repository\n")
    (tmp_path / "chart" / "templates").mkdir(parents=True)
    (tmp_path / "chart" / "templates" / "deployment.yaml").write_text(HELM_TEMPLATE)
    (tmp_path / "package.json").write_text('{"name": "shop", "version": "1.0.0"}\n')
    (tmp_path / "infra").mkdir()
    return tmp_path


def _stage(project: Path, env: dict[str, str], template: Path) -> None:
    shutil.copy(template, project / "infra" / "rum.yaml")
    subprocess.run(["git", "add", "-A"], cwd=project, env=env, check=True)


def test_try_repo_refuses_a_broken_template_and_passes_a_fixed_one(hook_repo, project, env):
    repo, _ = hook_repo
    _stage(project, env, EXAMPLES / "broken" / "rum-shop.yaml")
    broken = _run([str(BIN / "pre-commit"), "try-repo", str(repo), "rumpolicy"], project, env)
    assert broken.returncode == 1, broken.stdout + broken.stderr
    assert "infra/rum.yaml:25:13: error RUM-TRUST-002" in broken.stdout
    assert "infra/rum.yaml:35:17: error RUM-PERM-005" in broken.stdout
    # The Helm template and package.json were staged too, and are not mentioned.
    assert "deployment.yaml" not in broken.stdout and "package.json" not in broken.stdout
    assert "RUM-SRC-00" not in broken.stdout

    _stage(project, env, EXAMPLES / "correct" / "rum-web.yaml")
    fixed = _run([str(BIN / "pre-commit"), "try-repo", str(repo), "rumpolicy"], project, env)
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert "Passed" in fixed.stdout


def test_installed_hook_refuses_the_commit(hook_repo, project, env):
    repo, rev = hook_repo
    (project / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {repo}\n    rev: {rev}\n    hooks:\n      - id: rumpolicy\n")
    installed = _run([str(BIN / "pre-commit"), "install"], project, env)
    assert installed.returncode == 0, installed.stderr

    _stage(project, env, EXAMPLES / "broken" / "rum-shop.yaml")
    refused = _run(["git", "commit", "-m", "add RUM"], project, env)
    assert refused.returncode != 0
    assert "infra/rum.yaml:12:7: error RUM-POOL-002" in refused.stdout + refused.stderr
    head = _run(["git", "rev-parse", "--verify", "-q", "HEAD"], project, env)
    assert head.returncode != 0, "the broken template was committed"

    _stage(project, env, EXAMPLES / "correct" / "rum-web.yaml")
    accepted = _run(["git", "commit", "-m", "add RUM"], project, env)
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr
    files = _run(["git", "show", "--name-only", "--format=", "HEAD"], project, env).stdout.split()
    assert "infra/rum.yaml" in files


def test_skip_unrecognized_treats_named_files_like_walked_ones(cli, tmp_path):
    (tmp_path / "deployment.yaml").write_text(HELM_TEMPLATE)
    (tmp_path / "package.json").write_text('{"name": "shop"}')
    (tmp_path / "rum.yaml").write_text((EXAMPLES / "broken" / "rum-shop.yaml").read_text())
    named = [str(tmp_path / n) for n in ("deployment.yaml", "package.json", "rum.yaml")]
    loud = cli("check", *named, "--format", "json").json()["findings"]
    assert {f["rule_id"] for f in loud} >= {"RUM-SRC-000", "RUM-SRC-002", "RUM-TRUST-002"}
    quiet = cli("check", *named, "--skip-unrecognized", "--format", "json").json()
    assert {f["location"]["path"] for f in quiet["findings"]} == {str(tmp_path / "rum.yaml")}
    # A broken file that looks like a template is still reported, as when walking.
    (tmp_path / "broken.yaml").write_text("AWSTemplateFormatVersion: '2010-09-09'\nResources: [\n")
    result = cli("check", str(tmp_path / "broken.yaml"), "--skip-unrecognized", "--format", "json")
    assert [f["rule_id"] for f in result.json()["findings"]] == ["RUM-SRC-000"]
