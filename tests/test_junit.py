"""``--format junit``: valid XML, one testsuite per file, one testcase per rule and subject."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import ROOT

EXAMPLES = ROOT / "examples"


def junit(cli, *args: str) -> tuple[int, ET.Element]:
    result = cli("check", *args, "--format", "junit")
    return result.status, ET.fromstring(result.out.encode("utf-8"))


def cases(suite: ET.Element) -> dict[str, ET.Element]:
    return {case.get("name"): case for case in suite.iter("testcase")}


def test_broken_example(cli):
    status, root = junit(cli, "examples/broken")
    assert status == 1
    assert root.tag == "testsuites"
    (suite,) = root.findall("testsuite")
    assert suite.get("name") == "examples/broken/rum-shop.yaml"
    by_name = cases(suite)
    trust = by_name["RUM-TRUST-002 guest-role-trust-missing-aud: ShopGuestRole"]
    failure = trust.find("failure")
    assert failure.get("type") == "error" and "aud" in failure.get("message")
    assert "examples/broken/rum-shop.yaml:25:13: error RUM-TRUST-002" in failure.text
    assert trust.get("file") == "examples/broken/rum-shop.yaml" and trust.get("line") == "25"
    # Below --fail-on (error): a warning is listed but does not fail its testcase.
    perm4 = next(c for n, c in by_name.items() if n.startswith("RUM-PERM-004 "))
    assert perm4.find("failure") is None and "RUM-PERM-004" in perm4.find("system-out").text
    # Checks that passed on a subject of this file are passing testcases.
    passed = [c for c in suite.iter("testcase") if len(c) == 0]
    assert any(c.get("name").startswith("RUM-TRUST-003 ") for c in passed)
    failures = sum(1 for c in suite.iter("testcase") if c.find("failure") is not None)
    assert suite.get("failures") == str(failures) == root.get("failures") == "3"
    assert suite.get("tests") == str(len(list(suite.iter("testcase"))))


def test_fail_on_warning_turns_warnings_into_failures(cli):
    _, root = junit(cli, "examples/broken", "--fail-on", "warning")
    perm4 = next(c for c in root.iter("testcase") if c.get("name").startswith("RUM-PERM-004 "))
    assert perm4.find("failure").get("type") == "warning"
    assert root.get("failures") == "4"


def test_one_suite_per_file_and_suppressed_are_skipped(cli):
    status, root = junit(cli, "examples/correct", "fixtures/rules/RUM-SRC-004/good.yaml")
    assert status == 0
    names = [s.get("name") for s in root.findall("testsuite")]
    assert names == sorted(names) and "examples/correct/rum-web.yaml" in names
    suppressed = root.find("testsuite[@name='fixtures/rules/RUM-SRC-004/good.yaml']")
    skipped = [c for c in suppressed.iter("testcase") if c.find("skipped") is not None]
    assert {c.get("name").split()[0] for c in skipped} == {"RUM-POOL-002", "RUM-PERM-004", "RUM-PERM-005"}
    assert "suppressed by metadata" in next(c for c in skipped if "PERM-005" in c.get("name")).find("skipped").get("message")
    assert suppressed.get("skipped") == "3" and root.get("failures") == "0"


def test_hostile_text_stays_valid_xml(cli, tmp_path):
    # Control characters and markup in values end up in messages; the XML must still parse.
    text = (EXAMPLES / "broken" / "rum-shop.yaml").read_text().replace(
        "shop-example-com", '"shop<&>\\u0001\\"]]>"').replace("ShopGuestRole", "Shop</testcase>Role")
    (tmp_path / "t.yaml").write_text(text)
    status, root = junit(cli, str(tmp_path / "t.yaml"))
    assert status == 1
    assert any("Shop</testcase>Role" in c.get("name") for c in root.iter("testcase"))


def test_same_logical_id_in_two_files_passes_in_each(cli, tmp_path):
    for name in ("a.yaml", "b.yaml"):
        (tmp_path / name).write_text((EXAMPLES / "correct" / "rum-web.yaml").read_text())
    _, root = junit(cli, str(tmp_path))
    # Both templates declare the same logical ids: each file's checks are outcomes of their own.
    suites = root.findall("testsuite")
    assert [s.get("name").rsplit("/", 1)[-1] for s in suites] == ["a.yaml", "b.yaml"]
    counts = [len(list(s.iter("testcase"))) for s in suites]
    assert counts[0] == counts[1] > 0
    assert all(s.get("failures") == "0" for s in suites)


def test_coverage_suite():
    from rumpolicy.engine import RunResult
    from rumpolicy.report import CoverageEntry, Report
    from rumpolicy.report.junit import render

    report = Report(RunResult([], {}), files_checked=0, coverage=(
        CoverageEntry("aws://123456789012/eu-west-1", "checked", monitors=2),
        CoverageEntry("aws://123456789012/us-east-1", "partial", monitors=1, reason="throttled")))
    root = ET.fromstring(render(report, root=ROOT))
    (suite,) = root.findall("testsuite")
    assert suite.get("name") == "coverage" and suite.get("skipped") == "1"
    skipped = suite.find("testcase/skipped")
    assert skipped.get("message") == "partial: throttled"


@given(st.text(), st.text(min_size=1))
def test_any_message_and_subject_give_parsable_xml(message, subject):
    from rumpolicy.engine import RunResult
    from rumpolicy.findings import Finding, Location, Severity, Span
    from rumpolicy.report import Report
    from rumpolicy.report.junit import render

    finding = Finding("RUM-PERM-004", "put-rum-events-wildcard-resource", Severity.WARNING, message, subject,
                      Location("infra/t.yaml", "/Resources/R", Span(3, 5)))
    root = ET.fromstring(render(Report(RunResult([finding], {}), files_checked=1), root=ROOT,
                                fail_on=Severity.WARNING).encode("utf-8"))
    failure = root.find("testsuite/testcase/failure")
    assert failure.get("type") == "warning" and failure.text.startswith("infra/t.yaml:3:5: warning RUM-PERM-004 ")
