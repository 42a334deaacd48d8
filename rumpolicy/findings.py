"""What a check reports: severities, locations and findings.

Every finding is located: a source (file path or ``aws://ACCOUNT/REGION``), an RFC 6901 JSON
pointer into that source, and where the loader knows it, a line and column (1-based).
"""

from __future__ import annotations

from dataclasses import field
from enum import StrEnum

from rumpolicy.records import record, value_type


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return {"info": 1, "warning": 2, "error": 3}[self.value]


@value_type(order=True)
class Span:
    """A 1-based line and column in a source file."""

    line: int
    column: int


@value_type
class Location:
    """Where a finding or model node is: a file (or ``aws://ACCOUNT/REGION``), a JSON pointer into it, and its span."""

    source: str
    pointer: str = ""
    span: Span | None = None

    @property
    def line(self) -> int | None:
        return self.span.line if self.span else None

    @property
    def column(self) -> int | None:
        return self.span.column if self.span else None

    def sort_key(self) -> tuple:
        return (self.source, self.line or 0, self.column or 0, self.pointer)


@value_type
class Suppressed:
    """Why a finding does not count: a reasoned suppression (``rumpolicy.suppress``) and where it is written."""

    kind: str                # "comment" (YAML/HCL line comment), "metadata" (CloudFormation), "config"
    reason: str
    location: Location


@value_type
class Finding:
    """One reported problem: the rule, its severity and words, the subject it is about and where it is."""

    rule_id: str
    rule_name: str
    severity: Severity
    message: str
    subject: str
    location: Location
    related: tuple[Location, ...] = ()
    remediation: str | None = None
    suppression: Suppressed | None = None     # set after the engine; a suppressed finding never fails a run
    # The message without words (rumpolicy.model.messages): its id in the rule's table and each parameter
    # in canonical form. Baselines hash these, so rewording a message keeps its findings recorded.
    message_id: str = ""
    params: tuple[tuple[str, str], ...] = ()
    # The fix as edits on the model (rumpolicy.model.messages); `remediation` is its text.
    fix: tuple = field(default=(), compare=False)

    @property
    def suppressed(self) -> bool:
        return self.suppression is not None

    def sort_key(self) -> tuple:
        return (*self.location.sort_key(), self.rule_id, self.subject, self.message)


def escape_pointer_token(token: object) -> str:
    return str(token).replace("~", "~0").replace("/", "~1")


def join_pointer(pointer: str, *tokens: object) -> str:
    return pointer + "".join("/" + escape_pointer_token(t) for t in tokens)


@record
class FindingSink:
    """Collects findings produced outside rules (loaders, the linker)."""

    findings: list[Finding] = field(default_factory=list)

    def add(self, finding: Finding) -> None:
        self.findings.append(finding)
