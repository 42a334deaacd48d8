"""What ``pip install rumpolicy`` brings: the wheel's metadata, the pins CI uses, the release files, and
``check`` and ``audit`` without the optional dependencies.

The wheel is built as tests/test_engine.py builds it (no build isolation, so no network). Its METADATA
is what pip reads: the core requirements are what ``check`` needs, in compatible ranges; boto3 and
cfn-lint are extras. constraints.txt pins the exact set CI installs (the Makefile installs with it), and
each pin must lie in the ranges the package declares.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tomllib
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

import rumpolicy
from rumpolicy.audit import AuditError, MissingDependency, require_boto3
from rumpolicy.iam import actions
from tests.conftest import ROOT

OPTIONAL = {"boto3", "botocore", "cfn-lint", "moto", "policyuniverse", "pytest"}
EXTRAS = {"audit", "cfn-lint", "test"}
URLS = {
    "Homepage": "https://github.com/rumpolicy/rumpolicy",
    "Documentation": "https://github.com/rumpolicy/rumpolicy/blob/main/docs/rules",
    "Repository": "https://github.com/rumpolicy/rumpolicy",
    "Changelog": "https://github.com/rumpolicy/rumpolicy/blob/main/CHANGELOG.md",
    "Issues": "https://github.com/rumpolicy/rumpolicy/issues",
}
# `python -m rumpolicy` as if boto3 and botocore were not installed: importing them fails as for a missing
# package, and importlib.util.find_spec answers None (rumpolicy.iam.actions looks botocore up that way).
WITHOUT_BOTO = ("import runpy, sys; sys.modules.update(dict.fromkeys(('boto3', 'botocore'), None)); "
                "runpy.run_module('rumpolicy', run_name='__main__', alter_sys=True)")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                           "-w", str(out), str(ROOT)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return next(out.glob("rumpolicy-*.whl"))


@pytest.fixture(scope="module")
def metadata(wheel):
    with zipfile.ZipFile(wheel) as archive:
        [name] = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        return Parser().parsestr(archive.read(name).decode("utf-8"))


def _requirements(metadata) -> list[Requirement]:
    return [Requirement(line) for line in metadata.get_all("Requires-Dist")]


def _in_extra(requirement: Requirement, extra: str | None) -> bool:
    """Whether the requirement applies to a plain install (``extra`` None) or to that extra."""
    if requirement.marker is None:
        return extra is None
    return extra is not None and requirement.marker.evaluate({"extra": extra})


def _pins() -> dict[str, Version]:
    pins = {}
    for line in (ROOT / "constraints.txt").read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            requirement = Requirement(line)
            [specifier] = requirement.specifier
            assert specifier.operator == "==", f"constraints.txt pins exact versions only: {line!r}"
            pins[canonicalize_name(requirement.name)] = Version(specifier.version)
    return pins


def test_a_plain_install_brings_what_check_needs_in_ranges(metadata):
    core = [r for r in _requirements(metadata) if _in_extra(r, None)]
    names = {canonicalize_name(r.name) for r in core}
    assert names == {"pyyaml", "json5", "jsonschema", "pathspec", "python-hcl2", "lark", "tree-sitter",
                     "tree-sitter-javascript", "tree-sitter-typescript"}
    assert not names & OPTIONAL
    for requirement in core:
        operators = {s.operator for s in requirement.specifier}
        assert operators == {">=", "<"}, f"{requirement} is not a range with a lower and an upper bound"


def test_the_extras_add_boto3_and_cfn_lint(metadata):
    assert set(metadata.get_all("Provides-Extra")) == EXTRAS
    requirements = _requirements(metadata)
    audit = {canonicalize_name(r.name) for r in requirements if _in_extra(r, "audit")}
    cfn_lint = {canonicalize_name(r.name) for r in requirements if _in_extra(r, "cfn-lint")}
    assert audit == {"boto3", "botocore"}
    assert cfn_lint == {"cfn-lint"}
    assert {"moto", "pytest", "pre-commit"} <= {canonicalize_name(r.name) for r in requirements if _in_extra(r, "test")}
    assert not [str(r) for r in requirements if any(s.operator in ("==", "===") for s in r.specifier)]


def test_metadata_names_the_project_urls_and_the_license(metadata, wheel):
    urls = dict(entry.split(", ", 1) for entry in metadata.get_all("Project-URL"))
    assert urls == URLS
    assert metadata["License-Expression"] == "Apache-2.0"
    assert metadata.get_all("License-File") == ["LICENSE"]
    assert metadata["Version"] == rumpolicy.__version__
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        [license_file] = [n for n in names if n.endswith(".dist-info/licenses/LICENSE")]
        assert archive.read(license_file) == (ROOT / "LICENSE").read_bytes()
        assert "rumpolicy/iam/data/service-operations.json.gz" in names


def test_the_license_file_is_the_apache_license():
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.split()[:4] == ["Apache", "License", "Version", "2.0,"]
    assert "END OF TERMS AND CONDITIONS" in text and len(text.split()) > 1500
    assert tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["license"] == "Apache-2.0"


def test_the_pins_ci_uses_lie_in_the_declared_ranges(metadata):
    pins = _pins()
    assert "rumpolicy" not in pins
    for requirement in _requirements(metadata):
        name = canonicalize_name(requirement.name)
        assert name in pins, f"constraints.txt does not pin {requirement.name}"
        assert requirement.specifier.contains(pins[name], prereleases=True), \
            f"constraints.txt pins {requirement.name}=={pins[name]}, outside {requirement}"


def test_the_makefile_installs_every_extra_with_the_constraints():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "pip install --quiet --disable-pip-version-check -e '.[test,audit,cfn-lint]' -c constraints.txt" in makefile


def test_the_changelog_has_an_entry_for_this_version():
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    released = re.findall(r"^## \[(\d[^\]]*)\] - \d{4}-\d{2}-\d{2}$", changelog, re.M)
    assert released and released[0] == rumpolicy.__version__, "the newest entry is not this version"
    assert "## [Unreleased]" in changelog
    assert f"[{rumpolicy.__version__}]: https://github.com/rumpolicy/rumpolicy/releases/tag/v{rumpolicy.__version__}" \
        in changelog


# -- check without botocore ------------------------------------------------------------------------

def test_the_shipped_catalogue_matches_the_installed_botocore():
    """Regenerate with `python -m rumpolicy.iam.actions` after upgrading botocore (constraints.txt)."""
    import gzip

    shipped = json.loads(gzip.decompress(actions.SHIPPED_OPERATIONS.read_bytes()))
    assert shipped["botocore"] == actions.botocore_version()
    assert shipped["botocore"] == json.loads(actions.SHIPPED_PREFIXES.read_text())["botocore"]
    assert shipped["operations"] == actions.operations_map()


@pytest.fixture
def without_botocore(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    caches = (actions._index, actions._directory_actions, actions._shipped_prefixes, actions._prefix_actions,
              actions._shipped_operations)

    def clear():
        for cache in caches:
            cache.cache_clear()

    clear()
    installed = {"index": dict(actions.catalogue_index())}
    clear()
    monkeypatch.setattr(actions, "data_dir", lambda: None)
    yield installed
    clear()


def test_without_botocore_the_catalogue_answers_as_the_installed_one(without_botocore):
    assert dict(actions.catalogue_index()) == without_botocore["index"]
    assert {"PutRumEvents", "PutResourcePolicy", "GetAppMonitorData"} <= actions.service_actions("rum")
    assert actions.is_known("rum:PutRumEvents") is True and actions.is_known("rum:PutRumEvent") is False
    assert actions.is_known("sagemaker:InvokeEndpoint") is True        # sagemaker-runtime, by signing name
    assert actions.is_known("notaservice:Foo") is None
    assert "rum:PutRumEvents" in actions.expand("rum:Put*") and "geo:ListMaps" in actions.expand("*:List*")


def test_a_broken_shipped_catalogue_raises_rather_than_knowing_no_action(without_botocore, monkeypatch, tmp_path):
    broken = tmp_path / "service-operations.json.gz"
    broken.write_bytes(b"not gzip")
    monkeypatch.setattr(actions, "SHIPPED_OPERATIONS", broken)
    with pytest.raises(RuntimeError, match="reinstall rumpolicy"):
        actions.service_actions("rum")


def _findings(*args: str, hide: bool, cache: Path) -> tuple[int, list]:
    command = [sys.executable, "-c", WITHOUT_BOTO] if hide else [sys.executable, "-m", "rumpolicy"]
    proc = subprocess.run([*command, "check", *args, "--format", "json"], capture_output=True, text=True,
                          cwd=ROOT, timeout=120, env={**os.environ, "XDG_CACHE_HOME": str(cache)})
    assert proc.returncode in (0, 1), proc.stderr
    return proc.returncode, json.loads(proc.stdout)["findings"]


def test_check_without_boto3_and_botocore_finds_the_same(tmp_path):
    paths = ("examples", "fixtures/rules")
    with_botocore = _findings(*paths, hide=False, cache=tmp_path / "a")
    without = _findings(*paths, hide=True, cache=tmp_path / "b")
    assert without == with_botocore
    assert any(f["rule_id"] == "RUM-PERM-005" for f in without[1])      # reads the action catalogue


# -- audit without boto3 ---------------------------------------------------------------------------

def test_missing_boto3_is_an_audit_error_and_an_import_error():
    assert issubclass(MissingDependency, AuditError) and issubclass(MissingDependency, ImportError)
    require_boto3()                  # installed here (the audit extra)


def test_audit_without_boto3_says_how_to_install_it():
    proc = subprocess.run([sys.executable, "-c", WITHOUT_BOTO, "audit", "--region", "us-east-1"],
                          capture_output=True, text=True, cwd=ROOT, timeout=60,
                          # Were any call made, it would fail elsewhere: nothing listens there.
                          env={**os.environ, "AWS_ENDPOINT_URL": "http://127.0.0.1:9"})
    # MissingDependency is an AuditError: the command line says it as it says any audit that cannot start.
    said = "rumpolicy: error: rumpolicy audit needs boto3, which is not installed: pip install 'rumpolicy[audit]'\n"
    assert proc.stderr == said
    assert proc.returncode == 2
    assert proc.stdout == ""
