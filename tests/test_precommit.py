"""The pre-commit hook, run by the real pre-commit against a copy of this repository.

pre-commit builds a virtualenv and pip-installs the hook repository into it, once per repository
and revision in its store (PRE_COMMIT_HOME). The copy is committed once per test session and its
hook environment is built once, by ``pre-commit install-hooks`` (which needs the package index, or
the pip configuration's wheel folder), into the one store that every run below uses: none of them
installs anything. The build is started in the background when the session's first test starts
(``hook_env_build`` in tests/conftest.py), so it takes the second core while the other tests run.

``try-repo`` always makes a store of its own in a temporary folder, so it is run with that one name
pointed at the shared store (``TRY_REPO``); the rest of try-repo is pre-commit's own. The store
knows a repository by the name it was given, and try-repo rewrites a folder's name relative to the
project, so every run names the copy by one ``file://`` URL.

The copy is tagged like the release (``v`` + the package version), and every run uses the README's
configuration snippet as it stands, with only ``repo:`` pointed at the copy: ``rev: v0.1.0`` is what
is tested. The hook's environment gets only what ``pip install rumpolicy`` brings (no boto3, no
botocore, no cfn-lint), so these runs are also ``check`` without the optional dependencies.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from rumpolicy import __version__
from tests.conftest import ROOT

EXAMPLES = ROOT / "examples"
BIN = Path(sys.executable).parent
GIT_IDENTITY = {"GIT_AUTHOR_NAME": "rumpolicy tests", "GIT_AUTHOR_EMAIL": "tests@example.com",
                "GIT_COMMITTER_NAME": "rumpolicy tests", "GIT_COMMITTER_EMAIL": "tests@example.com"}
# Not valid YAML (a Helm template) and not ours: the hook must pass over it without a word.
HELM_TEMPLATE = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Values.name }}\n  {{- toYaml .Values.labels | nindent 4 }}\n"

# `pre-commit try-repo REPO HOOK`, with its store in PRE_COMMIT_HOME instead of a new temporary folder.
TRY_REPO = """
import sys
from pre_commit.commands import try_repo
from pre_commit.main import main
from pre_commit.store import Store
assert isinstance(try_repo.Store, type), "pre-commit's try-repo no longer names Store: see tests/test_precommit.py"
try_repo.Store = lambda _tempdir: Store()   # Store() is PRE_COMMIT_HOME
sys.exit(main(["try-repo", *sys.argv[1:]]))
"""
# What pre-commit logs when it builds a hook environment: only the build itself may say it.
INSTALLING = "Installing environment for"
TAG = f"v{__version__}"
WEB_PROJECT = ROOT / "fixtures" / "inputs" / "webclient" / "npm-project"


def readme_config() -> str:
    """The `.pre-commit-config.yaml` shown in the README's "pre-commit" section."""
    section = (ROOT / "README.md").read_text(encoding="utf-8").split("\n## pre-commit\n", 1)[1].split("\n## ", 1)[0]
    return re.search(r"```yaml\n(.*?)```", section, re.S).group(1)


def project_config(repo: str) -> str:
    """The README's configuration, with ``repo:`` naming the hook repository under test."""
    config, replaced = re.subn(r"(- repo:) *\S+.*", lambda m: f"{m.group(1)} {repo}", readme_config(), count=1)
    assert replaced == 1, "the README's pre-commit configuration has no `- repo:` line"
    return config


def _run(args: list[str], cwd: Path, env: dict[str, str], timeout: float = 900) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def _try_repo(repo: str, rev: str, project: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    ran = _run([sys.executable, "-c", TRY_REPO, repo, "rumpolicy", "--ref", rev], project, env)
    assert INSTALLING not in ran.stdout + ran.stderr, "try-repo built a hook environment of its own"
    return ran


class HookEnvBuild:
    """This repository's files as they are now (committed or not) in a git repository of their own,
    tagged ``TAG``, and its hook environment being built in a new PRE_COMMIT_HOME."""

    def __init__(self, tmp_path_factory: pytest.TempPathFactory) -> None:
        home = tmp_path_factory.mktemp("pre-commit-home")
        self.env = {**os.environ, **GIT_IDENTITY, "PRE_COMMIT_HOME": str(home),
                    "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
                    "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1", "NO_COLOR": "1",
                    # Compiling the hook environment's .pyc files would take much of the install time.
                    "PIP_NO_COMPILE": "1"}
        listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                                capture_output=True, text=True, check=True).stdout
        folder = tmp_path_factory.mktemp("hook-repo")
        for name in filter(None, listed.split("\0")):
            source = ROOT / name
            if source.is_file():
                (folder / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, folder / name)
        for args in (["git", "init", "-q"], ["git", "add", "-A"], ["git", "commit", "-q", "-m", "hook"],
                     ["git", "tag", "-a", TAG, "-m", f"rumpolicy {__version__}"]):
            subprocess.run(args, cwd=folder, env=self.env, check=True, capture_output=True)
        self.rev = TAG
        self.repo = folder.as_uri()
        work = tmp_path_factory.mktemp("install-hooks")
        config = work / ".pre-commit-config.yaml"
        config.write_text(project_config(self.repo))
        self._log = work / "install-hooks.log"
        # Niced, so that the tests running meanwhile (some of them timed) come first.
        nice = ["nice", "-n", "10"] if shutil.which("nice") else []
        with self._log.open("wb") as log:
            self._process = subprocess.Popen([*nice, str(BIN / "pre-commit"), "install-hooks", "--config", str(config)],
                                             cwd=folder, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                             stdin=subprocess.DEVNULL, start_new_session=True)
        self._result: tuple[int, str] | None = None

    def wait(self, timeout: float = 900) -> tuple[str, str]:
        """The hook repository's URL and revision, once its environment is built."""
        if self._result is None:
            try:
                status = self._process.wait(timeout)
            finally:
                self.stop()
            self._result = status, self._log.read_text(errors="replace")
        status, output = self._result
        assert status == 0, output
        assert INSTALLING in output, "the shared PRE_COMMIT_HOME was not new"
        return self.repo, self.rev

    def stop(self) -> None:
        if self._process.poll() is None:
            os.killpg(self._process.pid, signal.SIGKILL)
            self._process.wait()


@pytest.fixture(scope="session")
def hook_build(hook_env_build, tmp_path_factory):
    if hook_env_build is not None:      # tests/conftest.py started it as the session's first test started
        yield hook_env_build
        return
    build = HookEnvBuild(tmp_path_factory)
    yield build
    build.stop()


@pytest.fixture(scope="session")
def env(hook_build) -> dict[str, str]:
    return hook_build.env


@pytest.fixture(scope="session")
def hook_env(hook_build) -> tuple[str, str]:
    """The hook repository's URL and revision, its environment built in the shared PRE_COMMIT_HOME."""
    return hook_build.wait()


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


def test_the_readme_configuration_names_the_release_tag():
    assert re.search(r"^ *rev: *(\S+)", readme_config(), re.M).group(1) == TAG


def test_try_repo_refuses_a_broken_template_and_passes_a_fixed_one(hook_env, project, env):
    repo, rev = hook_env
    _stage(project, env, EXAMPLES / "broken" / "rum-shop.yaml")
    broken = _try_repo(repo, rev, project, env)
    assert broken.returncode == 1, broken.stdout + broken.stderr
    assert "infra/rum.yaml:25:13: error RUM-TRUST-002" in broken.stdout
    assert "infra/rum.yaml:35:17: error RUM-PERM-005" in broken.stdout
    # The Helm template and package.json were staged too, and are not mentioned.
    assert "deployment.yaml" not in broken.stdout and "package.json" not in broken.stdout
    assert "RUM-SRC-00" not in broken.stdout

    _stage(project, env, EXAMPLES / "correct" / "rum-web.yaml")
    fixed = _try_repo(repo, rev, project, env)
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert "Passed" in fixed.stdout


def test_try_repo_refuses_a_broken_web_client_in_tsx(hook_env, project, env):
    """A React app's TypeScript (`.tsx`), which `check` reads: the hook used to pass it over."""
    repo, rev = hook_env
    (project / "web" / "src").mkdir(parents=True)
    shutil.copy(WEB_PROJECT / "src" / "rum.ts", project / "web" / "src" / "rum.tsx")
    for name in ("package.json", "package-lock.json"):       # aws-rum-web 3.2.0, as locked
        shutil.copy(WEB_PROJECT / name, project / "web" / name)
    subprocess.run(["git", "add", "-A"], cwd=project, env=env, check=True)
    ran = _try_repo(repo, rev, project, env)
    assert ran.returncode == 1, ran.stdout + ran.stderr
    assert "web/src/rum.tsx:18:12: error RUM-CLIENT-001 aws-rum-web 3.2.0 ignores the client's region" in ran.stdout
    said = ran.stdout.split("Failed", 1)[-1]          # what the hook printed, after try-repo's own lines
    assert "package.json" not in said and "package-lock.json" not in said and "RUM-SRC-00" not in said


def test_the_hook_environment_has_only_what_check_needs(hook_env, env):
    [site] = Path(env["PRE_COMMIT_HOME"]).glob("repo*/py_env-*/lib/python*/site-packages")
    installed = {path.name for path in site.iterdir()}
    assert "rumpolicy" in installed and "yaml" in installed
    assert not installed & {"boto3", "botocore", "cfnlint", "moto"}


def test_installed_hook_refuses_the_commit(hook_env, project, env):
    repo, _ = hook_env
    (project / ".pre-commit-config.yaml").write_text(project_config(repo))
    installed = _run([str(BIN / "pre-commit"), "install"], project, env)
    assert installed.returncode == 0, installed.stderr

    _stage(project, env, EXAMPLES / "broken" / "rum-shop.yaml")
    refused = _run(["git", "commit", "-m", "add RUM"], project, env)
    assert INSTALLING not in refused.stdout + refused.stderr, "the hook built an environment of its own"
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


def _walked(name: str) -> bool:
    """Whether walking a folder opens a file of this name (rumpolicy.load._walk, by its extension sets)."""
    from rumpolicy.load import TERRAFORM_EXTENSIONS, WALK_EXTENSIONS, WEB_CLIENT_EXTENSIONS

    suffix = os.path.splitext(os.path.basename(name))[1].lower()
    return suffix in WALK_EXTENSIONS or suffix in WEB_CLIENT_EXTENSIONS or suffix in TERRAFORM_EXTENSIONS


def test_the_hook_is_given_every_file_check_reads_and_no_other(tmp_path, monkeypatch):
    """pre-commit's own classifier (``files``, ``exclude``, ``types``, ``types_or``, with identify's tags),
    over a file of every extension identify knows and every extension the walk opens, in both cases."""
    from identify.extensions import EXTENSIONS
    from pre_commit.clientlib import load_manifest
    from pre_commit.commands.run import Classifier, filter_by_include_exclude
    from rumpolicy.load import TERRAFORM_EXTENSIONS, WALK_EXTENSIONS, WEB_CLIENT_EXTENSIONS

    read = WALK_EXTENSIONS | WEB_CLIENT_EXTENSIONS | TERRAFORM_EXTENSIONS
    assert {".ts", ".tsx", ".jsx", ".template", ".tf", ".tfvars", ""} <= read
    suffixes = {f".{extension}" for extension in EXTENSIONS} | read
    names = [f"infra/stack{suffix}" for suffix in sorted(suffixes)]
    names += [f"infra/STACK{suffix.upper()}" for suffix in sorted(read)]
    names += ["Makefile", ".gitignore", "infra/get-role", "main.tf.json", "prod.auto.tfvars", "prod.tfvars.json",
              "cdk.out/Shop.template.json", "web/src/env.d.ts", "web/src/rum.cjs", "app.py", "README.md",
              "infra/policy.json.orig", "web/logo.svg"]
    monkeypatch.chdir(tmp_path)
    for name in names:
        Path(name).parent.mkdir(parents=True, exist_ok=True)
        Path(name).write_text("{}\n")
    [hook] = load_manifest(str(ROOT / ".pre-commit-hooks.yaml"))
    passed = set(Classifier(names).by_types(filter_by_include_exclude(names, hook["files"], hook["exclude"]),
                                            hook["types"], hook["types_or"], hook["exclude_types"]))
    assert {n for n in names if _walked(n)} - passed == set(), "files check reads that the hook is not given"
    assert passed - {n for n in names if _walked(n)} == set(), "files the hook is given that check does not read"
