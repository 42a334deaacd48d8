"""Discovery and recognition on hostile trees: nothing lost, nothing blamed, no traceback, no hang.

Every case runs ``rumpolicy check`` and asserts the exit status and the findings (id, file, line).
"""

from __future__ import annotations

import json
import os
import socket
import stat
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT, run_subprocess

# A template with one located finding: line 7, RUM-SRC-000 (`Statement` is a string).
BROKEN_ROLE = (
    "Resources:\n"
    "  Role:\n"
    "    Type: AWS::IAM::Role\n"
    "    Properties:\n"
    "      AssumeRolePolicyDocument:\n"
    "        Version: '2012-10-17'\n"
    "        Statement: 'x'\n"
)
CORRECT = (ROOT / "examples" / "correct" / "rum-web.yaml").read_text()


def findings(cli, *args: str) -> tuple[int, list[tuple[str, str, int | None, str]]]:
    result = cli("check", *args, "--format", "json", "--no-config")
    assert "Traceback" not in result.err, result.err
    report = json.loads(result.out)
    return result.status, sorted((f["rule_id"], Path(f["location"]["path"]).name, f["location"].get("line"),
                                  f["severity"]) for f in report["findings"])


def files_checked(cli, *args: str) -> int:
    return json.loads(cli("check", *args, "--format", "json", "--no-config").out)["summary"]["files_checked"]


# --- 1. recognition ------------------------------------------------------------------------------------

def test_template_behind_a_long_comment_banner_is_checked_when_walked(cli, tmp_path):
    banner = "".join(f"# {'=' * 70} licence line {i}\n" for i in range(100))   # > 4 KiB without a colon
    (tmp_path / "rum.yaml").write_text(banner + BROKEN_ROLE)
    status, found = findings(cli, str(tmp_path))
    assert (status, found) == (1, [("RUM-SRC-000", "rum.yaml", 107, "error")])


def test_walked_template_with_a_nul_byte_is_reported_at_the_nul(cli, tmp_path):
    (tmp_path / "nul.yaml").write_bytes(b"AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  X:\x00\n")
    (tmp_path / "ok.yaml").write_text(CORRECT)
    status, found = findings(cli, str(tmp_path))
    assert (status, found) == (1, [("RUM-SRC-000", "nul.yaml", 3, "error")])
    assert files_checked(cli, str(tmp_path)) == 1      # ok.yaml


PROSE = {
    "SOURCE.txt": "Sources\n\nResources: the AppMonitor and IdentityPool of rum.yaml: see below\n"
                  "Statement: Allow: rum:PutRumEvents\n",
    "NOTICE": "This product includes software (Resources: AppMonitor) - see Statement: below\n\tindented: [x\n",
    "stack.ts.txt": "const monitor = new rum.CfnAppMonitor(this, 'M', {\n  name: 'x', // Resources: Statement:\n});\n",
}


def test_prose_mentioning_template_words_is_silent_walked_and_info_only_named(cli, tmp_path):
    for name, text in PROSE.items():
        (tmp_path / name).write_text(text)
    (tmp_path / "rum.yaml").write_text(CORRECT)
    assert findings(cli, str(tmp_path)) == (0, [])
    named = [str(tmp_path / name) for name in PROSE]
    assert findings(cli, *named) == (0, [("RUM-SRC-002", "NOTICE", None, "info"),
                                         ("RUM-SRC-002", "SOURCE.txt", None, "info"),
                                         ("RUM-SRC-002", "stack.ts.txt", None, "info")])


def test_walked_file_broken_after_a_clear_template_start_is_reported(cli, tmp_path):
    (tmp_path / "template.txt").write_text(
        "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  Pool:\n    Type: AWS::Cognito::IdentityPool\n"
        "    Properties: {AllowUnauthenticatedIdentities: true\n")
    (tmp_path / "policy").write_text('{"Version": "2012-10-17", "Statement": [{"Effect": "Allow",, }]}')
    (tmp_path / "helm.yaml").write_text("apiVersion: v2\nname: {{ .Values.name }}\n")   # not ours: silent
    status, found = findings(cli, str(tmp_path))
    assert status == 1
    assert found == [("RUM-SRC-000", "policy", 1, "error"), ("RUM-SRC-000", "template.txt", 5, "error")]


def test_template_whose_resources_is_not_a_mapping_is_an_error_not_unrecognized(cli, tmp_path):
    (tmp_path / "t.yaml").write_text("AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  - Type: AWS::IAM::Role\n")
    assert findings(cli, str(tmp_path)) == (1, [("RUM-SRC-000", "t.yaml", 2, "error")])


CDK_TS = ("import * as cdk from 'aws-cdk-lib';\nimport { aws_rum as rum } from 'aws-cdk-lib';\n\n"
          "new rum.CfnAppMonitor(stack, 'Monitor', { name: 'web', domain: 'example.com' });\n")
CDK_PY = ("import aws_cdk as cdk\nfrom aws_cdk import aws_cognito as cognito\n\n"
          "cognito.CfnIdentityPool(stack, 'Pool', allow_unauthenticated_identities=True)\n")


def test_cdk_source_without_cloud_assembly_gets_one_note(cli, tmp_path):
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "app.ts").write_text(CDK_TS)
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "stack.ts").write_text(CDK_TS)
    (tmp_path / "app.py").write_text(CDK_PY)
    status, found = findings(cli, str(tmp_path))
    assert (status, found) == (0, [("RUM-SRC-002", "app.py", 2, "info")])
    message = cli("check", str(tmp_path), "--no-config").out
    assert "cdk synth" in message and "cdk.out" in message
    # Named, the source gets the same advice instead of "not an input".
    status, found = findings(cli, str(tmp_path / "bin" / "app.ts"))
    assert (status, found) == (0, [("RUM-SRC-002", "app.ts", 2, "info")])


def test_cdk_source_with_its_cloud_assembly_is_not_noted(cli, tmp_path):
    (tmp_path / "app.py").write_text(CDK_PY)
    out = tmp_path / "cdk.out"
    out.mkdir()
    (out / "Stack.template.json").write_text(json.dumps({"Resources": {"R": {"Type": "AWS::S3::Bucket"}}}))
    (out / "manifest.json").write_text(json.dumps({"version": "36.0.0", "artifacts": {"Stack": {
        "type": "aws:cloudformation:stack", "environment": "aws://unknown-account/unknown-region",
        "properties": {"templateFile": "Stack.template.json"}}}}))
    assert findings(cli, str(tmp_path)) == (0, [])
    assert files_checked(cli, str(tmp_path)) == 1


def test_resource_type_close_to_a_rum_or_cognito_one_is_noted(cli, tmp_path):
    (tmp_path / "t.yaml").write_text(
        "Resources:\n"
        "  Monitor:\n    Type: AWS::RUM::Appmonitor\n"
        "  Monitor2:\n    Type: AWS::CloudWatchRUM::AppMonitor\n"
        "  Attach:\n    Type: AWS::Cognito::IdentityPoolRoleAttachments\n"
        "  Users:\n    Type: AWS::Cognito::UserPool\n"          # a real type: not noted
        "  Bucket:\n    Type: AWS::S3::Bucket\n")
    status, found = findings(cli, str(tmp_path))
    assert (status, found) == (0, [("RUM-SRC-002", "t.yaml", 3, "info"), ("RUM-SRC-002", "t.yaml", 5, "info"),
                                   ("RUM-SRC-002", "t.yaml", 7, "info")])
    text = cli("check", str(tmp_path), "--no-config").out
    assert "'AWS::RUM::AppMonitor'" in text and "'AWS::Cognito::IdentityPoolRoleAttachment'" in text


# --- 2. no traceback -----------------------------------------------------------------------------------

def test_resource_type_that_is_a_list_or_a_mapping_is_a_finding(cli, tmp_path):
    (tmp_path / "t.yaml").write_text(
        "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n"
        "  A:\n    Type: [AWS::IAM::Role]\n"
        "  B:\n    Type: {Name: AWS::IAM::Role}\n"
        "  C:\n    Properties: {}\n")
    (tmp_path / "u.yaml").write_text(BROKEN_ROLE)
    status, found = findings(cli, str(tmp_path))
    assert (status, found) == (1, [("RUM-SRC-000", "t.yaml", 4, "error"), ("RUM-SRC-000", "t.yaml", 6, "error"),
                                   ("RUM-SRC-000", "t.yaml", 7, "error"), ("RUM-SRC-000", "u.yaml", 7, "error")])


def _assembly(folder: Path, artifacts) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "Good.template.json").write_text(json.dumps(
        {"Resources": {"Role": {"Type": "AWS::IAM::Role", "Properties": {
            "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": "x"}}}}}))
    (folder / "manifest.json").write_text(json.dumps({"version": "36.0.0", "artifacts": artifacts}, indent=1))
    return folder


GOOD_STACK = {"type": "aws:cloudformation:stack", "properties": {"templateFile": "Good.template.json"}}


def _line_of(path: Path, marker: str) -> int:
    return next(n for n, text in enumerate(path.read_text().splitlines(), 1) if marker in text)


@pytest.mark.parametrize("artifacts,marker", [
    ([GOOD_STACK], '"artifacts"'),
    ({"Good": GOOD_STACK, "A": {"type": "aws:cloudformation:stack", "properties": "Stack.template.json"}},
     '"properties": "Stack'),
    ({"Good": GOOD_STACK, "A": {"type": "aws:cloudformation:stack", "properties": {"templateFile": 7}}},
     '"templateFile": 7'),
    ({"Good": GOOD_STACK, "A": "stack"}, '"A": "stack"'),
    ({"Good": {**GOOD_STACK, "environment": {"account": "1"}}}, '"environment"'),
], ids=["artifacts-list", "properties-string", "template-number", "artifact-string", "environment-dict"])
def test_cdk_manifest_of_the_wrong_shape_is_a_finding(cli, tmp_path, artifacts, marker):
    out = _assembly(tmp_path / "cdk.out", artifacts)
    line = _line_of(out / "manifest.json", marker)
    for target in (str(tmp_path), str(out)):
        status, found = findings(cli, target)
        template = [] if isinstance(artifacts, list) else [("RUM-SRC-000", "Good.template.json", 1, "error")]
        assert (status, found) == (1, sorted([("RUM-SRC-000", "manifest.json", line, "error")] + template))


def test_cdk_manifest_paths_outside_the_assembly_are_refused(cli, tmp_path):
    secret = tmp_path / "outside.template.json"
    secret.write_text(json.dumps({"Resources": {"R": {"Type": "AWS::IAM::Role", "Properties": {
        "AssumeRolePolicyDocument": {"Statement": "x"}}}}}))
    out = _assembly(tmp_path / "app" / "cdk.out", {
        "Up": {"type": "aws:cloudformation:stack", "properties": {"templateFile": "../../outside.template.json"}},
        "Abs": {"type": "aws:cloudformation:stack", "properties": {"templateFile": str(secret)}},
        "Good": GOOD_STACK})
    status, found = findings(cli, str(out))
    manifest = out / "manifest.json"
    assert (status, found) == (1, sorted([("RUM-SRC-000", "Good.template.json", 1, "error"),
                                          ("RUM-SRC-000", "manifest.json", _line_of(manifest, '"../../'), "error"),
                                          ("RUM-SRC-000", "manifest.json", _line_of(manifest, str(secret)), "error")]))
    assert "outside the cloud assembly" in cli("check", str(out), "--no-config").out


def test_cdk_manifest_that_is_not_json_is_reported_and_its_templates_still_checked(cli, tmp_path):
    out = _assembly(tmp_path / "cdk.out", {"Good": GOOD_STACK})
    (out / "manifest.json").write_text('{"version": "36.0.0",\n "artifacts": {\n')
    for target in (str(tmp_path), str(out)):
        status, found = findings(cli, target)
        assert (status, found) == (1, [("RUM-SRC-000", "Good.template.json", 1, "error"),
                                       ("RUM-SRC-000", "manifest.json", 3, "error")])
    assert "the CDK cloud assembly manifest cannot be read" in cli("check", str(out), "--no-config").out
    # A web app's broken manifest.json beside no assembly is not ours: the folder is walked as usual.
    web = tmp_path / "web"
    web.mkdir()
    (web / "manifest.json").write_text('{"name": "shop",')
    assert findings(cli, str(web)) == (0, [])


def test_a_thousand_folders_deep_tree_is_walked(cli, tmp_path):
    deep = tmp_path
    for _ in range(1000):
        deep = deep / "d"
        os.mkdir(deep)
    (deep / "rum.yaml").write_text(BROKEN_ROLE)
    try:
        started = time.monotonic()
        status, found = findings(cli, str(tmp_path))
        elapsed = time.monotonic() - started
        assert (status, found) == (1, [("RUM-SRC-000", "rum.yaml", 7, "error")])
        assert elapsed < 10, elapsed   # measured: about 0.05 s to discover and load
    finally:
        os.remove(deep / "rum.yaml")   # bottom up: shutil.rmtree (pytest's clean-up) recurses per level
        while deep != tmp_path:
            os.rmdir(deep)
            deep = deep.parent


def test_folder_path_too_long_to_open_is_a_finding(cli, tmp_path, monkeypatch):
    """Past PATH_MAX the folder cannot be listed (ENAMETOOLONG): reported, not a crash or a silent skip."""
    name = "n" * 250
    with monkeypatch.context() as inside:
        inside.chdir(tmp_path)
        for _ in range(20):                # 20 x 251 > 4096: built relative to the working folder
            os.mkdir(name)
            os.chdir(name)
        Path("rum.yaml").write_text(BROKEN_ROLE)
    (tmp_path / "ok.yaml").write_text(BROKEN_ROLE)
    status, found = findings(cli, str(tmp_path))
    assert status == 1
    assert ("RUM-SRC-000", "ok.yaml", 7, "error") in found
    too_long = [f for f in found if f[1] == name]
    assert too_long and all(f[0] == "RUM-SRC-000" for f in too_long)


def test_unreadable_folders_named_or_walked_are_findings(cli, tmp_path, monkeypatch):
    """Root may read any folder, so the refusal is made by ``os.scandir`` as it would be for another user."""
    (tmp_path / "locked").mkdir()
    (tmp_path / "locked" / "rum.yaml").write_text(BROKEN_ROLE)
    (tmp_path / "open").mkdir()
    (tmp_path / "open" / "rum.yaml").write_text(BROKEN_ROLE)
    real_scandir = os.scandir

    def scandir(path="."):
        if os.path.basename(os.fspath(path)) == "locked":
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    status, found = findings(cli, str(tmp_path))
    assert (status, found) == (1, [("RUM-SRC-000", "locked", None, "error"), ("RUM-SRC-000", "rum.yaml", 7, "error")])
    assert "Permission denied" in cli("check", str(tmp_path), "--no-config").out
    status, found = findings(cli, str(tmp_path / "locked"))
    assert (status, found) == (1, [("RUM-SRC-000", "locked", None, "error")])


@pytest.mark.skipif(not hasattr(os, "fork") or os.geteuid() != 0, reason="needs root to switch to another uid")
def test_unreadable_folder_for_a_real_user(cli, tmp_path):
    """The same without a stand-in: the check runs in a child switched to uid 65534, for whom chmod 000 does
    refuse the listing. The interpreter's own files are private to root here, so the child is forked from
    this process (after one run has imported all it needs) rather than started afresh."""
    tree = tmp_path / "tree"
    (tree / "locked").mkdir(parents=True)
    (tree / "locked" / "rum.yaml").write_text(BROKEN_ROLE)
    (tree / "ok.yaml").write_text(BROKEN_ROLE)
    # /tmp/pytest-of-root is 0700: opened to others for the test, and closed again after it.
    opened = {folder: stat.S_IMODE(os.stat(folder).st_mode) for folder in tree.parents[: len(tree.parents) - 2]}
    try:
        for folder, mode in opened.items():
            os.chmod(folder, mode | 0o005)
        os.chmod(tree / "locked", 0)
        status, out = _check_as_nobody(cli, tree)
    finally:
        os.chmod(tree / "locked", 0o755)
        for folder, mode in opened.items():
            os.chmod(folder, mode)
    found = sorted((f["rule_id"], Path(f["location"]["path"]).name, f["location"].get("line"))
                   for f in json.loads(out)["findings"])
    assert (status, found) == (1, [("RUM-SRC-000", "locked", None), ("RUM-SRC-000", "ok.yaml", 7)])


def _check_as_nobody(cli, tree: Path) -> tuple[int, str]:
    from rumpolicy.cli import main

    findings(cli, str(tree))                  # imports everything the check needs, as root
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:                              # the child: never returns into pytest
        status = 99
        try:
            os.close(read_end)
            os.setgroups([])
            os.setgid(65534)
            os.setuid(65534)
            sys.stdout = os.fdopen(write_end, "w")
            sys.stderr = os.fdopen(2, "w")
            status = main(["check", str(tree), "--format", "json", "--no-config"])
            sys.stdout.flush()
        except BaseException:
            import traceback

            os.write(2, traceback.format_exc().encode())
        finally:
            sys.stderr.flush()
            os._exit(status)
    os.close(write_end)
    with os.fdopen(read_end) as stream:
        out = stream.read()
    _, wait_status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(wait_status), out


def test_a_loader_defect_spares_the_other_files(tmp_path, monkeypatch):
    """An unexpected exception while loading one file is recorded on it (RUM-SRC-003); the rest still load."""
    from rumpolicy.load import LoadOptions, discover, files

    (tmp_path / "a.yaml").write_text(BROKEN_ROLE)
    (tmp_path / "b.yaml").write_text(CORRECT)
    real = files.load_template

    def load_template(parsed, file, *args, **kwargs):
        if parsed.path.endswith("a.yaml"):
            raise KeyError("boom")
        return real(parsed, file, *args, **kwargs)

    monkeypatch.setattr(files, "load_template", load_template)
    inventory = files.load_candidates(list(discover([str(tmp_path)])), LoadOptions())
    by_name = {Path(f.path).name: f for f in inventory.files}
    assert by_name["a.yaml"].defect is not None
    assert by_name["a.yaml"].defect.error == "KeyError: 'boom'"
    assert by_name["a.yaml"].defect.location.source.endswith("a.yaml")
    assert "Traceback" in by_name["a.yaml"].defect.trace
    assert by_name["b.yaml"].defect is None and by_name["b.yaml"].kind == "cloudformation"
    assert inventory.monitors and inventory.pools     # b.yaml's resources were loaded


def test_a_terraform_defect_spares_the_other_modules(tmp_path, monkeypatch):
    from rumpolicy.load import LoadOptions, discover, files, terraform_hcl

    for name in ("one", "two"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "main.tf").write_text(
            'resource "aws_cognito_identity_pool" "pool" {\n  identity_pool_name = "p"\n'
            '  allow_unauthenticated_identities = true\n}\n')
    real = terraform_hcl.load_configurations

    def load_configurations(candidates, options):
        if any("/one/" in c.path for c in candidates):
            raise RuntimeError("defect")
        return real(candidates, options)

    # The loader imports it when a run has Terraform files.
    monkeypatch.setattr(terraform_hcl, "load_configurations", load_configurations)
    inventory = files.load_candidates(list(discover([str(tmp_path)])), LoadOptions())
    defects = [f for f in inventory.files if f.defect is not None]
    assert [Path(f.path).parent.name for f in defects] == ["one"]
    assert defects[0].defect.error == "RuntimeError: defect"
    assert [p.location.source for p in inventory.pools] == [str(tmp_path / "two" / "main.tf")]


# --- 3. no hang ----------------------------------------------------------------------------------------

@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_fifos_and_sockets_are_never_opened(tmp_path):
    os.mkfifo(tmp_path / "pipe.yaml")
    os.mkfifo(tmp_path / "pipe.ts")
    os.mkfifo(tmp_path / "main.tf")
    server = socket.socket(socket.AF_UNIX)
    sock_path = tmp_path / "s.json"
    server.bind(str(sock_path))
    (tmp_path / "rum.yaml").write_text(BROKEN_ROLE)
    try:
        # Walked: passed over (not a file anyone wrote as input); the real template is still checked.
        result = run_subprocess("check", str(tmp_path), "--format", "json", "--no-config", timeout=30)
        assert "Traceback" not in result.err, result.err
        found = sorted((f["rule_id"], Path(f["location"]["path"]).name, f["location"]["line"])
                       for f in result.json()["findings"])
        assert (result.status, found) == (1, [("RUM-SRC-000", "rum.yaml", 7)])
        # Named: reported as not a regular file, without blocking.
        result = run_subprocess("check", str(tmp_path / "pipe.yaml"), str(sock_path), str(tmp_path / "pipe.ts"),
                                "--format", "json", "--no-config", timeout=30)
        assert "Traceback" not in result.err, result.err
        found = sorted((f["rule_id"], Path(f["location"]["path"]).name, f["message"])
                       for f in result.json()["findings"])
        assert result.status == 1
        assert [(i, n) for i, n, _ in found] == [("RUM-SRC-000", "pipe.ts"), ("RUM-SRC-000", "pipe.yaml"),
                                                 ("RUM-SRC-000", "s.json")]
        assert "FIFO" in found[1][2] and "not a regular file" in found[1][2] and "socket" in found[2][2]
    finally:
        server.close()


def test_regular_file_error_helper(tmp_path):
    from rumpolicy.load.source import regular_file_error

    (tmp_path / "f").write_text("x")
    assert regular_file_error(str(tmp_path / "f")) is None
    assert "folder" in regular_file_error(str(tmp_path))
    assert regular_file_error(str(tmp_path / "missing")).startswith("cannot read the file")
    assert "character device" in regular_file_error("/dev/null")
    if hasattr(os, "mkfifo"):
        os.mkfifo(tmp_path / "p")
        assert "FIFO" in regular_file_error(str(tmp_path / "p"))


def test_cdk_assembly_symlink_loops_check_each_template_once(cli, tmp_path):
    out = _assembly(tmp_path / "cdk.out", {"Good": GOOD_STACK, "Nested": {"type": "cdk:cloud-assembly",
                                                                         "properties": {"directoryName": "x"}}})
    (out / "assembly-up").symlink_to("..", target_is_directory=True)
    (out / "assembly-self").symlink_to(".", target_is_directory=True)
    inner = _assembly(out / "assembly-inner", {"Good": GOOD_STACK})
    (inner / "assembly-back").symlink_to("..", target_is_directory=True)
    (tmp_path / "loop").symlink_to(".", target_is_directory=True)        # a walked folder loop too
    for target in (str(tmp_path), str(out)):
        status, found = findings(cli, target)
        assert (status, found) == (1, [("RUM-SRC-000", "Good.template.json", 1, "error")] * 2), target


def test_a_folder_above_the_project_that_cannot_be_searched_is_no_defect(cli, tmp_path, monkeypatch):
    """Run from below a 0700 folder of another user, looking for `.git`, the configuration or a
    `package.json` raises PermissionError in Path.exists/is_file: that is not knowing, not a defect (3)."""
    (tmp_path / "rum.yaml").write_text(BROKEN_ROLE)
    real_stat = Path.stat

    def refusing(self, *args, **kwargs):
        if self.name in (".git", ".rumpolicy.yaml", ".rumpolicy.yml", "pyproject.toml", "package.json"):
            raise PermissionError(13, "Permission denied", str(self))
        return real_stat(self, *args, **kwargs)

    monkeypatch.setattr(Path, "stat", refusing)
    result = cli("check", str(tmp_path), "--format", "json")
    assert result.status == 1, result.err
    assert [f["rule_id"] for f in json.loads(result.out)["findings"]] == ["RUM-SRC-000"]

