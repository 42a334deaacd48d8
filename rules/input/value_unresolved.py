"""RUM-SRC-001."""

from __future__ import annotations

from typing import Iterator

from rumpolicy.engine import Violation, find_rule, rule
from rumpolicy.findings import Severity
from rumpolicy.model.inputs import UndecidedCheck
from rumpolicy.model.messages import Said


@rule(id="RUM-SRC-001", name="value-unresolved", severity=Severity.INFO, subject=UndecidedCheck,
      messages={
          "rule-not-checked": "{rule_id} ({rule_name}) not checked for {checked}: {undecided}",
          "unknown-rule-not-checked": "{rule_id} not checked for {checked}: {undecided}",
          "value-unresolved": "{checked}: {undecided}",
      })
def value_unresolved(check: UndecidedCheck) -> Iterator:
    """A value could not be resolved, so the named checks were not made.

    ## What it checks
    Collects every place where the input leaves an answer open: an `Fn::ImportValue`, a parameter
    without a default, a region that is only known at deploy time compared with a literal one, a
    managed policy that is not part of the input, a Terraform value known only after apply.

    ## Why it matters
    rumpolicy never turns "could not tell" into a pass, nor into a guessed failure. This finding
    says which check was skipped and why, so that you can supply what is missing.

    ## Fix
    Give rumpolicy the missing facts: pin the deploy target with `--region` and `--account` (or
    template `Metadata: {rumpolicy: {region: ..., account: ...}}`), declare monitors with
    `--app-monitor ARN`, include the templates or policy files that define the referenced
    resources, or give parameter values with `--parameter Key=Value`.
    """
    # The undecided check's canonical id and parameters (None from a loader): a baseline keeps the finding
    # when the wording of the undecided rule changes.
    undecided = Said(check.message, check.key)
    if check.rule_id:
        found = find_rule(check.rule_id)
        if found:
            yield Violation(check.location, "rule-not-checked", rule_id=check.rule_id, rule_name=found.name,
                            checked=check.subject, undecided=undecided)
        else:
            yield Violation(check.location, "unknown-rule-not-checked", rule_id=check.rule_id, checked=check.subject,
                            undecided=undecided)
    else:
        yield Violation(check.location, "value-unresolved", checked=check.subject, undecided=undecided)
