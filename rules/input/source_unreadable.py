"""RUM-SRC-000."""

from __future__ import annotations

from typing import Iterator

from rumpolicy.engine import NOT_APPLICABLE, Violation, rule
from rumpolicy.findings import Severity
from rumpolicy.model.inputs import InputFile
from rumpolicy.model.messages import Said


@rule(id="RUM-SRC-000", name="source-unreadable", severity=Severity.ERROR, subject=InputFile,
      messages={
          "unreadable": "{error}",
          "problem": "{problem}",
      })
def source_unreadable(file: InputFile) -> Iterator:
    """An input could not be read, parsed or interpreted.

    ## What it checks
    Every file rumpolicy loads must be readable text (UTF-8, or UTF-16/32 with a byte-order mark),
    valid JSON or YAML within the size, nesting and alias limits, and where it is a template or a
    policy, of the expected shape (`Statement` an object or a list, `Action` a string or a list of
    strings, a resource `Type` a string, and so on; in a web client's config, values of the client's
    types: `identityPoolId` a string, `signing` a boolean). Named FIFOs, sockets and devices are
    reported without being opened, and so are folders that cannot be listed.

    ## Why it matters
    What cannot be read cannot be checked: without this finding a broken template would look like
    a clean one. AWS rejects the same documents at deploy time (`MalformedPolicyDocument`,
    template validation errors). The other files are still checked.

    ## Fix
    Correct the syntax or the shape at the line given. For very large inputs, raise the limit with
    `--max-file-size`; CloudFormation itself accepts templates of at most 1 MB.
    """
    if file.error is None and not file.problems:
        yield NOT_APPLICABLE
        return
    if file.error is not None:
        yield Violation(file.location, "unreadable", error=Said(file.error))
    for problem in file.problems:
        yield Violation(problem.location, "problem", problem=Said(problem.message))
