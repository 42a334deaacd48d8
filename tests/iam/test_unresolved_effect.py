"""An `Effect` only the deploy decides (`!If [Cond, Allow, Deny]` on an undecidable condition) is unknown, not
malformed: no problem is recorded (that would be RUM-SRC-000), and the evaluator counts the statement as a
possible Allow and a possible Deny."""

from __future__ import annotations

from rumpolicy.iam import Decision, evaluate
from rumpolicy.model.locator import FixedLocator
from rumpolicy.model.policy import parse_policy
from rumpolicy.model.symbols import Unknown
from tests.iam.helpers import ACTION, MONITOR, allow, check

WHY = "depends on condition 'IsProd', which cannot be decided before deployment"


def document(*statements: dict):
    return parse_policy({"Version": "2012-10-17", "Statement": list(statements)}, "", FixedLocator("t"), name="t")


def test_an_unresolved_effect_is_unknown_and_not_a_problem():
    doc = document(allow(sid="E", Effect=Unknown(WHY)))
    assert doc.problems == ()
    statement = doc.statements[0]
    assert statement.effect is None
    assert statement.unknown == f"`Effect` could not be resolved: {WHY}"


def test_the_evaluator_says_unknown_and_why():
    result = evaluate(document(allow(sid="E", Effect=Unknown(WHY))), ACTION, MONITOR)
    check(result, Decision.UNKNOWN, by=[("identity", "E")])
    assert any(WHY in reason and "may allow it" in reason for reason in result.reasons), result.reasons
    assert any(WHY in reason and "may deny it" in reason for reason in result.reasons), result.reasons


def test_a_sure_allow_elsewhere_is_still_only_possibly_denied_by_it():
    result = evaluate(document(allow(sid="A"), allow(sid="E", Effect=Unknown(WHY))), ACTION, MONITOR)
    check(result, Decision.UNKNOWN, by=[("identity", "E")])


def test_an_effect_of_the_wrong_type_is_still_a_problem():
    doc = document(allow(sid="E", Effect=True))
    assert [p.message for p in doc.problems] == ["`Effect` must be a string, not a boolean"]
