"""``check --format asff``: AWS Security Finding Format, as BatchImportFindings takes it, from the CLI.

Each document is validated against botocore's input shape of ``securityhub:BatchImportFindings``
(``ParamValidator``: types, required members of nested shapes) and, as botocore's model leaves some
out, against the attributes and lengths the ASFF documentation requires.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import botocore.session
import pytest
from botocore.validate import ParamValidator
from hypothesis import given, settings, strategies as st

from rumpolicy.findings import Finding, Location, Severity
from rumpolicy.report.asff import LIMITS, REQUIRED, Place, asff_finding, cut
from tests.conftest import examples

ROOT = Path(__file__).resolve().parent.parent
BROKEN = ROOT / "examples" / "broken" / "rum-shop.yaml"
ACCOUNT, REGION = "111122223333", "eu-west-1"
ASFF = ("--format", "asff", "--asff-account", ACCOUNT, "--asff-region", REGION)
TIMESTAMP = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$"


def import_shape():
    model = botocore.session.get_session().get_service_model("securityhub")
    return model.operation_model("BatchImportFindings").input_shape


def assert_importable(document: dict) -> None:
    """What Security Hub would accept: the request shape, the documented required attributes and lengths."""
    report = ParamValidator().validate(document, import_shape())
    assert not report.has_errors(), report.generate_report()
    assert len(document["Findings"]) >= 1
    import re

    for finding in document["Findings"]:
        assert [name for name in REQUIRED if not finding.get(name)] == [], finding["Id"]
        assert finding["SchemaVersion"] == "2018-10-08"
        assert re.match(TIMESTAMP, finding["CreatedAt"]) and re.match(TIMESTAMP, finding["UpdatedAt"])
        assert finding["Severity"]["Label"] in ("INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL")
        for type_ in finding["Types"]:
            assert type_.split("/")[0] in ("Software and Configuration Checks", "TTPs", "Effects",
                                           "Unusual Behaviors", "Sensitive Data Identifications")
        for name in ("Id", "GeneratorId", "Title", "Description"):
            assert len(finding[name]) <= LIMITS[name], name
        assert len(finding["Remediation"]["Recommendation"]["Text"]) <= LIMITS["Recommendation.Text"]
        assert len(finding["Region"]) <= LIMITS["Region"]
        assert len(finding["ProductFields"]) <= 50
        assert all(isinstance(v, str) and v.strip() and len(v) <= LIMITS["ProductFields.value"]
                   for v in finding["ProductFields"].values())
        assert finding["Resources"] and all(r["Type"] and r["Id"] for r in finding["Resources"])
        assert finding["ProductArn"] == (f"arn:aws:securityhub:{finding['Region']}:{finding['AwsAccountId']}:"
                                         f"product/{finding['AwsAccountId']}/default")


def project(tmp_path: Path, text: str | None = None) -> Path:
    """A project with the broken example (or ``text``) as infra/rum-shop.yaml, and its own root (.git)."""
    (tmp_path / ".git").mkdir(exist_ok=True)
    (tmp_path / "infra").mkdir(exist_ok=True)
    target = tmp_path / "infra" / "rum-shop.yaml"
    if text is None:
        shutil.copy(BROKEN, target)
    else:
        target.write_text(text)
    return target


def asff(cli, path: Path, *extra: str) -> tuple[int, dict, str]:
    result = cli("check", str(path), *ASFF, *extra)
    return result.status, json.loads(result.out) if result.out else {}, result.err


def by_rule(document: dict) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for finding in document["Findings"]:
        out.setdefault(finding["GeneratorId"], []).append(finding)
    return out


def test_check_writes_importable_findings(cli, tmp_path, monkeypatch):
    target = project(tmp_path)
    monkeypatch.chdir(tmp_path)
    status, document, err = asff(cli, target)

    assert status == 1, err
    assert_importable(document)
    rules = by_rule(document)
    assert sorted(rules) == ["rumpolicy/RUM-PERM-004", "rumpolicy/RUM-PERM-005", "rumpolicy/RUM-POOL-002",
                             "rumpolicy/RUM-TRUST-002"]
    [warning] = rules["rumpolicy/RUM-PERM-004"]
    assert warning["Severity"] == {"Label": "MEDIUM", "Original": "warning"}
    assert warning["Compliance"] == {"Status": "FAILED"}
    [pool] = rules["rumpolicy/RUM-POOL-002"]
    assert pool["AwsAccountId"] == ACCOUNT and pool["Region"] == REGION
    assert pool["Title"] == "RUM-POOL-002 classic-flow-disabled-for-basic-flow"
    assert pool["Severity"] == {"Label": "HIGH", "Original": "error"}
    assert pool["FindingProviderFields"] == {"Severity": pool["Severity"], "Types": pool["Types"]}
    assert pool["Compliance"] == {"Status": "FAILED"}
    assert (pool["RecordState"], pool["Workflow"]) == ("ACTIVE", {"Status": "NEW"})
    assert pool["Resources"] == [{"Type": "Other", "Id": "infra/rum-shop.yaml#ShopIdentityPool", "Partition": "aws",
                                  "Region": REGION}]
    assert pool["ProductFields"]["rumpolicy/Source"] == "infra/rum-shop.yaml"
    assert pool["ProductFields"]["rumpolicy/Line"] == "12"
    assert pool["ProductFields"]["rumpolicy/Pointer"] == "/Resources/ShopIdentityPool/Properties/AllowClassicFlow"
    assert pool["Id"] == "rumpolicy/" + pool["ProductFields"]["rumpolicy/Fingerprint"]
    assert pool["Remediation"]["Recommendation"]["Url"].endswith("/RUM-POOL-002.md")
    assert len({f["Id"] for f in document["Findings"]}) == len(document["Findings"])


def test_ids_are_stable_across_runs_and_when_lines_move(cli, tmp_path, monkeypatch):
    target = project(tmp_path)
    monkeypatch.chdir(tmp_path)
    _, first, _ = asff(cli, target)
    _, second, _ = asff(cli, target)
    target.write_text("# a comment that moves every line down\n\n\n" + BROKEN.read_text())
    _, moved, _ = asff(cli, target)

    def ids(document):
        return sorted((f["GeneratorId"], f["Id"]) for f in document["Findings"])

    assert ids(first) == ids(second) == ids(moved)
    lines = {f["Id"]: f["ProductFields"]["rumpolicy/Line"] for f in first["Findings"]}
    assert all(int(f["ProductFields"]["rumpolicy/Line"]) == int(lines[f["Id"]]) + 3 for f in moved["Findings"])


def test_without_account_or_region_it_is_a_usage_error(cli, tmp_path, monkeypatch):
    target = project(tmp_path)
    monkeypatch.chdir(tmp_path)
    result = cli("check", str(target), "--format", "asff")
    assert result.status == 2
    assert "--asff-account ID and --asff-region REGION" in result.err and result.out == ""
    result = cli("check", str(target), "--format", "asff", "--asff-account", ACCOUNT)
    assert result.status == 2 and "give --asff-region REGION" in result.err
    # The account and region templates deploy to (--account, --region) say the same.
    result = cli("check", str(target), "--format", "asff", "--account", ACCOUNT, "--region", "us-west-2")
    assert result.status == 1, result.err
    assert {(f["AwsAccountId"], f["Region"]) for f in result.json()["Findings"]} == {(ACCOUNT, "us-west-2")}
    # An --asff option without an ASFF report is a mistake, not ignored.
    result = cli("check", str(target), "--asff-account", ACCOUNT)
    assert result.status == 2 and "--asff-account goes with --format asff" in result.err


def test_previous_report_archives_the_fixed_finding_and_keeps_created_at(cli, tmp_path, monkeypatch):
    target = project(tmp_path)
    monkeypatch.chdir(tmp_path)
    _, before, _ = asff(cli, target, "-o", "before.json")
    before = json.loads((tmp_path / "before.json").read_text())
    target.write_text(BROKEN.read_text().replace("AllowClassicFlow: false", "AllowClassicFlow: true"))

    _, after, err = asff(cli, target, "--asff-previous", "before.json")

    assert_importable(after)
    created = {f["Id"]: f["CreatedAt"] for f in before["Findings"]}
    [fixed] = [f for f in before["Findings"] if f["GeneratorId"] == "rumpolicy/RUM-POOL-002"]
    [archived] = [f for f in after["Findings"] if f["RecordState"] == "ARCHIVED"]
    assert archived["Id"] == fixed["Id"]
    assert archived["Workflow"] == {"Status": "RESOLVED"} and archived["Compliance"] == {"Status": "PASSED"}
    assert archived["CreatedAt"] == fixed["CreatedAt"]
    assert archived["UpdatedAt"] >= fixed["UpdatedAt"]
    active = [f for f in after["Findings"] if f["RecordState"] == "ACTIVE"]
    assert active and all(f["CreatedAt"] == created[f["Id"]] for f in active)
    assert len(active) == len(before["Findings"]) - 1

    # Feeding the new report back: what is archived stays archived, nothing is archived twice.
    (tmp_path / "after.json").write_text(json.dumps(after))
    _, again, _ = asff(cli, target, "--asff-previous", "after.json")
    assert [f for f in again["Findings"] if f["RecordState"] == "ARCHIVED"] == []


def test_previous_findings_of_what_this_run_did_not_check_are_not_archived(cli, tmp_path, monkeypatch):
    target = project(tmp_path)
    monkeypatch.chdir(tmp_path)
    asff(cli, target, "-o", "before.json")
    other = tmp_path / "other"
    other.mkdir()
    (other / "empty.yaml").write_text("AWSTemplateFormatVersion: '2010-09-09'\nResources: {}\n")

    # Another file: infra/rum-shop.yaml was not read, its findings are not resolved.
    result = cli("check", str(other), *ASFF, "--asff-previous", "before.json")
    assert result.status == 0, result.err
    assert result.json()["Findings"] == []
    # Only some rules ran: the other rules' findings are not resolved either.
    target.write_text(BROKEN.read_text().replace("AllowClassicFlow: false", "AllowClassicFlow: true"))
    result = cli("check", str(target), *ASFF, "--asff-previous", "before.json", "--select", "RUM-TRUST-002")
    assert [f["GeneratorId"] for f in result.json()["Findings"]] == ["rumpolicy/RUM-TRUST-002"]
    assert all(f["RecordState"] == "ACTIVE" for f in result.json()["Findings"])


def test_a_suppressed_finding_is_written_as_suppressed(cli, tmp_path, monkeypatch):
    text = BROKEN.read_text().replace("AllowClassicFlow: false",
                                      "AllowClassicFlow: false  # rumpolicy: ignore RUM-POOL-002 -- migrating in Q3")
    target = project(tmp_path, text)
    monkeypatch.chdir(tmp_path)
    _, document, err = asff(cli, target)

    assert_importable(document)
    [pool] = by_rule(document)["rumpolicy/RUM-POOL-002"]
    assert pool["Workflow"] == {"Status": "SUPPRESSED"} and pool["RecordState"] == "ACTIVE"
    assert pool["ProductFields"]["rumpolicy/Suppression"] == "migrating in Q3"
    assert pool["Description"].endswith("(suppressed: migrating in Q3)")
    assert all(f["Workflow"] == {"Status": "NEW"} for f in document["Findings"] if f is not pool)


def test_an_unreadable_previous_report_is_a_usage_error(cli, tmp_path, monkeypatch):
    target = project(tmp_path)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bad.json").write_text('{"findings": []}')
    result = cli("check", str(target), *ASFF, "--asff-previous", "bad.json")
    assert result.status == 2 and "is not an ASFF document" in result.err
    result = cli("check", str(target), *ASFF, "--asff-previous", "missing.json")
    assert result.status == 2 and "cannot read missing.json" in result.err


@pytest.mark.parametrize("size", [1, 511, 512, 513, 5000])
def test_long_texts_are_cut_within_the_documented_lengths(size):
    text = "x" * size
    finding = Finding("RUM-PERM-004", "n" * 300, Severity.WARNING, text, "arn:aws:iam::111122223333:role/" + "r" * 60,
                      Location("aws://111122223333", "/RolePolicyList/0"), remediation=text)
    where = Place(ACCOUNT, REGION, "aws", {"Type": "AwsIamRole", "Id": "arn:aws:iam::111122223333:role/r"})
    made = asff_finding(finding, "f" * 32 + ":1", where, root=ROOT, now="2026-12-03T15:00:00.000Z", url="https://x/y")

    assert_importable({"Findings": [made]})
    assert made["Severity"] == {"Label": "MEDIUM", "Original": "warning"}
    description, recommendation = made["Description"], made["Remediation"]["Recommendation"]["Text"]
    assert description == text if size <= 1024 else (len(description) == 1024 and description.endswith("…"))
    assert recommendation == text if size <= 512 else (len(recommendation) == 512 and recommendation.endswith("…"))
    assert len(made["Title"]) == 256 and made["Title"].endswith("…")


def test_cut_never_leaves_a_blank_text():
    assert cut("   ", 10) == "(no text)"
    assert cut("ab  cd", 4) == "ab…"


def test_a_symbolic_arn_names_no_account_or_partition(tmp_path):
    from rumpolicy.report.asff import place

    symbolic = Finding("RUM-TRUST-002", "guest-role-trust-missing-aud", Severity.ERROR, "m",
                       "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/guest", Location("infra/rum.yaml", "/x"))
    where = place(symbolic, tmp_path, ACCOUNT, REGION)
    assert (where.account, where.region, where.partition) == (ACCOUNT, REGION, "aws")
    assert where.resource["Type"] == "Other"
    literal = Finding("RUM-TRUST-002", "guest-role-trust-missing-aud", Severity.ERROR, "m",
                      "arn:aws-cn:iam::444455556666:role/guest", Location("dump/get-role.json", "/Role"))
    where = place(literal, tmp_path, ACCOUNT, "cn-north-1")
    assert (where.account, where.region, where.partition) == ("444455556666", "cn-north-1", "aws-cn")
    assert where.resource == {"Type": "AwsIamRole", "Id": "arn:aws-cn:iam::444455556666:role/guest",
                              "Partition": "aws-cn", "Region": "cn-north-1"}


@settings(max_examples=examples(300), deadline=None)
@given(message=st.text(max_size=1500), subject=st.text(min_size=1, max_size=200), remediation=st.text(max_size=800),
       rule_name=st.text(min_size=1, max_size=300))
def test_any_text_makes_an_importable_finding(message, subject, remediation, rule_name):
    """Messages, subjects and fixes carry what the input holds: whatever it is, the finding stays importable
    (botocore's input shape, the required fields, the documented lengths) and survives JSON."""
    finding = Finding("RUM-PERM-004", rule_name, Severity.ERROR, message, subject,
                      Location("aws://111122223333", "/RolePolicyList/0"), remediation=remediation or None)
    where = Place(ACCOUNT, REGION, "aws", {"Type": "Other", "Id": subject})
    made = asff_finding(finding, "f" * 32 + ":1", where, root=ROOT, now="2026-12-03T15:00:00.000Z", url="https://x/y")
    assert_importable({"Findings": [made]})
    assert json.loads(json.dumps(made)) == made
