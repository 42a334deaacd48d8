"""Small builders for evaluator tests: statements as dicts, results as (kind, Sid) pairs."""

from __future__ import annotations

from typing import Any

from rumpolicy.iam import Decision, EvaluationResult
from rumpolicy.model.locator import FixedLocator
from rumpolicy.model.policy import PolicyDocument, parse_policy
from rumpolicy.model.symbols import token

ACCOUNT = "123456789012"
OTHER_ACCOUNT = "999999999999"
MONITOR = f"arn:aws:rum:us-east-1:{ACCOUNT}:appmonitor/web"
ACTION = "rum:PutRumEvents"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/guest"
SESSION = f"arn:aws:sts::{ACCOUNT}:assumed-role/guest/cwr"
REGION = token("pseudo", "AWS::Region")
ACCOUNT_TOKEN = token("pseudo", "AWS::AccountId")
NO_ALLOW = "no identity-based or resource-based policy allows it"


def statement(effect: str = "Allow", sid: str = "S", **fields: Any) -> dict:
    """A statement on ``rum:PutRumEvents`` for the web monitor; ``fields`` use the JSON element
    names (``NotAction=[...]``) and ``None`` removes an element."""
    body = {"Sid": sid, "Effect": effect, "Action": ACTION, "Resource": MONITOR}
    body.update(fields)
    return {key: value for key, value in body.items() if value is not None}


def allow(sid: str = "A", **fields: Any) -> dict:
    return statement("Allow", sid, **fields)


def deny(sid: str = "D", **fields: Any) -> dict:
    return statement("Deny", sid, **fields)


def policy(*statements: dict, version: str | None = "2012-10-17", name: str = "test") -> PolicyDocument:
    raw: dict[str, Any] = {"Statement": list(statements)}
    if version is not None:
        raw["Version"] = version
    return parse_policy(raw, "", FixedLocator(name), name=name)


def deciding(result: EvaluationResult) -> list[tuple[str, str | None]]:
    return [(ref.kind, ref.statement.sid) for ref in result.deciding]


def check(result: EvaluationResult, decision: Decision, *, by: list[tuple[str, str | None]] | None = None,
          reasons: tuple[str, ...] | None = None, reason_has: str | None = None,
          unknown_keys: tuple[str, ...] | None = None) -> None:
    """Assert the decision together with what decided it."""
    assert result.decision is decision, (result.decision, result.reasons)
    if by is not None:
        assert deciding(result) == by, result.reasons
    if reasons is not None:
        assert result.reasons == reasons
    if reason_has is not None:
        assert any(reason_has in r for r in result.reasons), result.reasons
    if unknown_keys is not None:
        assert result.unknown_keys == unknown_keys
