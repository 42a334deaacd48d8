"""RUM-MON-001."""

from __future__ import annotations

import re
from typing import Iterator

from rumpolicy.aws import PSEUDO_MAX_LENGTH
from rumpolicy.engine import Undecided, Violation, rule
from rumpolicy.findings import Severity
from rumpolicy.model import AppMonitor
from rumpolicy.model.messages import Listed, Prop, Value
from rumpolicy.model.symbols import PSEUDO, Symbol, has_symbols, is_unknown, parts

# botocore rum 2018-05-10 ``AppMonitorName``: length 1-255, pattern ``(?!\.)[\.\-_#A-Za-z0-9]+``
# (unanchored since botocore 1.36; anchored here as RUM-REQUIREMENTS INPUT-6 asks).
NAME = re.compile(r"^(?!\.)[.\-_#A-Za-z0-9]+$")
MAX_LENGTH = 255
ALLOWED = re.compile(r"[.\-_#A-Za-z0-9]")
# Pseudo parameters whose values only ever use characters the name pattern allows; their longest
# values are rumpolicy.aws.PSEUDO_MAX_LENGTH.
SAFE_PSEUDO = frozenset({"AWS::Region", "AWS::AccountId", "AWS::Partition", "AWS::StackName", "AWS::URLSuffix"})


@rule(id="RUM-MON-001", name="app-monitor-name-invalid", severity=Severity.ERROR, subject=AppMonitor,
      references=("https://docs.aws.amazon.com/cloudwatchrum/latest/APIReference/API_CreateAppMonitor.html",
                  "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-rum-appmonitor.html"),
      messages={
          "name-missing": "app monitor {monitor} has no `{field}`",
          "name-unresolved": "the app monitor name could not be resolved ({value}), so it was not checked",
          "name-not-string": "the app monitor name `{value}` is not a string",
          "name-bad-characters": "the app monitor name `{value}` contains {chars}, which the RUM API does not "
                                 "accept in a name",
          "name-leading-dot": "the app monitor name `{value}` starts with a dot, which the RUM API rejects",
          "name-too-long": "the app monitor name `{value}` is longer than {limit} characters",
          "name-undecided": "the app monitor name `{value}` is only known at deployment, so its characters and "
                            "length were not checked",
          "name-empty": "the app monitor name is empty",
          # The CloudFormation schema's pattern admits `/` (so the template validates); for the other inputs
          # nothing is claimed beyond the API's answer.
          "name-slash": {"cloudformation": "the app monitor name `{value}` contains `/`, which CloudFormation "
                                           "accepts but the RUM API rejects",
                         "default": "the app monitor name `{value}` contains `/`, which the RUM API rejects"},
          "name-length": "the app monitor name `{start}...` is {length} characters long; the RUM API allows at "
                         "most {limit}",
      })
def app_monitor_name_invalid(monitor: AppMonitor) -> Iterator:
    """The app monitor's name is not one the RUM API accepts.

    ## What it checks
    `Name` must be 1 to 255 characters of `A-Z a-z 0-9 . - _ #` and must not start with a dot
    (the RUM API's `AppMonitorName` pattern `^(?!\\.)[.\\-_#A-Za-z0-9]+$`). A name with `/` is
    reported too: the CloudFormation schema accepts `/`, the API pattern does not. A missing
    `Name` is reported, since every app monitor needs one.

    Names built with `!Sub` from pseudo parameters (`${AWS::StackName}-web`) are checked on their
    literal parts, because those parameters only ever hold allowed characters; a name built from
    another resource or a parameter without a default is reported as not checked (RUM-SRC-001)
    unless its literal part is already invalid.

    ## Why it matters
    `CreateAppMonitor` rejects the name with a `ValidationException`, so the stack fails to deploy.
    The name also ends up in the ARN that guest roles must allow
    (`arn:aws:rum:<region>:<account>:appmonitor/<Name>`).

    ## Fix
    Use only letters, digits, `.`, `-`, `_` and `#`, and do not start with a dot:

    ```yaml
    Monitor:
      Type: AWS::RUM::AppMonitor
      Properties:
        Name: team-web          # not "team/web" or ".hidden-monitor"
    ```
    """
    node = monitor.name
    if node is None:
        yield Violation(monitor, "name-missing", monitor=monitor, field=Prop(monitor, "Name"))
        return
    value = node.value
    if is_unknown(value):
        yield Undecided(node, "name-unresolved", value=value)
        return
    if not isinstance(value, str):
        yield Violation(node, "name-not-string", value=Value(monitor, value))
        return
    if not has_symbols(value):
        yield from _literal(monitor, node, value)
        return
    literal = "".join(p for p in parts(value) if isinstance(p, str))
    bad = sorted({ch for ch in literal if not ALLOWED.fullmatch(ch)})
    shown = Value(monitor, value)
    if bad:
        yield Violation(node, "name-bad-characters", value=shown, chars=_chars(bad))
        return
    first = parts(value)[0]
    if isinstance(first, str) and first.startswith("."):
        yield Violation(node, "name-leading-dot", value=shown)
        return
    if len(literal) > MAX_LENGTH:
        yield Violation(node, "name-too-long", value=shown, limit=MAX_LENGTH)
        return
    symbols = [p for p in parts(value) if isinstance(p, Symbol)]
    if all(s.kind == PSEUDO and s.detail in SAFE_PSEUDO for s in symbols):
        # Only the length can still fail: pass when even the longest values fit.
        if len(literal) + sum(PSEUDO_MAX_LENGTH[s.detail] for s in symbols) <= MAX_LENGTH:
            return
    yield Undecided(node, "name-undecided", value=shown)


def _literal(monitor: AppMonitor, node, value: str) -> Iterator:
    if not value:
        yield Violation(node, "name-empty")
    elif "/" in value:
        yield Violation(node, "name-slash", value=value)
    elif len(value) > MAX_LENGTH:
        yield Violation(node, "name-length", start=value[:40], length=len(value), limit=MAX_LENGTH)
    elif value.startswith("."):
        yield Violation(node, "name-leading-dot", value=value)
    elif not NAME.match(value):
        bad = sorted({ch for ch in value if not ALLOWED.fullmatch(ch)})
        yield Violation(node, "name-bad-characters", value=value, chars=_chars(bad))


def _chars(chars: list[str]) -> Listed:
    """The characters, each as a message shows it: in backticks, or quoted when it is white space."""
    return Listed(tuple(f"`{c}`" if c.strip() else repr(c) for c in chars))
