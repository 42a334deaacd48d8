"""Suppressions by comment (YAML, HCL), CloudFormation metadata and configuration, each with a reason."""

from __future__ import annotations

import json

import jsonschema
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from tests.conftest import ROOT, examples

EXAMPLES = ROOT / "examples"
BROKEN = (EXAMPLES / "broken" / "rum-shop.yaml").read_text()
BROKEN_TF = (EXAMPLES / "terraform" / "broken" / "main.tf").read_text()
REPORT_SCHEMA = json.loads((ROOT / "rumpolicy" / "schemas" / "report.schema.json").read_text())
PERM5_LINE = "                Action: rum:*\n"          # RUM-PERM-005, line 35 of the broken example


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


def check(cli, *args: str) -> tuple[int, dict]:
    result = cli("check", *args, "--format", "json")
    report = result.json()
    jsonschema.validate(report, REPORT_SCHEMA)
    return result.status, report


def active(report: dict) -> list[tuple[str, int | None]]:
    return [(f["rule_id"], f["location"]["line"]) for f in report["findings"] if not f["suppressed"]]


def suppressed(report: dict) -> dict[str, dict]:
    return {f["rule_id"]: f["suppression"] for f in report["findings"] if f["suppressed"]}


def with_lines(text: str, replacements: dict[str, str]) -> str:
    for old, new in replacements.items():
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    return text


def test_comment_above_and_at_the_end_of_the_line(cli, workdir):
    (workdir / "t.yaml").write_text(with_lines(BROKEN, {
        PERM5_LINE: "                # rumpolicy: ignore RUM-PERM-005 -- denied by an SCP (SEC-1)\n" + PERM5_LINE,
        '                Resource: "*"\n': '                Resource: "*"  # rumpolicy: ignore RUM-PERM-004 -- shared role\n',
    }))
    status, report = check(cli, "t.yaml")
    assert status == 1                                   # POOL-002 and TRUST-002 are still errors
    assert active(report) == [("RUM-POOL-002", 12), ("RUM-TRUST-002", 25)]
    assert suppressed(report)["RUM-PERM-005"] == {
        "kind": "comment", "reason": "denied by an SCP (SEC-1)",
        "location": {"path": "t.yaml", "line": 35, "column": 17, "pointer": ""}}
    assert suppressed(report)["RUM-PERM-004"]["reason"] == "shared role"
    assert report["summary"]["suppressed"] == 2 and report["summary"]["findings"] == 2
    text = cli("check", "t.yaml").out
    assert "RUM-PERM-005" not in text and "2 suppressed (--show-suppressed lists them)" in text
    shown = cli("check", "t.yaml", "--show-suppressed").out
    assert "t.yaml:36:17: error RUM-PERM-005 `rum:*` grants" in shown
    assert "[suppressed by comment: denied by an SCP (SEC-1)]" in shown


def test_suppressed_findings_do_not_fail_the_run(cli, workdir):
    (workdir / "t.yaml").write_text(with_lines(BROKEN, {
        "      AllowClassicFlow: false\n": "      AllowClassicFlow: false  # rumpolicy: ignore RUM-POOL-002 -- x\n",
        "            Condition:\n": "            # rumpolicy: ignore RUM-TRUST-002 -- audience checked by the SCP\n"
                                   "            Condition:\n",
        PERM5_LINE: "                # rumpolicy: ignore RUM-PERM-005, RUM-PERM-004 -- y\n" + PERM5_LINE,
        '                Resource: "*"\n': '                # rumpolicy: ignore RUM-PERM-004 -- z\n                Resource: "*"\n',
    }))
    status, report = check(cli, "t.yaml")
    # The combined comment names RUM-PERM-004, which is not reported on its line.
    assert active(report) == [("RUM-SRC-004", 36)]
    (finding,) = [f for f in report["findings"] if not f["suppressed"]]
    assert finding["message"] == "the comment suppression of `RUM-PERM-004` suppresses no finding"
    assert finding["severity"] == "warning"
    assert status == 0                                   # a warning, below --fail-on error
    assert cli("check", "t.yaml", "--fail-on", "warning").status == 1


def test_stacked_comments_and_a_comment_without_reason(cli, workdir):
    (workdir / "t.yaml").write_text(with_lines(BROKEN, {
        PERM5_LINE: "                # rumpolicy: ignore RUM-PERM-005 -- first\n"
                    "                # rumpolicy: ignore RUM-TRUST-002\n" + PERM5_LINE,
    }))
    status, report = check(cli, "t.yaml")
    assert suppressed(report) == {"RUM-PERM-005": {"kind": "comment", "reason": "first", "location": {
        "path": "t.yaml", "line": 35, "column": 17, "pointer": ""}}}
    src = [f for f in report["findings"] if f["rule_id"] == "RUM-SRC-004"]
    assert [(f["location"]["line"], f["message"]) for f in src] == [
        (36, "the comment suppression of `RUM-TRUST-002` gives no reason, so it does not take effect")]
    assert status == 1


def test_a_comment_above_a_resource_key_covers_that_line_only(cli, workdir):
    (workdir / "t.yaml").write_text(with_lines(BROKEN, {
        "  ShopGuestRole:\n": "  # rumpolicy: ignore RUM-PERM-005 -- wrong place\n  ShopGuestRole:\n"}))
    _, report = check(cli, "t.yaml")
    assert suppressed(report) == {}
    assert ("RUM-PERM-005", 36) in active(report) and ("RUM-SRC-004", 14) in active(report)


def test_unknown_and_unsuppressible_ids(cli, workdir):
    (workdir / "t.yaml").write_text(with_lines(BROKEN, {
        PERM5_LINE: "                # rumpolicy: ignore RUM-PERM-555, RUM-SRC-004 -- typo\n" + PERM5_LINE}))
    _, report = check(cli, "t.yaml")
    (finding,) = [f for f in report["findings"] if f["rule_id"] == "RUM-SRC-004"]
    assert finding["message"] == ("the comment suppression names `RUM-PERM-555`, `RUM-SRC-004`, which is not a "
                                  "rule that can be suppressed")


def test_hcl_comments(cli, workdir):
    (workdir / "main.tf").write_text(with_lines(BROKEN_TF, {
        "  # The monitor hands out": "  # rumpolicy: ignore RUM-POOL-002 -- the basic flow is being retired\n"
                                    "  # The monitor hands out",
    }).replace('          Resource = "*"', '          Resource = "*" // rumpolicy: ignore RUM-PERM-004 -- shared'))
    _, report = check(cli, "main.tf")
    assert suppressed(report)["RUM-POOL-002"]["reason"] == "the basic flow is being retired"
    assert suppressed(report)["RUM-PERM-004"]["reason"] == "shared"
    assert [rule for rule, _ in active(report)] == ["RUM-TRUST-002", "RUM-PERM-005"]


def test_resource_metadata_beside_other_rumpolicy_settings(cli, workdir):
    text = with_lines(BROKEN, {
        "Resources:\n": "Metadata:\n  rumpolicy:\n    region: eu-west-1\nResources:\n",
        "  ShopGuestRole:\n    Type: AWS::IAM::Role\n": (
            "  ShopGuestRole:\n    Type: AWS::IAM::Role\n    Metadata:\n      rumpolicy:\n        ignore:\n"
            "          - id: RUM-PERM-005\n            reason: denied by an SCP\n"
            "          - {id: RUM-TRUST-002}\n"),
        "  ShopAppMonitor:\n    Type: AWS::RUM::AppMonitor\n": (
            "  ShopAppMonitor:\n    Type: AWS::RUM::AppMonitor\n    Metadata:\n      rumpolicy:\n"
            "        authorization: external\n        ignore: [{id: RUM-MON-002, reason: nothing to suppress}]\n"),
    })
    (workdir / "t.yaml").write_text(text)
    _, report = check(cli, "t.yaml")
    assert suppressed(report)["RUM-PERM-005"]["location"]["pointer"] == "/Resources/ShopGuestRole/Metadata/rumpolicy/ignore/0"
    assert suppressed(report)["RUM-PERM-005"]["location"]["line"] == 22
    messages = {f["location"]["line"]: f["message"] for f in report["findings"] if f["rule_id"] == "RUM-SRC-004"}
    assert messages[24] == "the metadata suppression of `RUM-TRUST-002` gives no reason, so it does not take effect"
    assert "`RUM-MON-002` suppresses no finding" in messages[max(messages)]
    assert "RUM-TRUST-002" in [rule for rule, _ in active(report)]


def test_metadata_that_is_not_a_list(cli, workdir):
    (workdir / "t.yaml").write_text(with_lines(BROKEN, {
        "  ShopGuestRole:\n    Type: AWS::IAM::Role\n":
            "  ShopGuestRole:\n    Type: AWS::IAM::Role\n    Metadata:\n      rumpolicy:\n        ignore: RUM-PERM-005\n"}))
    _, report = check(cli, "t.yaml")
    (finding,) = [f for f in report["findings"] if f["rule_id"] == "RUM-SRC-004"]
    assert finding["location"]["line"] == 18 and "must be a list" in finding["message"]


def test_configuration_entries(cli, workdir):
    (workdir / "legacy").mkdir()
    (workdir / "legacy" / "old.yaml").write_text(BROKEN)
    (workdir / "new.yaml").write_text(BROKEN)
    (workdir / ".rumpolicy.yaml").write_text(
        "suppress:\n"
        "  - id: RUM-PERM-005\n    paths: [legacy/]\n    reason: the legacy account has an SCP\n"
        "  - id: RUM-PERM-004\n    paths: ['legacy/**']\n"
        "  - id: RUM-MON-001\n    paths: ['legacy/**']\n    reason: nothing to suppress\n"
        "  - id: RUM-MON-002\n    paths: ['nowhere/**']\n    reason: out of scope of this run\n")
    status, report = check(cli, ".")
    sup = [(f["rule_id"], f["location"]["path"]) for f in report["findings"] if f["suppressed"]]
    assert sup == [("RUM-PERM-005", "legacy/old.yaml")]
    assert ("RUM-PERM-005", 35) in active(report)          # new.yaml is not covered
    src = {f["location"]["line"]: f["message"] for f in report["findings"] if f["rule_id"] == "RUM-SRC-004"}
    assert src == {5: "the config suppression of `RUM-PERM-004` gives no reason, so it does not take effect",
                   7: "the config suppression of `RUM-MON-001` suppresses no finding"}
    assert all(f["location"]["path"] == ".rumpolicy.yaml" for f in report["findings"] if f["rule_id"] == "RUM-SRC-004")
    assert status == 1


def test_a_suppression_of_a_rule_that_did_not_run_is_not_judged(cli, workdir):
    (workdir / "t.yaml").write_text(with_lines(BROKEN, {
        PERM5_LINE: "                # rumpolicy: ignore RUM-PERM-005 -- accepted\n" + PERM5_LINE}))
    _, report = check(cli, "t.yaml", "--select", "RUM-TRUST-002,RUM-SRC-004")
    assert active(report) == [("RUM-TRUST-002", 25)]
    _, report = check(cli, "t.yaml", "--ignore", "RUM-SRC-004")
    assert not [f for f in report["findings"] if f["rule_id"] == "RUM-SRC-004"]


def test_json_files_have_no_comments(cli, workdir):
    policy = '{"Version": "2012-10-17", "Statement": [{"Sid": "x", "Effect": "Allow", "Action": "rum:*", ' \
             '"Resource": "*", "Condition": {"StringEquals": {"aws:Ref": " # rumpolicy: ignore RUM-PERM-005 -- no"}}}]}'
    (workdir / "p.json").write_text(policy)
    _, report = check(cli, "p.json", "--app-monitor", "arn:aws:rum:us-east-1:123456789012:appmonitor/web")
    assert suppressed(report) == {}


# --- configuration entries at scale: the path index chooses candidates, pathspec still decides -------

SEGMENTS = st.sampled_from(["legacy", "stacks", "svc-1", "a", "A", "x.yaml", "main.tf", ".hidden", "b c"])
GLOB_SEGMENTS = st.one_of(SEGMENTS, st.sampled_from(["*", "**", "?", "*.yaml", "[ab]", "x*", "\\*", "svc-?", ""]))


def _glob(parts: list[str], negated: bool, trailing_slash: bool, rooted: bool) -> str:
    text = "/".join(parts)
    return ("!" if negated else "") + ("/" if rooted else "") + text + ("/" if trailing_slash else "")


GLOBS = st.builds(_glob, st.lists(GLOB_SEGMENTS, min_size=1, max_size=4), st.booleans(), st.booleans(), st.booleans())


@settings(max_examples=examples(200), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(entry_paths=st.lists(st.lists(GLOBS, max_size=3), min_size=1, max_size=6),
       files=st.lists(st.lists(SEGMENTS, min_size=1, max_size=4), min_size=1, max_size=4))
def test_the_path_index_agrees_with_pathspec_on_every_entry(tmp_path, entry_paths, files):
    import pathspec

    from rumpolicy.findings import Location
    from rumpolicy.suppress import ConfigSuppression, _PathIndex

    from rumpolicy.config import ConfigError, _check_glob

    try:
        for pattern in (p for paths in entry_paths for p in paths):
            _check_glob(pattern, lambda: "paths")
    except ConfigError:
        assume(False)          # the configuration refuses it: the index never sees it
    entries = [ConfigSuppression(("RUM-PERM-004",), "r", tuple(paths), tmp_path, Location(".rumpolicy.yaml", "", None))
               for paths in entry_paths]
    index = _PathIndex(entries)
    for parts in files:
        relative = "/".join(parts)
        expected = {position for position, entry in enumerate(entries)
                    if not entry.paths or pathspec.GitIgnoreSpec.from_lines(entry.paths).match_file(relative)}
        assert index.matching(str(tmp_path / relative)) == expected, relative


def test_many_configuration_entries_each_judged_on_its_own(cli, workdir):
    """Entries sharing a rule and a folder: the first with a reason suppresses; each unused one is reported."""
    (workdir / "legacy").mkdir()
    (workdir / "legacy" / "old.yaml").write_text(BROKEN)
    entries = "".join(f"  - id: RUM-PERM-005\n    paths: ['legacy/team-{i}/**']\n    reason: r{i}\n" for i in range(300))
    (workdir / ".rumpolicy.yaml").write_text(
        "suppress:\n" + entries +
        "  - id: RUM-PERM-005\n    paths: ['*.yaml']\n"                                 # line 902: no reason
        "  - id: RUM-PERM-005\n    paths: ['legacy/']\n    reason: the SCP\n"            # line 904: applies
        "  - id: RUM-PERM-005\n    paths: ['**/old.yaml']\n    reason: also\n"           # line 907: also matches
        "  - id: RUM-PERM-004\n    paths: ['aws://123456789012']\n    reason: live only\n")
    _, report = check(cli, ".")
    assert suppressed(report) == {"RUM-PERM-005": {"kind": "config", "reason": "the SCP", "location": {
        "path": ".rumpolicy.yaml", "line": 904, "column": 5, "pointer": "/suppress/301"}}}
    src = {f["location"]["line"]: f["message"] for f in report["findings"] if f["rule_id"] == "RUM-SRC-004"}
    # The one that also matched did suppress (it is not unused); the `aws://` entry is left to audits.
    assert src == {902: "the config suppression of `RUM-PERM-005` gives no reason, so it does not take effect"}


@pytest.mark.parametrize("path, text, expected", [
    # (line written, column, ids, reason, line covered, malformed)
    ("t.yaml", "a: 1  # rumpolicy: ignore RUM-PERM-004 -- shared\n",
     [(1, 7, ("RUM-PERM-004",), " shared", 1, False)]),
    ("t.yaml", "# rumpolicy: ignore RUM-PERM-004, RUM-PERM-005 -- x\n# other\n\nb: 2\n",
     [(1, 1, ("RUM-PERM-004", "RUM-PERM-005"), " x", 3, False)]),
    ("t.yaml", "a: 1  // rumpolicy: ignore RUM-PERM-004 -- YAML has no // comments\n", []),
    ("main.tf", "  x = 1 // rumpolicy: ignore RUM-PERM-004 -- hcl\n", [(1, 9, ("RUM-PERM-004",), " hcl", 1, False)]),
    ("app.js", "// rumpolicy: ignore\nnew AwsRum();\n", [(1, 1, (), "", 2, True)]),
    ("p.json", '{"a": "# rumpolicy: ignore RUM-PERM-004 -- no comments in JSON"}\n', []),
])
def test_the_loaders_comment_marks(path, text, expected):
    """What the loaders find in a file's text as they read it (rumpolicy.load.suppressions)."""
    from rumpolicy.load.suppressions import comment_marks

    marks = comment_marks(path, text)
    assert [(m.location.line, m.location.column, m.ids, m.reason, m.line, m.malformed is not None)
            for m in marks] == expected
    assert all(m.kind == "comment" and m.source == path and m.pointer is None for m in marks)


def test_the_loaders_metadata_marks():
    from rumpolicy.load.source import parse_text
    from rumpolicy.load.suppressions import metadata_marks

    text = ("Resources:\n  Role:\n    Type: AWS::IAM::Role\n    Metadata:\n      rumpolicy:\n        ignore:\n"
            "          - {id: RUM-PERM-005, reason: an SCP}\n          - just text\n"
            "  Pool:\n    Type: AWS::Cognito::IdentityPool\n    Metadata: {rumpolicy: {ignore: RUM-POOL-002}}\n")
    marks = metadata_marks("t.yaml", parse_text(text, "t.yaml"))
    assert [(m.location.pointer, m.location.line, m.ids, m.reason, m.pointer, m.malformed is not None)
            for m in marks] == [
        ("/Resources/Role/Metadata/rumpolicy/ignore/0", 7, ("RUM-PERM-005",), "an SCP", "/Resources/Role", False),
        ("/Resources/Role/Metadata/rumpolicy/ignore/1", 8, (), None, "/Resources/Role", True),
        ("/Resources/Pool/Metadata/rumpolicy/ignore", 11, (), None, "/Resources/Pool", True)]
