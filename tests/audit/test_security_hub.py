"""``rumpolicy audit --to-security-hub``: findings imported into (moto's) Security Hub, fixed ones archived,
in batches of at most 100, never archived where the audit did not read everything, errors worded.

Security Hub is moto's, behind the stand-in. What the product called is recorded at botocore's client
(``spy``: every call still goes out and is answered), since the stand-in forwards Security Hub without
naming its operations; the stand-in's log confirms that each of those calls reached it.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import botocore.client
import botocore.session
import pytest
from botocore.validate import ParamValidator

from rumpolicy.audit.readonly import READ_ONLY_OPERATIONS
from rumpolicy.aws_config.allowed import SECURITY_HUB_EXPORT
from rumpolicy.report.asff import product_arn
from rumpolicy.security_hub import BATCH, sync
from tests.audit.conftest import REGION, World, monitor_arn, put_policy, trust_policy, pool_id
from tests.aws_standin import DEFAULT_ACCOUNT as ACCOUNT

PRODUCT = product_arn("aws", REGION, ACCOUNT)
ALLOWED = {(service, op) for lists in (READ_ONLY_OPERATIONS, SECURITY_HUB_EXPORT) for service, ops in lists.items()
           for op in ops}


@pytest.fixture
def spy(monkeypatch, world):
    """The AWS calls the product makes (its clients go to the stand-in; the tests' own go straight to moto):
    (service, operation, parameters)."""
    calls: list[tuple[str, str, dict]] = []
    original = botocore.client.BaseClient._make_api_call
    product_endpoint = world.standin.url

    def recorded(self, operation_name, api_params):
        if self.meta.endpoint_url.rstrip("/") == product_endpoint:
            calls.append((self.meta.service_model.service_name, operation_name, api_params))
        return original(self, operation_name, api_params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", recorded)
    return calls


def hub(world: World, account: str = ACCOUNT, region: str = REGION):
    """Security Hub straight at moto (setup and inspection: not seen by the stand-in or the spy's counts)."""
    return world.session(account).client("securityhub", endpoint_url=world.moto_url, region_name=region)


def stored(world: World, account: str = ACCOUNT) -> dict[str, dict]:
    found, token = {}, None
    client = hub(world, account)
    while True:
        page = client.get_findings(**({"NextToken": token} if token else {}))
        found.update({f["Id"]: f for f in page["Findings"]})
        token = page.get("NextToken")
        if not token:
            return found


def assert_importable(findings: list[dict]) -> None:
    shape = botocore.session.get_session().get_service_model("securityhub").operation_model(
        "BatchImportFindings").input_shape
    for start in range(0, len(findings), BATCH):
        report = ParamValidator().validate({"Findings": findings[start:start + BATCH]}, shape)
        assert not report.has_errors(), report.generate_report()


def role_arn(name: str, account: str = ACCOUNT) -> str:
    return f"arn:aws:iam::{account}:role/{name}"


def broken_docs(world: World) -> None:
    """shop: correct; docs: its role allows another monitor (RUM-PERM-001)."""
    world.guest_setup(ACCOUNT, "shop", 0)
    world.guest_setup(ACCOUNT, "docs", 2, policy=put_policy(monitor_arn(ACCOUNT, "other")))


def fix_docs(world: World) -> None:
    world.client("iam").put_role_policy(RoleName="docs-guest", PolicyName="docs-guest-0",
                                        PolicyDocument=json.dumps(put_policy(monitor_arn(ACCOUNT, "docs"))))


def foreign_finding(world: World) -> dict:
    """Another product's finding in the same hub: rumpolicy must leave it alone (moto ignores Filters)."""
    finding = {"SchemaVersion": "2018-10-08", "Id": "guardduty/1", "ProductArn": PRODUCT, "GeneratorId": "other/rule",
               "AwsAccountId": ACCOUNT, "Region": REGION, "Types": ["TTPs"], "CreatedAt": "2026-01-01T00:00:00.000Z",
               "UpdatedAt": "2026-01-01T00:00:00.000Z", "Severity": {"Label": "LOW"}, "Title": "t",
               "Description": "d", "Resources": [{"Type": "Other", "Id": role_arn("docs-guest")}],
               "RecordState": "ACTIVE"}
    hub(world).batch_import_findings(Findings=[finding])
    return finding


def test_findings_are_imported_and_the_fixed_one_is_archived(world, cli, spy):
    hub(world).enable_security_hub()
    broken_docs(world)
    other = foreign_finding(world)

    first = cli("audit", "--region", REGION, "--to-security-hub", "--format", "json")

    assert first.status == 1, first.err
    assert "Traceback" not in first.err
    assert "rumpolicy: Security Hub: 1 finding imported, 0 archived in 1 account and 1 region" in first.err
    [finding] = [f for f in stored(world).values() if f["GeneratorId"].startswith("rumpolicy/")]
    assert finding["GeneratorId"] == "rumpolicy/RUM-PERM-001"
    assert finding["ProductArn"] == PRODUCT and finding["AwsAccountId"] == ACCOUNT and finding["Region"] == REGION
    assert finding["Resources"] == [{"Type": "AwsIamRole", "Id": role_arn("docs-guest"), "Partition": "aws",
                                     "Region": REGION}]
    assert finding["ProductFields"]["rumpolicy/Source"] == f"aws://{ACCOUNT}"
    assert (finding["RecordState"], finding["Workflow"]) == ("ACTIVE", {"Status": "NEW"})
    assert_importable([finding])
    # The same finding reported by the JSON report: the Id is its occurrence fingerprint.
    [reported] = [f for f in first.json()["findings"] if f["rule_id"] == "RUM-PERM-001"]
    assert reported["subject"] == role_arn("docs-guest")

    # Nothing changed: the same Id again, its CreatedAt kept.
    second = cli("audit", "--region", REGION, "--to-security-hub", "-q")
    assert second.status == 1
    assert stored(world)[finding["Id"]]["CreatedAt"] == finding["CreatedAt"]

    fix_docs(world)
    spy.clear()
    seen = len(world.standin.calls)
    fixed = cli("audit", "--region", REGION, "--to-security-hub", "--format", "json")

    assert fixed.status == 0, fixed.err
    assert "rumpolicy: Security Hub: 0 findings imported, 1 archived in 1 account and 1 region" in fixed.err
    archived = stored(world)[finding["Id"]]
    assert (archived["RecordState"], archived["Workflow"]) == ("ARCHIVED", {"Status": "RESOLVED"})
    assert archived["Compliance"] == {"Status": "PASSED"}
    assert archived["CreatedAt"] == finding["CreatedAt"] and archived["UpdatedAt"] > finding["UpdatedAt"]
    assert stored(world)[other["Id"]] == other, "another product's finding is left alone"
    # Only the allowed operations, and of Security Hub only the read and the import.
    called = {(service, op) for service, op, _ in spy}
    assert called <= ALLOWED
    assert {op for service, op in called if service == "securityhub"} == {"GetFindings", "BatchImportFindings"}
    hub_calls = [c for c in world.standin.calls[seen:] if c.service == "securityhub"]
    assert len(hub_calls) == sum(1 for service, _, _ in spy if service == "securityhub")
    assert all(c.account == ACCOUNT and c.region == REGION and c.status == 200 for c in hub_calls)


def test_more_than_a_batch_goes_in_batches_of_at_most_100(world, cli, spy):
    """250 monitors that name a pool that does not exist: one finding each (RUM-SRC-001: not checked), imported
    100 at a time; then every one gone at once, archived 100 at a time, every page of GetFindings read."""
    hub(world).enable_security_hub()
    for index in range(250):
        world.standin.add_app_monitor(ACCOUNT, REGION, f"app{index:03d}", pool_id=pool_id(5))

    result = cli("audit", "--region", REGION, "--to-security-hub", "--format", "json")

    assert result.status == 0, result.err          # notes only
    reported = result.json()["findings"]
    assert len(reported) == 250 and {f["rule_id"] for f in reported} == {"RUM-SRC-001"}
    imports = [params["Findings"] for service, op, params in spy if op == "BatchImportFindings"]
    assert [len(batch) for batch in imports] == [100, 100, 50]
    assert_importable([f for batch in imports for f in batch])
    hub_now = stored(world)
    assert len(hub_now) == 250
    assert {f["Compliance"]["Status"] for f in hub_now.values()} == {"NOT_AVAILABLE"}
    assert {f["Resources"][0]["Type"] for f in hub_now.values()} == {"Other"}
    assert "rumpolicy: Security Hub: 250 findings imported, 0 archived in 1 account and 1 region" in result.err

    world.standin.region(ACCOUNT, REGION).monitors.clear()
    spy.clear()
    gone = cli("audit", "--region", REGION, "--to-security-hub")

    assert gone.status == 0, gone.err
    pages = [params for service, op, params in spy if op == "GetFindings"]
    assert ["NextToken" in page for page in pages] == [False, True, True]
    archives = [params["Findings"] for service, op, params in spy if op == "BatchImportFindings"]
    assert [len(batch) for batch in archives] == [100, 100, 50]
    assert all(f["RecordState"] == "ARCHIVED" and f["Workflow"] == {"Status": "RESOLVED"}
               for f in stored(world).values())
    assert "rumpolicy: Security Hub: 0 findings imported, 250 archived in 1 account and 1 region" in gone.err


def test_a_partly_read_region_archives_nothing(world, cli):
    hub(world).enable_security_hub()
    world.guest_setup(ACCOUNT, "docs", 2, trust=trust_policy(None))       # RUM-TRUST-002, found in aws://ACCOUNT
    world.standin.add_app_monitor(ACCOUNT, REGION, "blog", pool_id=pool_id(5))      # a finding in the region
    first = cli("audit", "--region", REGION, "--to-security-hub", "-q")
    assert first.status == 1, first.err
    before = {f["Id"]: f for f in stored(world).values()}
    assert {f["GeneratorId"] for f in before.values()} >= {"rumpolicy/RUM-TRUST-002"}

    # Both fixed, but a resource policy cannot be read: the region is partial, so nothing is archived there,
    # and the global IAM findings, which go to this region, wait for it too.
    world.standin.region(ACCOUNT, REGION).monitors.pop("blog")
    world.client("iam").update_assume_role_policy(RoleName="docs-guest",
                                                  PolicyDocument=json.dumps(trust_policy(pool_id(2))))
    world.standin.inject("rum", "GetResourcePolicy", "denied", times=None, Name="docs")
    partial = cli("audit", "--region", REGION, "--to-security-hub", "--format", "json")

    assert [c["status"] for c in partial.json()["coverage"]] == ["checked", "partial"]
    assert "0 archived" in partial.err
    after = stored(world)
    assert all(after[i]["RecordState"] == "ACTIVE" for i in before), "nothing is called resolved on a partial read"


def test_security_hub_not_enabled_is_a_clear_error(world, cli, monkeypatch):
    broken_docs(world)
    with refusing_hub("InvalidAccessException", 401,
                      "Account 123456789012 is not subscribed to AWS Security Hub") as url:
        monkeypatch.setenv("AWS_ENDPOINT_URL_SECURITYHUB", url)
        result = cli("audit", "--region", REGION, "--to-security-hub", "--format", "json",
                     "--max-attempts", "1")

    assert result.status == 2
    assert "Traceback" not in result.err
    assert (f"rumpolicy: error: Security Hub in {ACCOUNT} {REGION}: InvalidAccessException: Account 123456789012 is "
            "not subscribed to AWS Security Hub (is Security Hub enabled in this account and region?)") in result.err
    assert "0 findings imported, 0 archived in 1 account and 0 regions" in result.err
    assert {f["rule_id"] for f in result.json()["findings"]} == {"RUM-PERM-001"}, "the report is still written"


def test_access_denied_names_the_permissions(world, cli, monkeypatch):
    broken_docs(world)
    with refusing_hub("AccessDeniedException", 403, "User is not authorized to perform: securityhub:GetFindings") as url:
        monkeypatch.setenv("AWS_ENDPOINT_URL_SECURITYHUB", url)
        result = cli("audit", "--region", REGION, "--to-security-hub", "--exit-zero")

    assert result.status == 2, "--exit-zero forgives findings, not a failed export"
    assert "Traceback" not in result.err
    assert "AccessDeniedException: User is not authorized to perform: securityhub:GetFindings" in result.err
    assert "securityhub:GetFindings and securityhub:BatchImportFindings" in result.err


def test_to_security_hub_goes_to_each_member_account_with_its_role(world, cli):
    from tests.audit.test_audit_org import ROLE, organization

    org = organization(world, members=2)
    healthy, broken = org.members
    for account in org.members:
        hub(world, account).enable_security_hub()
    world.guest_setup(healthy, "shop", 0)
    world.guest_setup(broken, "blog", 1, trust=trust_policy(None))

    result = cli("audit", "--org", "--role-name", ROLE, "--region", REGION, "--to-security-hub", "--format", "json")

    assert result.status == 1, result.err
    assert "1 finding imported, 0 archived in 3 accounts and 1 region" in result.err
    [finding] = stored(world, broken).values()
    assert finding["AwsAccountId"] == broken and finding["ProductArn"] == product_arn("aws", REGION, broken)
    assert finding["Resources"][0]["Id"] == role_arn("blog-guest", broken)
    assert stored(world, healthy) == {} and stored(world, ACCOUNT) == {}
    hub_calls = {c.account for c in world.standin.calls if c.service == "securityhub"}
    assert hub_calls == {ACCOUNT, healthy, broken}, "each account's hub with that account's credentials"


def test_sync_reads_every_page_and_keeps_created_at(world):
    """``sync`` as the AWS Config rule calls it: on a plain client, restricted to some resources."""
    client = hub(world)
    client.enable_security_hub()

    def finding(index: int, resource: str, created: str = "2026-12-01T00:00:00.000Z") -> dict:
        return {"SchemaVersion": "2018-10-08", "Id": f"rumpolicy/{index:04d}", "ProductArn": PRODUCT,
                "GeneratorId": "rumpolicy/RUM-PERM-001", "AwsAccountId": ACCOUNT, "Region": REGION,
                "Types": ["Software and Configuration Checks/AWS Security Best Practices"], "CreatedAt": created,
                "UpdatedAt": created, "Severity": {"Label": "HIGH", "Original": "error"}, "Title": "t",
                "Description": "d", "Resources": [{"Type": "AwsIamRole", "Id": resource}], "RecordState": "ACTIVE",
                "Workflow": {"Status": "NEW"}}

    old = [finding(i, role_arn("a" if i % 2 else "b")) for i in range(230)]
    first = sync(client, old, account=ACCOUNT, region=REGION, partition="aws", now="2026-12-01T00:00:00.000Z")
    assert (first.imported, first.archived, first.failed) == (230, 0, [])

    # Only role a was evaluated again: it keeps one finding, its other findings are archived; b is left alone.
    kept = finding(1, role_arn("a"), created="2026-12-03T15:00:00.000Z")
    again = sync(client, [kept], account=ACCOUNT, region=REGION, partition="aws", resources=[role_arn("a")],
                 now="2026-12-03T15:00:00.000Z")

    assert (again.imported, again.archived, again.failed) == (1, 114, [])
    now = stored(world)
    assert now[kept["Id"]]["CreatedAt"] == "2026-12-01T00:00:00.000Z", "CreatedAt of the first import"
    assert now[kept["Id"]]["RecordState"] == "ACTIVE"
    states = {(f["Resources"][0]["Id"], f["RecordState"]) for i, f in now.items() if i != kept["Id"]}
    assert states == {(role_arn("a"), "ARCHIVED"), (role_arn("b"), "ACTIVE")}


def test_sync_over_many_resources_keeps_to_security_hubs_filter_limits(world):
    """GetFindings takes at most 20 values per attribute: 45 resources are asked about in 3 queries (the stand-in
    refuses more, as AWS does), and every one of them is still archived or kept as it should be."""
    from tests.aws_standin import SECURITY_HUB_FILTER_VALUES

    hub(world).enable_security_hub()
    through_standin = world.session().client("securityhub", endpoint_url=world.standin.url, region_name=REGION)

    def finding(index: int) -> dict:
        at = "2026-12-01T00:00:00.000Z"
        return {"SchemaVersion": "2018-10-08", "Id": f"rumpolicy/{index:04d}", "ProductArn": PRODUCT,
                "GeneratorId": "rumpolicy/RUM-PERM-001", "AwsAccountId": ACCOUNT, "Region": REGION,
                "Types": ["Software and Configuration Checks/AWS Security Best Practices"], "CreatedAt": at,
                "UpdatedAt": at, "Severity": {"Label": "HIGH", "Original": "error"}, "Title": "t", "Description": "d",
                "Resources": [{"Type": "AwsIamRole", "Id": role_arn(f"r{index}")}], "RecordState": "ACTIVE",
                "Workflow": {"Status": "NEW"}}

    roles = [role_arn(f"r{i}") for i in range(45)]
    sync(through_standin, [finding(i) for i in range(45)], account=ACCOUNT, region=REGION, partition="aws")
    before = len(world.standin.calls)
    result = sync(through_standin, [finding(0)], account=ACCOUNT, region=REGION, partition="aws", resources=roles)

    queries = [c for c in world.standin.calls[before:] if c.operation == "GetFindings"]
    assert len(queries) == 3 and all(c.status == 200 for c in queries)
    assert (result.imported, result.archived, result.failed) == (1, 44, [])
    assert SECURITY_HUB_FILTER_VALUES == 20


def test_the_export_guard_refuses_every_other_write_before_sending_it(world):
    from rumpolicy.audit.readonly import ReadOnlyViolation
    from rumpolicy.audit.sessions import Access, Clients
    from rumpolicy.cli import export_guard

    guard = export_guard()
    assert guard.allowed["securityhub"] == {"GetFindings", "BatchImportFindings"}
    access = Access(ACCOUNT, "aws", botocore.session.get_session().get_credentials())
    client = Clients(None, "standard", 1, guard=guard).client(access, "securityhub", REGION)
    for call, params in (("batch_update_findings", {"FindingIdentifiers": [{"Id": "rumpolicy/x", "ProductArn": PRODUCT}]}),
                         ("disable_security_hub", {}), ("delete_insight", {"InsightArn": "arn:aws:securityhub:x"})):
        with pytest.raises(ReadOnlyViolation, match="only reads, and imports findings into Security Hub"):
            getattr(client, call)(**params)
    rum = Clients(None, "standard", 1, guard=guard).client(access, "rum", REGION)
    with pytest.raises(ReadOnlyViolation, match="refusing to call rum:DeleteAppMonitor"):
        rum.delete_app_monitor(Name="shop")
    assert world.standin.calls == []


class _Refusing(BaseHTTPRequestHandler):
    """Answers every request as Security Hub refuses one (rest-json error)."""

    code, status, message = "", 400, ""

    def log_message(self, *args):
        pass

    def _any(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        body = json.dumps({"Code": self.code, "Message": self.message}).encode()
        self.send_response(self.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("x-amzn-ErrorType", self.code)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PATCH = _any


class refusing_hub:
    """A loopback Security Hub endpoint that refuses every call with ``code``."""

    def __init__(self, code: str, status: int, message: str):
        handler = type("Handler", (_Refusing,), {"code": code, "status": status, "message": message})
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def test_nothing_is_archived_when_not_every_rule_ran_or_a_baseline_left_findings_out(world, cli, tmp_path):
    hub(world).enable_security_hub()
    broken_docs(world)
    assert cli("audit", "--region", REGION, "--to-security-hub", "-q").status == 1
    [finding] = stored(world).values()

    # Another rule alone: RUM-PERM-001 did not run, so its finding is not resolved.
    only = cli("audit", "--region", REGION, "--to-security-hub", "--select", "RUM-TRUST-002")
    assert only.status == 0, only.err
    assert "nothing is archived, since not every rule ran (select, ignore)" in only.err
    # The baseline excuses it: it is still there, only not reported.
    baseline = tmp_path / "baseline.json"
    assert cli("audit", "--region", REGION, "-q", "--write-baseline", str(baseline)).status == 0
    excused = cli("audit", "--region", REGION, "--to-security-hub", "--baseline", str(baseline))
    assert excused.status == 0, excused.err
    assert "nothing is archived, since the baseline left findings out of the report" in excused.err
    assert stored(world)[finding["Id"]]["RecordState"] == "ACTIVE"
