"""RUM-SRC-004."""

from __future__ import annotations

from typing import Iterator

from rumpolicy.engine import NOT_APPLICABLE, Violation, rule
from rumpolicy.findings import Severity
from rumpolicy.model.inputs import Suppression


@rule(id="RUM-SRC-004", name="suppression-invalid", severity=Severity.WARNING, subject=Suppression)
def suppression_invalid(suppression: Suppression) -> Iterator:
    """A suppression is malformed, names no rule, gives no reason or suppresses nothing.

    ## What it checks
    Every `rumpolicy: ignore` line comment (YAML, HCL), every CloudFormation resource
    `Metadata: {rumpolicy: {ignore: [{id, reason}]}}` entry and every `suppress` entry of the
    configuration file must name rules that exist, give a reason, and suppress at least one
    finding. A suppression without a reason does not take effect. A configuration entry whose
    `paths` match none of the checked files, or a suppression naming a rule that did not run
    (`select`/`ignore`), is not judged. RUM-SRC-004 itself cannot be suppressed; deselect it with
    `ignore` in the configuration.

    ## Why it matters
    A suppression is a decision that someone must be able to review: without a reason nobody can
    tell later whether it still holds. One that suppresses nothing is left over from a fix or
    names the wrong line or rule, and would silently hide the next problem written there.

    ## Fix
    Write the reason after `--` (`# rumpolicy: ignore RUM-PERM-004 -- shared monitor, see ADR-12`)
    or in the `reason` field; put a line comment at the end of the finding's line or on the line
    just above it; remove suppressions that no longer suppress anything.
    """
    if suppression.malformed:
        yield Violation(suppression.location, f"the {suppression.kind} suppression {suppression.malformed}")
        return
    if suppression.unknown_ids:
        names = ", ".join(f"`{i}`" for i in suppression.unknown_ids)
        yield Violation(suppression.location, f"the {suppression.kind} suppression names {names}, which is "
                                              "not a rule that can be suppressed")
    written = ", ".join(f"`{i}`" for i in suppression.written_ids)
    if suppression.reason is None:
        yield Violation(suppression.location, f"the {suppression.kind} suppression of {written} gives no "
                                              "reason, so it does not take effect")
    elif not suppression.in_scope or not suppression.rules_ran:
        yield NOT_APPLICABLE
    else:
        unused = [rule_id for rule_id in suppression.rule_ids if rule_id not in suppression.matched]
        if unused:
            names = ", ".join(f"`{i}`" for i in unused)
            yield Violation(suppression.location, f"the {suppression.kind} suppression of {names} suppresses "
                                                  "no finding")
