"""The scopes of a live audit (``aws://ACCOUNT/REGION``, ``aws://ACCOUNT``): what was checked in each.

The audit fills them in (``rumpolicy.audit.runner``) and every report format shows them
(``rumpolicy.report``); they live here so that neither has to import the other.
"""

from __future__ import annotations

from rumpolicy.records import value_type

CHECKED, PARTIAL, NOT_CHECKED = "checked", "partial", "not_checked"


@value_type(slots=False)
class CoverageEntry:
    """What part of a live audit was checked (``aws://ACCOUNT/REGION``), and why not where it was not."""

    scope: str                      # "aws://123456789012/us-east-1" or "aws://123456789012"
    status: str                     # "checked" | "partial" | "not_checked"
    monitors: int = 0               # app monitors found there
    reason: str | None = None       # why it is partial or not checked (AccessDenied on ..., throttled ...)
