"""A configuration with 60,000 ``suppress`` entries: read once, and every entry still judged and applied.

Behaviour only; the time it takes is measured by ``benchmarks/suppressions.py``.
"""

from __future__ import annotations

import shutil

import pytest

import rumpolicy.load.source
from tests.conftest import ROOT

ENTRIES = 60_000
RULES = ("RUM-PERM-004", "RUM-POOL-003", "RUM-TRUST-002", "RUM-RBP-005", "RUM-POOL-002")


def _write_config(path) -> dict[str, int]:
    """60,000 entries, none of the first 59,998 about the checked file; the line of each named entry.

    Entry 7 names the checked file's folder and then takes it back with a negation; entry 59,998
    matches the checked file but a subject it does not have; entry 59,999 (the 60,000th) applies.
    The reasons make the file larger than the 5 MiB limit on inputs, which a configuration is not.
    """
    lines = ["suppress:"]
    named: dict[str, int] = {}

    def entry(name: str | None, *body: str) -> None:
        if name:
            named[name] = len(lines) + 1
        lines.extend(body)

    for i in range(ENTRIES - 2):
        rule = RULES[i % len(RULES)]
        reason = f"    reason: accepted for team {i} until the 2027 migration (RISK-{i})"
        if i == 7:
            entry("negated", "  - id: RUM-POOL-002", '    paths: ["stacks/**", "!stacks/broken/**"]', reason)
        elif i % 5 == 0:
            entry(None, f"  - id: {rule}", f'    paths: ["legacy/team-{i}/**", "stacks/{i}/*.yaml"]', reason)
        elif i % 5 == 1:
            entry(None, f"  - id: {rule}", f'    paths: ["aws://{100000000000 + i}/*"]', reason)
        elif i % 5 == 2:
            entry(None, f"  - id: {rule}", f'    paths: ["svc-{i}/"]',
                  f'    subjects: ["arn:aws:iam::*:role/team-{i}-*"]', reason)
        elif i % 5 == 3:
            entry(None, f"  - id: {rule}", f'    paths: ["**/module-{i}/*.tf", "*.json"]', reason)
        else:
            entry(None, f"  - id: {rule}", f'    paths: ["stacks/broken-{i}/**"]', reason)
    entry("unused", "  - id: RUM-PERM-004", '    paths: ["stacks/broken/*.yaml"]', '    subjects: ["NoSuchRole*"]',
          "    reason: matches the checked file, but no finding about this subject")
    entry("last", "  - id: RUM-PERM-005", '    paths: ["stacks/**/rum-shop.yaml"]',
          "    reason: the 60,000th entry")
    path.write_text("\n".join(lines) + "\n")
    return named


@pytest.fixture
def parses(monkeypatch):
    """The paths ``parse_text`` is called with, during the test."""
    calls: list[str] = []
    original = rumpolicy.load.source.parse_text

    def counted(text: str, path: str):
        calls.append(path)
        return original(text, path)

    monkeypatch.setattr(rumpolicy.load.source, "parse_text", counted)
    return calls


@pytest.mark.bench
def test_sixty_thousand_entries_are_read_once_and_the_last_still_applies(cli, tmp_path, monkeypatch, parses):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "stacks" / "broken").mkdir(parents=True)
    shutil.copy(ROOT / "examples" / "broken" / "rum-shop.yaml", tmp_path / "stacks" / "broken")
    config = tmp_path / ".rumpolicy.yaml"
    lines = _write_config(config)
    assert config.stat().st_size > 5 * 2**20

    # `.` holds the configuration file too: it is walked past, not read again as an input.
    result = cli("check", ".", "--format", "json")
    assert result.status == 1, result.err
    assert sum(1 for path in parses if path.endswith(".rumpolicy.yaml")) == 1
    findings = {(f["rule_id"], f["suppressed"]): f for f in result.json()["findings"]}

    assert findings["RUM-PERM-005", True]["suppression"] == {
        "kind": "config", "reason": "the 60,000th entry",
        "location": {"path": ".rumpolicy.yaml", "line": lines["last"], "column": 5,
                     "pointer": f"/suppress/{ENTRIES - 1}"}}
    # The negation takes the broken stack back out of entry 7.
    assert ("RUM-POOL-002", False) in findings
    # Of 60,000 entries, only the one that matches the checked file and suppresses nothing is reported:
    # the others name paths that no checked file has.
    unused = [f for f in result.json()["findings"] if f["rule_id"] == "RUM-SRC-004"]
    assert [(f["location"]["line"], f["location"]["pointer"]) for f in unused] == [
        (lines["unused"], f"/suppress/{ENTRIES - 2}")]
    assert "suppresses no finding" in unused[0]["message"]
    assert sorted(rule for rule, suppressed in findings if not suppressed) == [
        "RUM-PERM-004", "RUM-POOL-002", "RUM-SRC-004", "RUM-TRUST-002"]
