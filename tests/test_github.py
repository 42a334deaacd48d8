"""``--format github``: workflow commands that GitHub turns into annotations."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from rumpolicy.report.github import escape_data, escape_property
from tests.conftest import ROOT

EXAMPLES = ROOT / "examples"
COMMAND = re.compile(r"^::(?P<kind>error|warning|notice)(?: (?P<props>[^:]*))?::(?P<message>.*)$")


def parse(line: str) -> tuple[str, dict[str, str], str]:
    match = COMMAND.match(line)
    assert match, line
    props = dict(p.split("=", 1) for p in match["props"].split(",")) if match["props"] else {}
    return match["kind"], props, match["message"]


def test_broken_example(cli):
    result = cli("check", "examples/broken", "--format", "github")
    assert result.status == 1
    lines = result.out.splitlines()
    commands = [parse(line) for line in lines if line.startswith("::")]
    assert lines[-1].startswith("rumpolicy: 3 error(s), 1 warning(s)")
    kind, props, message = next(c for c in commands if c[1]["title"] == "RUM-TRUST-002")
    assert kind == "error"
    assert props == {"file": "examples/broken/rum-shop.yaml", "line": "25", "col": "13", "title": "RUM-TRUST-002"}
    assert "`cognito-identity.amazonaws.com:aud`" in message       # `:` is not escaped in the message
    assert next(c for c in commands if c[1]["title"] == "RUM-PERM-004")[0] == "warning"


def test_escaping():
    assert escape_data("100% done\r\nnext") == "100%25 done%0D%0Anext"
    assert escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"


def test_escaped_values_from_a_path(cli, tmp_path, monkeypatch):
    folder = tmp_path / "a,b:c"
    folder.mkdir()
    (folder / "t.yaml").write_text((EXAMPLES / "broken" / "rum-shop.yaml").read_text())
    monkeypatch.chdir(tmp_path)
    out = cli("check", "a,b:c", "--format", "github").out
    assert "::error file=a%2Cb%3Ac/t.yaml,line=12,col=7,title=RUM-POOL-002::" in out


def test_info_is_a_notice_and_file_level_findings_have_no_line(cli, tmp_path):
    (tmp_path / "notes.json").write_text('{"name": "web"}')
    out = cli("check", str(tmp_path / "notes.json"), "--format", "github").out
    kind, props, _ = parse(out.splitlines()[0])
    assert kind == "notice" and "line" not in props and props["title"] == "RUM-SRC-002"


def test_suppressed_findings_are_not_annotated(cli):
    result = cli("check", "fixtures/rules/RUM-SRC-004/good.yaml", "--format", "github")
    assert result.status == 0
    assert not [line for line in result.out.splitlines() if line.startswith("::")]
    assert "3 suppressed" in result.out


def test_coverage_notices():
    from rumpolicy.engine import RunResult
    from rumpolicy.report import CoverageEntry, Report
    from rumpolicy.report.github import render

    report = Report(RunResult([], {}), files_checked=0,
                    coverage=(CoverageEntry("aws://123456789012/us-east-1", "not_checked", reason="AccessDenied: x"),))
    kind, props, message = parse(render(report, root=ROOT).splitlines()[0])
    assert kind == "notice" and props["title"] == "rumpolicy coverage"
    assert message == "aws://123456789012/us-east-1: not checked, 0 app monitor(s): AccessDenied: x"


def _unescape(text: str) -> str:
    for escaped, raw in (("%0D", "\r"), ("%0A", "\n"), ("%3A", ":"), ("%2C", ","), ("%25", "%")):
        text = text.replace(escaped, raw)
    return text


@given(st.text())
def test_escaping_round_trips_and_leaves_no_separators(text):
    prop = escape_property(text)
    assert not set(prop) & {"\r", "\n", ":", ","}
    assert _unescape(prop) == text
    assert "\n" not in escape_data(text) and _unescape(escape_data(text)) == text
