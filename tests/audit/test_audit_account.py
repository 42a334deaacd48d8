"""``rumpolicy audit`` of one loopback account: exactly the broken links, through faults, from the CLI."""

from __future__ import annotations

import json
from importlib.resources import files

import jsonschema

from tests.audit.conftest import REGION, World, monitor_arn, pool_id, put_policy, trust_policy
from tests.aws_standin import DEFAULT_ACCOUNT as ACCOUNT

REGION_SCOPE = f"aws://{ACCOUNT}/{REGION}"


def role_arn(name: str) -> str:
    return f"arn:aws:iam::{ACCOUNT}:role/{name}"


def several_monitors(world: World) -> None:
    """shop: correct (console-made: no GuestRoleArn); blog: pool without guests (basic flow); docs: role
    allows another monitor; admin: trust without `aud`; web-a and web-b: one pool, one shared role, and
    web-b has a narrowed public resource policy."""
    world.guest_setup(ACCOUNT, "shop", 0)
    world.guest_setup(ACCOUNT, "blog", 1, allow_unauthenticated=False, basic=True)
    world.guest_setup(ACCOUNT, "docs", 2, policy=put_policy(monitor_arn(ACCOUNT, "other")))
    world.guest_setup(ACCOUNT, "admin", 3, trust=trust_policy(None))
    shared = world.role("web-guest", trust_policy(pool_id(4)),
                        put_policy(monitor_arn(ACCOUNT, "web-a"), monitor_arn(ACCOUNT, "web-b")))
    world.standin.add_identity_pool(ACCOUNT, pool_id(4), allow_classic_flow=False, unauthenticated_role=shared)
    world.standin.add_app_monitor(ACCOUNT, REGION, "web-a", pool_id=pool_id(4))
    world.standin.add_app_monitor(ACCOUNT, REGION, "web-b", pool_id=pool_id(4))
    world.standin.set_resource_policy(ACCOUNT, REGION, "web-b", {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": "*", "Action": "rum:PutRumEvents", "Resource": monitor_arn(ACCOUNT, "web-b"),
        "Condition": {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}}]})


def test_audit_reports_exactly_the_broken_links_through_throttling_and_a_denied_call(world, cli):
    several_monitors(world)
    throttled = [world.standin.inject("rum", "GetAppMonitor", "throttle", times=2),
                 world.standin.inject("cognito-identity", "DescribeIdentityPool", "throttle", times=1),
                 world.standin.inject("iam", "GetRole", "unavailable", times=1),
                 world.standin.inject("iam", "ListRolePolicies", "throttle", times=1)]
    world.standin.inject("rum", "GetResourcePolicy", "denied", times=None, Name="shop")

    result = cli("audit", "--region", REGION, "--format", "json")

    assert result.status == 1, result.err
    report = result.json()
    jsonschema.validate(report, json.loads(files("rumpolicy").joinpath("schemas/report.schema.json").read_text()))
    broken = {(f["rule_id"], f["subject"]) for f in report["findings"] if f["severity"] != "info"}
    assert broken == {
        ("RUM-POOL-001", pool_id(1)),
        ("RUM-PERM-001", role_arn("docs-guest")),
        ("RUM-TRUST-002", role_arn("admin-guest")),
    }
    by_rule = {f["rule_id"]: f for f in report["findings"]}
    assert by_rule["RUM-POOL-001"]["location"] == {"path": REGION_SCOPE, "line": None, "column": None,
                                                   "pointer": "/AllowUnauthenticatedIdentities"}
    assert by_rule["RUM-TRUST-002"]["location"]["path"] == f"aws://{ACCOUNT}"
    assert by_rule["RUM-TRUST-002"]["location"]["pointer"] == "/AssumeRolePolicyDocument/Statement/0/Condition"
    assert by_rule["RUM-PERM-001"]["location"]["pointer"] == "/RolePolicyList/0/PolicyDocument/Statement/0/Resource"
    # The one denied call: shop's resource policy is unknown, so what depends on it is not decided.
    unknown = [f for f in report["findings"] if f["severity"] == "info"]
    assert {f["rule_id"] for f in unknown} == {"RUM-SRC-001"}
    assert {f["subject"] for f in unknown} == {monitor_arn(ACCOUNT, "shop"), role_arn("shop-guest")}
    assert all("GetResourcePolicy" in f["message"] or "no readable `PolicyDocument`" in f["message"] for f in unknown)
    assert report["coverage"] == [
        {"scope": f"aws://{ACCOUNT}", "status": "checked", "monitors": 0, "reason": None},
        {"scope": REGION_SCOPE, "status": "partial", "monitors": 6,
         "reason": "rum:GetResourcePolicy failed for app monitor shop: AccessDeniedException: injected denied: "
                   "not allowed to call rum:GetResourcePolicy now"},
    ]
    assert all(fault.times == 0 for fault in throttled), "every injected throttle and 5xx was retried"
    answered = [c for c in world.standin.calls if c.operation == "GetRole" and c.status == 200]
    assert sorted(c.account for c in answered) == [ACCOUNT] * 5    # five roles: the shared one read once


def test_throttling_that_outlasts_the_retries_is_a_gap_not_a_failure(world, cli):
    world.guest_setup(ACCOUNT, "shop", 0)
    world.guest_setup(ACCOUNT, "blog", 1)
    world.standin.inject("rum", "GetAppMonitor", "throttle", times=None, Name="blog")

    result = cli("audit", "--region", REGION, "--retry-mode", "adaptive", "--max-attempts", "2", "--format", "json")

    assert result.status == 0
    region = result.json()["coverage"][1]
    reason = "ThrottlingException (after 1 retry): injected throttle: not allowed to call rum:GetAppMonitor now"
    assert region == {"scope": REGION_SCOPE, "status": "partial", "monitors": 2,
                      "reason": f"rum:GetAppMonitor failed for app monitor blog: {reason}"}
    [finding] = result.json()["findings"]
    assert (finding["rule_id"], finding["subject"]) == ("RUM-SRC-001", monitor_arn(ACCOUNT, "blog"))
    assert f"app monitor blog could not be read ({reason}), so it was not checked" in finding["message"]
    assert [c.operation for c in world.standin.calls].count("GetAppMonitor") == 3     # shop once, blog twice


def test_markdown_shows_each_monitors_chain(world, cli):
    several_monitors(world)
    world.standin.inject("rum", "GetResourcePolicy", "denied", times=None, Name="shop")

    result = cli("audit", "--region", REGION, "--format", "markdown")

    assert result.status == 1
    text = result.out
    assert f"## Account {ACCOUNT} · {REGION}" in text
    section = {name: text.split(f"### App monitor `{name}`")[1].split("###")[0]
               for name in ("shop", "blog", "docs", "admin", "web-a", "web-b")}
    assert f"| Identity pool | `{pool_id(1)}` | **FAIL** | RUM-POOL-001 |" in section["blog"]
    assert f"| Role trust | `{role_arn('admin-guest')}` | **FAIL** | RUM-TRUST-002 |" in section["admin"]
    assert f"| Permissions | `{role_arn('docs-guest')}` | **FAIL** | RUM-PERM-001 |" in section["docs"]
    assert "| Resource policy | not readable | unknown |" in section["shop"]
    assert "Not checked:" in section["shop"]
    for name in ("web-a", "web-b"):
        assert "FAIL" not in section[name] and "unknown" not in section[name]
        assert f"| Permissions | `{role_arn('web-guest')}` | pass |" in section[name]
    assert "| Resource policy | attached | pass |" in section["web-b"]
    assert "## Findings" in text and "## Coverage" in text
    assert f"| `{REGION_SCOPE}` | partial | 6 app monitors | rum:GetResourcePolicy failed" in text


def test_text_report_lists_findings_and_coverage(world, cli):
    several_monitors(world)

    result = cli("audit", "--region", REGION)

    assert result.status == 1
    lines = result.out.splitlines()
    assert f"{REGION_SCOPE} {pool_id(1)}: error RUM-POOL-001 `AllowUnauthenticatedIdentities` is `false`; app " \
           f"monitor {monitor_arn(ACCOUNT, 'blog')} needs unauthenticated identities" in lines
    assert "coverage:" in lines
    assert any(line.split() == [REGION_SCOPE, "checked", "6", "app", "monitors"] for line in lines)
    assert lines[-1] == "3 errors, 0 warnings, 0 info in 6 app monitors; 2 of 2 scopes fully checked"


def test_a_clean_account_exits_0(world, cli):
    world.guest_setup(ACCOUNT, "shop", 0)
    world.guest_setup(ACCOUNT, "blog", 1, basic=True)

    result = cli("audit", "--region", REGION, "--format", "json")

    assert result.status == 0, result.out
    assert result.json()["findings"] == []


def test_nothing_checked_exits_2_with_a_clear_message(world, cli):
    world.guest_setup(ACCOUNT, "shop", 0)
    world.standin.inject("rum", "ListAppMonitors", "denied", times=None)

    result = cli("audit", "--region", REGION, "--region", "eu-west-1", "--format", "json")

    assert result.status == 2
    assert "nothing could be checked" in result.err
    coverage = result.json()["coverage"]
    assert [(c["scope"], c["status"]) for c in coverage] == [
        (f"aws://{ACCOUNT}", "checked"), (REGION_SCOPE, "not_checked"), (f"aws://{ACCOUNT}/eu-west-1", "not_checked")]
    assert coverage[1]["reason"].startswith("rum:ListAppMonitors failed: AccessDeniedException")
    src = [f for f in result.json()["findings"] if f["rule_id"] == "RUM-SRC-001"]
    assert {f["subject"] for f in src} == {REGION_SCOPE, f"aws://{ACCOUNT}/eu-west-1"}


def test_one_denied_region_does_not_stop_the_others(world, cli):
    world.guest_setup(ACCOUNT, "shop", 0, region="eu-west-1")
    world.standin.inject("rum", "ListAppMonitors", "denied", times=None, region=REGION)

    result = cli("audit", "--region", REGION, "--region", "eu-west-1", "--jobs", "1", "--format", "json")

    assert result.status == 0
    statuses = {c["scope"]: c["status"] for c in result.json()["coverage"]}
    assert statuses == {f"aws://{ACCOUNT}": "checked", REGION_SCOPE: "not_checked",
                        f"aws://{ACCOUNT}/eu-west-1": "checked"}
    assert [f["subject"] for f in result.json()["findings"]] == [REGION_SCOPE]


def test_all_regions_reads_every_rum_region_and_pools_in_their_own_region(world, cli):
    world.guest_setup(ACCOUNT, "shop", 0)
    # A monitor in eu-west-1 naming the us-east-1 pool: RUM-XREF-001, and the pool is read in us-east-1.
    world.standin.add_app_monitor(ACCOUNT, "eu-west-1", "euro", pool_id=pool_id(0))

    result = cli("audit", "--all-regions", "--format", "json")

    import boto3
    rum_regions = boto3.Session().get_available_regions("rum")
    coverage = result.json()["coverage"]
    assert [c["scope"] for c in coverage] == [f"aws://{ACCOUNT}"] + [f"aws://{ACCOUNT}/{r}" for r in rum_regions]
    assert all(c["status"] == "checked" for c in coverage)
    assert {(f["rule_id"], f["subject"]) for f in result.json()["findings"] if f["severity"] == "error"} >= {
        ("RUM-XREF-001", monitor_arn(ACCOUNT, "euro", "eu-west-1"))}
    pool_reads = {c.region for c in world.standin.calls if c.operation == "DescribeIdentityPool"}
    assert pool_reads == {REGION}


def test_many_roles_are_read_in_bulk_and_fall_back_when_denied(world, cli):
    names = [f"app{i}" for i in range(6)]
    for index, name in enumerate(names):
        world.guest_setup(ACCOUNT, name, index)
    world.guest_setup(ACCOUNT, "broken", 0, region="eu-west-1", policy=put_policy(monitor_arn(ACCOUNT, "x")))
    world.guest_setup(ACCOUNT, "admin", 1, region="eu-west-1", trust=trust_policy(None))

    bulk = cli("audit", "--region", REGION, "--region", "eu-west-1", "--format", "json")

    operations = [op for _, op in world.standin.operations()]
    assert "GetAccountAuthorizationDetails" in operations and "GetRole" not in operations
    world.standin.calls.clear()
    world.standin.inject("iam", "GetAccountAuthorizationDetails", "denied", times=None)
    fallback = cli("audit", "--region", REGION, "--region", "eu-west-1", "--format", "json")

    assert [op for _, op in world.standin.operations()].count("GetRole") == 8
    for result in (bulk, fallback):
        assert result.status == 1
        assert {(f["rule_id"], f["subject"]) for f in result.json()["findings"]} == {
            ("RUM-PERM-001", role_arn("broken-guest")), ("RUM-TRUST-002", role_arn("admin-guest"))}
        assert all(c["status"] == "checked" for c in result.json()["coverage"])


def test_managed_policies_and_boundaries_are_read_and_evaluated(world, cli):
    iam = world.client("iam")
    grant = iam.create_policy(PolicyName="rum-put", PolicyDocument=json.dumps(
        put_policy(monitor_arn(ACCOUNT, "shop"), monitor_arn(ACCOUNT, "blog"))))["Policy"]["Arn"]
    boundary = iam.create_policy(PolicyName="s3-only", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}))["Policy"]["Arn"]
    shop = world.role("shop-guest", trust_policy(pool_id(0)), managed=(grant,))
    blog = world.role("blog-guest", trust_policy(pool_id(1)), managed=(grant,), boundary=boundary)
    world.guest_setup(ACCOUNT, "shop", 0, role=shop)
    world.guest_setup(ACCOUNT, "blog", 1, role=blog)

    result = cli("audit", "--region", REGION, "--format", "json")

    errors = {(f["rule_id"], f["subject"]) for f in result.json()["findings"] if f["severity"] == "error"}
    assert ("RUM-PERM-006", blog) in errors
    assert not any(subject == shop for _, subject in errors)
    policy_reads = [c for c in world.standin.calls if c.operation in ("GetPolicy", "GetPolicyVersion")]
    assert len(policy_reads) == 4      # two policies, each read once although two roles attach the grant


def test_unreadable_and_missing_roles_are_reported_not_passed(world, cli):
    world.guest_setup(ACCOUNT, "shop", 0)
    world.guest_setup(ACCOUNT, "ghost", 1, role=role_arn("deleted-guest"))
    world.standin.inject("iam", "GetRole", "denied", times=None, RoleName="shop-guest")

    result = cli("audit", "--region", REGION, "--format", "json")

    assert result.status == 0
    findings = result.json()["findings"]
    messages = {f["subject"]: f["message"] for f in findings}
    assert {f["rule_id"] for f in findings} == {"RUM-SRC-001"}
    assert f"role {role_arn('shop-guest')} was not read because AccessDenied" in messages[monitor_arn(ACCOUNT, "shop")]
    assert f"role {role_arn('deleted-guest')} was not read because it does not exist (NoSuchEntity)" in \
        messages[monitor_arn(ACCOUNT, "ghost")]
    account = result.json()["coverage"][0]
    assert account["status"] == "partial" and account["reason"].startswith(
        f"iam:GetRole failed for role {role_arn('shop-guest')}: AccessDenied")


def test_unreadable_pool_roles_leave_the_enhanced_flow_undecided(world, cli):
    world.guest_setup(ACCOUNT, "shop", 0)
    world.standin.inject("cognito-identity", "GetIdentityPoolRoles", "denied", times=None)

    result = cli("audit", "--region", REGION, "--format", "json")

    assert result.status == 0
    findings = result.json()["findings"]
    assert {f["rule_id"] for f in findings} == {"RUM-SRC-001"}
    assert any("NotAuthorizedException" in f["message"] and "enhanced flow's guest role was not checked"
               in f["message"] for f in findings)
    assert result.json()["coverage"][1]["status"] == "partial"


def test_monitors_are_listed_across_pages(world, cli):
    for index in range(101):
        world.standin.add_app_monitor(ACCOUNT, REGION, f"m{index:03}")

    result = cli("audit", "--region", REGION, "--format", "json")

    assert result.json()["coverage"][1]["monitors"] == 101
    assert [op for _, op in world.standin.operations()].count("ListAppMonitors") == 2
    assert {f["rule_id"] for f in result.json()["findings"]} == {"RUM-MON-003"}


def test_credentials_and_usage_errors_exit_2(world, cli, monkeypatch):
    assert cli("audit", "--region", REGION, "--profile", "nope").status == 2
    assert "--org needs --role-name" in cli("audit", "--region", REGION, "--org").err
    assert cli("audit", "--region", REGION, "--accounts", "111111111111").status == 2
    assert cli("audit", "--region", "not-a-region").status == 2
    assert cli("audit", "--region", REGION, "--jobs", "0").status == 2
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    result = cli("audit", "--region", REGION)
    assert result.status == 2 and "no AWS credentials found" in result.err
    assert world.standin.calls == []


def test_an_audit_renders_as_an_html_page_in_a_real_browser(world, cli, tmp_path):
    """The loopback accounts' audit, drawn as `check` draws a template (issue 12): one chain picture per
    monitor, the account/region filter, and a page that a real Chromium loads without a console error."""
    import pytest

    from tests.test_html_report import CHROMIUM, Page, _chromium

    several_monitors(world)
    page = tmp_path / "audit.html"
    result = cli("audit", "--region", REGION, "--format", "html", "-o", str(page))
    assert result.status == 1
    html = Page(page.read_text("utf-8"))
    assert [a["name"] for a in html.all("select")] == ["severity", "rule", "scope"]
    pictures = [a for t, a in html.elements if t == "svg"]
    assert len(pictures) == 6                                          # shop, blog, docs, admin, web-a, web-b
    assert sum(1 for t, a in html.elements if t == "g" and "data-node" in a) >= 6 * 4
    if CHROMIUM is None:
        pytest.skip("no chromium on this machine (.ci/run installs the distribution's)")
    dom = _chromium(tmp_path, "--dump-dom", page.as_uri())
    assert dom.returncode == 0, dom.stderr
    assert [line for line in dom.stderr.splitlines()
            if "CONSOLE" in line or "Uncaught" in line or "Refused to" in line] == []
    assert 'data-filters="ready"' in dom.stdout
