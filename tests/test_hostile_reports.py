"""Every report format on hostile input: it is always written, and the input cannot forge any of it.

The input is a template whose app monitor name and policy ``Sid`` carry a newline followed by a GitHub
workflow command, a terminal escape, a bidi override, HTML, a backtick, a pipe and a lone surrogate
(legal JSON: ``"\\ud800"``), in a file whose name carries the same, beside a file whose name is not UTF-8.
Each test runs ``rumpolicy check`` as a user would (a subprocess) and compares what the report shows with
the findings the JSON report lists for the same run.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.conftest import ROOT

FORMATS = ("text", "json", "sarif", "junit", "github", "gitlab", "markdown")
HOSTILE = "web\n::error file=x::forged\r\x1b[2J\x9b\u202e\u2066<script>alert(1)</script>`|# x\ud800"
HOSTILE_NAME = "evil\n::error file=y::forged\x1b[2J\u202e.json"
NOT_UTF8_NAME = b"bad\xff.json"
# What may never reach a report raw: controls (but the line breaks a format itself writes), bidi, surrogates.
RAW_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def _template(evil: str) -> dict:
    role = {"Fn::GetAtt": ["Role", "Arn"]}
    return {"AWSTemplateFormatVersion": "2010-09-09", "Resources": {
        "Pool": {"Type": "AWS::Cognito::IdentityPool",
                 "Properties": {"AllowUnauthenticatedIdentities": True, "AllowClassicFlow": False}},
        "Role": {"Type": "AWS::IAM::Role", "Properties": {
            "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Principal": {"Federated": "cognito-identity.amazonaws.com"},
                "Action": "sts:AssumeRoleWithWebIdentity"}]},
            "Policies": [{"PolicyName": "p", "PolicyDocument": {"Version": "2012-10-17", "Statement": [
                {"Sid": evil, "Effect": "Allow", "Action": "rum:*", "Resource": "*"}]}}]}},
        "Attachment": {"Type": "AWS::Cognito::IdentityPoolRoleAttachment", "Properties": {
            "IdentityPoolId": {"Ref": "Pool"}, "Roles": {"unauthenticated": role}}},
        "Monitor": {"Type": "AWS::RUM::AppMonitor", "Properties": {
            "Name": evil, "Domain": "shop.example.com",
            "AppMonitorConfiguration": {"IdentityPoolId": {"Ref": "Pool"}, "GuestRoleArn": role}}}}}


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("hostile")
    # json.dumps escapes the surrogate as \ud800: the file is valid UTF-8 JSON holding a lone surrogate.
    (folder / HOSTILE_NAME).write_text(json.dumps(_template(HOSTILE)), "utf-8")
    with open(os.path.join(os.fsencode(folder), NOT_UTF8_NAME), "w", encoding="utf-8") as handle:
        handle.write(json.dumps(_template("plain")))
    return folder


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "rumpolicy", "check", *args, "--no-config"], cwd=ROOT,
                          capture_output=True, timeout=120, env={**os.environ, "NO_COLOR": "1"})


@pytest.fixture(scope="module")
def findings(hostile) -> list[dict]:
    proc = _run(str(hostile), "--format", "json")
    assert proc.returncode == 1 and proc.stderr == b""
    return json.loads(proc.stdout.decode("utf-8"))["findings"]


def test_the_hostile_input_reaches_the_reports(findings):
    assert any(HOSTILE[:20] in f["message"] and f["rule_id"] == "RUM-MON-001" for f in findings)
    assert any(f["location"]["path"].endswith(HOSTILE_NAME) for f in findings)
    assert any(f["location"]["path"].endswith(os.fsdecode(NOT_UTF8_NAME)) for f in findings)


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_is_written_to_stdout_and_to_a_file(hostile, fmt, tmp_path, findings):
    out = tmp_path / f"report.{fmt}"
    to_stdout = _run(str(hostile), "--format", fmt)
    to_file = _run(str(hostile), "--format", fmt, "-o", str(out))
    for proc in (to_stdout, to_file):
        assert proc.returncode == 1, proc.stderr
        assert proc.stderr == b""
    for data in (to_stdout.stdout, out.read_bytes()):
        text = data.decode("utf-8")                     # strict: every byte is UTF-8
        assert not RAW_UNSAFE.search(text), RAW_UNSAFE.search(text)
        if fmt in ("json", "sarif", "gitlab"):
            document = json.loads(text)
            listed = {"json": lambda d: d["findings"], "sarif": lambda d: d["runs"][0]["results"],
                      "gitlab": lambda d: d}[fmt](document)
            assert len(listed) == len(findings)
        if fmt == "junit":
            ET.fromstring(data)


def _lines(fmt: str, hostile: Path) -> list[str]:
    proc = _run(str(hostile), "--format", fmt)
    assert proc.returncode == 1 and proc.stderr == b""
    return proc.stdout.decode("utf-8").split("\n")


def test_text_has_one_line_per_finding_and_no_terminal_escapes(hostile, findings):
    lines = _lines("text", hostile)
    finding_line = re.compile(r"^.+: (error|warning|info) RUM-[A-Z]+(-[A-Z]+)?-\d{3} ")
    shown = [line for line in lines if finding_line.match(line)]
    assert len(shown) == len(findings)
    # Everything else is a blank separator, a fix (indented under its finding), the summary or the trailing
    # newline: nothing was forged at the start of a line.
    assert [line for line in lines if line and not finding_line.match(line) and not line.startswith("  ")] \
        == [lines[-2]]
    assert lines[-2].startswith(f"{sum(f['severity'] == 'error' for f in findings)} errors")
    assert all("\x1b" not in line and "\u202e" not in line for line in lines)
    assert any("\\x1b[2J" in line and "\\u202e" in line and "\\ud800" in line for line in shown)
    assert any(os.fsdecode(NOT_UTF8_NAME).replace("\udcff", "\\udcff") in line for line in shown)


def test_github_has_exactly_one_workflow_command_per_finding(hostile, findings):
    lines = _lines("github", hostile)
    commands = [line for line in lines if line.startswith("::")]
    assert len(commands) == len(findings)
    assert all(re.match(r"^::(error|warning|notice) file=[^:\n]*,line=\d+,col=\d+,title=RUM-[A-Z0-9-]+::", c)
               for c in commands)
    assert [line for line in lines if line and not line.startswith("::")] == [lines[-2]]
    assert lines[-2].startswith("rumpolicy: ")
    forged_file = [c for c in commands if "forged" in c.split("::", 2)[1]]
    assert forged_file and all("evil%0A%3A%3Aerror file=y%3A%3Aforged" in c for c in forged_file)


def test_markdown_escapes_html_backticks_pipes_and_line_starts(hostile, findings):
    lines = _lines("markdown", hostile)
    # Outside code spans (where `<script>` is shown as written, never run) HTML is escaped.
    outside_code = [re.sub(r"(?<![\\`])(`+)(?!`)(.+?)(?<![`\\])\1(?!`)", "", line) for line in lines]
    assert any("<script>" in line for line in lines)
    assert not any(re.search(r"(?<!\\)</?script", line) for line in outside_code)
    assert any("\\<script\\>" in line for line in outside_code)
    start = lines.index("## Findings")
    rows = [line for line in lines[start:] if line.startswith("| ") and not line.startswith("| Severity")]
    assert len(rows) == len(findings)
    unescaped_pipe = re.compile(r"(?<!\\)\|")
    assert all(len(unescaped_pipe.findall(row)) == 6 for row in rows), rows
    # No line starts a structure the report did not write: headings, lists, tables, paragraphs of ours; in a
    # Mermaid picture only the statements the report writes, with labels of safe characters and entity codes.
    label = r'"(?:[A-Za-z0-9 _.:/@,=+*$-]|#\d+;|<br/>)*"'
    statement = re.compile(rf"flowchart LR|  [a-z_]+\[{label}\]|  [a-z_]+ (?:-->|-\.->)\|{label}\| [a-z_]+"
                           r"|  linkStyle \d+ [a-z0-9:,-]+|  classDef [a-z]+ [a-z0-9:, -]+|  class [a-z_]+ [a-z]+")
    in_picture = False
    for line in lines:
        if in_picture:
            in_picture = line != "```"
            assert not in_picture or statement.fullmatch(line), line
            continue
        in_picture = line == "```mermaid"
        assert line == "" or line.startswith(("#", "| ", "|---", "**", "`", "- ", "Not checked:", "None.")), line
    assert not any(line.startswith("::") for line in lines)
    headings = [line for line in lines if line.startswith("### App monitor ")]
    hostile_heading = [h for h in headings if "forged" in h]
    assert hostile_heading and all(h.count("``") >= 2 or h.count("`") >= 2 for h in hostile_heading)


def test_junit_keeps_one_failure_per_failing_check_and_only_xml_characters(hostile, findings):
    proc = _run(str(hostile), "--format", "junit")
    root = ET.fromstring(proc.stdout)
    failures = root.findall(".//failure")
    failing_checks = {(f["location"]["path"], f["rule_id"], f["subject"]) for f in findings
                      if f["severity"] == "error"}
    assert len(failures) == len(failing_checks)
    for failure in failures:
        assert "\n" not in failure.get("message")
        assert len((failure.text or "").split("\n")) <= sum(1 for f in findings)
    names = [suite.get("name") for suite in root.findall("testsuite")]
    assert any(name.endswith("evil\\n::error file=y::forged\\x1b[2J\\u202e.json") for name in names), names


def test_gitlab_and_sarif_keep_the_values_exactly(hostile, findings):
    gitlab = json.loads(_run(str(hostile), "--format", "gitlab").stdout.decode("utf-8"))
    assert any(HOSTILE in issue["description"] for issue in gitlab)       # the surrogate survives as \ud800
    sarif = json.loads(_run(str(hostile), "--format", "sarif").stdout.decode("utf-8"))
    uris = [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in sarif["runs"][0]["results"]]
    assert any(uri.endswith("bad%FF.json") for uri in uris)              # the name's own bytes
    assert any(uri.endswith("evil%0A%3A%3Aerror%20file%3Dy%3A%3Aforged%1B%5B2J%E2%80%AE.json") for uri in uris)


def test_a_baseline_records_hostile_findings(hostile, tmp_path, findings):
    baseline = tmp_path / "baseline.json"
    written = _run(str(hostile), "--write-baseline", str(baseline))
    assert written.returncode == 0 and b"Traceback" not in written.stderr
    json.loads(baseline.read_text("utf-8"))
    again = _run(str(hostile), "--baseline", str(baseline))
    assert again.returncode == 0 and again.stderr == b""
