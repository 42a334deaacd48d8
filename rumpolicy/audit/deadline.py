"""The audit's overall time limit (``--deadline``), on top of botocore's per-call timeouts.

Per call, botocore waits at most ``CONNECT_TIMEOUT`` to connect and ``READ_TIMEOUT`` for each read
(``rumpolicy.audit.sessions``), and retries throttling and transient errors up to ``--max-attempts``
times with backoff. Those bound one call, not an audit of thousands of calls. The deadline bounds
the whole: once it has passed, no request is sent any more, first attempt or retry (botocore
``before-call`` and ``before-send`` handlers on every session refuse it). The readers take the
refusal like any failed call: what it would have read becomes a gap with the reason ``deadline
reached``, and what was read before is checked. Calls already in flight at the deadline get
``GRACE`` seconds to answer; after that the audit stops waiting for them and keeps what their
tasks had read (``rumpolicy.audit.runner``). The audit therefore ends at most ``GRACE`` seconds
after the deadline, plus the time to check what was read and write the reports.
"""

from __future__ import annotations

import time
from typing import Any

from botocore.exceptions import BotoCoreError

from rumpolicy.load.live_data import DEADLINE_REACHED, DEADLINE_REASON

GRACE = 2.0             # seconds an in-flight call may still take after the deadline (a healthy one takes well under 1)


def format_duration(seconds: float) -> str:
    """``900`` -> ``15m``, ``90`` -> ``90s``, ``3600`` -> ``1h``: as a user would write it."""
    if seconds >= 3600 and seconds % 3600 == 0:
        return f"{seconds / 3600:g}h"
    if seconds >= 60 and seconds % 60 == 0:
        return f"{seconds / 60:g}m"
    return f"{seconds:g}s"


class DeadlineReached(BotoCoreError):
    """A request the deadline did not let through (a BotoCoreError, so the readers record it as a gap)."""

    fmt = "{reason}"
    code = DEADLINE_REACHED


class Deadline:
    """The moment the audit stops sending requests, and the botocore handler that enforces it."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.at = time.monotonic() + seconds
        self.reason = f"{DEADLINE_REASON} (--deadline {format_duration(seconds)})"
        self.reached = False            # a request was refused, or a read abandoned, because of it

    def remaining(self) -> float:
        return self.at - time.monotonic()

    def passed(self) -> bool:
        return self.remaining() <= 0

    def refuse_late_request(self, **_: Any) -> None:
        """botocore handler: ``before-call`` refuses a call before it is even signed; ``before-send``, emitted
        for every attempt, stops retries at the deadline too (a backoff sleep under way ends first)."""
        if self.passed():
            self.reached = True
            raise DeadlineReached(reason=self.reason)

    def install(self, session: Any) -> None:
        session.register("before-call", self.refuse_late_request, unique_id="rumpolicy-deadline-call")
        session.register("before-send", self.refuse_late_request, unique_id="rumpolicy-deadline-send")
