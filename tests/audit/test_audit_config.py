"""``rumpolicy audit`` with the configuration, suppressions and baselines of ``check``, from the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from rumpolicy.suppress import LivePattern
from tests.audit.conftest import REGION, World, monitor_arn, pool_id, put_policy, trust_policy
from tests.aws_standin import DEFAULT_ACCOUNT as ACCOUNT
from tests.conftest import ROOT

REPORT_SCHEMA = json.loads((ROOT / "rumpolicy" / "schemas" / "report.schema.json").read_text())
EUROPE = "eu-west-1"


def role_arn(name: str) -> str:
    return f"arn:aws:iam::{ACCOUNT}:role/{name}"


@pytest.fixture
def project(tmp_path, monkeypatch) -> Path:
    """The folder the audit runs in, where it finds ``.rumpolicy.yaml`` (no git: the project root)."""
    folder = tmp_path / "project"
    folder.mkdir()
    monkeypatch.chdir(folder)
    return folder


def broken_account(world: World) -> None:
    """blog: pool without guests (RUM-POOL-001, us-east-1); docs: role allows another monitor
    (RUM-PERM-001, global); admin: trust without `aud` (RUM-TRUST-002, global); shop: correct."""
    world.guest_setup(ACCOUNT, "shop", 0)
    world.guest_setup(ACCOUNT, "blog", 1, allow_unauthenticated=False, basic=True)
    world.guest_setup(ACCOUNT, "docs", 2, policy=put_policy(monitor_arn(ACCOUNT, "other")))
    world.guest_setup(ACCOUNT, "admin", 3, trust=trust_policy(None))


def audit(cli, *args: str):
    result = cli("audit", *args, "--format", "json")
    if result.status != 2:
        jsonschema.validate(result.json(), REPORT_SCHEMA)
    return result


def findings(result) -> dict[tuple[str, str], dict]:
    return {(f["rule_id"], f["subject"]): f for f in result.json()["findings"]}


def test_config_ignores_overrides_and_suppresses_by_account_glob(world, cli, project):
    broken_account(world)
    without = audit(cli, "--region", REGION)
    assert without.status == 1
    assert {(rule, subject): f["severity"] for (rule, subject), f in findings(without).items()} == {
        ("RUM-POOL-001", pool_id(1)): "error", ("RUM-PERM-001", role_arn("docs-guest")): "error",
        ("RUM-TRUST-002", role_arn("admin-guest")): "error"}
    (project / ".rumpolicy.yaml").write_text(
        "ignore: [RUM-POOL-001]\n"
        "severity: {RUM-TRUST-002: warning}\n"
        "exclude: ['legacy/']            # check only: an audit reads no files\n"
        "region: ap-south-1              # check only: the audit reads the regions of --region\n"
        "suppress:\n"
        "  - id: RUM-PERM-001\n"
        "    paths: ['aws://1234*/*']\n"
        "    reason: the docs role is replaced in Q3 (RISK-7)\n")

    result = audit(cli, "--region", REGION)

    assert result.status == 0, result.err       # the only error left is suppressed; TRUST-002 is a warning
    assert set(findings(result)) == {("RUM-PERM-001", role_arn("docs-guest")),
                                     ("RUM-TRUST-002", role_arn("admin-guest"))}
    suppressed = findings(result)[("RUM-PERM-001", role_arn("docs-guest"))]
    assert suppressed["location"]["path"] == f"aws://{ACCOUNT}"      # global: `/*` covers it too
    assert suppressed["suppression"] == {
        "kind": "config", "reason": "the docs role is replaced in Q3 (RISK-7)",
        "location": {"path": ".rumpolicy.yaml", "line": 6, "column": 5, "pointer": "/suppress/0"}}
    assert findings(result)[("RUM-TRUST-002", role_arn("admin-guest"))]["severity"] == "warning"
    assert result.json()["summary"]["suppressed"] == 1
    assert [c["scope"] for c in result.json()["coverage"]] == [f"aws://{ACCOUNT}", f"aws://{ACCOUNT}/{REGION}"]

    # Command-line options replace the file's: the warning fails the run, and --ignore replaces `ignore`.
    assert audit(cli, "--region", REGION, "--fail-on", "warning").status == 1
    reignored = audit(cli, "--region", REGION, "--ignore", "RUM-TRUST-002")
    assert set(findings(reignored)) == {("RUM-POOL-001", pool_id(1)), ("RUM-PERM-001", role_arn("docs-guest"))}
    assert reignored.status == 1
    text = cli("audit", "--region", REGION, "--show-suppressed")
    assert f"aws://{ACCOUNT} {role_arn('docs-guest')}: error RUM-PERM-001" in text.out
    assert "[suppressed by config: the docs role is replaced in Q3 (RISK-7)]" in text.out
    assert audit(cli, "--region", REGION, "--no-config").status == 1


def test_a_region_glob_covers_only_that_regions_findings(world, cli, project):
    broken_account(world)
    world.guest_setup(ACCOUNT, "euro", 4, region=EUROPE, allow_unauthenticated=False, basic=True)
    (project / ".rumpolicy.yaml").write_text(
        "suppress:\n"
        "  - id: RUM-POOL-001\n"
        "    paths: ['aws://*/eu-*']\n"
        "    reason: the European pools are being migrated (RISK-9)\n"
        "  - id: RUM-TRUST-002\n"
        "    paths: ['aws://*/us-east-1']\n"
        "    reason: IAM is global, so a region does not cover it\n"
        "  - id: RUM-PERM-001\n"
        f"    subjects: ['arn:aws:iam::{ACCOUNT}:role/docs-*']\n"
        "    paths: ['aws://*']\n"
        "    reason: the docs role is replaced in Q3 (RISK-7)\n")

    result = audit(cli, "--region", REGION, "--region", EUROPE)

    state = {key: f["suppressed"] for key, f in findings(result).items() if key[0] != "RUM-SRC-004"}
    assert state == {("RUM-POOL-001", pool_id(1)): False, ("RUM-POOL-001", pool_id(4, EUROPE)): True,
                     ("RUM-PERM-001", role_arn("docs-guest")): True,
                     ("RUM-TRUST-002", role_arn("admin-guest")): False}
    unused = [f for f in result.json()["findings"] if f["rule_id"] == "RUM-SRC-004"]
    assert [(f["location"]["line"], f["message"]) for f in unused] == [
        (5, "the config suppression of `RUM-TRUST-002` suppresses no finding")]


def test_unreasoned_and_unused_suppressions_are_reported(world, cli, project):
    broken_account(world)
    world.guest_setup(ACCOUNT, "euro", 4, region=EUROPE)
    world.standin.inject("rum", "GetResourcePolicy", "denied", times=None, region=EUROPE)
    config = project / "audit.yaml"
    config.write_text(
        "suppress:\n"
        f"  - id: RUM-TRUST-002\n    paths: ['aws://{ACCOUNT}']\n"                           # line 2: no reason
        "  - id: RUM-POOL-003\n    paths: ['aws://*/us-east-1']\n    reason: nothing to suppress\n"     # line 4
        "  - id: RUM-POOL-001\n    paths: ['aws://*/ap-south-1']\n    reason: a region not audited\n"   # line 7
        "  - id: RUM-PERM-001\n    paths: ['legacy/**']\n    reason: files are for check\n"         # line 10
        f"  - id: RUM-RBP-005\n    paths: ['aws://*/{EUROPE}']\n    reason: a policy not read\n"   # line 13
        "  - id: RUM-PERM-001\n    paths: ['aws://*/us-*']\n    reason: global, region read\n")    # line 16

    result = audit(cli, "--config", str(config), "--region", REGION, "--region", EUROPE)

    assert result.status == 1
    assert not findings(result)[("RUM-TRUST-002", role_arn("admin-guest"))]["suppressed"]
    reported = [(f["location"]["path"], f["location"]["line"], f["severity"], f["message"])
                for f in result.json()["findings"] if f["rule_id"] == "RUM-SRC-004"]
    shown = str(config.relative_to(project))
    assert reported == [
        (shown, 2, "warning", "the config suppression of `RUM-TRUST-002` gives no reason, so it does not take effect"),
        (shown, 4, "warning", "the config suppression of `RUM-POOL-003` suppresses no finding"),
        (shown, 16, "warning", "the config suppression of `RUM-PERM-001` suppresses no finding"),
    ]
    # Line 13 is not judged: eu-west-1 was read only in part (a resource policy was denied).
    coverage = {c["scope"]: c["status"] for c in result.json()["coverage"]}
    assert coverage[f"aws://{ACCOUNT}/{EUROPE}"] == "partial"
    # The same entries with the whole account read: line 13 now suppresses nothing.
    world.standin.faults.clear()
    reread = audit(cli, "--config", str(config), "--region", REGION, "--region", EUROPE)
    assert [f["location"]["line"] for f in reread.json()["findings"] if f["rule_id"] == "RUM-SRC-004"] == [2, 4, 13, 16]


def test_baseline_round_trip_reports_only_the_new_problem(world, cli, project):
    broken_account(world)
    world.guest_setup(ACCOUNT, "euro", 4, region=EUROPE, allow_unauthenticated=False, basic=True)

    written = audit(cli, "--region", REGION, "--region", EUROPE, "--write-baseline", "baseline.json")

    assert written.status == 0, written.err
    assert "rumpolicy: recorded 4 findings in baseline.json" in written.err
    assert written.json()["findings"] == [] and written.json()["summary"]["baselined"] == 4
    recorded = json.loads((project / "baseline.json").read_text())["findings"]
    assert sorted((e["rule_id"], e["path"], e["subject"]) for e in recorded) == sorted([
        ("RUM-POOL-001", f"aws://{ACCOUNT}/{REGION}", pool_id(1)),
        ("RUM-POOL-001", f"aws://{ACCOUNT}/{EUROPE}", pool_id(4, EUROPE)),
        ("RUM-PERM-001", f"aws://{ACCOUNT}", role_arn("docs-guest")),
        ("RUM-TRUST-002", f"aws://{ACCOUNT}", role_arn("admin-guest"))])
    # Another run of the unchanged account, regions in the other order, one job: the same fingerprints.
    audit(cli, "--region", EUROPE, "--region", REGION, "--jobs", "1", "--write-baseline", "again.json")
    assert (project / "again.json").read_text() == (project / "baseline.json").read_text()

    # A new problem: the shop's role loses the `aud` condition; a new, correct monitor moves every list.
    world.client("iam").update_assume_role_policy(RoleName="shop-guest",
                                                  PolicyDocument=json.dumps(trust_policy(None)))
    world.guest_setup(ACCOUNT, "aaa", 5)
    result = audit(cli, "--region", REGION, "--region", EUROPE, "--baseline", "baseline.json")

    assert result.status == 1
    assert list(findings(result)) == [("RUM-TRUST-002", role_arn("shop-guest"))]
    assert result.json()["summary"]["baselined"] == 4
    assert "4 in the baseline" in cli("audit", "--region", REGION, "--region", EUROPE, "--baseline",
                                      "baseline.json").out.splitlines()[-1]

    # Rewritten after the admin role is fixed: it drops out, the shop's problem is recorded.
    world.client("iam").update_assume_role_policy(RoleName="admin-guest",
                                                  PolicyDocument=json.dumps(trust_policy(pool_id(3))))
    rewritten = audit(cli, "--region", REGION, "--region", EUROPE, "--write-baseline", "baseline.json")
    assert "recorded 4 findings" in rewritten.err
    subjects = {e["subject"] for e in json.loads((project / "baseline.json").read_text())["findings"]}
    assert role_arn("admin-guest") not in subjects and role_arn("shop-guest") in subjects


def test_an_audit_that_reads_nothing_leaves_the_baseline_alone(world, cli, project):
    broken_account(world)
    audit(cli, "--region", REGION, "--write-baseline", "baseline.json")
    before = (project / "baseline.json").read_text()
    world.standin.inject("rum", "ListAppMonitors", "denied", times=None)

    result = cli("audit", "--region", REGION, "--write-baseline", "baseline.json")

    assert result.status == 2
    assert "nothing could be checked" in result.err and "baseline.json was left as it was" in result.err
    assert (project / "baseline.json").read_text() == before


def test_a_partial_audit_warns_that_the_baseline_lacks_what_was_not_read(world, cli, project):
    broken_account(world)
    world.standin.inject("rum", "GetResourcePolicy", "denied", times=None, Name="shop")

    result = cli("audit", "--region", REGION, "--write-baseline", "baseline.json")

    assert result.status == 0
    assert "rumpolicy: warning: 1 of 2 scopes were not fully read, so baseline.json lacks whatever their unread " \
           "parts would show" in result.err


def test_an_invalid_configuration_exits_2_before_any_call(world, cli, project):
    (project / ".rumpolicy.yaml").write_text("suppress:\n  - id: RUM-PERM-001\n    paths: ['aws://prod/us-east-1']\n")

    result = cli("audit", "--region", REGION)

    assert result.status == 2
    assert ".rumpolicy.yaml:3:13: suppress.0.paths.0: 'aws://prod/us-east-1' does not match" in result.err
    assert world.standin.calls == []


@pytest.mark.parametrize("pattern, location, expected", [
    ("aws://123456789012", "aws://123456789012", True),
    ("aws://123456789012", "aws://123456789012/us-east-1", True),
    ("aws://123456789012/*", "aws://123456789012", True),
    ("aws://123456789012/*", "aws://123456789012/eu-west-1", True),
    ("aws://123456789012/eu-*", "aws://123456789012", False),
    ("aws://123456789012/eu-*", "aws://123456789012/eu-west-1", True),
    ("aws://123456789012/eu-*", "aws://123456789012/us-east-1", False),
    ("aws://*/us-east-1", "aws://210987654321/us-east-1", True),
    ("aws://1234*", "aws://210987654321", False),
    ("aws://*", "aws://aws", True),
    ("aws://12345678901?", "aws://123456789012/us-east-1", True),
    ("aws://123456789012", "aws://1234567890123", False),
    ("aws://123456789012", "123456789012/rum.yaml", False),
])
def test_live_path_globs(pattern, location, expected):
    assert LivePattern.parse(pattern).matches(location) is expected


def test_subject_globs_work_in_check_too(cli, project):
    (project / "rum.yaml").write_text((ROOT / "examples" / "broken" / "rum-shop.yaml").read_text())
    (project / ".rumpolicy.yaml").write_text(
        "suppress:\n"
        "  - id: RUM-PERM-005\n    subjects: ['Shop*Role']\n    reason: denied by an SCP (SEC-1)\n"
        "  - id: RUM-PERM-004\n    subjects: ['Blog*']\n    reason: no such resource\n")

    result = cli("check", "rum.yaml", "--format", "json")

    state = {(f["rule_id"], f["subject"]): f["suppressed"] for f in result.json()["findings"]}
    assert state == {("RUM-POOL-002", "ShopIdentityPool"): False, ("RUM-TRUST-002", "ShopGuestRole"): False,
                     ("RUM-PERM-005", "ShopGuestRole"): True, ("RUM-PERM-004", "ShopGuestRole"): False,
                     ("RUM-SRC-004", "config suppression at .rumpolicy.yaml:5"): False}
