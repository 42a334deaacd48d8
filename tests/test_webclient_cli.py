"""The web client from the command line: sites with the snippet, npm projects and JSON configs, alone and
together with the infrastructure that declares their app monitor."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

CASES = ROOT / "fixtures" / "inputs" / "webclient"
LOADER = ("(function(n,i,v,r,s,c,x,z){x=window.AwsRumClient={q:[],n:n,i:i,v:v,r:r,c:c};window[n]=function(c,p)"
          "{x.q.push({c:c,p:p});};z=document.createElement('script');z.async=true;z.src=s;"
          "document.head.insertBefore(z,document.getElementsByTagName('script')[0]);})(")
APP = "5f1e8a2c-3b4d-4e6f-8a9b-0c1d2e3f4a5b"


def findings(cli, *args: str) -> list[tuple[str, str, str, int, str]]:
    result = cli("check", *args, "--format", "json")
    assert result.status in (0, 1), result.err
    return [(f["rule_id"], f["severity"], Path(f["location"]["path"]).name, f["location"]["line"],
             f["location"]["pointer"]) for f in result.json()["findings"]]


def snippet(region: str, config: str, *, app: str = APP,
            url: str = "https://client.rum.us-east-1.amazonaws.com/1.x/cwr.js", before: str = "") -> str:
    return (f"<!doctype html>\n<html><head>\n{before}<script>\n"
            f"{LOADER}'cwr','{app}','1.0.0','{region}','{url}',\n{config});\n</script>\n</head></html>\n")


def template(extra: str = "") -> str:
    return ("AWSTemplateFormatVersion: '2010-09-09'\nMetadata:\n  rumpolicy:\n    region: eu-west-1\n"
            "    account: '123456789012'\nResources:\n  Monitor:\n    Type: AWS::RUM::AppMonitor\n"
            f"    Properties:\n      Name: web\n      Domain: www.example.com\n{extra}")


def test_basic_flow_snippet_against_a_pool_without_classic_flow(cli):
    assert findings(cli, str(CASES / "cfn-basic-flow")) == [
        ("RUM-POOL-002", "error", "rum.yaml", 13, "/Resources/RumIdentityPool/Properties/AllowClassicFlow")]


def test_region_and_endpoint_of_the_snippet_against_the_monitor(cli):
    assert findings(cli, str(CASES / "cfn-region")) == [
        ("RUM-XREF-001", "error", "index.html", 11, "/cwr/applicationRegion"),
        ("RUM-XREF-001", "error", "index.html", 16, "/cwr/config/endpoint")]


def test_unsigned_client_is_judged_by_the_monitors_policy(cli):
    assert findings(cli, str(CASES / "cfn-unsigned")) == [
        ("RUM-RBP-006", "error", "rum.yaml", 14, "/Resources/RumAppMonitor/Properties/ResourcePolicy/PolicyDocument")]


def test_unsigned_client_of_a_monitor_without_policy_is_reported_at_the_client(cli, tmp_path):
    (tmp_path / "rum.yaml").write_text(template())
    (tmp_path / "index.html").write_text(snippet(
        "eu-west-1", "{endpoint: 'https://dataplane.rum.eu-west-1.amazonaws.com', signing: false}",
        before="<!-- rumpolicy: app-monitor=web -->\n"))
    assert findings(cli, str(tmp_path)) == [
        ("RUM-RBP-006", "error", "index.html", 6, "/cwr/config/signing"),
        ("RUM-MON-003", "warning", "rum.yaml", 7, "/Resources/Monitor")]


def test_unsigned_client_alone_is_a_warning_naming_what_is_missing(cli, tmp_path):
    page = tmp_path / "index.html"
    page.write_text(snippet("eu-west-1", "{endpoint: 'https://dataplane.rum.eu-west-1.amazonaws.com', signing: false}"))
    result = cli("check", str(page), "--format", "json")
    [finding] = result.json()["findings"]
    assert (finding["rule_id"], finding["severity"], finding["location"]["line"]) == ("RUM-CLIENT-002", "warning", 5)
    assert "that policy is not part of the input" in finding["message"]
    assert result.status == 0                    # warnings do not fail the default --fail-on error


def test_dumped_monitor_linked_by_id(cli):
    assert findings(cli, str(CASES / "cli-dumps"), "--region", "eu-west-1", "--account", "123456789012") == [
        ("RUM-ATT-001", "error", "describe-identity-pool.json", 1, ""),
        ("RUM-POOL-002", "error", "describe-identity-pool.json", 5, "/AllowClassicFlow"),
        ("RUM-XREF-001", "error", "index.html", 11, "/cwr/applicationRegion")]


def test_dumped_monitor_without_its_policy_leaves_unsigned_clients_undecided(cli, tmp_path):
    (tmp_path / "monitor.json").write_text(json.dumps(
        {"AppMonitor": {"Name": "web", "Id": APP, "Domain": "www.example.com"}}))
    (tmp_path / "index.html").write_text(snippet("eu-west-1", "{signing: false}"))
    result = cli("check", str(tmp_path), "--region", "eu-west-1", "--account", "123456789012", "--format", "json")
    messages = {(f["rule_id"], f["message"]) for f in result.json()["findings"]}
    assert ("RUM-SRC-001", "RUM-RBP-006 (unsigned-clients-without-public-policy) not checked for "
            "arn:aws:rum:eu-west-1:123456789012:appmonitor/web: web clients of app monitor "
            "arn:aws:rum:eu-west-1:123456789012:appmonitor/web send unsigned events, and its resource policy is not "
            "part of the input, so whether it admits them was not checked") in messages
    assert not any(rule == "RUM-CLIENT-002" for rule, _ in messages)


def test_npm_project_version_from_the_lock_file(cli):
    result = cli("check", str(CASES / "npm-project"), "--format", "json")
    [finding] = result.json()["findings"]
    assert finding["rule_id"] == "RUM-CLIENT-001" and finding["location"]["line"] == 18
    assert finding["message"].startswith("aws-rum-web 3.2.0 ignores the client's region")
    assert [r["path"] for r in finding["related"]] == [str(CASES / "npm-project" / "package-lock.json")]


def test_pages_of_one_project_share_an_origin(cli):
    assert findings(cli, str(CASES / "same-origin")) == [
        ("RUM-CLIENT-004", "warning", "index.html", 5, "/cwr")]


def test_json_config_linked_by_name(cli):
    assert findings(cli, str(CASES / "json-config")) == [
        ("RUM-XREF-001", "error", "rum-config.json", 8, "/endpoint"),
        ("RUM-RBP-005", "info", "rum.yaml", 14,
         "/Resources/RumAppMonitor/Properties/ResourcePolicy/PolicyDocument/Statement/0/Condition")]


def test_client_without_a_link_is_noted_when_monitors_are_in_the_input(cli):
    [note] = findings(cli, str(CASES / "unlinked"))
    assert note[:2] == ("RUM-SRC-001", "info") and note[2] == "index.html"


def test_text_output_locates_findings_in_the_page(cli, tmp_path):
    page = tmp_path / "index.html"
    page.write_text(snippet("eu-west-1", "{identityPoolId: 'eu-west-1:0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d'}",
                            url="https://client.rum.us-east-1.amazonaws.com/3.1.0/cwr.js"))
    result = cli("check", str(page), "--no-color")
    assert result.status == 1
    assert f"{page}:4:1: error RUM-CLIENT-001 aws-rum-web 3.1.0 ignores the client's region" in result.out


def test_walked_folder_passes_over_unrelated_and_oversized_scripts(cli, tmp_path):
    (tmp_path / "app.js").write_text("export const x = 1;\n")
    (tmp_path / "vendor.js").write_text("/* AwsRum */" + "var a=1;" * 2000)
    (tmp_path / "page.html").write_text("<html><body>hello</body></html>")
    result = cli("check", str(tmp_path), "--max-file-size", "1KB", "--format", "json")
    assert result.json()["findings"] == [] and result.status == 0
    result = cli("check", str(tmp_path / "vendor.js"), "--max-file-size", "1KB", "--format", "json")
    [finding] = result.json()["findings"]
    assert finding["rule_id"] == "RUM-SRC-000" and "above the" in finding["message"]


def test_explicit_page_without_a_client_is_reported(cli, tmp_path):
    page = tmp_path / "about.html"
    page.write_text("<html><body>about</body></html>")
    [finding] = cli("check", str(page), "--format", "json").json()["findings"]
    assert finding["rule_id"] == "RUM-SRC-002"


def test_broken_json5_config_is_a_located_source_error(cli, tmp_path):
    config = tmp_path / "rum.json"
    config.write_text("{\n  // RUM\n  applicationId: 'x',\n  identityPoolId: ,\n}\n")
    [finding] = cli("check", str(tmp_path), "--format", "json").json()["findings"]
    assert (finding["rule_id"], finding["location"]["line"], finding["location"]["column"]) == ("RUM-SRC-000", 4, 19)


def test_check_imports_the_javascript_parser_only_for_web_sources(tmp_path):
    (tmp_path / "index.html").write_text(snippet("us-west-2", "{}"))
    code = ("import sys; from rumpolicy.cli import main; main(sys.argv[1:]); "
            "print('LOADED=' + ','.join(m for m in ('tree_sitter', 'tree_sitter_javascript', 'json5') "
            "if m in sys.modules), file=sys.stderr)")

    def loaded(*args: str) -> str:
        proc = subprocess.run([sys.executable, "-c", code, "check", *args], capture_output=True, text=True,
                              cwd=ROOT, timeout=60)
        return proc.stderr.rstrip().rsplit("LOADED=", 1)[1]

    assert loaded("examples") == ""
    assert loaded(str(tmp_path)) == "tree_sitter,tree_sitter_javascript"


def test_module_and_commonjs_extensions_are_read_as_their_language(cli, tmp_path):
    """`.mts`/`.cts` are TypeScript and `.cjs` JavaScript: walked and parsed as `.ts` and `.js` are, with the same
    findings (TypeScript's annotations would not parse as JavaScript)."""
    typescript = (CASES / "npm-project" / "src" / "rum.ts").read_text()
    javascript = typescript.replace(": AwsRumConfig", "").replace(": string", "").replace(": AwsRum | null", "")
    javascript = javascript.replace("import { AwsRum, AwsRumConfig } from 'aws-rum-web';",
                                    "const { AwsRum } = require('aws-rum-web');")
    seen = {}
    for suffix, text in ((".ts", typescript), (".mts", typescript), (".cts", typescript), (".js", javascript),
                         (".cjs", javascript)):
        folder = tmp_path / suffix.lstrip(".")
        folder.mkdir()
        (folder / f"rum{suffix}").write_text(text)
        seen[suffix] = [(rule, severity, line, pointer) for rule, severity, _, line, pointer in findings(cli, str(folder))]
    assert seen[".ts"], "the client is read at all"
    assert seen[".mts"] == seen[".cts"] == seen[".ts"]
    assert seen[".cjs"] == seen[".js"] and seen[".js"]
