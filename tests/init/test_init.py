"""`rumpolicy init`: every flow in every format writes a setup that `rumpolicy check` passes clean,
CloudFormation that cfn-lint passes, Terraform that python-hcl2 parses, and CDK code that stands for
the same template (compared with the CloudFormation output; the CDK apps are not synthesized here)."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import hcl2
import pytest
from cfnlint.decode import decode_str
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rumpolicy.api import Options, check
from rumpolicy.init import command
from rumpolicy.init.setup import FLOWS, FORMATS, SetupError, build
from rumpolicy.load import LoadOptions
from tests.conftest import examples
from tests.init.helpers import normalized_template, python_resources, typescript_resources

REGION = "eu-west-1"
CFN_LINT = Path(sys.executable).with_name("cfn-lint")
PAIRS = [(flow, fmt) for flow in FLOWS for fmt in FORMATS]


def init(cli, tmp_path: Path, flow: str, fmt: str, *extra: str, name: str = "web") -> Path:
    out = tmp_path / f"{fmt}-{flow}"
    result = cli("init", "--monitor", name, "--domain", "www.example.com", "--flow", flow, "--format", fmt,
                 "--region", REGION, "--output-dir", str(out), *extra)
    assert result.status == 0, result.err
    assert result.out == ""
    return out


def findings(cli, *args: str) -> list[dict]:
    result = cli("check", *args, "--format", "json")
    report = json.loads(result.out)
    assert report["summary"]["defects"] == 0
    return report["findings"]


def shown(found: list[dict]) -> list[tuple]:
    return [(f["rule_id"], f["severity"], f["message"]) for f in found]


@pytest.mark.parametrize("flow,fmt", PAIRS)
def test_output_checks_clean(cli, tmp_path, flow, fmt):
    out = init(cli, tmp_path, flow, fmt)
    written = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())
    expected = {"cloudformation": ["rum.yaml"], "terraform": ["main.tf"], "cdk-python": ["app.py"],
                "cdk-typescript": ["bin/rum.ts", "lib/rum-stack.ts"]}[fmt]
    assert written == sorted(expected + ["rum-web-client.html"])
    found = findings(cli, str(out), "--region", REGION)
    if fmt.startswith("cdk-"):
        # CDK source is not read (only its cdk.out): rumpolicy says so, and nothing else.
        # An unsigned client's resource policy is in that unread code, so RUM-CLIENT-002 cannot be ruled out.
        unread = [("RUM-CLIENT-002", "warning")] if flow == "resource-policy" else []
        assert sorted((f["rule_id"], f["severity"]) for f in found) == unread + [("RUM-SRC-002", "info")]
        assert any("no cdk.out was found" in f["message"] for f in found)
        # The template the app stands for (test_cdk_*_mirrors_cloudformation) with this snippet.
        cfn = init(cli, tmp_path, flow, "cloudformation")
        (cfn / "rum-web-client.html").write_text((out / "rum-web-client.html").read_text())
        found = findings(cli, str(cfn), "--region", REGION)
    # The stack and its web client in one folder: not one finding, not even info.
    assert shown(found) == []


@pytest.mark.parametrize("flow", FLOWS)
def test_cloudformation_passes_cfn_lint(cli, tmp_path, flow):
    out = init(cli, tmp_path, flow, "cloudformation")
    stdout = tmp_path / "stdout.yaml"
    result = cli("init", "--monitor", "web", "--domain", "www.example.com", "--flow", flow,
                 "--format", "cloudformation")
    stdout.write_text(result.out)
    lint = subprocess.run([str(CFN_LINT), str(out / "rum.yaml"), str(stdout)], capture_output=True, text=True)
    assert (lint.returncode, lint.stdout, lint.stderr) == (0, "", "")


@pytest.mark.parametrize("flow", FLOWS)
def test_terraform_parses_with_hcl2(cli, tmp_path, flow):
    out = init(cli, tmp_path, flow, "terraform")
    parsed = hcl2.loads((out / "main.tf").read_text())
    types = {kind.strip('"') for block in parsed["resource"] for kind in block}
    cognito = {"aws_cognito_identity_pool", "aws_iam_role", "aws_iam_role_policy",
               "aws_cognito_identity_pool_roles_attachment"}
    assert types == ({"aws_rum_app_monitor", "aws_rum_resource_policy"} if flow == "resource-policy"
                     else cognito | {"aws_rum_app_monitor"})
    stdout = cli("init", "--monitor", "web", "--domain", "www.example.com", "--flow", flow, "--format", "terraform")
    from_stdout = hcl2.loads(stdout.out)                 # the snippet is only a comment
    from_stdout.pop("__comments__", None), parsed.pop("__comments__", None)
    assert from_stdout == parsed


@pytest.mark.parametrize("flow", FLOWS)
def test_stdout_is_one_clean_file(cli, tmp_path, flow):
    """Standard output is the infrastructure file alone; the web client is a comment at its end."""
    result = cli("init", "--monitor", "web", "--domain", "www.example.com", "--flow", flow,
                 "--format", "cloudformation")
    assert result.status == 0
    assert "rumpolicy: app-monitor=web" in result.out
    (tmp_path / "rum.yaml").write_text(result.out)
    assert shown(findings(cli, str(tmp_path / "rum.yaml"))) == []
    for fmt in ("cdk-python", "terraform", "cdk-typescript"):
        assert cli("init", "--monitor", "web", "--domain", "www.example.com", "--flow", flow,
                   "--format", fmt).status == 0
    compile(cli("init", "--monitor", "web", "--domain", "www.example.com", "--flow", flow,
                "--format", "cdk-python").out, "app.py", "exec")


def cfn_resources(cli, flow: str, *extra: str) -> tuple[dict, dict]:
    text = cli("init", "--monitor", "web", "--domain", "www.example.com", "--flow", flow, "--format",
               "cloudformation", *extra).out
    template, matches = decode_str(text)
    assert not matches
    return normalized_template(template["Resources"]), template["Outputs"]


DOMAINS = (("--domain", "b.example.com"),)


@pytest.mark.parametrize("flow", FLOWS)
@pytest.mark.parametrize("extra", [(), *DOMAINS])
def test_cdk_python_mirrors_cloudformation(cli, flow, extra):
    code = cli("init", "--monitor", "web", "--domain", "www.example.com", "--flow", flow, "--format",
               "cdk-python", *extra).out
    compile(code, "app.py", "exec")
    assert python_resources(code) == cfn_resources(cli, flow, *extra)


@pytest.mark.parametrize("flow", FLOWS)
@pytest.mark.parametrize("extra", [(), *DOMAINS])
def test_cdk_typescript_mirrors_cloudformation(cli, tmp_path, flow, extra):
    out = tmp_path / "cdk"
    assert cli("init", "--monitor", "web", "--domain", "www.example.com", "--flow", flow, "--format",
               "cdk-typescript", "-o", str(out), *extra).status == 0
    code = (out / "lib" / "rum-stack.ts").read_text()
    assert typescript_resources(code) == cfn_resources(cli, flow, *extra)
    assert "from '../lib/rum-stack'" in (out / "bin" / "rum.ts").read_text()


def test_without_region_only_the_region_is_left_open(cli, tmp_path):
    """No --region: the snippet's region is a placeholder; check says what it could not check, nothing else.
    A --region given to init but not to check: the client's region against the stack's is not known."""
    out = tmp_path / "x"
    assert cli("init", "--monitor", "web", "--domain", "www.example.com", "--format", "cloudformation",
               "-o", str(out)).status == 0
    html = (out / "rum-web-client.html").read_text()
    assert "'REGION'" in html and "dataplane.rum.REGION.amazonaws.com" in html
    assert {(f["rule_id"], f["severity"]) for f in findings(cli, str(out))} == {("RUM-SRC-001", "info")}
    out = init(cli, tmp_path, "enhanced", "cloudformation")
    found = findings(cli, str(out))
    assert [(f["rule_id"], f["location"]["pointer"]) for f in found] == [("RUM-SRC-001", "/cwr/applicationRegion"),
                                                             ("RUM-SRC-001", "/cwr/config/endpoint")]
    assert all("works only if the stack is deployed to eu-west-1" in f["message"] for f in found)


def test_snippet_per_flow(cli, tmp_path):
    text = {flow: (init(cli, tmp_path, flow, "terraform") / "rum-web-client.html").read_text() for flow in FLOWS}
    assert "guestRoleArn: 'GUEST_ROLE_ARN'" in text["basic"] and "guestRoleArn" not in text["enhanced"]
    assert "identityPoolId: 'IDENTITY_POOL_ID'" in text["enhanced"]
    assert "signing: false" in text["resource-policy"] and "alias: 'web'" in text["resource-policy"]
    assert "identityPoolId" not in text["resource-policy"]
    for t in text.values():
        assert "endpoint: 'https://dataplane.rum.eu-west-1.amazonaws.com'" in t
        assert "output app_monitor_id" in t


def test_alias_is_in_policy_and_client(cli, tmp_path):
    out = init(cli, tmp_path, "resource-policy", "cloudformation", "--alias", "web-prod")
    template, _ = decode_str((out / "rum.yaml").read_text())
    document = template["Resources"]["RumAppMonitor"]["Properties"]["ResourcePolicy"]["PolicyDocument"]["Fn::Sub"]
    assert json.loads(document)["Statement"][0]["Condition"] == {"StringEquals": {"rum:alias": "web-prod"}}
    assert "alias: 'web-prod'" in (out / "rum-web-client.html").read_text()
    assert shown(findings(cli, str(out), "--region", REGION)) == []


@pytest.mark.parametrize("args,message", [
    (("--monitor", ".web"), "starts with a dot"),
    (("--monitor", "team/web"), "not one the RUM API accepts"),
    (("--monitor", "a b"), "not one the RUM API accepts"),
    (("--monitor", ""), "is empty"),
    (("--monitor", "x" * 256), "at most 255"),
    (("--domain", "https://www.example.com/"), "the domain 'https://www.example.com/'"),
    (("--domain", "example"), "not one the RUM API accepts"),
    (("--domain", "a.example.com", "--domain", "a.example.com"), "given twice"),
    (("--domain", "a.com", "--domain", "b.com", "--domain", "c.com", "--domain", "d.com", "--domain", "e.com",
      "--domain", "f.com"), "at most 5"),
    (("--region", "mars-north-1"), "not an AWS region"),
    (("--region", "cn-north-1"), "use --flow resource-policy there"),
    (("--alias", "web"), "--alias belongs to --flow resource-policy"),
    (("--flow", "resource-policy", "--alias", 'a"b'), "must be 1 to 255"),
    (("--force",), "--force goes with --output-dir"),
])
def test_invalid_options_exit_2(cli, args, message):
    base = {"--monitor": "web", "--domain": "www.example.com"}
    given_keys = set(args[::2])
    argv = [x for k, v in base.items() if k not in given_keys for x in (k, v)]
    result = cli("init", *argv, *args, "--format", "cloudformation")
    assert result.status == 2
    assert result.out == ""
    assert result.err.startswith("rumpolicy: error: ") and message in result.err


def test_existing_file_is_not_overwritten_without_force(cli, tmp_path):
    (tmp_path / "rum.yaml").write_text("keep\n")
    argv = ["init", "--monitor", "web", "--domain", "www.example.com", "--format", "cloudformation",
            "-o", str(tmp_path)]
    result = cli(*argv)
    assert result.status == 2 and "already exists; use --force" in result.err
    assert (tmp_path / "rum.yaml").read_text() == "keep\n"
    assert not (tmp_path / "rum-web-client.html").exists()          # all or nothing
    assert cli(*argv, "--force").status == 0
    assert (tmp_path / "rum.yaml").read_text().startswith("AWSTemplateFormatVersion")


def test_real_cli_subprocess(tmp_path):
    """The installed entry point, as a user runs it (the other tests call cli.main in process)."""
    out = tmp_path / "tf"
    proc = subprocess.run([sys.executable, "-m", "rumpolicy", "init", "--monitor", "web", "--domain", "example.com",
                           "--format", "terraform", "--flow", "basic", "--region", REGION, "-o", str(out)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == f"rumpolicy: wrote {out / 'main.tf'}, {out / 'rum-web-client.html'}\n"
    proc = subprocess.run([sys.executable, "-m", "rumpolicy", "check", str(out), "--region", REGION],
                          capture_output=True, text=True)
    assert (proc.returncode, proc.stdout.strip()) == (0, "0 errors, 0 warnings, 0 info in 2 files checked")


def test_help_shows_examples_and_exit_status(cli):
    result = cli("init", "--help")
    assert result.status == 0
    examples = result.out.split("\nexamples:\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert examples and all(line.startswith("  ") for line in examples)
    assert all("rumpolicy init " in line for line in examples if not line.startswith("   "))
    assert "exit status:\n  0  written\n  2  " in result.out
    for option in ("--monitor NAME", "--domain DOMAIN", "--flow {enhanced,basic,resource-policy}", "--region",
                   "--alias", "--output-dir DIR", "--force"):
        assert option in result.out, option


# ---- Property: any name and domain the rules accept gives a setup that checks clean.

NAME_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_#"
names = st.text(alphabet=NAME_CHARS, min_size=1, max_size=60).filter(lambda n: not n.startswith("."))
labels = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?", fullmatch=True).filter(lambda s: "--" not in s)
domains = st.one_of(
    st.builds(lambda ls, tld, wild: ("*." if wild else "") + ".".join([*ls, tld]),
              st.lists(labels, min_size=1, max_size=3), st.sampled_from(["com", "org", "example", "co.uk"]),
              st.booleans()),
    st.just("localhost"),
    st.tuples(*[st.integers(0, 255)] * 4).map(lambda t: ".".join(map(str, t))),
)


@settings(max_examples=examples(40), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=names, domain_list=st.lists(domains, min_size=1, max_size=3, unique=True),
       flow=st.sampled_from(FLOWS), fmt=st.sampled_from(["cloudformation", "terraform"]))
def test_any_valid_setup_checks_clean(name, domain_list, flow, fmt):
    try:
        setup = build(name, domain_list, flow, REGION)
    except SetupError as exc:            # only a domain the rule's grammar refuses may be refused
        assert "domain" in str(exc), exc
        return
    with tempfile.TemporaryDirectory() as folder:
        assert command.write(Path(folder), command.files(setup, fmt), force=False) == 0
        report = check([folder], Options(load=LoadOptions(region=REGION)))
        assert [(f.rule_id, f.message) for f in report.active] == []
        assert report.files_checked == 2
