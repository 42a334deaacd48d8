"""`ActionSet`: what an Action entry or a NotAction element grants, answered per service without listing the
catalogue, and the same answers the catalogue gives."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rumpolicy.iam import match_action
from rumpolicy.iam.action_sets import ActionSet, _covers_service
from rumpolicy.iam.actions import catalogue_index, service_actions
from tests.conftest import examples

RUM = frozenset(f"rum:{name}" for name in service_actions("rum"))


def test_not_action_holds_every_rum_action_it_does_not_exclude():
    granted = ActionSet.all_but(("iam:*",))
    assert granted.open
    assert granted.in_service("rum") == RUM
    assert "rum:PutRumEvents" in granted and "iam:PassRole" not in granted and "IAM:passrole" not in granted
    assert granted.in_service("iam") == frozenset()
    assert not granted.reaches("iam")


@pytest.mark.parametrize("pattern, prefix, expected", [
    ("iam:*", "iam", True), ("IAM:*", "iam", True), ("i?m:*", "iam", True), ("*", "iam", True),
    ("*:*", "iam", True), ("i*", "iam", True), ("iam:**", "iam", True),
    ("iam:Get*", "iam", False), ("iam:", "iam", False), ("iam", "iam", False), ("s3:*", "iam", False),
    ("ia:*", "iam", False), ("*:Get*", "iam", False),
])
def test_an_exclusion_covers_a_service_only_when_it_matches_every_name(pattern, prefix, expected):
    assert _covers_service(pattern, prefix) is expected


def test_entries_that_are_not_service_colon_action_name_no_action():
    assert ActionSet.matching("a*").include == () and "access-analyzer:ListAnalyzers" not in ActionSet.matching("a*")
    assert ActionSet.all_but(("r*",)).exclude == ()
    assert not ActionSet.matching("foo").open and ActionSet.matching("**").open


def test_named_services_and_open_sets():
    assert ActionSet.matching("s3:Get*").named_services() == ("s3",)
    assert not ActionSet.matching("s3:Get*").open
    assert ActionSet.matching("*:Get*").open and ActionSet.matching("*").open
    assert ActionSet.matching("s3*:Get*").named_services() == ()


def test_in_service_reads_only_that_service():
    granted = ActionSet.all_but(("rum:Get*", "rum:List*"))
    expected = frozenset(a for a in RUM if not a.lower().startswith(("rum:get", "rum:list")))
    assert granted.in_service("rum") == expected


PATTERNS = ["*", "rum:*", "rum:Put*", "*:Put*", "r?m:*", "iam:*", "s3:*", "rum:*Metric*", "*Events", "r*",
            "rum:PutRumEvents", "RUM:GET*", "a*"]


@settings(max_examples=examples(60), deadline=None)
@given(st.lists(st.sampled_from(PATTERNS), min_size=1, max_size=2),
       st.lists(st.sampled_from(PATTERNS), max_size=2))
def test_an_action_set_agrees_with_matching_every_catalogued_action(include, exclude):
    granted = ActionSet(tuple(include), tuple(exclude))
    # IAM wants `service:action` or `*`: `*Events` or `a*` name no action (and exclude none).
    include = [p for p in include if ":" in p or p.strip("*") == ""]
    exclude = [p for p in exclude if ":" in p or p.strip("*") == ""]
    index = catalogue_index()
    for prefix in ("rum", "iam", "s3", "polly"):
        expected = frozenset(f"{prefix}:{name}" for name in index.get(prefix, ())
                             if any(match_action(p, f"{prefix}:{name}") for p in include)
                             and not any(match_action(p, f"{prefix}:{name}") for p in exclude))
        assert granted.in_service(prefix) == expected, prefix


def test_the_whole_catalogue_is_there_for_the_questions_that_need_it():
    granted = ActionSet.all_but(("rum:*",))
    everything = granted.catalogue()
    assert not any(a.startswith("rum:") for a in everything)
    assert "s3:PutObject" in everything and len(everything) > 10_000
