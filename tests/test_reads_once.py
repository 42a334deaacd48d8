"""One `rumpolicy check` opens every input file once: the loaders collect the suppressions as they read.

The run is in process, with ``builtins.open``, ``io.open`` and ``os.open`` wrapped to count the opens of
each file of the checked folder (by real path).
"""

from __future__ import annotations

import builtins
import io
import json
import os
from collections import Counter

import pytest

from tests.conftest import ROOT

EXAMPLES = ROOT / "examples"
BROKEN = (EXAMPLES / "broken" / "rum-shop.yaml").read_text()
BROKEN_TF = (EXAMPLES / "terraform" / "broken" / "main.tf").read_text()
LOADER = ("(function(n,i,v,r,s,c,x,z){x=window.AwsRumClient={q:[],n:n,i:i,v:v,r:r,c:c};window[n]=function(c,p)"
          "{x.q.push({c:c,p:p});};z=document.createElement('script');z.async=true;z.src=s;"
          "document.head.insertBefore(z,document.getElementsByTagName('script')[0]);})(")
APP = "5f1e8a2c-3b4d-4e6f-8a9b-0c1d2e3f4a5b"
CDK_TS = ("import * as cdk from 'aws-cdk-lib';\nimport { aws_rum as rum } from 'aws-cdk-lib';\n\n"
          "new rum.CfnAppMonitor(stack, 'Monitor', { name: 'web', domain: 'example.com' });\n")


def replaced(text: str, replacements: dict[str, str]) -> str:
    for old, new in replacements.items():
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    return text


def write_project(folder) -> None:
    (folder / "stack.yaml").write_text(replaced(BROKEN, {
        "                Action: rum:*\n": "                # rumpolicy: ignore RUM-PERM-005 -- denied by an SCP\n"
                                          "                Action: rum:*\n",
        "  ShopIdentityPool:\n    Type: AWS::Cognito::IdentityPool\n": (
            "  ShopIdentityPool:\n    Type: AWS::Cognito::IdentityPool\n    Metadata:\n      rumpolicy:\n"
            "        ignore:\n          - id: RUM-POOL-002\n            reason: the basic flow is being retired\n"),
    }))
    (folder / "policy.json").write_text(json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "rum:PutRumEvents", "Resource": "*"}]}, indent=2))
    (folder / "index.html").write_text(
        "<!doctype html>\n<html><head>\n<script>\n"
        f"{LOADER}'cwr','{APP}','1.0.0','eu-west-1','https://client.rum.us-east-1.amazonaws.com/1.x/cwr.js',\n"
        "{endpoint: 'https://dataplane.rum.eu-west-1.amazonaws.com'});\n</script>\n</head></html>\n")
    (folder / "app.js").write_text(
        "import { AwsRum } from 'aws-rum-web';\n"
        f"const awsRum = new AwsRum('{APP}', '1.0.0', 'eu-west-1', "
        "{ endpoint: 'https://dataplane.rum.eu-west-1.amazonaws.com' });\n"
        "export function signIn(credentials) { awsRum.setAwsCredentials(credentials); }\n")
    (folder / "package.json").write_text(json.dumps({"name": "shop", "dependencies": {"aws-rum-web": "^1.0.0"}}))
    (folder / "package-lock.json").write_text(json.dumps({"name": "shop", "lockfileVersion": 3, "packages": {
        "node_modules/aws-rum-web": {"version": "1.2.3"}}}))
    (folder / "infra.ts").write_text(CDK_TS)
    (folder / "main.tf").write_text(replaced(BROKEN_TF, {
        "  # The monitor hands out": "  # rumpolicy: ignore RUM-POOL-002 -- the basic flow is being retired\n"
                                    "  # The monitor hands out"}))


@pytest.fixture
def opens(monkeypatch, tmp_path):
    """Counts the opens of files under ``tmp_path``, by real path."""
    counts: Counter[str] = Counter()
    root = os.path.realpath(tmp_path)
    real_open, real_os_open = builtins.open, os.open

    def note(file) -> None:
        if isinstance(file, (str, bytes, os.PathLike)):
            path = os.path.realpath(os.fsdecode(file))
            if path.startswith(root + os.sep):
                counts[os.path.relpath(path, root)] += 1

    def counting_open(file, *args, **kwargs):
        note(file)
        return real_open(file, *args, **kwargs)

    def counting_os_open(path, *args, **kwargs):
        note(path)
        return real_os_open(path, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", counting_open)
    monkeypatch.setattr(io, "open", counting_open)
    monkeypatch.setattr(os, "open", counting_os_open)
    return counts


def run_check(*args: str) -> dict:
    import contextlib

    from rumpolicy.cli import main

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        status = main(["check", *args, "--no-config", "--format", "json"])
    assert status in (0, 1), out.getvalue()
    return json.loads(out.getvalue())


def suppressions(report: dict) -> dict[tuple[str, str], dict]:
    return {(f["rule_id"], os.path.basename(f["location"]["path"])): f["suppression"]
            for f in report["findings"] if f["suppressed"]}


def test_every_input_file_is_opened_once(tmp_path, monkeypatch, opens):
    project = tmp_path / "project"
    project.mkdir()
    write_project(project)
    monkeypatch.chdir(tmp_path)
    opens.clear()
    report = run_check("project")
    written = sorted(os.path.join("project", name) for name in os.listdir(project))
    assert {path: opens[path] for path in written} == {path: 1 for path in written}
    assert set(opens) <= set(written)
    found = suppressions(report)
    assert found[("RUM-PERM-005", "stack.yaml")] == {
        "kind": "comment", "reason": "denied by an SCP",
        "location": {"path": "project/stack.yaml", "line": 40, "column": 17, "pointer": ""}}
    assert found[("RUM-POOL-002", "stack.yaml")]["kind"] == "metadata"
    assert found[("RUM-POOL-002", "stack.yaml")]["reason"] == "the basic flow is being retired"
    rules = {(f["rule_id"], os.path.basename(f["location"]["path"])) for f in report["findings"]}
    assert ("RUM-SRC-004", "stack.yaml") not in rules               # both suppressions were used
    assert ("RUM-SRC-002", "infra.ts") in rules                     # the CDK source is still noted
    # The web project's files are read once, and what they say is still used.
    assert not any(rule == "RUM-CLIENT-007" for rule, _ in rules)  # app.js calls setAwsCredentials


def test_terraform_comment_suppression_in_the_same_run(tmp_path, monkeypatch, opens):
    project = tmp_path / "project"
    project.mkdir()
    write_project(project)
    monkeypatch.chdir(tmp_path)
    opens.clear()
    report = run_check("project")
    assert opens[os.path.join("project", "main.tf")] == 1
    assert suppressions(report)[("RUM-POOL-002", "main.tf")]["reason"] == "the basic flow is being retired"


CDK_PY = ("import aws_cdk as cdk\nfrom aws_cdk import aws_cognito as cognito\n\n"
          "cognito.CfnIdentityPool(stack, 'Pool', allow_unauthenticated_identities=True)\n")


def test_files_sniffed_before_they_are_parsed_are_opened_once(tmp_path, monkeypatch, opens):
    """Binary, too large, JSON5, a vendor bundle above the limit, CDK sources: each look at a file is
    at its one read (a file too large to read whole has only its head read)."""
    project = tmp_path / "project"
    project.mkdir()
    (project / "binary.json").write_bytes(b'{"Statement": [\x00\x01]}')
    (project / "big.yaml").write_text("AWSTemplateFormatVersion: '2010-09-09'\nResources: {}\n" + "# pad\n" * 2000)
    (project / "rum-config.json").write_text(
        f'// the client\'s config\n{{applicationId: "{APP}", applicationRegion: "eu-west-1", signing: false,\n'
        '  clientBuild: "slim",}\n')
    # In walk order: a bundle the loader sniffs for a CDK app from its head alone, the CDK app's source that
    # gets the note, and another one that the walk itself sniffs.
    (project / "a-vendor.js").write_text("/* AwsRum */" + "var a=1;" * 2000)
    (project / "b-stack.ts").write_text(CDK_TS)
    (project / "c-app.py").write_text(CDK_PY)
    monkeypatch.chdir(tmp_path)
    opens.clear()
    report = run_check("project", "--max-file-size", "4096")
    written = sorted(os.path.join("project", name) for name in os.listdir(project))
    assert {path: opens[path] for path in written} == {path: 1 for path in written}
    rules = sorted((f["rule_id"], os.path.basename(f["location"]["path"])) for f in report["findings"])
    assert ("RUM-SRC-000", "big.yaml") in rules                      # too large, still reported
    assert ("RUM-SRC-002", "b-stack.ts") in rules                    # the first CDK source in walk order
    assert not any(name == "c-app.py" for _, name in rules)
    assert not any(name == "a-vendor.js" for _, name in rules)
    # Named, a CDK source is sniffed and noted from the same single read.
    opens.clear()
    named = [os.path.join("project", "b-stack.ts"), os.path.join("project", "c-app.py")]
    report = run_check(*named)
    assert opens == {path: 1 for path in named}
    assert sorted(os.path.basename(f["location"]["path"]) for f in report["findings"]) == ["b-stack.ts", "c-app.py"]


def test_excluded_cdk_source_is_not_noted_and_the_next_one_is_not_either(tmp_path, monkeypatch):
    """The note goes to the first CDK source of the walk, as before the loader sniffed them: when the
    configuration excludes that one, no other gets it."""
    project = tmp_path / "project"
    project.mkdir()
    (project / "a.ts").write_text(CDK_TS)
    (project / "b.py").write_text(CDK_PY)
    (tmp_path / ".rumpolicy.yaml").write_text("exclude: [project/a.ts]\n")
    monkeypatch.chdir(tmp_path)
    from rumpolicy.cli import main
    import contextlib

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["check", "project", "--format", "json"]) == 0
    assert json.loads(out.getvalue())["findings"] == []
    (project / "a.ts").write_text("export const x = 1;\n")        # not a CDK source: the next one is noted
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["check", "project", "--format", "json"]) == 0
    assert [os.path.basename(f["location"]["path"]) for f in json.loads(out.getvalue())["findings"]] == ["b.py"]


def test_a_manifest_that_is_no_cdk_assemblys_is_read_once(tmp_path, monkeypatch, opens):
    """Discovery reads a folder's manifest.json to tell a CDK cloud assembly; a web app's is then walked
    and loaded from that same read."""
    site = tmp_path / "site"
    (site / "cdk.out").mkdir(parents=True)
    (site / "manifest.json").write_text(json.dumps({"name": "Shop", "start_url": "/", "display": "standalone"}))
    (site / "cdk.out" / "manifest.json").write_text(json.dumps({"name": "not an assembly"}))
    monkeypatch.chdir(tmp_path)
    opens.clear()
    report = run_check("site")
    assert opens == {os.path.join("site", "manifest.json"): 1, os.path.join("site", "cdk.out", "manifest.json"): 1}
    assert report["findings"] == []
