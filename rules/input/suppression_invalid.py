"""RUM-SRC-004."""

from __future__ import annotations

from typing import Iterator

from rumpolicy.engine import NOT_APPLICABLE, Violation, rule
from rumpolicy.findings import Severity
from rumpolicy.model.inputs import Suppression
from rumpolicy.model.messages import Listed, Said


@rule(id="RUM-SRC-004", name="suppression-invalid", severity=Severity.WARNING, subject=Suppression,
      messages={
          "malformed": "the {kind} suppression {problem}",
          "unknown-rule": "the {kind} suppression names `{ids}`, which is not a rule that can be suppressed",
          "no-reason": "the {kind} suppression of `{ids}` gives no reason, so it does not take effect",
          "unused": "the {kind} suppression of `{ids}` suppresses no finding",
      })
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
        yield Violation(suppression.location, "malformed", kind=suppression.kind, problem=Said(suppression.malformed))
        return
    if suppression.unknown_ids:
        yield Violation(suppression.location, "unknown-rule", kind=suppression.kind,
                        ids=_ids(suppression.unknown_ids))
    if suppression.reason is None:
        yield Violation(suppression.location, "no-reason", kind=suppression.kind, ids=_ids(suppression.written_ids))
    elif not suppression.in_scope or not suppression.rules_ran:
        yield NOT_APPLICABLE
    else:
        unused = [rule_id for rule_id in suppression.rule_ids if rule_id not in suppression.matched]
        if unused:
            yield Violation(suppression.location, "unused", kind=suppression.kind, ids=_ids(unused))


def _ids(ids) -> Listed:
    """Rule ids for a template that quotes them: `{ids}` shows `RUM-A-001`, `RUM-B-002`."""
    return Listed(tuple(ids), separator="`, `")
