"""RUM-SRC-003."""

from __future__ import annotations

from typing import Iterator

from rumpolicy.engine import Violation, rule
from rumpolicy.findings import Severity
from rumpolicy.model.inputs import RuleFailure


@rule(id="RUM-SRC-003", name="rule-failed", severity=Severity.ERROR, subject=RuleFailure)
def rule_failed(failure: RuleFailure) -> Iterator:
    """A rule failed on a subject: a defect in rumpolicy.

    ## What it checks
    The engine runs every rule on every subject in isolation. When a rule raises an exception,
    the rule and the subject are named here, and all other rules still run.

    ## Why it matters
    A crashing rule must never read as a pass: the check it should have made was not made.

    ## Fix
    Report it to the rumpolicy maintainers with the message and, if you can, the input. Run with
    `RUMPOLICY_DEBUG=1` to print the traceback on standard error.
    """
    yield Violation(failure.location, f"rule {failure.rule_id} failed on {failure.subject}: {failure.error}")
