"""RUM-SRC-003."""

from __future__ import annotations

from typing import Iterator

from rumpolicy.engine import Violation, rule
from rumpolicy.findings import Severity
from rumpolicy.model.inputs import RuleFailure
from rumpolicy.model.messages import Said


@rule(id="RUM-SRC-003", name="rule-failed", severity=Severity.ERROR, subject=RuleFailure,
      messages={
          "loader-failed": "rumpolicy failed while loading {file}: {error}",
          "rule-failed": "rule {rule_id} failed on {failed_on}: {error}",
      })
def rule_failed(failure: RuleFailure) -> Iterator:
    """A rule or a loader failed: a defect in rumpolicy.

    ## What it checks
    The engine runs every rule on every subject in isolation. When a rule raises an exception,
    the rule and the subject are named here, and all other rules still run. When loading a file
    raises an unexpected exception, the file is named here and the other files are still checked.
    Either way `rumpolicy` exits with status 3, whatever `--fail-on`, suppressions or baselines
    say, so that CI can tell a defect of the tool from findings about the input.

    ## Why it matters
    A crashing rule must never read as a pass: the check it should have made was not made.

    ## Fix
    Report it to the rumpolicy maintainers with the message and, if you can, the input. Run with
    `RUMPOLICY_DEBUG=1` to print the traceback on standard error.
    """
    if failure.rule_id.startswith("rumpolicy."):       # a loader names itself by module, a rule by its id
        yield Violation(failure.location, "loader-failed", file=failure.subject, error=Said(failure.error))
    else:
        yield Violation(failure.location, "rule-failed", rule_id=failure.rule_id, failed_on=failure.subject,
                        error=Said(failure.error))
