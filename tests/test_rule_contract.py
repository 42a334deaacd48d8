"""The rule contract: what registration refuses, the retired-id ledger, plugins, and the test helper."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from rumpolicy import engine
from rumpolicy.engine import RuleError, builtin, registry

from tests.helpers import assert_findings

ROOT = Path(__file__).resolve().parent.parent
DOC = "    '''x\n\n    ## What it checks\n    a\n\n    ## Why it matters\n    b\n\n    ## Fix\n    c\n    '''\n"


def _package(tmp_path: Path, monkeypatch, **modules: str) -> None:
    """Point the rules package at a folder of these modules, for the next ``registry()``."""
    for name in [m for m in sys.modules if m == "trial_rules" or m.startswith("trial_rules.")]:
        monkeypatch.delitem(sys.modules, name)       # each test's trial package is its own
    package = tmp_path / "trial_rules"
    package.mkdir()
    (package / "__init__.py").write_text("")
    for name, body in modules.items():
        (package / f"{name}.py").write_text(textwrap.dedent(body))
    monkeypatch.syspath_prepend(str(tmp_path))
    import rumpolicy.rules as rules_package
    monkeypatch.setattr(rules_package, "__path__", [str(package)])
    monkeypatch.setattr(rules_package, "__name__", "trial_rules")
    engine.registry.cache_clear()


@pytest.fixture
def trial(tmp_path, monkeypatch):
    yield lambda **modules: _package(tmp_path, monkeypatch, **modules)
    monkeypatch.undo()
    engine.registry.cache_clear()


HEAD = "from rumpolicy.engine import Violation, rule\nfrom rumpolicy.model import AppMonitor, Inventory\n"


def _rule(rule_id="RUM-TEST-001", name="trial-rule", subject="AppMonitor", messages="{'m': 'text'}", doc=DOC):
    return (HEAD + f"@rule(id={rule_id!r}, name={name!r}, severity='error', subject={subject}, messages={messages})\n"
            f"def {name.replace('-', '_')}(m):\n{doc}    return ()\n")


def test_a_well_formed_rule_registers(trial):
    trial(a=_rule())
    assert [r.id for r in engine.registry()] == ["RUM-TEST-001"]


@pytest.mark.parametrize("body, error", [
    (_rule(subject="str"), "cannot hand it a 'str'"),
    (_rule(doc="    '''only a summary'''\n"), "no '## What it checks' section"),
    (_rule(messages="{'m': {'terraform': 'x'}}"), "no 'default' wording"),
    (_rule(messages="{'m': 'unclosed {brace'}"), "bad template"),
    (_rule(messages="{'m': {'klingon': 'x', 'default': 'y'}}"), "names no dialect 'klingon'"),
    (_rule(rule_id="RUM-test-1"), "is not of the form RUM-AREA-NNN"),
])
def test_registration_refuses_a_broken_rule(trial, body, error):
    trial(a=body)
    with pytest.raises(RuleError, match=error):
        engine.registry()


def test_duplicate_ids_are_refused(trial):
    trial(a=_rule(name="one-rule"), b=_rule(name="other-rule"))
    with pytest.raises(RuleError, match="duplicate rule id RUM-TEST-001"):
        engine.registry()


def test_a_retired_id_is_never_given_again(trial, monkeypatch):
    import rumpolicy.rules._retired as ledger
    monkeypatch.setattr(ledger, "RETIRED", {"RUM-TEST-001": "split into RUM-TEST-002 and RUM-TEST-003"})
    trial(a=_rule())
    with pytest.raises(RuleError, match="RUM-TEST-001 is retired"):
        engine.registry()


def test_a_rule_module_missing_from_the_index_still_runs(trial):
    """A stale index costs time, never a rule: modules it does not list are imported and registered."""
    trial(a=_rule(), b=_rule(rule_id="RUM-TEST-002", name="second-rule"))
    assert [r.id for r in engine.registry()] == ["RUM-TEST-001", "RUM-TEST-002"]


def test_the_index_matches_the_rules():
    from rumpolicy.rules._index import RULES

    assert tuple(engine.index_row(r) for r in engine.import_builtin()) == RULES


def test_a_stale_index_row_is_refused(monkeypatch):
    indexed = next(r for r in registry() if r.id == "RUM-TRUST-002")
    from dataclasses import replace
    stale = replace(indexed, severity=engine.Severity.INFO, check=None)
    monkeypatch.setattr(engine, "_IMPORTED", {})
    with pytest.raises(RuleError, match="the rule index is stale for RUM-TRUST-002"):
        stale.loaded()


def test_a_run_imports_only_the_rule_modules_its_inputs_need():
    code = ("import sys\nfrom rumpolicy.api import check\n"
            f"check([{str(ROOT / 'examples' / 'correct' / 'rum-web.yaml')!r}])\n"
            "print(sorted(m for m in sys.modules if m.startswith('rumpolicy.rules.')))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    imported = eval(proc.stdout)
    assert not any(".web_client." in m for m in imported), imported     # no web client in a template
    assert any(".trust." in m for m in imported)


def test_built_in_rules_all_have_message_tables():
    assert [r.id for r in registry() if builtin(r) and not r.loaded().messages] == []


def test_a_plugin_installed_by_pip_registers_its_rules(tmp_path):
    """A tiny distribution with a ``rumpolicy.rules`` entry point, installed with pip into a folder on the path."""
    source = tmp_path / "src"
    (source / "rum_extra").mkdir(parents=True)
    (source / "rum_extra" / "__init__.py").write_text("")
    (source / "rum_extra" / "house.py").write_text(HEAD + textwrap.dedent('''
        @rule(id="RUM-HOUSE-001", name="house-monitor-name", severity="warning", subject=AppMonitor,
              messages={"prefix": "app monitor {monitor} is not named `web-*` as the house style says"})
        def house_monitor_name(monitor):
            """App monitors are named web-*.

            ## What it checks
            The name.

            ## Why it matters
            Dashboards.

            ## Fix
            Rename it.
            """
            if monitor.name is not None and not str(monitor.name.value).startswith("web-"):
                yield Violation(monitor.name, "prefix", monitor=monitor)
        '''))
    (source / "pyproject.toml").write_text(textwrap.dedent('''
        [build-system]
        requires = ["setuptools"]
        build-backend = "setuptools.build_meta"
        [project]
        name = "rum-extra"
        version = "1.0"
        [project.entry-points."rumpolicy.rules"]
        house = "rum_extra.house"
        [tool.setuptools]
        packages = ["rum_extra"]
        '''))
    target = tmp_path / "site"
    proc = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation",
                           "--no-index", "--target", str(target), str(source)], capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr
    template = ROOT / "examples" / "correct" / "rum-web.yaml"
    code = (f"import sys; sys.path.insert(0, {str(target)!r})\n"
            "from rumpolicy.cli import main\n"
            f"sys.exit(main(['check', '--no-config', '--fail-on', 'warning', {str(template)!r}]))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "RUM-HOUSE-001 app monitor" in proc.stdout and "is not named `web-*`" in proc.stdout


def test_assert_findings_checks_a_fixture_in_one_line():
    assert_findings(ROOT / "fixtures" / "rules" / "RUM-TRUST-002" / "bad.yaml", ["RUM-TRUST-002:26"],
                    rules=["RUM-TRUST-002"])
    with pytest.raises(AssertionError, match=r"missing \['RUM-TRUST-002:99'\]"):
        assert_findings(ROOT / "fixtures" / "rules" / "RUM-TRUST-002" / "bad.yaml", ["RUM-TRUST-002:99"],
                        rules=["RUM-TRUST-002"])
