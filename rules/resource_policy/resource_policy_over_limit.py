"""RUM-RBP-002."""

from __future__ import annotations

from typing import Iterator

from rumpolicy.aws import PSEUDO_MAX_LENGTH
from rumpolicy.engine import NOT_APPLICABLE, Undecided, Violation, rule
from rumpolicy.findings import Severity
from rumpolicy.model import ResourcePolicy
from rumpolicy.model.symbols import IMPORT, OPAQUE, PARAM, PSEUDO, Symbol, has_symbols, parts

LIMIT = 4096           # "The maximum size of the policy is 4 KB."
OTHER_MAX = 255        # names and ids of resources in the same template


@rule(id="RUM-RBP-002", name="resource-policy-over-limit", severity=Severity.ERROR, subject=ResourcePolicy,
      references=("https://docs.aws.amazon.com/cloudwatchrum/latest/APIReference/API_PutResourcePolicy.html",
                  "https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch-RUM-resource-policies.html"),
      messages={
          "second-policy": "app monitor {monitor} already has resource policy {first}; each app monitor can have "
                           "only one",
          "too-large": "the resource policy is {size} bytes; an app monitor's policy may be at most {limit} bytes "
                       "(4 KB)",
          "too-large-at-least": "the resource policy is at least {size} bytes; an app monitor's policy may be at "
                                "most {limit} bytes (4 KB)",
          "size-undecided": "the resource policy is between {low} bytes and {high} bytes once deployed, so the "
                            "{limit}-byte limit was not checked",
          "size-unbounded": "the resource policy is between {low} bytes and an unknown size once deployed, so the "
                            "{limit}-byte limit was not checked",
      })
def resource_policy_over_limit(policy: ResourcePolicy) -> Iterator:
    """The app monitor's resource-based policy is larger than 4 KB, or is not its only one.

    ## What it checks
    * The policy document, measured as the UTF-8 bytes of the string RUM receives, is at most 4 KB
      (4,096 bytes). For a `!Sub` string whose pseudo parameters or references are resolved only at
      deploy time, the longest value each can take is assumed; only a value of unbounded length
      (an `Fn::ImportValue`, a parameter) can leave the answer open.
    * An app monitor has at most one resource-based policy: an `AWS::RUM::AppMonitor`
      `ResourcePolicy` and a standalone policy for the same monitor, or two standalone ones, are
      reported at the second.

    ## Why it matters
    `PutResourcePolicy` rejects larger documents with `PolicySizeLimitExceededException`, and "each
    app monitor can have one resource-based policy": a second one silently replaces the first, so
    which statements apply depends on deploy order.

    ## Fix
    Keep one policy per monitor and shorten it: merge statements that differ only in a condition
    value into one statement with a list of values (`"aws:SourceIp": ["192.0.2.0/24",
    "198.51.100.0/24"]`), and use CIDR ranges instead of single addresses.
    """
    found = False
    monitor = policy.monitor
    if monitor is not None and len(monitor.resource_policies) > 1 and monitor.resource_policies[0] is not policy:
        found = True
        yield Violation(policy, "second-policy", monitor=monitor, first=monitor.resource_policies[0])
    raw = policy.raw
    if raw is None or not isinstance(raw.value, str):
        if not found:
            yield NOT_APPLICABLE
        return
    low, high = _size_bounds(raw.value)
    limit = f"{LIMIT:,}"
    if low > LIMIT:
        yield Violation(raw, "too-large" if low == high else "too-large-at-least", size=f"{low:,}", limit=limit)
    elif high is None:
        yield Undecided(raw, "size-unbounded", low=f"{low:,}", limit=limit)
    elif high > LIMIT:
        yield Undecided(raw, "size-undecided", low=f"{low:,}", high=f"{high:,}", limit=limit)


def _size_bounds(text: str) -> tuple[int, int | None]:
    """UTF-8 size of the deployed string: (at least, at most), at most None when unbounded."""
    if not has_symbols(text):
        size = len(text.encode("utf-8"))
        return size, size
    low = 0
    high: int | None = 0
    for part in parts(text):
        if isinstance(part, str):
            size = len(part.encode("utf-8"))
            low += size
            high = None if high is None else high + size
            continue
        longest = _longest(part)
        high = None if high is None or longest is None else high + longest
    return low, high


def _longest(symbol: Symbol) -> int | None:
    if symbol.kind == PSEUDO:
        return PSEUDO_MAX_LENGTH.get(symbol.detail)
    if symbol.kind in (IMPORT, OPAQUE, PARAM):
        return None
    return OTHER_MAX
