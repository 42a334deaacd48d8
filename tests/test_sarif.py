"""``--format sarif``: every log validates against the official SARIF 2.1.0 schema (with URI formats) and
meets what GitHub code scanning documents for uploads (``github_accepts``), for checks and for audits."""

from __future__ import annotations

import copy
import email.message
import gzip
import json
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from rumpolicy.engine import registry
from tests.audit.conftest import REGION, World, moto_url, pool_id, put_policy, trust_policy, world  # noqa: F401
from tests.aws_standin import DEFAULT_ACCOUNT as ACCOUNT
from tests.conftest import ROOT

SARIF_SCHEMA = json.loads((ROOT / "tests" / "data" / "sarif-schema-2.1.0.json").read_text())
VALIDATOR = jsonschema.Draft4Validator(SARIF_SCHEMA, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER)
EXAMPLES = ROOT / "examples"
DUPLICATES = "tests/data/sarif/duplicate-statements.yaml"
KEY = "rumpolicy/v2"
REPOSITORY_DOCS = "https://github.com/rumpolicy/rumpolicy/blob/main/docs/rules"

# What GitHub documents for SARIF uploads, from "SARIF support for code scanning" (docs.github.com/en/
# code-security/code-scanning/integrating-with-code-scanning/sarif-support-for-code-scanning) and the limits
# of "Uploading a SARIF file to GitHub" and of the REST endpoint "Upload an analysis as SARIF data":
# - the file is SARIF 2.1.0, at most 10 MB once gzip-compressed;
MAX_GZIPPED_BYTES = 10 * 2**20
# - at most 20 runs per file, 25,000 results per run (more: the upload is rejected; of those, only the top
#   5,000 by severity are kept), 25,000 rules per run, 1,000 locations per result (100 kept) and 20 tags per
#   rule (10 kept);
MAX_RUNS, MAX_RESULTS, MAX_RULES, MAX_LOCATIONS, MAX_TAGS = 20, 25_000, 25_000, 1_000, 20
# - `tool.driver.name` is required; a rule (reportingDescriptor) needs `id`, `shortDescription.text`,
#   `fullDescription.text` and `help.text`; `properties.security-severity` is a string holding a score from
#   0.0 to 10.0 (over 9.0 critical, 7.0-8.9 high, 4.0-6.9 medium, 0.1-3.9 low; 0.0 or out of range: none),
#   read only for rules tagged `security`;
SECURITY_BANDS = {"critical": (9.0, 10.0), "high": (7.0, 8.9), "medium": (4.0, 6.9), "low": (0.1, 3.9)}
# - a result needs `ruleId`, `message.text` and `partialFingerprints` (code scanning matches alerts across
#   runs with them: equal fingerprints are one alert); `level` is one of these;
LEVELS = {"none", "note", "warning", "error"}
# - a result needs at least one location to be shown at all; a location's `physicalLocation` needs
#   `artifactLocation.uri` and `region.startLine`; the URI should be relative to the repository root
#   (`src/main.js`, with a `uriBaseId` such as `%SRCROOT%`): an absolute `file:` URI is made relative to the
#   checkout, which a path of the machine that ran the tool is not.


def valid_sarif(text: str) -> dict:
    log = json.loads(text)
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in VALIDATOR.iter_errors(log)]
    assert not errors, errors[:5]
    return log


def github_accepts(text: str) -> dict:
    """``text`` validates and meets every upload constraint written down above; the log."""
    log = valid_sarif(text)
    assert len(gzip.compress(text.encode("utf-8"))) <= MAX_GZIPPED_BYTES
    assert log["version"] == "2.1.0" and 1 <= len(log["runs"]) <= MAX_RUNS
    for run in log["runs"]:
        driver = run["tool"]["driver"]
        assert driver["name"] == "rumpolicy" and driver["informationUri"].startswith("https://")
        assert len(run["results"]) <= MAX_RESULTS and len(driver["rules"]) <= MAX_RULES
        for rule in driver["rules"]:
            assert rule["id"] and rule["shortDescription"]["text"] and rule["fullDescription"]["text"]
            assert rule["help"]["text"] and rule["helpUri"].startswith("https://")
            tags = rule["properties"]["tags"]
            assert 1 <= len(tags) <= MAX_TAGS and len(set(tags)) == len(tags)
            if "security-severity" in rule["properties"]:
                score = rule["properties"]["security-severity"]
                assert isinstance(score, str) and 0.1 <= float(score) <= 10.0 and "security" in tags
        rule_ids = [rule["id"] for rule in driver["rules"]]
        for item in run["results"]:
            assert item["ruleId"] in rule_ids and rule_ids[item["ruleIndex"]] == item["ruleId"]
            assert item["message"]["text"] and item["level"] in LEVELS
            assert item["partialFingerprints"] and all(isinstance(v, str) and v
                                                       for v in item["partialFingerprints"].values())
            assert 1 <= len(item["locations"]) <= MAX_LOCATIONS
            for place in item["locations"] + item.get("relatedLocations", []):
                physical = place["physicalLocation"]
                uri = physical["artifactLocation"]["uri"]
                assert uri and ":" not in uri.split("/")[0] and not uri.startswith("/"), uri    # relative
                assert physical["region"]["startLine"] >= 1
        fingerprints = [r["partialFingerprints"][KEY] for r in run["results"]]
        assert len(set(fingerprints)) == len(fingerprints), "two results would be one alert"
    return log


def sarif(cli, *args: str, command: str = "check") -> tuple[int, dict]:
    result = cli(command, *args, "--format", "sarif")
    return result.status, github_accepts(result.out)


def results_by_rule(log: dict) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for item in log["runs"][0]["results"]:
        out.setdefault(item["ruleId"], []).append(item)
    return out


def uri_of(item: dict) -> str:
    return item["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]


def test_broken_example(cli):
    status, log = sarif(cli, "examples/broken")
    assert status == 1
    assert log["version"] == "2.1.0"
    run = log["runs"][0]
    assert run["originalUriBaseIds"]["PROJECTROOT"]["uri"] == ROOT.as_uri() + "/"
    trust = results_by_rule(log)["RUM-TRUST-002"][0]
    assert trust["level"] == "error"
    physical = trust["locations"][0]["physicalLocation"]
    assert physical["artifactLocation"] == {"uri": "examples/broken/rum-shop.yaml", "uriBaseId": "PROJECTROOT"}
    assert physical["region"] == {"startLine": 25, "startColumn": 13}
    (logical,) = trust["locations"][0]["logicalLocations"]
    assert logical["fullyQualifiedName"] == ("examples/broken/rum-shop.yaml#/Resources/ShopGuestRole/Properties/"
                                             "AssumeRolePolicyDocument/Statement/0/Condition")
    assert run["tool"]["driver"]["rules"][trust["ruleIndex"]]["id"] == "RUM-TRUST-002"
    assert "ShopGuestRole" in trust["message"]["text"]
    perm = results_by_rule(log)["RUM-PERM-004"][0]
    assert perm["level"] == "warning"
    pool = results_by_rule(log)["RUM-POOL-002"][0]
    related = pool["relatedLocations"][0]
    assert related["physicalLocation"]["region"]["startLine"] == 52      # the monitor's GuestRoleArn
    assert related["id"] == 1


def test_rule_descriptors(cli):
    _, log = sarif(cli, "examples/correct")
    driver = log["runs"][0]["tool"]["driver"]
    assert driver["informationUri"] == "https://github.com/rumpolicy/rumpolicy"
    rules = driver["rules"]
    assert [r["id"] for r in rules] == [r.id for r in registry()]
    trust = next(r for r in rules if r["id"] == "RUM-TRUST-002")
    assert trust["name"] == "guest-role-trust-missing-aud"
    assert trust["shortDescription"]["text"] and trust["fullDescription"]["text"]
    # The installed metadata's Documentation URL or, without it, the same page of the repository.
    assert trust["helpUri"] == f"{REPOSITORY_DOCS}/RUM-TRUST-002.md"
    assert trust["help"]["markdown"].startswith("# RUM-TRUST-002")
    assert trust["defaultConfiguration"]["level"] == "error"
    assert trust["properties"]["tags"] == ["security", "rum", "trust"]
    assert next(r for r in rules if r["id"] == "RUM-SRC-001")["defaultConfiguration"]["level"] == "note"
    for rule in rules:       # every help URL names a page that exists, docs/rules/<ID>.md
        assert rule["helpUri"].startswith(REPOSITORY_DOCS + "/")
        assert (ROOT / "docs" / "rules" / rule["helpUri"].rsplit("/", 1)[1]).is_file(), rule["helpUri"]


def _band(score: str) -> str:
    return next(name for name, (low, high) in SECURITY_BANDS.items() if low <= float(score) <= high)


def test_security_severity_follows_the_rule_severity(cli):
    _, log = sarif(cli, "examples/correct")
    rules = {r["id"]: r for r in log["runs"][0]["tool"]["driver"]["rules"]}
    by_level: dict[str, set[str]] = {}
    for found in registry():
        properties = rules[found.id]["properties"]
        if found.area == "input":
            # Whether a check was made, not a weakness: shown by level, not rated as a vulnerability.
            assert "security-severity" not in properties and "security" not in properties["tags"]
            continue
        assert properties["tags"][0] == "security" and found.area in properties["tags"]
        by_level.setdefault(found.severity.value, set()).add(_band(properties["security-severity"]))
    assert by_level == {"error": {"high"}, "warning": {"medium"}, "info": {"low"}}


@pytest.fixture
def project_urls(monkeypatch):
    """Set the installed distribution's ``Project-URL`` entries (None: no metadata at all)."""
    import importlib.metadata

    from rumpolicy.report import sarif

    def install(entries: list[str] | None) -> None:
        def metadata(name: str):
            assert name == "rumpolicy"
            if entries is None:
                raise importlib.metadata.PackageNotFoundError(name)
            message = email.message.Message()
            message["Name"] = "rumpolicy"
            for entry in entries:
                message["Project-URL"] = entry
            return message

        monkeypatch.setattr(importlib.metadata, "metadata", metadata)
        sarif.project_urls.cache_clear()

    yield install
    sarif.project_urls.cache_clear()


def test_help_urls_come_from_the_project_urls(project_urls):
    from rumpolicy.report.sarif import help_url, homepage_url, rule_descriptor

    project_urls(["Homepage, https://rumpolicy.example.org", "Documentation, https://docs.example.org/rules/",
                  "Repository, https://git.example.org/rumpolicy"])
    assert help_url("RUM-TRUST-002") == "https://docs.example.org/rules/RUM-TRUST-002.md"
    assert homepage_url() == "https://rumpolicy.example.org"
    assert rule_descriptor(registry()[0])["helpUri"] == f"https://docs.example.org/rules/{registry()[0].id}.md"
    project_urls(["homepage, https://rumpolicy.example.org", "Source, https://git.example.org/rumpolicy"])
    assert help_url("RUM-TRUST-002") == f"{REPOSITORY_DOCS}/RUM-TRUST-002.md"      # no Documentation entry
    project_urls(None)
    assert help_url("RUM-TRUST-002") == f"{REPOSITORY_DOCS}/RUM-TRUST-002.md"
    assert homepage_url() == "https://github.com/rumpolicy/rumpolicy"


def test_the_project_urls_are_read_only_for_reports_that_need_them():
    probe = ("import sys; from rumpolicy.cli import main; main(sys.argv[1:]); "
             "print('importlib.metadata' in sys.modules, file=sys.stderr)")

    def metadata_imported(*args: str) -> str:
        proc = subprocess.run([sys.executable, "-c", probe, "check", "examples/broken", *args], cwd=ROOT,
                              capture_output=True, text=True, timeout=120)
        return proc.stderr.strip().splitlines()[-1]

    assert metadata_imported() == "False"            # startup time: the plain check never reads metadata
    assert metadata_imported("--format", "sarif") == "True"


def test_the_format_checker_is_active(cli):
    # A relative helpUri is not a URI: the validation above would catch it.
    _, log = sarif(cli, "examples/correct")
    broken = copy.deepcopy(log)
    broken["runs"][0]["tool"]["driver"]["rules"][0]["helpUri"] = "docs/rules/RUM-ATT-001.md"
    assert list(VALIDATOR.iter_errors(broken))


def test_fingerprints_are_the_baseline_fingerprint_and_the_occurrence(cli):
    _, log = sarif(cli, "examples/broken")
    report = cli("check", "examples/broken", "--format", "json").json()
    from_json = sorted(f"{f['fingerprint']}:1" for f in report["findings"])
    from_sarif = sorted(r["partialFingerprints"][KEY] for r in log["runs"][0]["results"])
    assert from_sarif == from_json


def test_two_identical_statements_are_two_alerts(cli, tmp_path):
    _, log = sarif(cli, DUPLICATES)
    by_rule = results_by_rule(log)
    report = cli("check", DUPLICATES, "--format", "json").json()
    for rule_id in ("RUM-PERM-004", "RUM-PERM-005"):
        twins = sorted(by_rule[rule_id], key=lambda r: r["locations"][0]["physicalLocation"]["region"]["startLine"])
        assert len(twins) == 2
        (base,) = {f["fingerprint"] for f in report["findings"] if f["rule_id"] == rule_id}
        # The first in the file is :1, the second :2 (github_accepts checked that they differ).
        assert [t["partialFingerprints"][KEY] for t in twins] == [f"{base}:1", f"{base}:2"]
    assert cli("check", DUPLICATES, "--format", "sarif").out == cli("check", DUPLICATES, "--format", "sarif").out
    # The baseline still records the counted fingerprints: the same one twice, excusing both.
    baseline = tmp_path / "baseline.json"
    cli("check", DUPLICATES, "--write-baseline", str(baseline))
    recorded = [e["fingerprint"] for e in json.loads(baseline.read_text())["findings"] if e["rule_id"] == "RUM-PERM-004"]
    assert recorded == [by_rule["RUM-PERM-004"][0]["partialFingerprints"][KEY].rsplit(":", 1)[0]] * 2
    status, again = sarif(cli, DUPLICATES, "--baseline", str(baseline))
    assert status == 0 and again["runs"][0]["results"] == [] and again["runs"][0]["properties"]["baselined"] == 6


def test_occurrences_do_not_depend_on_the_order_of_the_findings():
    from rumpolicy.api import Options, check
    from rumpolicy.baseline import occurrence_fingerprints

    findings = check([DUPLICATES], Options()).findings
    forward = dict(zip(map(id, findings), occurrence_fingerprints(findings, ROOT)))
    backward = dict(zip(map(id, findings[::-1]), occurrence_fingerprints(findings[::-1], ROOT)))
    assert forward == backward and len(set(forward.values())) == len(findings)


def test_suppressed_findings_are_left_out_unless_shown(cli):
    from rumpolicy.api import Options, check
    from rumpolicy.report.sarif import render

    status, log = sarif(cli, "fixtures/rules/RUM-SRC-004/good.yaml")
    assert status == 0 and log["runs"][0]["results"] == []       # code scanning would open them as alerts
    assert log["runs"][0]["properties"]["suppressed"] == 3
    shown = github_accepts(render(check(["fixtures/rules/RUM-SRC-004/good.yaml"], Options()), root=ROOT,
                                  show_suppressed=True))
    results = results_by_rule(shown)
    comment = results["RUM-PERM-004"][0]["suppressions"][0]
    assert comment["kind"] == "inSource" and comment["status"] == "accepted"
    assert comment["justification"] == "one role serves all monitors of this account"
    assert comment["location"]["physicalLocation"]["region"]["startLine"] == 45
    metadata = results["RUM-PERM-005"][0]["suppressions"][0]
    assert metadata["kind"] == "inSource" and "SCP" in metadata["justification"]


def test_showing_suppressed_findings_changes_no_other_fingerprint(tmp_path):
    from rumpolicy.api import Options, check
    from rumpolicy.report.sarif import render

    # The first of the twin PERM-004 findings is suppressed by a comment, the second is not.
    text = (ROOT / DUPLICATES).read_text()
    first = text.index('Resource: "*"') + len('Resource: "*"')
    (tmp_path / "rum.yaml").write_text(text[:first] + "  # rumpolicy: ignore RUM-PERM-004 -- accepted" + text[first:])
    report = check([str(tmp_path / "rum.yaml")], Options(root=tmp_path))
    hidden = results_by_rule(github_accepts(render(report, root=tmp_path)))
    shown = results_by_rule(github_accepts(render(report, root=tmp_path, show_suppressed=True)))
    assert [p["partialFingerprints"][KEY][-2:] for p in hidden["RUM-PERM-004"]] == [":2"]
    assert sorted((p["partialFingerprints"][KEY][-2:], "suppressions" in p) for p in shown["RUM-PERM-004"]) == [
        (":1", True), (":2", False)]
    assert {k: [r["partialFingerprints"] for r in v] for k, v in hidden.items() if k != "RUM-PERM-004"} == \
        {k: [r["partialFingerprints"] for r in v] for k, v in shown.items() if k != "RUM-PERM-004"}


def test_config_suppression_is_external(tmp_path, monkeypatch):
    from rumpolicy.api import Options, check
    from rumpolicy.config import resolve
    from rumpolicy.report.sarif import render

    monkeypatch.chdir(tmp_path)
    (tmp_path / "rum.yaml").write_text((EXAMPLES / "broken" / "rum-shop.yaml").read_text())
    (tmp_path / ".rumpolicy.yaml").write_text("suppress:\n  - id: RUM-PERM-004\n    reason: accepted\n")
    report = check(["rum.yaml"], Options(config=resolve(None, False), root=tmp_path))
    assert "RUM-PERM-004" not in results_by_rule(github_accepts(render(report, root=tmp_path)))
    shown = github_accepts(render(report, root=tmp_path, show_suppressed=True))
    perm = results_by_rule(shown)["RUM-PERM-004"][0]
    assert perm["suppressions"][0]["kind"] == "external" and perm["suppressions"][0]["justification"] == "accepted"
    assert uri_of(perm) == "rum.yaml"
    assert "suppressions" not in results_by_rule(shown)["RUM-TRUST-002"][0]


def test_file_outside_the_project_and_finding_without_line(cli, tmp_path):
    notes = tmp_path / "my notes.json"
    notes.write_text('{"name": "web"}')
    result = cli("check", str(notes), "--format", "sarif")
    log = valid_sarif(result.out)       # not github_accepts: nothing in the repository to name
    (item,) = log["runs"][0]["results"]
    assert item["ruleId"] == "RUM-SRC-002" and item["level"] == "note"
    physical = item["locations"][0]["physicalLocation"]
    assert physical["artifactLocation"] == {"uri": notes.as_uri()}
    assert "%20" in physical["artifactLocation"]["uri"] and physical["region"] == {"startLine": 1}


def test_every_location_kind_has_a_physical_location():
    from rumpolicy.engine import RunResult
    from rumpolicy.findings import Finding, Location, Severity, Span
    from rumpolicy.report import Report
    from rumpolicy.report.sarif import render

    region = f"aws://{ACCOUNT}/eu-west-1"
    pool = "eu-west-1:0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0"
    role = f"arn:aws:iam::{ACCOUNT}:role/rum/shop-guest"
    cases = [  # (source, pointer, subject) -> artifact URI
        ((region, "/AllowUnauthenticatedIdentities", pool),
         f"aws/{ACCOUNT}/eu-west-1/cognito-identity/identitypool/{pool}"),
        ((f"aws://{ACCOUNT}", "/AssumeRolePolicyDocument/Statement/0", role), f"aws/{ACCOUNT}/global/iam/role/rum/shop-guest"),
        (("aws://aws", "/PolicyVersion/Document", "arn:aws:iam::aws:policy/AdministratorAccess"),
         "aws/aws/global/iam/policy/AdministratorAccess"),
        ((region, "", region), f"aws/{ACCOUNT}/eu-west-1"),                     # the region itself
        ((f"aws://{ACCOUNT}", "", ACCOUNT), f"aws/{ACCOUNT}/global"),           # the account itself
        ((region, "", f"arn:aws:rum:eu-west-1:{ACCOUNT}:appmonitor/../x y"),     # no dot segment survives
         f"aws/{ACCOUNT}/eu-west-1/rum/appmonitor/%2E%2E/x%20y"),
        (("<rumpolicy>", "", "GuestRole"), "%3Crumpolicy%3E"),
        (("infra/rum.yaml", "", "infra/rum.yaml"), "infra/rum.yaml"),           # a file that could not be read
    ]
    findings = [Finding("RUM-SRC-001", "x", Severity.INFO, f"case {i}", subject, Location(source, pointer))
                for i, ((source, pointer, subject), _) in enumerate(cases)]
    findings.append(Finding("RUM-SRC-000", "x", Severity.ERROR, "parse", "f", Location("infra/b.yaml", "", Span(3, 4)),
                            related=(Location(region, "/x"),)))
    log = github_accepts(render(Report(RunResult(findings, {}), files_checked=0), root=ROOT))
    results = log["runs"][0]["results"]
    assert [uri_of(r) for r in results[:-1]] == [uri for _, uri in cases]
    assert all(r["locations"][0]["physicalLocation"]["region"] == {"startLine": 1} for r in results[:-1])
    assert results[0]["locations"][0]["logicalLocations"][0]["fullyQualifiedName"] == (
        f"aws/{ACCOUNT}/eu-west-1/cognito-identity/identitypool/{pool}#/AllowUnauthenticatedIdentities")
    assert results[-1]["locations"][0]["physicalLocation"]["region"] == {"startLine": 3, "startColumn": 4}
    assert results[-1]["relatedLocations"][0]["physicalLocation"]["artifactLocation"] == {"uri": f"aws/{ACCOUNT}/eu-west-1"}


def test_coverage_of_an_audit_is_carried():
    from rumpolicy.engine import RunResult
    from rumpolicy.report import CoverageEntry, Report
    from rumpolicy.report.sarif import render

    report = Report(RunResult([], {}), files_checked=0, coverage=(
        CoverageEntry("aws://123456789012/eu-west-1", "checked", monitors=2),
        CoverageEntry("aws://123456789012/us-east-1", "not_checked", reason="AccessDenied on rum:ListAppMonitors")))
    log = github_accepts(render(report, root=ROOT))
    run = log["runs"][0]
    assert [c["status"] for c in run["properties"]["coverage"]] == ["checked", "not_checked"]
    (note,) = run["invocations"][0]["toolExecutionNotifications"]
    assert "AccessDenied" in note["message"]["text"] and note["level"] == "error"
    no_coverage = github_accepts(render(Report(RunResult([], {}), files_checked=0), root=ROOT))
    assert "coverage" not in no_coverage["runs"][0]["properties"]


@pytest.mark.parametrize("path", ["examples", "fixtures/rules", "fixtures/inputs"])
def test_every_fixture_and_example_validates(cli, path):
    _, log = sarif(cli, path)
    assert log["runs"][0]["results"]
    for item in log["runs"][0]["results"]:
        uri = uri_of(item)
        assert not Path(uri).is_absolute() and (ROOT / uri).is_file()


def test_audit_results_have_stable_artifacts_that_github_accepts(world, cli):
    role = lambda name: f"arn:aws:iam::{ACCOUNT}:role/{name}"      # noqa: E731
    monitor = lambda name: f"arn:aws:rum:{REGION}:{ACCOUNT}:appmonitor/{name}"   # noqa: E731
    world.guest_setup(ACCOUNT, "shop", 0)
    world.guest_setup(ACCOUNT, "blog", 1, allow_unauthenticated=False, basic=True)
    world.guest_setup(ACCOUNT, "admin", 3, trust=trust_policy(None))
    world.guest_setup(ACCOUNT, "docs", 2, policy=put_policy(monitor("other")))

    status, log = sarif(cli, "--region", REGION, command="audit")

    assert status == 1
    located = {(r["ruleId"], uri_of(r)) for r in log["runs"][0]["results"]}
    assert located == {
        ("RUM-POOL-001", f"aws/{ACCOUNT}/{REGION}/cognito-identity/identitypool/{pool_id(1)}"),
        ("RUM-TRUST-002", f"aws/{ACCOUNT}/global/iam/role/admin-guest"),
        ("RUM-PERM-001", f"aws/{ACCOUNT}/global/iam/role/docs-guest"),
    }
    trust = results_by_rule(log)["RUM-TRUST-002"][0]
    assert trust["locations"][0]["physicalLocation"]["region"] == {"startLine": 1}
    assert trust["locations"][0]["logicalLocations"][0]["fullyQualifiedName"] == (
        f"aws/{ACCOUNT}/global/iam/role/admin-guest#/AssumeRolePolicyDocument/Statement/0/Condition")
    assert trust["properties"]["subject"] == role("admin-guest")
    assert [c["scope"] for c in log["runs"][0]["properties"]["coverage"]] == [f"aws://{ACCOUNT}",
                                                                              f"aws://{ACCOUNT}/{REGION}"]
    # Another audit of the unchanged account: the same results, fingerprints and artifacts.
    _, again = sarif(cli, "--region", REGION, "--jobs", "1", command="audit")
    assert again["runs"][0]["results"] == log["runs"][0]["results"]


def test_the_readme_uploads_checks_and_audits_with_commands_that_parse():
    from rumpolicy.cli import build_parser

    section = (ROOT / "README.md").read_text("utf-8").split("\n## GitHub Actions", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"run: (rumpolicy .+)", section)
    assert [shlex.split(c)[1] for c in commands] == ["check", "audit"]
    for command in commands:
        args = build_parser().parse_args(shlex.split(command)[1:])
        assert ("format", "sarif") in args.output_options
    uploaded = re.findall(r"sarif_file: (\S+)", section)
    assert uploaded == ["rumpolicy.sarif", "rumpolicy-audit.sarif"] and all(f in section for f in uploaded)
    categories = re.findall(r"category: (\S+)", section)
    assert len(categories) == 2 and len(set(categories)) == 2      # the same one twice: one replaces the other


def test_a_run_beyond_githubs_result_limit_keeps_the_most_severe(cli, monkeypatch):
    """GitHub rejects a run of more than 25,000 results: the least severe are left out, counted and named, and
    the command line warns. The limit is lowered here so that examples/broken exceeds it."""
    from rumpolicy.report import sarif as sarif_report

    status, full = sarif(cli, "examples/broken")
    levels = [item["level"] for item in full["runs"][0]["results"]]
    assert "error" in levels and "warning" in levels and len(levels) > 3
    keep = levels.count("error")
    monkeypatch.setattr(sarif_report, "MAX_RESULTS", keep)

    result = cli("check", "examples/broken", "--format", "sarif")
    log = github_accepts(result.out)
    run = log["runs"][0]
    assert [item["level"] for item in run["results"]] == ["error"] * keep
    kept = [item for item in full["runs"][0]["results"] if item["level"] == "error"]
    assert run["results"] == kept                   # the same results, in the same order
    assert run["properties"]["resultsLeftOut"] == len(levels) - keep
    (note,) = run["invocations"][0]["toolExecutionNotifications"]
    assert note["descriptor"]["id"] == "results-left-out" and f"rejects a run of more than {keep}" in note["message"]["text"]
    assert f"leaves out the {len(levels) - keep} least severe results" in result.err
    assert result.status == status == 1


def test_a_run_within_the_limit_says_nothing_of_it(cli):
    result = cli("check", "examples/broken", "--format", "sarif")
    run = json.loads(result.out)["runs"][0]
    assert "resultsLeftOut" not in run["properties"] and "least severe" not in result.err
    assert "toolExecutionNotifications" not in run["invocations"][0]


def test_a_configured_severity_rates_the_alerts_and_is_recorded_as_an_override(cli, tmp_path, monkeypatch):
    """GitHub rates a security alert by its rule's security-severity: a `severity:` override must change it."""
    shutil.copytree(ROOT / "examples" / "broken", tmp_path / "broken")
    (tmp_path / ".rumpolicy.yaml").write_text("severity:\n  RUM-PERM-004: error\n")
    monkeypatch.chdir(tmp_path)
    result = cli("check", "broken", "--format", "sarif")
    run = github_accepts(result.out)["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    index = next(i for i, rule in enumerate(rules) if rule["id"] == "RUM-PERM-004")
    assert _band(rules[index]["properties"]["security-severity"]) == "high"
    assert rules[index]["defaultConfiguration"] == {"level": "warning"}          # the rule's own
    assert run["invocations"][0]["ruleConfigurationOverrides"] == [
        {"descriptor": {"id": "RUM-PERM-004", "index": index}, "configuration": {"level": "error"}}]
    assert {item["level"] for item in run["results"] if item["ruleId"] == "RUM-PERM-004"} == {"error"}
