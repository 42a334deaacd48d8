"""Numbers in numeric condition operators are integers or decimals, as the IAM condition-operator page puts
it, not whatever Python's float() reads (`1_000`, ` 12 `, `+5`, `1e3`, `nan`, `infinity`). A policy value
that is no number leaves the clause unknown (what IAM does with it is not documented); a request value that
is none does not match."""

from __future__ import annotations

import pytest

from rumpolicy.iam import Decision
from rumpolicy.iam.conditions import _number
from tests.iam.test_conditions import expect, run

A, D, U = Decision.ALLOW, Decision.DENY, Decision.UNKNOWN
KEY = "s3:max-keys"


@pytest.mark.parametrize("text, number", [
    ("10", 10), ("-3", -3), ("0.5", 0.5), ("007", 7), (10, 10), (2.5, 2.5), (-0.0, 0),
    ("9007199254740993", 9007199254740993),          # beyond float precision, still exact
])
def test_integers_and_decimals_are_numbers(text, number):
    assert _number(text) == number


@pytest.mark.parametrize("text", [
    "1_000", " 12 ", "12 ", "+5", "1e3", "1E3", "nan", "NaN", "inf", "-inf", "infinity", "Infinity",
    "", ".5", "5.", "0x10", "1,000", "١٢", True, False, float("nan"), float("inf"), None,
])
def test_anything_else_is_not_a_number(text):
    assert _number(text) is None


@pytest.mark.parametrize("policy_value", ["1_000", "nan", "inf", " 12 ", "+12", "1e3"])
@pytest.mark.parametrize("operator", ["NumericLessThan", "NumericEquals", "NumericNotEquals",
                                      "NumericGreaterThanEquals"])
def test_a_policy_value_that_is_no_number_leaves_the_clause_unknown(operator, policy_value):
    result = run({operator: {KEY: policy_value}}, KEY, 5)
    expect(result, U)
    assert any("is not an integer or decimal number" in r for r in result.reasons), result.reasons


@pytest.mark.parametrize("request_value", ["1_000", "nan", "infinity", " 5 ", "+5", "5e0"])
def test_a_request_value_that_is_no_number_does_not_match(request_value):
    expect(run({"NumericLessThan": {KEY: "10"}}, KEY, request_value), D)
    expect(run({"NumericGreaterThan": {KEY: "1"}}, KEY, request_value), D)


def test_decimals_compare_exactly():
    expect(run({"NumericEquals": {KEY: "9007199254740993"}}, KEY, "9007199254740992"), D)
    expect(run({"NumericLessThan": {KEY: "0.3"}}, KEY, "0.29999999999999999"), A)
    expect(run({"NumericEquals": {KEY: "1.50"}}, KEY, 1.5), A)


def test_epoch_seconds_in_date_operators_follow_the_same_grammar():
    expect(run({"DateLessThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}}, "aws:CurrentTime", "1700000000"), A)
    expect(run({"DateLessThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}}, "aws:CurrentTime", "1_700_000_000"), D)
