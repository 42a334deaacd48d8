"""The cfn-lint plugin: the real ``cfn-lint --append-rules rumpolicy.cfnlint_plugin`` on the examples,
and side by side with the real ``rumpolicy check FILE --format json`` on one template at a time."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from rumpolicy.engine import registry
from tests.conftest import ROOT, run_subprocess

CFN_LINT = Path(sys.executable).parent / "cfn-lint"
PARSEABLE = re.compile(r"^(?P<file>[^:]+):(?P<line>\d+):(?P<col>\d+):\d+:\d+:(?P<id>[EWI]\d+):(?P<message>.*)$")


def cfn_lint(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([str(CFN_LINT), "--append-rules", "rumpolicy.cfnlint_plugin", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=120)


def rumpolicy_lines(path: str) -> set[tuple[str, int, int]]:
    from rumpolicy.api import check

    return {(f.rule_id, f.location.line, f.location.column) for f in check([path]).findings}


def test_broken_example_reports_the_rum_findings_on_their_lines():
    proc = cfn_lint("--format", "parseable", "--", "examples/broken/rum-shop.yaml")
    matches = [PARSEABLE.match(line) for line in proc.stdout.splitlines()]
    assert all(matches), proc.stdout + proc.stderr
    rum = {(m["message"].split()[0], int(m["line"]), int(m["col"])): m["id"] for m in matches
           if m["message"].startswith("RUM-")}
    assert set(rum) == rumpolicy_lines("examples/broken/rum-shop.yaml")
    assert rum[("RUM-TRUST-002", 25, 13)] == "E90402"
    assert rum[("RUM-PERM-004", 36, 17)] == "W90504"
    # cfn-lint's exit status is a bit mask: 2 for errors, 4 for warnings.
    assert proc.returncode & 2 and proc.returncode & 4


def test_correct_example_is_clean():
    proc = cfn_lint("--", "examples/correct/rum-web.yaml")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_cfn_lint_ignore_checks_and_listing():
    from rumpolicy.cfnlint_plugin import cfnlint_id

    listed = cfn_lint("--list-rules").stdout
    for found in registry():
        if cfnlint_id(found) is None:
            # Only ids of the form RUM-AREA-NNN have a cfn-lint id (not e.g. RUM-IAM-ORG-001).
            assert found.id.count("-") == 3, found.id
            continue
        assert f"{cfnlint_id(found)}: {found.id} {found.name}" in listed
    ignored = cfn_lint("--format", "parseable", "--ignore-checks", "W905", "--", "examples/broken/rum-shop.yaml")
    assert "RUM-PERM-004" not in ignored.stdout and "RUM-PERM-005" in ignored.stdout


def test_a_severity_other_than_the_rule_default_is_in_the_message(tmp_path):
    # RUM-TRUST-003 is a warning when `amr` is missing and an error when it admits only `authenticated`.
    text = (ROOT / "examples" / "correct" / "rum-web.yaml").read_text()
    assert "cognito-identity.amazonaws.com:amr: unauthenticated" in text
    (tmp_path / "t.yaml").write_text(text.replace("cognito-identity.amazonaws.com:amr: unauthenticated",
                                                  "cognito-identity.amazonaws.com:amr: authenticated"))
    proc = cfn_lint("--format", "parseable", "--", str(tmp_path / "t.yaml"))
    assert re.search(r":W90403:RUM-TRUST-003 \(error\) ", proc.stdout), proc.stdout


def test_check_does_not_import_the_plugin():
    code = ("import sys; from rumpolicy.cli import main; main(['check', 'examples', '--format', 'sarif']); "
            "print('PLUGIN=' + str('rumpolicy.cfnlint_plugin' in sys.modules or 'cfnlint' in sys.modules))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert "PLUGIN=False" in proc.stdout


# --- side by side with `rumpolicy check FILE --format json` --------------------------------------------

BROKEN = (ROOT / "examples" / "broken" / "rum-shop.yaml").read_text("utf-8")
# cfn-lint's level is the letter of the rule's id (its default severity); a finding of another severity
# says so in its message, after the id.
LEVELS = {"Error": "error", "Warning": "warning", "Informational": "info"}
MESSAGE = re.compile(r"^(?P<id>RUM-[A-Z]+-\d{3})(?: \((?P<severity>error|warning|info)\))? ")


def edited(text: str, *replacements: tuple[str, str]) -> str:
    for old, new in replacements:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    return text


def as_json(yaml_text: str) -> str:
    """The template in JSON, as cfn-lint decodes it (short intrinsic forms in their long form)."""
    from cfnlint.decode.cfn_yaml import loads

    return json.dumps(loads(yaml_text), indent=2, default=str) + "\n"


WITH_COMMENTS = edited(
    BROKEN,
    ("      AllowClassicFlow: false\n",
     "      AllowClassicFlow: false   # rumpolicy: ignore RUM-POOL-002\n"),               # no reason: no effect
    ("                Action: rum:*\n",
     "                Action: rum:*   # rumpolicy: ignore RUM-PERM-005 -- denied by an SCP (SEC-1)\n"),
    ('                Resource: "*"\n',
     "                # rumpolicy: ignore RUM-PERM-004 -- one role serves every monitor (ADR-12)\n"
     "                # rumpolicy: ignore RUM-POOL-001 -- suppresses nothing here\n"
     '                Resource: "*"\n'))
WITH_METADATA = edited(
    BROKEN,
    ("  ShopGuestRole:\n    Type: AWS::IAM::Role\n",
     "  ShopGuestRole:\n    Type: AWS::IAM::Role\n"
     "    Metadata:\n      rumpolicy:\n        ignore:\n"
     "          - id: RUM-TRUST-002\n            reason: the pool id is checked by an SCP (SEC-2)\n"
     "          - id: RUM-PERM-005\n            reason: denied by an SCP (SEC-1)\n"
     "          - id: RUM-MON-001\n            reason: suppresses nothing here\n"))
CONFIG = """\
ignore: [RUM-POOL-002]
severity: {RUM-PERM-004: error, RUM-TRUST-002: warning}
suppress:
  - id: RUM-PERM-005
    paths: ["infra/**"]
    reason: denied by an SCP (SEC-1)
"""

# name: (files of the repository, the template checked)
CASES = {
    "plain": ({"infra/rum-shop.yaml": BROKEN}, "infra/rum-shop.yaml"),
    "correct": ({"rum-web.yaml": (ROOT / "examples" / "correct" / "rum-web.yaml").read_text("utf-8")},
                "rum-web.yaml"),
    "json": ({"rum-shop.json": as_json(BROKEN)}, "rum-shop.json"),
    "config: ignore, severity, suppress": ({".rumpolicy.yaml": CONFIG, "infra/rum-shop.yaml": BROKEN},
                                           "infra/rum-shop.yaml"),
    "pyproject: select": ({"pyproject.toml": '[tool.rumpolicy]\nselect = ["RUM-PERM-004", "RUM-TRUST-002"]\n',
                           "rum-shop.yaml": BROKEN}, "rum-shop.yaml"),
    "config: exclude": ({".rumpolicy.yaml": 'exclude: ["legacy/"]\n', "legacy/rum-shop.yaml": BROKEN},
                        "legacy/rum-shop.yaml"),
    "comments": ({"rum-shop.yaml": WITH_COMMENTS}, "rum-shop.yaml"),
    "metadata": ({"rum-shop.yaml": WITH_METADATA}, "rum-shop.yaml"),
    "config and suppressions": ({".rumpolicy.yaml": "severity: {RUM-SRC-004: error}\n",
                                 "infra/rum-shop.yaml": WITH_COMMENTS}, "infra/rum-shop.yaml"),
}


def repository(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, "utf-8")
    return tmp_path


def plugin_findings(repo: Path, template: str) -> set[tuple[str, int, int, str]]:
    proc = cfn_lint("--format", "json", "--", template, cwd=repo)
    assert proc.stderr == "", proc.stderr
    found = set()
    for match in json.loads(proc.stdout):
        message = MESSAGE.match(match["Message"])
        if message is None:
            continue                 # cfn-lint's own rules
        assert match["Filename"] == template
        start = match["Location"]["Start"]
        found.add((message["id"], start["LineNumber"], start["ColumnNumber"],
                   message["severity"] or LEVELS[match["Level"]]))
    return found


def check_findings(repo: Path, template: str) -> tuple[set[tuple[str, int, int, str]], list[dict]]:
    """The active findings of ``rumpolicy check TEMPLATE --format json`` in the template, and the others."""
    result = run_subprocess("check", template, "--format", "json", cwd=repo)
    assert result.status in (0, 1), result.err
    findings = result.json()["findings"]
    active = {(f["rule_id"], f["location"]["line"], f["location"]["column"], f["severity"]) for f in findings
              if not f["suppressed"] and f["location"]["path"] == template}
    return active, [f for f in findings if f["location"]["path"] != template]


@pytest.mark.parametrize("name", CASES)
def test_the_plugin_reports_what_check_reports(tmp_path, name):
    files, template = CASES[name]
    repo = repository(tmp_path, files)
    expected, elsewhere = check_findings(repo, template)
    assert plugin_findings(repo, template) == expected
    assert elsewhere == []
    if name not in ("correct", "config: exclude"):
        assert expected, "the case must report something"


def test_the_cases_exercise_what_they_name(tmp_path):
    """The side-by-side cases are not vacuous: each changes what is reported as its name says."""
    def check(name):
        files, template = CASES[name]
        return check_findings(repository(tmp_path / name.replace(":", "").replace(" ", "-"), files), template)[0]

    plain = check("plain")
    assert {f[0] for f in plain} == {"RUM-POOL-002", "RUM-TRUST-002", "RUM-PERM-005", "RUM-PERM-004"}
    assert check("config: ignore, severity, suppress") == {("RUM-TRUST-002", 25, 13, "warning"),
                                                           ("RUM-PERM-004", 36, 17, "error")}
    assert {f[0] for f in check("pyproject: select")} == {"RUM-TRUST-002", "RUM-PERM-004"}
    assert check("config: exclude") == set()
    comments = check("comments")
    # RUM-PERM-004 and -005 suppressed; RUM-POOL-002's comment has no reason, RUM-POOL-001's covers nothing.
    assert {f[0] for f in comments} == {"RUM-POOL-002", "RUM-TRUST-002", "RUM-SRC-004"}
    assert sorted(f[1] for f in comments if f[0] == "RUM-SRC-004") == [12, 37]
    assert {f for f in check("config and suppressions") if f[0] == "RUM-SRC-004"} == {
        ("RUM-SRC-004", 12, 33, "error"), ("RUM-SRC-004", 37, 17, "error")}
    metadata = check("metadata")
    assert {f[0] for f in metadata} == {"RUM-POOL-002", "RUM-PERM-004", "RUM-SRC-004"}


def test_the_configuration_is_found_from_the_template(tmp_path):
    """Run from elsewhere, cfn-lint still applies the configuration beside the template."""
    repo = repository(tmp_path / "repo", {".rumpolicy.yaml": "ignore: [RUM-PERM-004]\n", "rum-shop.yaml": BROKEN})
    (tmp_path / "elsewhere").mkdir()
    proc = cfn_lint("--format", "parseable", "--", str(repo / "rum-shop.yaml"), cwd=tmp_path / "elsewhere")
    assert "RUM-PERM-005" in proc.stdout and "RUM-PERM-004" not in proc.stdout, proc.stdout + proc.stderr


def test_an_invalid_configuration_is_one_error_not_a_pass(tmp_path):
    repo = repository(tmp_path, {".rumpolicy.yaml": "severity: {RUM-NOPE-999: error}\n", "rum-shop.yaml": BROKEN})
    assert run_subprocess("check", "rum-shop.yaml", cwd=repo).status == 2
    proc = cfn_lint("--format", "parseable", "--", "rum-shop.yaml", cwd=repo)
    rum = [line for line in proc.stdout.splitlines() if ":RUM-" in line]
    assert len(rum) == 1 and ":E90000:RUM-SRC-000 the rumpolicy configuration cannot be read" in rum[0], proc.stdout
    assert "RUM-NOPE-999" in rum[0]
    assert proc.returncode & 2


def test_cfn_lint_suppressions_still_apply_with_rumpolicy_positions(tmp_path):
    """A match handed back at its position keeps its path: cfn-lint's resource metadata still ignores it."""
    text = edited(BROKEN, ("  ShopGuestRole:\n    Type: AWS::IAM::Role\n",
                           "  ShopGuestRole:\n    Type: AWS::IAM::Role\n"
                           "    Metadata:\n      cfn-lint:\n        config:\n          ignore_checks: [W90504]\n"))
    repo = repository(tmp_path, {"rum-shop.yaml": text})
    proc = cfn_lint("--format", "parseable", "--", "rum-shop.yaml", cwd=repo)
    assert "RUM-PERM-005" in proc.stdout and "RUM-PERM-004" not in proc.stdout, proc.stdout


def test_the_readme_commands_and_cfnlintrc_run(tmp_path):
    """The README's cfn-lint section, as a fresh repository would use it."""
    import yaml

    section = (ROOT / "README.md").read_text("utf-8").split("\n## cfn-lint\n", 1)[1].split("\n## ", 1)[0]
    (command,) = re.findall(r"^(cfn-lint .+)$", section, re.M)
    (rc,) = [block for block in re.findall(r"```yaml\n(.*?)```", section, re.S) if "# .cfnlintrc.yaml" in block]
    repo = repository(tmp_path, {"infra/shop/rum-shop.yaml": BROKEN, "template.yaml": BROKEN, ".cfnlintrc.yaml": rc})
    args = command.split()[1:]
    assert args[:2] == ["--append-rules", "rumpolicy.cfnlint_plugin"]
    by_command = cfn_lint("--format", "parseable", *args[2:], cwd=repo)
    assert "RUM-TRUST-002" in by_command.stdout, by_command.stdout + by_command.stderr
    # With the .cfnlintrc.yaml alone, cfn-lint finds the templates and the plugin.
    assert yaml.safe_load(rc)["append_rules"] == ["rumpolicy.cfnlint_plugin"]
    proc = subprocess.run([str(CFN_LINT), "--format", "parseable"], cwd=repo, capture_output=True, text=True,
                          timeout=120)
    assert re.search(r"^infra/shop/rum-shop.yaml:25:13:.*:E90402:RUM-TRUST-002 ", proc.stdout, re.M), proc.stdout
