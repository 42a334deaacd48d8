"""The cfn-lint plugin: the real ``cfn-lint --append-rules rumpolicy.cfnlint_plugin`` on the examples."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from rumpolicy.engine import registry
from tests.conftest import ROOT

CFN_LINT = Path(sys.executable).parent / "cfn-lint"
PARSEABLE = re.compile(r"^(?P<file>[^:]+):(?P<line>\d+):(?P<col>\d+):\d+:\d+:(?P<id>[EWI]\d+):(?P<message>.*)$")


def cfn_lint(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(CFN_LINT), "--append-rules", "rumpolicy.cfnlint_plugin", *args], cwd=ROOT,
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
