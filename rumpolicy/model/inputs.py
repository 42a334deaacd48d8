"""Facts about the run itself, which the input rules (RUM-SRC-*) report on."""

from __future__ import annotations

from dataclasses import dataclass, field

from rumpolicy.findings import Location
from rumpolicy.model.policy import Problem


@dataclass(eq=False)
class InputFile:
    """One file the user gave or a walk found."""

    path: str
    explicit: bool                       # named on the command line (not found by walking)
    kind: str | None = None              # "cloudformation", "iam-policy", "cli:get-role", ... None: not recognized
    error: str | None = None             # why it could not be read or parsed
    error_location: Location | None = None
    problems: list[Problem] = field(default_factory=list)   # located shape problems in a parsed input

    @property
    def subject(self) -> str:
        return self.path

    @property
    def location(self) -> Location:
        return self.error_location or Location(self.path)


@dataclass(frozen=True, slots=True)
class UndecidedCheck:
    """A check that could not be decided, and why (from a rule or a loader)."""

    rule_id: str | None                  # None: the loader could not resolve a value
    subject: str
    message: str
    location: Location


@dataclass(frozen=True, slots=True)
class RuleFailure:
    rule_id: str
    subject: str
    error: str
    location: Location
    trace: str = ""
