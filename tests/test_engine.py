"""The rule catalogue and the engine: ids, metadata, discovery, isolation of failing rules."""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.helpers import builtin_rules
from rumpolicy import engine
from rumpolicy.engine import NOT_APPLICABLE, Outcome, RuleError, Undecided, Violation, registry, rule, run
from rumpolicy.findings import Location, Severity
from rumpolicy.model import AppMonitor, Inventory, Node
from tests.conftest import ROOT

REQUIRED = ROOT / "tests" / "data" / "required_rules.txt"
REQUIREMENTS = ROOT.parent / "shared" / "RUM-REQUIREMENTS.md"


def required_rules() -> dict[str, str]:
    rows = [line.split() for line in REQUIRED.read_text().splitlines() if line and not line.startswith("#")]
    return {rule_id: severity for rule_id, severity in rows}


def test_every_required_rule_exists_with_its_default_severity():
    known = {r.id: r for r in registry()}
    known.update({alias: r for r in registry() for alias in r.aliases})
    for rule_id, severity in required_rules().items():
        assert rule_id in known, f"{rule_id} has no rule"
        if rule_id == known[rule_id].id:
            assert known[rule_id].severity.value == severity, rule_id


@pytest.mark.skipif(not REQUIREMENTS.is_file(), reason="the requirements live beside the checkout (../shared)")
def test_required_list_matches_the_requirements():
    text = REQUIREMENTS.read_text()
    section = text[text.index("### 3.1"):text.index("### 3.8")]
    ids = set()
    for entry in re.split(r"\n(?=\*\*RUM-)", section):
        match = re.match(r"\*\*(RUM-[A-Z]+-\d{3})", entry)
        if match and set(re.findall(r"`(error|warning|info)`", entry)) & {"error", "warning"}:
            ids.add(match.group(1))
    listed = {i for i in required_rules() if not i.startswith("RUM-SRC-")}
    assert listed == ids


def test_ids_names_and_files_are_consistent():
    for found in builtin_rules():
        assert re.fullmatch(r"RUM-[A-Z]+(-[A-Z]+)?-\d{3}", found.id)     # RUM-IAM-ORG-001 has two parts
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", found.name)
        module_file = Path(sys.modules[found.loaded().check.__module__].__file__)
        assert module_file.stem == found.name.replace("-", "_") == found.loaded().check.__name__, found.id
        assert module_file.parent.parent == ROOT / "rules", found.id
        for title in engine.DOC_SECTIONS:
            assert found.section(title), f"{found.id} lacks ## {title}"
    ids = [r.id for r in registry()]
    assert len(ids) == len(set(ids))


def test_duplicate_ids_are_fatal(monkeypatch, tmp_path):
    package = tmp_path / "dupes"
    package.mkdir()
    (package / "__init__.py").write_text("")
    body = ("from rumpolicy.engine import rule\nfrom rumpolicy.model import AppMonitor\n"
            "@rule(id='RUM-TEST-001', name='{name}', severity='error', subject=AppMonitor)\n"
            "def {func}(m):\n    '''x\n\n    ## What it checks\n    a\n\n    ## Why it matters\n    b\n\n"
            "    ## Fix\n    c\n    '''\n    return ()\n")
    (package / "a.py").write_text(body.format(name="one-rule", func="one_rule"))
    (package / "b.py").write_text(body.format(name="other-rule", func="other_rule"))
    monkeypatch.syspath_prepend(str(tmp_path))
    import rumpolicy.rules as rules_package
    monkeypatch.setattr(rules_package, "__path__", [str(package)])
    monkeypatch.setattr(rules_package, "__name__", "dupes")
    engine.registry.cache_clear()
    try:
        with pytest.raises(RuleError, match="duplicate rule id RUM-TEST-001"):
            engine.registry()
    finally:
        monkeypatch.undo()
        engine.registry.cache_clear()


def _monitor() -> AppMonitor:
    location = Location("t.yaml", "/Resources/M")
    return AppMonitor("M", location, "AWS::RUM::AppMonitor", name=Node("web", location))


@rule(id="RUM-TEST-001", name="always-crashes", severity=Severity.ERROR, subject=AppMonitor)
def always_crashes(monitor):
    """x"""
    raise KeyError("boom")
    yield  # pragma: no cover


@rule(id="RUM-TEST-002", name="always-fails", severity=Severity.WARNING, subject=AppMonitor)
def always_fails(monitor):
    """x"""
    yield Violation(monitor.name, "bad name")
    yield Violation(monitor, "worse", severity=Severity.ERROR)


@rule(id="RUM-TEST-003", name="never-decides", severity=Severity.ERROR, subject=AppMonitor)
def never_decides(monitor):
    """x"""
    yield Undecided(monitor, "cannot tell")


@rule(id="RUM-TEST-004", name="not-for-this", severity=Severity.ERROR, subject=AppMonitor)
def not_for_this(monitor):
    """x"""
    yield NOT_APPLICABLE


def test_a_crashing_rule_is_reported_and_the_others_still_run():
    inventory = Inventory(monitors=[_monitor()])
    src = [r for r in registry() if r.id in ("RUM-SRC-001", "RUM-SRC-003")]
    test_rules = [f.__rumpolicy_rule__ for f in (always_crashes, always_fails, never_decides, not_for_this)]
    result = run(inventory, test_rules + src)
    by_rule = {}
    for finding in result.findings:
        by_rule.setdefault(finding.rule_id, []).append(finding)
    assert [f.message for f in by_rule["RUM-SRC-003"]] == ["rule RUM-TEST-001 failed on M: KeyError: 'boom'"]
    assert by_rule["RUM-SRC-003"][0].location.source == "t.yaml"
    assert sorted((f.severity.value, f.message) for f in by_rule["RUM-TEST-002"]) == [
        ("error", "worse"), ("warning", "bad name")]
    assert [f.message for f in by_rule["RUM-SRC-001"]] == [
        "RUM-TEST-003 not checked for M: cannot tell"]
    assert result.outcomes[("RUM-TEST-001", "M", "t.yaml")] is Outcome.UNKNOWN
    assert result.outcomes[("RUM-TEST-002", "M", "t.yaml")] is Outcome.FAIL
    assert result.outcomes[("RUM-TEST-003", "M", "t.yaml")] is Outcome.UNKNOWN
    assert result.outcomes[("RUM-TEST-004", "M", "t.yaml")] is Outcome.NOT_APPLICABLE
    assert "KeyError" in result.failures[0].trace


def test_docs_are_current():
    proc = subprocess.run([sys.executable, "-m", "rumpolicy.docs", "--check"], capture_output=True, text=True,
                          cwd=ROOT, timeout=120)
    assert proc.returncode == 0, "docs/rules is stale; run `python -m rumpolicy.docs`\n" + proc.stderr


def test_wheel_ships_the_rules(tmp_path):
    """Build the wheel, import it from an unpacked copy outside the checkout, and list the rules."""
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                           "-w", str(tmp_path / "dist"), str(ROOT)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    wheel = next((tmp_path / "dist").glob("rumpolicy-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "rumpolicy/rules/trust/__init__.py" in names
    assert "rumpolicy/schemas/report.schema.json" in names
    unpacked = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(unpacked)
    code = ("import sys, rumpolicy; assert rumpolicy.__file__.startswith(sys.argv[1]), rumpolicy.__file__;"
            "from rumpolicy.engine import registry; print(len(registry()))")
    proc = subprocess.run([sys.executable, "-I", "-c", f"import sys; sys.path[:0] = [{str(unpacked)!r}]; " + code,
                           str(unpacked)], capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert int(proc.stdout) == len(registry())


def test_the_rule_modules_on_disk_are_those_pkgutil_finds(tmp_path, monkeypatch):
    import importlib
    import pkgutil

    import rumpolicy.rules as package
    from rumpolicy.engine import _modules_on_disk

    def walked(folders, prefix):
        return {info.name for info in pkgutil.walk_packages(folders, prefix + ".")
                if not info.name.rsplit(".", 1)[-1].startswith("_") and not info.ispkg}

    assert _modules_on_disk(package.__path__, package.__name__) == walked(package.__path__, package.__name__)
    # A made-up package: a top-level module, a nested package, private names, a folder that is no package.
    for path in ("__init__.py", "top.py", "_private.py", "area/__init__.py", "area/rule.py", "area/_helper.py",
                 "area/deep/__init__.py", "area/deep/inner.py", "notapackage/stray.py", "area/data.json"):
        (tmp_path / "fakerules" / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "fakerules" / path).write_text("")
    monkeypatch.syspath_prepend(str(tmp_path))
    fake = importlib.import_module("fakerules")
    assert _modules_on_disk(fake.__path__, "fakerules") == walked(fake.__path__, "fakerules") \
        == {"fakerules.top", "fakerules.area.rule", "fakerules.area.deep.inner"}
