"""JSON answers are checked before botocore parses them, so that a malformed one fails its call.

botocore reads a JSON body that does not parse as ``{}`` (for ``ListAppMonitors``: no app
monitors, which the audit would report as a pass), and its parser raises AttributeError on JSON of
the wrong shape (``{"AppMonitorSummaries": "x"}``). A ``before-parse`` handler on every session
therefore checks each successful JSON body against the operation's output shape
(``rumpolicy.load.live_read.response_problem``) and raises ``MalformedResponse``, a BotoCoreError that
the readers record as a failed call like any other. XML answers (IAM, STS) need no such handler:
botocore's XML parser raises ResponseParserError on a body that is not XML, and the parsed answer
is checked afterwards (``rumpolicy.load.live_read.call``), as every answer is.
"""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import BotoCoreError

from rumpolicy.load.live_read import MALFORMED, response_problem

JSON_PROTOCOLS = frozenset({"json", "rest-json"})


class MalformedResponse(BotoCoreError):
    """A successful answer whose body is not what the service model says."""

    fmt = "{problem}"
    code = MALFORMED


def refuse_malformed_json(operation_model: Any = None, response_dict: Any = None, **_: Any) -> None:
    """botocore ``before-parse`` handler for successful answers of the JSON protocols."""
    if operation_model is None or response_dict is None or not 200 <= response_dict.get("status_code", 0) < 300:
        return
    if operation_model.service_model.resolved_protocol not in JSON_PROTOCOLS:
        return
    shape = operation_model.output_shape
    body = response_dict.get("body") or b""
    if not body.strip():
        if shape is not None and _has_body_members(shape):
            raise MalformedResponse(problem="the body is empty")
        return
    try:
        value = json.loads(body)
    except (ValueError, RecursionError):
        raise MalformedResponse(problem=f"the body is not JSON ({_excerpt(body)})") from None
    problem = response_problem(value, shape, wire=True)
    if problem is not None:
        raise MalformedResponse(problem=problem)


def _has_body_members(shape: Any) -> bool:
    return any(not member.serialization.get("location") for member in shape.members.values())


def _excerpt(body: bytes) -> str:
    text = body[:40].decode("utf-8", "replace")
    return repr(text + ("..." if len(body) > 40 else ""))


def install(session: Any) -> None:
    session.register("before-parse", refuse_malformed_json, unique_id="rumpolicy-malformed-json")
