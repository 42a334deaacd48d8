"""The linter conventions, end to end from the command line.

What users of ruff, cfn-lint and checkov expect: ``.`` when no path is named, ``-`` for standard input
(``--stdin-filename``), ``--exit-zero``, ``-q``/``-qq``, ``--statistics``, ``FORCE_COLOR``/``NO_COLOR``, a
fix under each finding, ``rumpolicy rule`` by id, name or cfn-lint id, ``--changed-since REF`` (a real
git repository), shell completion (a real bash), help with examples and exit statuses, and an audit that
tells an unreachable STS from rejected credentials (loopback servers only). Configuration discovery
and unknown settings: tests/test_config.py.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.conftest import ROOT, run_subprocess
from tests.helpers import isolate_aws

EXAMPLES = ROOT / "examples"
BROKEN = (EXAMPLES / "broken" / "rum-shop.yaml").read_text()
CORRECT = (EXAMPLES / "correct" / "rum-web.yaml").read_text()
# One warning (RUM-POOL-003): the classic flow is left on although only the enhanced flow is used.
WARNING_ONLY = CORRECT.replace("AllowClassicFlow: false", "AllowClassicFlow: true")
BROKEN_LINES = [
    "rum-shop.yaml:12:7: error RUM-POOL-002 ",
    "rum-shop.yaml:25:13: error RUM-TRUST-002 ",
    "rum-shop.yaml:35:17: error RUM-PERM-005 ",
    "rum-shop.yaml:36:17: warning RUM-PERM-004 ",
]


@pytest.fixture
def project(tmp_path, monkeypatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    return tmp_path


def finding_lines(out: str) -> list[str]:
    return [line for line in out.splitlines() if line and not line.startswith(" ")]


def stdin_bytes(monkeypatch, data: bytes) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data), encoding="utf-8"))


# --- `.` by default ---------------------------------------------------------------------------------

def test_without_a_path_the_current_folder_is_checked(cli, project):
    (project / "rum-shop.yaml").write_text(BROKEN)
    result = cli("check", "--no-fix")
    assert result.status == 1
    assert [line.split(" RUM-")[0] for line in finding_lines(result.out)[:-1]] == \
           [line.split(" RUM-")[0] for line in BROKEN_LINES]
    assert result.out.splitlines()[-1] == "3 errors, 1 warning, 0 info in 1 file checked"
    assert cli("check", "--format", "json").out == cli("check", ".", "--format", "json").out


# --- --exit-zero -------------------------------------------------------------------------------------

def test_exit_zero_forgives_findings_only(cli, project):
    (project / "rum-shop.yaml").write_text(BROKEN)
    result = cli("check", "--exit-zero")
    assert result.status == 0 and "RUM-TRUST-002" in result.out
    assert cli("check", "--exit-zero", "--fail-on", "info").status == 0
    # A usage error still exits 2.
    assert cli("check", "nope.yaml", "--exit-zero").status == 2
    (project / ".rumpolicy.yaml").write_text("fail-onn: error\n")
    assert cli("check", "--exit-zero").status == 2


def test_exit_zero_never_hides_a_defect_of_rumpolicy(cli, project, crashing_rule):
    (project / "rum-shop.yaml").write_text(BROKEN)
    result = cli("check", "--exit-zero")
    assert result.status == 3
    assert "RUM-SRC-003 rule RUM-MON-001 failed on ShopAppMonitor: KeyError: 'boom'" in result.out


# --- -q, -qq, --statistics --------------------------------------------------------------------------

def test_quiet_prints_the_findings_only(cli, project, tmp_path):
    (project / "rum-shop.yaml").write_text(BROKEN)
    quiet = cli("check", "-q", "--no-fix")
    assert quiet.status == 1
    assert [line.split(" RUM-")[0] + " RUM-" + line.split(" RUM-")[1].split(" ")[0] + " "
            for line in quiet.out.splitlines()] == BROKEN_LINES
    assert cli("check", "-q").out.startswith(quiet.out.splitlines()[0] + "\n  fix:\n")
    silent = cli("check", "-qq")
    assert silent.status == 1 and silent.out == "" and silent.err == ""
    # Other formats are what was asked for: -q changes the text report only.
    assert cli("check", "-qq", "--format", "json").json()["findings"]
    # Notes on stderr go too.
    recorded = cli("check", "--write-baseline", str(tmp_path / "baseline.json"))
    assert recorded.err.startswith("rumpolicy: recorded 4 findings")
    assert cli("check", "-q", "--write-baseline", str(tmp_path / "baseline.json")).err == ""
    # A clean run prints nothing at all.
    (project / "rum-shop.yaml").write_text(CORRECT)
    assert cli("check", "-q").out == ""


def test_statistics_counts_findings_per_rule_most_frequent_first(cli, project):
    (project / "a").mkdir()
    (project / "a" / "shop.yaml").write_text(BROKEN)
    (project / "b").mkdir()
    (project / "b" / "shop.yaml").write_text(BROKEN)
    (project / "web.yaml").write_text(WARNING_ONLY)
    result = cli("check", "--statistics")
    assert result.status == 1
    assert result.out.splitlines() == [
        "2  RUM-PERM-004   put-rum-events-wildcard-resource",
        "2  RUM-PERM-005   guest-role-grants-extra-actions",
        "2  RUM-POOL-002   classic-flow-disabled-for-basic-flow",
        "2  RUM-TRUST-002  guest-role-trust-missing-aud",
        "1  RUM-POOL-003   classic-flow-enabled-unused",
        "",
        "6 errors, 3 warnings, 0 info in 3 files checked",
    ]
    assert cli("check", "--statistics", "-q").out.splitlines() == result.out.splitlines()[:5]
    assert cli("check", "--statistics", "--select", "RUM-POOL-003", "-q").out == \
           "1  RUM-POOL-003  classic-flow-enabled-unused\n"


# --- fixes in the text report ------------------------------------------------------------------------

def test_the_fix_is_printed_under_each_finding(cli, project):
    (project / "rum-shop.yaml").write_text(BROKEN)
    text = cli("check").out.splitlines()
    findings = {f["rule_id"]: f for f in cli("check", "--format", "json").json()["findings"]}
    trust = next(i for i, line in enumerate(text) if " RUM-TRUST-002 " in line)
    snippet = findings["RUM-TRUST-002"]["remediation"].rstrip("\n").split("\n")
    assert text[trust + 1] == "  fix:"
    assert text[trust + 2: trust + 2 + len(snippet)] == ["    " + line for line in snippet]
    assert "!Ref ShopIdentityPool" in text[trust + 2 + snippet.index(next(s for s in snippet if "aud" in s))]
    no_fix = cli("check", "--no-fix").out
    assert "fix:" not in no_fix and finding_lines(no_fix) == finding_lines(cli("check").out)


def test_a_finding_without_a_fix_points_at_its_rule(cli, project):
    (project / "broken.yaml").write_text("Resources:\n  X: [unclosed\n")
    lines = cli("check").out.splitlines()
    assert lines[0].startswith("broken.yaml:2:6: error RUM-SRC-000 invalid YAML")
    assert lines[1] == "  fix: see `rumpolicy rule RUM-SRC-000`"


def test_a_long_fix_is_cut_and_a_fix_is_shown_escaped():
    from rumpolicy.engine import RunResult
    from rumpolicy.findings import Finding, Location, Severity, Span
    from rumpolicy.model.messages import Advice
    from rumpolicy.report import Report
    from rumpolicy.report.text import FIX_LINES, render

    long_fix = "".join(f"line {n}\n" for n in range(FIX_LINES + 5))
    findings = [
        Finding("RUM-PERM-004", "put-rum-events-wildcard-resource", Severity.WARNING, "m", "Role",
                Location("t.yaml", "/Resources/Role", Span(3, 5)), remediation=long_fix, fix=(Advice(long_fix),)),
        Finding("RUM-PERM-005", "guest-role-grants-extra-actions", Severity.ERROR, "n", "Role",
                Location("t.yaml", "/Resources/Role", Span(4, 5)), remediation="Sid: \x1b[2Jx\n",
                fix=(Advice("Sid: \x1b[2Jx"),)),
    ]
    lines = render(Report(RunResult(findings, {}), files_checked=1)).splitlines()
    assert lines[:3] == ["t.yaml:3:5: warning RUM-PERM-004 m", "  fix:", "    line 0"]
    assert lines[1 + FIX_LINES] == f"    line {FIX_LINES - 1}"
    assert lines[2 + FIX_LINES] == "    ... 5 more lines (the JSON report has the whole fix)"
    assert lines[3 + FIX_LINES:6 + FIX_LINES] == ["t.yaml:4:5: error RUM-PERM-005 n", "  fix:", "    Sid: \\x1b[2Jx"]


# --- colour: FORCE_COLOR, NO_COLOR, --no-color -------------------------------------------------------

@pytest.mark.parametrize("env, args, coloured", [
    ({"FORCE_COLOR": "1", "NO_COLOR": ""}, (), True),
    ({"FORCE_COLOR": "", "NO_COLOR": ""}, (), False),                # piped, and nothing forces it
    ({"FORCE_COLOR": "1", "NO_COLOR": "1"}, (), False),              # NO_COLOR wins
    ({"FORCE_COLOR": "1", "NO_COLOR": ""}, ("--no-color",), False),  # and the option over both
])
def test_force_color_colours_piped_output(env, args, coloured):
    result = run_subprocess("check", "examples/broken", "--no-config", *args, env=env)
    assert result.status == 1
    assert ("\033[31merror\033[0m" in result.out) is coloured
    assert ("\033[" in result.out) is coloured


def test_force_color_never_colours_a_file_or_a_machine_format(tmp_path):
    out = tmp_path / "report.txt"
    result = run_subprocess("check", "examples/broken", "--no-config", "--format", "text", "-o", str(out),
                            "--format", "json", env={"FORCE_COLOR": "1", "NO_COLOR": ""})
    assert result.status == 1, result.err
    assert "\033[" not in result.out and "\033[" not in out.read_text() and "RUM-TRUST-002" in out.read_text()


# --- standard input ----------------------------------------------------------------------------------

def test_standard_input_is_located_at_the_stdin_filename(cli, project, monkeypatch):
    stdin_bytes(monkeypatch, BROKEN.encode())
    result = cli("check", "-", "--stdin-filename", "infra/rum-shop.yaml", "--no-fix")
    assert result.status == 1, result.err
    assert [line.split(" RUM-")[0] + " " for line in finding_lines(result.out)[:-1]] == \
           ["infra/" + line.split(" RUM-")[0] + " " for line in BROKEN_LINES]
    assert result.out.splitlines()[-1] == "3 errors, 1 warning, 0 info in 1 file checked"
    # Nothing of that name has to exist; nothing is written there either.
    assert not (project / "infra").exists()


def test_standard_input_without_a_name(cli, project, monkeypatch):
    stdin_bytes(monkeypatch, BROKEN.encode())
    result = cli("check", "-", "--format", "json")
    assert {f["location"]["path"] for f in result.json()["findings"]} == {"<stdin>"}
    # --stdin-filename alone also reads standard input.
    stdin_bytes(monkeypatch, WARNING_ONLY.encode())
    alone = cli("check", "--stdin-filename", "web.yaml", "--format", "json", "--fail-on", "warning")
    assert alone.status == 1 and [f["location"]["path"] for f in alone.json()["findings"]] == ["web.yaml"]


def test_standard_input_takes_the_configuration_of_its_names_folder(cli, project, monkeypatch):
    (project / "infra").mkdir()
    (project / "infra" / ".rumpolicy.yaml").write_text("fail-on: warning\n")
    stdin_bytes(monkeypatch, WARNING_ONLY.encode())
    assert cli("check", "-", "--stdin-filename", "infra/web.yaml").status == 1
    stdin_bytes(monkeypatch, WARNING_ONLY.encode())
    assert cli("check", "-", "--stdin-filename", "web.yaml").status == 0
    # and its exclusions, as a named file's.
    (project / "infra" / ".rumpolicy.yaml").write_text("fail-on: warning\nexclude: [web.yaml]\n")
    stdin_bytes(monkeypatch, WARNING_ONLY.encode())
    excluded = cli("check", "-", "--stdin-filename", "infra/web.yaml")
    assert excluded.status == 0 and excluded.out == "0 errors, 0 warnings, 0 info in 0 files checked\n"


def test_standard_input_as_json_a_web_page_broken_or_too_large(cli, project, monkeypatch):
    from rumpolicy.load.source import SourceError  # noqa: F401 - the loader that reads it is the files'

    policy = (ROOT / "fixtures" / "inputs" / "iam" / "guest-role-wildcard-permissions.yaml").read_text()
    stdin_bytes(monkeypatch, policy.encode())
    from_stdin = cli("check", "-", "--stdin-filename", "policy.yaml", "--format", "json").json()["findings"]
    shutil.copy(ROOT / "fixtures" / "inputs" / "iam" / "guest-role-wildcard-permissions.yaml", project / "policy.yaml")
    from_file = cli("check", "policy.yaml", "--format", "json").json()["findings"]
    assert from_stdin == from_file and from_file
    stdin_bytes(monkeypatch, b"Resources:\n  X: [unclosed\n")
    broken = cli("check", "-", "--stdin-filename", "t.yaml", "--no-fix")
    assert broken.status == 1 and broken.out.startswith("t.yaml:2:6: error RUM-SRC-000 invalid YAML")
    stdin_bytes(monkeypatch, BROKEN.encode())
    large = cli("check", "-", "--stdin-filename", "t.yaml", "--max-file-size", "100", "--format", "json")
    assert [(f["rule_id"], f["location"]["path"]) for f in large.json()["findings"]] == [("RUM-SRC-000", "t.yaml")]
    assert "above the 0.0 MiB limit (--max-file-size)" in large.json()["findings"][0]["message"]


@pytest.mark.parametrize("args, message", [
    (("-", "examples"), "`-` (standard input) is checked on its own"),
    (("examples", "--stdin-filename", "x.yaml"), "--stdin-filename names standard input: give `-`"),
    (("-", "--changed-since", "HEAD"), "--changed-since selects files of a git tree"),
    (("-", "--stdin-filename", "main.tf"), "main.tf: Terraform is read one module (a folder) at a time"),
])
def test_standard_input_usage_errors_exit_2(cli, project, monkeypatch, args, message):
    stdin_bytes(monkeypatch, b"")
    result = cli("check", *args)
    assert result.status == 2 and message in result.err and result.out == ""


def test_standard_input_from_a_real_pipe():
    proc = subprocess.run([sys.executable, "-m", "rumpolicy", "check", "-", "--stdin-filename", "shop.yaml",
                           "--no-config", "-q", "--no-fix"], input=BROKEN.encode(), capture_output=True, cwd=ROOT,
                          timeout=60)
    assert proc.returncode == 1, proc.stderr
    assert [line.split(" RUM-")[0] + " " for line in proc.stdout.decode().splitlines()] == \
           [line.split(" RUM-")[0].replace("rum-shop.yaml", "shop.yaml") + " " for line in BROKEN_LINES]


# --- rumpolicy rule: id, name, cfn-lint id ----------------------------------------------------------

@pytest.mark.parametrize("named", ["RUM-TRUST-003", "rum-trust-003", "guest-role-trust-missing-amr",
                                   "guest_role_trust_missing_amr", "W90403", "w90403", "E90403"])
def test_rule_by_id_name_or_cfnlint_id(cli, named):
    result = cli("rule", named)
    assert result.status == 0, result.err
    assert result.out.startswith("# RUM-TRUST-003: guest-role-trust-missing-amr\n")


def test_the_cfnlint_ids_are_the_plugins():
    from rumpolicy.cfnlint_plugin import cfnlint_id
    from rumpolicy.cli import _named_rule
    from rumpolicy.engine import registry

    for found in registry():
        given = cfnlint_id(found)
        if given is not None:
            assert _named_rule(given) is found


def test_a_cfnlint_id_without_cfnlint_says_how_to_install_it():
    hidden = ("import runpy, sys; sys.modules.update(dict.fromkeys(('cfnlint', 'cfnlint.rules'), None)); "
              "runpy.run_module('rumpolicy', run_name='__main__', alter_sys=True)")

    def rule(named: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-c", hidden, "rule", named], capture_output=True, text=True,
                              cwd=ROOT, timeout=60)

    refused = rule("W90403")
    assert refused.returncode == 2 and refused.stdout == ""
    assert refused.stderr.startswith("rumpolicy: error: 'W90403' looks like a cfn-lint id")
    assert "pip install 'rumpolicy[cfn-lint]'" in refused.stderr
    # Ids and names need no cfn-lint.
    assert rule("guest-role-trust-missing-amr").stdout.startswith("# RUM-TRUST-003: ")


@pytest.mark.parametrize("named, suggestion", [
    ("RUM-TRST-003", "did you mean RUM-TRUST-003, "),
    ("guest-role-trust-missing-am", "did you mean guest-role-trust-missing-amr, "),
    ("zzzz", ""),
    ("W99999", ""),
])
def test_an_unknown_rule_exits_2_with_a_did_you_mean(cli, named, suggestion):
    result = cli("rule", named)
    assert result.status == 2 and result.out == ""
    assert result.err.startswith(f"rumpolicy: error: no rule {named!r}")
    assert suggestion in result.err and "(`rumpolicy rules` lists them)" in result.err
    assert ("did you mean" in result.err) is bool(suggestion)


# --- --changed-since REF: a real git repository -----------------------------------------------------

def git(repo: Path, *args: str) -> None:
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1", "GIT_AUTHOR_NAME": "t",
           "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, env=env, timeout=60)


@pytest.fixture
def repo(project) -> Path:
    """main: a/, b/, c/ and d/ broken templates; the branch `feature` changes b/, stages a change of c/,
    leaves one of d/ uncommitted and adds an untracked e/ and an ignored f/. main then changes a/."""
    git(project, "init", "-q", "-b", "main")
    for folder in "abcd":
        (project / folder).mkdir()
        (project / folder / "shop.yaml").write_text(BROKEN)
    (project / ".gitignore").write_text("f/\n")
    git(project, "add", ".")
    git(project, "commit", "-q", "-m", "base")
    git(project, "checkout", "-q", "-b", "feature")
    (project / "b" / "shop.yaml").write_text(BROKEN.replace("ShopAppMonitor", "ShopMonitor"))
    git(project, "commit", "-q", "-am", "b")
    git(project, "checkout", "-q", "main")
    (project / "a" / "shop.yaml").write_text(BROKEN.replace("ShopAppMonitor", "OtherMonitor"))
    git(project, "commit", "-q", "-am", "a on main")
    git(project, "checkout", "-q", "feature")
    (project / "c" / "shop.yaml").write_text(BROKEN + "\n")
    git(project, "add", "c/shop.yaml")
    (project / "d" / "shop.yaml").write_text(BROKEN + "\n")
    for folder in "ef":
        (project / folder).mkdir()
        (project / folder / "shop.yaml").write_text(BROKEN)
    return project


def paths(result) -> list[str]:
    return sorted({f["location"]["path"] for f in result.json()["findings"]})


def test_changed_since_reports_the_files_changed_since_the_merge_base(cli, repo):
    everything = cli("check", "--format", "json")
    assert paths(everything) == ["a/shop.yaml", "b/shop.yaml", "c/shop.yaml", "d/shop.yaml", "e/shop.yaml",
                                 "f/shop.yaml"]
    result = cli("check", "--changed-since", "main", "--format", "json")
    assert result.status == 1, result.err
    # b committed on the branch, c staged, d unstaged, e untracked; not a (changed on main after the
    # branch started) nor f (ignored).
    assert paths(result) == ["b/shop.yaml", "c/shop.yaml", "d/shop.yaml", "e/shop.yaml"]
    assert result.err == "rumpolicy: --changed-since main: 4 files changed; 8 findings in other files left out\n"
    # The whole tree was still loaded, and every finding kept is one the full run reports.
    assert result.json()["summary"]["files_checked"] == everything.json()["summary"]["files_checked"] == 6
    kept = {json.dumps(f, sort_keys=True) for f in result.json()["findings"]}
    assert kept <= {json.dumps(f, sort_keys=True) for f in everything.json()["findings"]}
    # From a folder below the root, and for a path inside the tree.
    os.chdir(repo / "b")
    assert paths(cli("check", "..", "--changed-since", "main", "--format", "json")) == \
           ["../b/shop.yaml", "../c/shop.yaml", "../d/shop.yaml", "../e/shop.yaml"]
    assert paths(cli("check", str(repo / "c"), "--changed-since", "main", "--format", "json")) == \
           [str(repo / "c" / "shop.yaml")]


def test_changed_since_with_nothing_changed_is_clean(cli, repo):
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "all")
    result = cli("check", "--changed-since", "HEAD", "-q")
    assert result.status == 0 and result.out == "" and result.err == ""
    assert cli("check", "--changed-since", "HEAD").out == "0 errors, 0 warnings, 0 info in 6 files checked\n"


@pytest.mark.parametrize("ref, message", [
    ("no-such-branch", "--changed-since: 'no-such-branch' names no commit of "),
    ("--output=x", "--changed-since: '--output=x' is not a revision"),
])
def test_changed_since_a_bad_ref_exits_2(cli, repo, ref, message):
    result = cli("check", f"--changed-since={ref}")
    assert result.status == 2 and result.err.startswith(f"rumpolicy: error: {message}") and result.out == ""


def test_changed_since_outside_a_git_repository_exits_2(cli, project, monkeypatch):
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(project.parent))
    (project / "shop.yaml").write_text(BROKEN)
    result = cli("check", "--changed-since", "main")
    assert result.status == 2 and result.out == ""
    assert result.err.startswith(f"rumpolicy: error: --changed-since: {project} is not in a git repository")


def test_changed_since_keeps_findings_related_to_a_changed_file(tmp_path):
    from rumpolicy.cli import _only_changed
    from rumpolicy.engine import RunResult
    from rumpolicy.findings import Finding, Location, Severity
    from rumpolicy.report import Report

    changed, unchanged = tmp_path / "monitor.yaml", tmp_path / "role.json"

    def finding(rule_id: str, at: Path, *related: Path) -> Finding:
        return Finding(rule_id, "n", Severity.ERROR, "m", "s", Location(str(at)),
                       related=tuple(Location(str(r)) for r in related))

    findings = [finding("RUM-TRUST-002", unchanged, changed), finding("RUM-TRUST-003", unchanged),
                finding("RUM-SRC-003", unchanged), finding("RUM-PERM-004", changed)]
    report = Report(RunResult(findings, {}), files_checked=2)
    kept = _only_changed(report, {os.path.realpath(changed)}, argparse.Namespace(quiet=1, changed_since="main"))
    assert [f.rule_id for f in kept.result.findings] == ["RUM-TRUST-002", "RUM-SRC-003", "RUM-PERM-004"]


# --- shell completion -------------------------------------------------------------------------------

def bash(script: str, body: str) -> str:
    proc = subprocess.run(["bash", "--norc", "--noprofile", "-c", f"source {script}\n{body}"], capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


@pytest.fixture(scope="module")
def bash_script(tmp_path_factory) -> str:
    if shutil.which("bash") is None:
        pytest.skip("bash is not installed")
    script = tmp_path_factory.mktemp("completion") / "rumpolicy.bash"
    result = run_subprocess("completion", "bash")
    assert result.status == 0
    script.write_text(result.out)
    return str(script)


def complete(bash_script: str, *words: str) -> list[str]:
    quoted = " ".join(f"'{w}'" for w in ("rumpolicy", *words))
    out = bash(bash_script, f"COMP_WORDS=({quoted}); COMP_CWORD={len(words)}; _rumpolicy; "
                            'printf "%s\\n" "${COMPREPLY[@]}"')
    return [line for line in out.splitlines() if line]


def test_bash_completion_is_registered(bash_script):
    assert bash(bash_script, "complete -p rumpolicy").strip() == "complete -o default -F _rumpolicy rumpolicy"


@pytest.mark.parametrize("words, expected", [
    (("ch",), ["check"]),
    (("",), ["check", "fix", "init", "audit", "rules", "rule", "completion", "-h", "--help", "--version"]),
    (("check", "--fo"), ["--format"]),
    (("check", "--format", "s"), ["sarif"]),
    (("check", "--fail-on", ""), ["error", "warning", "info"]),
    (("check", "infra", "--exit"), ["--exit-zero"]),
    (("check", "--std"), ["--stdin-filename"]),
    (("check", "--changed"), ["--changed-since"]),
    (("audit", "--retry-mode", ""), ["standard", "adaptive"]),
    (("rule", "RUM-TRUST-00"), [f"RUM-TRUST-00{n}" for n in range(1, 8)]),
    (("rule", "guest-role-trust-missing-am"), ["guest-role-trust-missing-amr"]),
    (("completion", ""), ["bash", "zsh", "fish"]),
    (("check", "--config", ""), []),          # a path: bash's own file name completion (-o default)
])
def test_bash_completion_completes_commands_options_and_values(bash_script, words, expected):
    assert complete(bash_script, *words) == expected


def test_every_option_of_the_parser_is_completed(bash_script):
    from rumpolicy.cli import build_parser

    parser = build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices
    for name, sub in commands.items():
        offered = set(complete(bash_script, name, "-"))
        assert {flag for action in sub._actions for flag in action.option_strings} == offered, name


@pytest.mark.parametrize("shell", ["zsh", "fish"])
def test_zsh_and_fish_scripts(shell):
    result = run_subprocess("completion", shell)
    assert result.status == 0
    for command in ("check", "fix", "init", "audit", "rules", "rule", "completion"):
        assert command in result.out
    assert "changed-since" in result.out and "RUM-TRUST-003" in result.out
    if shutil.which(shell) is not None:        # syntax only: -n parses without running
        proc = subprocess.run([shell, "-n"], input=result.out, capture_output=True, text=True, timeout=60)
        assert proc.returncode == 0, proc.stderr


def test_completion_of_an_unknown_shell_is_a_usage_error(cli):
    assert cli("completion", "powershell").status == 2


# --- help: examples and exit statuses ---------------------------------------------------------------

@pytest.mark.parametrize("command", [(), ("check",), ("fix",), ("init",), ("audit",), ("rules",), ("rule",),
                                     ("completion",)])
def test_help_shows_examples(command):
    result = run_subprocess(*command, "--help")
    assert result.status == 0
    examples = result.out.split("\nexamples:\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert examples and all(line.startswith("  ") for line in examples)
    assert all("rumpolicy " in line for line in examples if not line.startswith("   "))
    if command in ((), ("check",), ("audit",)):
        assert "exit status:\n  0    " in result.out and "--exit-zero turns 1 into 0 only" in result.out


def test_check_help_documents_the_conventions():
    out = " ".join(run_subprocess("check", "--help").out.split())
    for option in ("--exit-zero", "-q, --quiet", "--statistics", "--stdin-filename", "--changed-since", "--no-fix",
                   "FORCE_COLOR", "`-` reads standard input", "default: the current folder"):
        assert option in out, option


# --- audit: STS unreachable or rejecting the credentials --------------------------------------------

@pytest.fixture
def aws_env(monkeypatch, tmp_path):
    """Fake credentials and empty AWS configuration files: nothing can reach real AWS."""
    isolate_aws(monkeypatch, tmp_path)
    monkeypatch.chdir(tmp_path)
    return monkeypatch


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_audit_says_when_sts_cannot_be_reached(cli, aws_env):
    port = closed_port()
    aws_env.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{port}")
    result = cli("audit", "--region", "us-east-1", "--max-attempts", "1")
    assert result.status == 2 and result.out == ""
    assert result.err.startswith(f"rumpolicy: error: cannot reach STS at http://127.0.0.1:{port}/ (could not "
                                 "connect): check the network, a proxy (HTTPS_PROXY), the region"), result.err
    assert "credentials" not in result.err.split("AWS_ENDPOINT_URL")[0]


class _Rejecting(BaseHTTPRequestHandler):
    """STS refusing every request's credentials with ``code`` (a query-protocol error)."""

    code = "InvalidClientTokenId"
    seen: list[str] = []

    def do_POST(self):  # noqa: N802 - http.server's name
        body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
        type(self).seen.append(body)
        error = (f'<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type>'
                 f"<Code>{self.code}</Code><Message>The security token included in the request is invalid."
                 "</Message></Error><RequestId>4e1f2a3b-0000-4000-8000-000000000000</RequestId></ErrorResponse>")
        payload = error.encode()
        self.send_response(403)
        self.send_header("Content-Type", "text/xml")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


@pytest.mark.parametrize("code", ["InvalidClientTokenId", "SignatureDoesNotMatch", "ExpiredToken"])
def test_audit_says_when_sts_rejects_the_credentials(cli, aws_env, code):
    handler = type("Handler", (_Rejecting,), {"code": code, "seen": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        aws_env.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{server.server_address[1]}")
        result = cli("audit", "--region", "us-east-1", "--max-attempts", "1")
    finally:
        server.shutdown()
        server.server_close()
    assert result.status == 2 and result.out == ""
    assert result.err.startswith(f"rumpolicy: error: credentials rejected by STS: {code}: The security token "
                                 "included in the request is invalid. (check --profile"), result.err
    assert ["Action=GetCallerIdentity" in body for body in handler.seen] == [True]


def test_audit_without_credentials(cli, aws_env):
    aws_env.delenv("AWS_ACCESS_KEY_ID")
    aws_env.delenv("AWS_SECRET_ACCESS_KEY")
    aws_env.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{closed_port()}")
    result = cli("audit", "--region", "us-east-1", "--max-attempts", "1")
    assert result.status == 2 and result.err.startswith("rumpolicy: error: no AWS credentials found")


def test_identity_failure_words_other_failures_as_before():
    from rumpolicy.audit.sessions import identity_failure
    from rumpolicy.load.live_read import CallFailed

    assert identity_failure(None) is None
    assert identity_failure(CallFailed("sts:GetCallerIdentity", "Throttling", "slow down")) is None
    assert identity_failure(CallFailed("rum:ListAppMonitors", "InvalidClientTokenId", "x")) is None
    assert identity_failure(CallFailed("sts:GetCallerIdentity", "ExpiredToken", "")).startswith(
        "credentials rejected by STS: ExpiredToken (check")
