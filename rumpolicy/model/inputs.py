"""Facts about the run itself, which the input rules (RUM-SRC-*) report on."""

from __future__ import annotations

from dataclasses import field

from rumpolicy.findings import Location
from rumpolicy.model.policy import Problem
from rumpolicy.records import record, value_type


@value_type
class SuppressionMark:
    """A suppression as written in an input file, found by its loader while it read the file.

    ``rumpolicy.load.suppressions`` finds them; ``rumpolicy.suppress`` resolves their ids into ``Suppression``
    records after the rules ran. What it covers: findings in ``source`` on ``line`` (a comment), or
    findings in ``source`` at ``pointer`` or under it (CloudFormation resource metadata).
    """

    kind: str                            # "comment" | "metadata"
    location: Location                   # where it is written
    ids: tuple[str, ...] = ()            # the ids as written
    reason: object = None                # the reason as written (metadata may hold any value)
    malformed: str | None = None         # why it could not be read at all
    source: str = ""                     # what it covers: the file ...
    line: int | None = None              # ... the line (comments)
    pointer: str | None = None           # ... the JSON pointer prefix (metadata)


# The kind of a file that is an IAM policy, and of one that is a policy but has nothing RUM-related in it
# (recognized, so not RUM-SRC-002's "not recognized", but nothing to check): ``InputFile.kind``.
IAM_POLICY = "iam-policy"
NOT_RUM_RELATED = "iam-policy (not RUM-related)"


@record(eq=False)
class InputFile:
    """One file the user gave or a walk found."""

    path: str
    explicit: bool                       # named on the command line (not found by walking)
    kind: str | None = None              # "cloudformation", "iam-policy", "cli:get-role", ... None: not recognized
    error: str | None = None             # why it could not be read or parsed
    error_location: Location | None = None
    problems: list[Problem] = field(default_factory=list)   # located shape problems in a parsed input
    # Located notes about what was not checked and why, short of an error (reported as RUM-SRC-002): a CDK
    # app's source without its cloud assembly, a resource type that is close to but not a RUM one.
    notes: list[Problem] = field(default_factory=list)
    # A defect of rumpolicy met while loading this file (an unexpected exception): reported as RUM-SRC-003,
    # and the run exits 3. The loader sets it and goes on with the other files.
    defect: "RuleFailure | None" = None
    # Suppressions written in the file (comments, CloudFormation metadata), found by the loader as it read it.
    marks: list[SuppressionMark] = field(default_factory=list)

    @property
    def subject(self) -> str:
        return self.path

    @property
    def location(self) -> Location:
        return self.error_location or Location(self.path)


@value_type
class UndecidedCheck:
    """A check that could not be decided, and why (from a rule or a loader)."""

    rule_id: str | None                  # None: the loader could not resolve a value
    subject: str
    message: str
    location: Location
    # The message without words (its id and parameters, rumpolicy.model.messages): what a baseline keeps
    # of the RUM-SRC-001 finding when the wording changes. None: a loader's own sentence.
    key: str | None = None


@value_type
class RuleFailure:
    """A rule that raised on a subject (RUM-SRC-003): the error, the trace and where the subject is."""

    rule_id: str
    subject: str
    error: str
    location: Location
    trace: str = ""


@record(eq=False)
class Suppression:
    """One ``ignore`` written by the user (comment, resource metadata or configuration entry).

    ``rumpolicy.suppress`` fills it after the engine has run; RUM-SRC-004 reports the ones that are
    malformed, name no rule, give no reason or suppress nothing.
    """

    kind: str                            # "comment" | "metadata" | "config"
    location: Location                   # where it is written
    written_ids: tuple[str, ...] = ()    # the ids as written
    rule_ids: tuple[str, ...] = ()       # the rules they name (aliases resolved)
    unknown_ids: tuple[str, ...] = ()    # ids that name no rule (or a rule that cannot be suppressed)
    reason: str | None = None
    malformed: str | None = None         # why the entry could not be read at all
    in_scope: bool = True                # config entries: a checked file matches its paths
    rules_ran: bool = True               # every rule it names ran in this run
    matched: set[str] = field(default_factory=set)   # the rule ids it suppressed findings of

    @property
    def subject(self) -> str:
        line = f":{self.location.line}" if self.location.line else ""
        return f"{self.kind} suppression at {self.location.source}{line}"
