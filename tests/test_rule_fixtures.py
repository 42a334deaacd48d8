"""Every rule's bad fixture yields exactly the findings its ``# expect:`` comments name; good ones none.

``# expect: RUM-TRUST-003`` (several ids: comma-separated) names findings on the next line that is
not a comment; ``# expect-file: RUM-SRC-002`` names a finding about the whole file (no line).
``// expect: ...`` (JavaScript) and ``<!-- expect: ... -->`` (HTML) work the same way.
An id may name the finding's severity too, ``# expect: RUM-POOL-002 (info)``, where a rule reports
one requirement at several severities and the fixture is there to show which.
Every finding of every rule counts, info included, so a fixture cannot hide noise.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.helpers import builtin_rules
from rumpolicy.api import check
from rumpolicy.engine import registry

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures" / "rules"
COMMENT = ("#", "//", "<!--")
EXPECT = re.compile(r"(?:#|//|<!--)\s*expect:\s*(.+?)\s*(?:-->)?\s*$")
EXPECT_FILE = re.compile(r"(?:#|//|<!--)\s*expect-file:\s*(.+?)\s*(?:-->)?\s*$")
EXPECTED_ID = re.compile(r"^(?P<id>[A-Z0-9-]+)(?:\s*\((?P<severity>error|warning|info)\))?$")
# Rules that no input can trigger: they report defects of rumpolicy itself, tested elsewhere.
WITHOUT_FIXTURES = {"RUM-SRC-003": "tests/test_engine.py runs a crashing rule through the engine",
                    # Service control policies exist only in live accounts: no template carries them.
                    "RUM-IAM-ORG-001": "tests/audit/test_audit_org.py::test_scp_that_denies_guests_is_an_error"}


def _marked(path: Path) -> list[tuple[str, int, str | None]]:
    """(rule id, line, severity or None) for every ``expect`` marker of a fixture."""
    marked: list[tuple[str, int, str | None]] = []
    pending: list[tuple[str, str | None]] = []

    def parse(text: str) -> list[tuple[str, str | None]]:
        out = []
        for item in text.split(","):
            match = EXPECTED_ID.match(item.strip())
            assert match, f"{path}: cannot read the expect marker {item.strip()!r}"
            out.append((match.group("id"), match.group("severity")))
        return out

    for number, line in enumerate(path.read_text("utf-8").splitlines(), start=1):
        stripped = line.strip()
        whole_file = EXPECT_FILE.search(stripped)
        if stripped.startswith(COMMENT) and whole_file:
            marked.extend((rule_id, 0, severity) for rule_id, severity in parse(whole_file.group(1)))
            continue
        match = EXPECT.search(stripped)
        if stripped.startswith(COMMENT) and match:
            pending.extend(parse(match.group(1)))
            continue
        if stripped.startswith(COMMENT) or not stripped:
            continue
        marked.extend((rule_id, number, severity) for rule_id, severity in pending)
        pending = []
    return marked


def expected_findings(path: Path) -> set[tuple[str, int]]:
    return {(rule_id, line) for rule_id, line, _severity in _marked(path)}


def expected_severities(path: Path) -> set[tuple[str, int, str]]:
    return {(rule_id, line, severity) for rule_id, line, severity in _marked(path) if severity}


def _active(path: Path) -> list:
    # A finding suppressed with a reason stays in reports, marked; it is not a finding of the file.
    return [f for f in check([str(path)]).findings if not f.suppressed]


def actual_findings(path: Path) -> set[tuple[str, int]]:
    return {(f.rule_id, f.location.line or 0) for f in _active(path)}


def fixture_cases() -> list:
    cases = []
    for folder in sorted(p for p in FIXTURES.iterdir() if p.is_dir()):
        for name in ("bad", "good"):
            for file in sorted(folder.glob(f"{name}*")):
                cases.append(pytest.param(file, id=f"{folder.name}/{file.name}"))
    return cases


@pytest.mark.parametrize("path", fixture_cases())
def test_fixture(path: Path) -> None:
    expected = expected_findings(path) if path.name.startswith("bad") else set()
    found = _active(path)
    actual = {(f.rule_id, f.location.line or 0) for f in found}
    assert actual == expected, (
        f"\nmissing: {sorted(expected - actual)}\nunexpected: {sorted(actual - expected)}")
    severities = {(f.rule_id, f.location.line or 0, f.severity.value) for f in found}
    wrong = sorted(expected_severities(path) - severities) if path.name.startswith("bad") else []
    assert not wrong, f"\nreported at another severity: {wrong}\nfound: {sorted(severities)}"


def test_bad_fixture_names_its_rule() -> None:
    for folder in sorted(p for p in FIXTURES.iterdir() if p.is_dir()):
        ids = {rule_id for bad in folder.glob("bad*") for rule_id, _ in expected_findings(bad)}
        assert folder.name in ids, f"{folder.name}: bad fixture expects no {folder.name} finding"


def test_every_rule_has_fixtures() -> None:
    for found in builtin_rules():
        if found.id in WITHOUT_FIXTURES:
            continue
        folder = FIXTURES / found.id
        assert list(folder.glob("bad*")), f"{found.id} has no bad fixture"
        assert list(folder.glob("good*")), f"{found.id} has no good fixture"


def fixed_cases() -> list[Path]:
    return sorted([*FIXTURES.glob("*/fixed.yaml"), *FIXTURES.glob("*/fixed.tf")])


@pytest.mark.parametrize("fixed", fixed_cases(), ids=lambda p: f"{p.parent.name}-{p.suffix[1:]}")
def test_fixed_fixture(fixed: Path, tmp_path: Path, capsys) -> None:
    """`rumpolicy fix` on the rule's bad.yaml (bad.tf) writes exactly fixed.yaml (fixed.tf), and its rule no
    longer reports there."""
    from rumpolicy.cli import main
    from rumpolicy.model.messages import PRECISE

    found = {r.id: r for r in registry()}[fixed.parent.name]
    assert found.fix in ("safe", "unsafe"), f"{found.id} has a fixed fixture but declares no fix kind"
    target = tmp_path / f"bad{fixed.suffix}"
    target.write_bytes((fixed.parent / target.name).read_bytes())
    if fixed.suffix == ".tf" and not any(isinstance(e, PRECISE) for f in _active(target) if f.rule_id == found.id
                                         for e in f.fix):
        pytest.skip(f"{found.id} attaches no precise edit to Terraform findings yet")
    unsafe = ["--unsafe-fixes"] if found.fix == "unsafe" else []
    main(["fix", str(target), "--no-config", *unsafe])
    capsys.readouterr()
    assert target.read_text("utf-8") == fixed.read_text("utf-8")
    assert found.id not in {f.rule_id for f in _active(target)}


def test_rules_with_a_fix_have_a_fixed_fixture() -> None:
    for found in builtin_rules():
        if found.fix is not None:
            assert (FIXTURES / found.id / "fixed.yaml").is_file(), f"{found.id} has a fix but no fixed.yaml"
