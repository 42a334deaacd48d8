"""Several reports in one run: how ``--format`` and ``-o`` pair, and the GitLab code-quality format."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest

from tests.conftest import ROOT

EXAMPLES = ROOT / "examples"


def test_text_to_stdout_and_sarif_to_a_file(cli, tmp_path):
    out = tmp_path / "out.sarif"
    result = cli("check", "examples/broken", "--format", "text", "--format", "sarif", "-o", str(out))
    assert result.status == 1
    assert result.out.startswith("examples/broken/rum-shop.yaml:12:7: error RUM-POOL-002")
    assert json.loads(out.read_text())["version"] == "2.1.0"


def test_every_format_at_once(cli, tmp_path):
    args = ["check", "examples/broken", "--format", "json"]
    for name in ("sarif", "junit", "github", "gitlab", "text"):
        args += ["--format", name, "-o", str(tmp_path / name)]
    result = cli(*args)
    assert result.status == 1
    assert len(result.json()["findings"]) == 4
    assert len(json.loads((tmp_path / "sarif").read_text())["runs"][0]["results"]) == 4
    assert ET.fromstring((tmp_path / "junit").read_bytes()).get("failures") == "3"
    assert (tmp_path / "github").read_text().count("::") == 8
    assert (tmp_path / "text").read_text() == cli("check", "examples/broken").out


def test_o_without_format_writes_text(cli, tmp_path):
    result = cli("check", "examples/broken", "-o", str(tmp_path / "report.txt"))
    assert result.status == 1 and result.out == ""
    assert "error RUM-TRUST-002" in (tmp_path / "report.txt").read_text()


def test_dash_is_standard_output(cli, tmp_path):
    result = cli("check", "examples/broken", "--format", "github", "-o", "-", "--format", "json", "-o",
                 str(tmp_path / "r.json"))
    assert result.out.startswith("::error ")
    assert json.loads((tmp_path / "r.json").read_text())["summary"]["findings"] == 4


@pytest.mark.parametrize("args, message", [
    (("--format", "json", "--format", "sarif"), "more than one report would go to standard output"),
    (("-o", "a.json", "--format", "json"), "give -o after the --format it is for"),
    (("--format", "json", "-o", "a.json", "-o", "b.json"), "--format json already has an output"),
    (("--format", "json", "-o", "a", "--format", "sarif", "-o", "a"), "the same file is named for two reports"),
])
def test_pairing_errors_exit_2(cli, tmp_path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    result = cli("check", str(EXAMPLES / "broken"), *args)
    assert result.status == 2 and message in result.err and result.out == ""
    assert list(tmp_path.iterdir()) == []


def test_unwritable_output_exits_2_after_writing_the_others(cli, tmp_path):
    result = cli("check", "examples/broken", "--format", "sarif", "-o", str(tmp_path / "no" / "x.sarif"),
                 "--format", "json", "-o", str(tmp_path / "ok.json"))
    assert result.status == 2 and "cannot write" in result.err
    assert (tmp_path / "ok.json").is_file()


def test_gitlab_code_quality(cli, tmp_path):
    issues = json.loads(cli("check", "examples/broken", "--format", "gitlab").out)
    assert [(i["check_name"], i["severity"], i["location"]["lines"]["begin"]) for i in issues] == [
        ("RUM-POOL-002", "critical", 12), ("RUM-TRUST-002", "critical", 25), ("RUM-PERM-005", "critical", 35),
        ("RUM-PERM-004", "major", 36)]
    assert all(i["location"]["path"] == "examples/broken/rum-shop.yaml" for i in issues)
    fingerprints = {f["fingerprint"] for f in cli("check", "examples/broken", "--format", "json").json()["findings"]}
    # The baseline fingerprint and the occurrence among equal ones (tests/test_gitlab.py): each is the first.
    assert {i["fingerprint"] for i in issues} == {f"{fp}:1" for fp in fingerprints}
    suppressed = json.loads(cli("check", "fixtures/rules/RUM-SRC-004/good.yaml", "--format", "gitlab").out)
    assert suppressed == []
