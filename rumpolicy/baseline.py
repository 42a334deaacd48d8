"""Baselines: adopt the gate on an existing repository without fixing everything on day one.

``--write-baseline FILE`` records the fingerprints of the current findings; ``--baseline FILE``
then reports only findings whose fingerprint is not recorded. A fingerprint is a hash of

- the rule id,
- the file, relative to the project root (``rumpolicy.paths``), so it does not depend on the
  current directory or on how the path was given; for an audit, the live location
  (``aws://ACCOUNT/REGION``, ``aws://ACCOUNT``) as it is,
- the subject (logical id, Terraform address, ARN),
- the JSON pointer with list indices replaced by ``*`` (the property, not its position), and
- the message without its words: the rule's message id and its parameters in canonical form
  (``rumpolicy.model.messages``), which hold the offending value. Rewording a message, or a fix to
  how a dialect spells a property, leaves fingerprints alone.

Baselines of version 1 hashed the rendered message instead; they are still read, and their
findings matched by that older fingerprint, until the baseline is next written (as version 2).

Line numbers are not part of it: edits that move lines leave fingerprints alone, while a change
of the offending value makes a new finding. Live findings have no lines, and nothing of a run
(time, the order the API listed things in or the concurrent reads finished in) enters a
fingerprint: the audit puts what it read in a fixed order (``rumpolicy.audit.runner``).
Fingerprints are counted, not just collected: two equal findings in the baseline excuse two, and
a third is new. Suppressed findings are not recorded (the suppression already excuses them), nor
are RUM-SRC-000 and RUM-SRC-003: a file that cannot be read or a rule that crashed means a check
was not made, which a baseline never excuses.
Rewriting a baseline records only the current findings, so fixed ones drop out of it.

Reports that track each finding as an alert of its own (SARIF ``partialFingerprints``, GitLab
``fingerprint``) need one fingerprint per finding, and two identical statements in one file have
the same one: ``occurrence_fingerprints`` appends the finding's place among the findings of the run
with that fingerprint, counted in the order of their locations (``<fingerprint>:1``,
``<fingerprint>:2``). Baseline files keep the counted fingerprints alone.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Iterable, Sequence

from rumpolicy import __version__
from rumpolicy.findings import Finding
from rumpolicy.paths import project_path
from rumpolicy.escape import json_safe
from rumpolicy.records import value_type

BASELINE_VERSION = 2
READABLE_VERSIONS = (1, 2)
NEVER_BASELINED = ("RUM-SRC-000", "RUM-SRC-003")
INDEX_TOKEN = re.compile(r"/\d+(?=/|$)")


class BaselineError(Exception):
    """The baseline file cannot be read or written: exit status 2."""


def normalized_pointer(pointer: str) -> str:
    return INDEX_TOKEN.sub("/*", pointer)


def fingerprint(finding: Finding, root: Path) -> str:
    if finding.message_id:
        said = "\x1e".join([finding.message_id, *(f"{name}={value}" for name, value in finding.params)])
    else:
        said = finding.message          # no message table (a plugin's rule, a loader's sentence)
    return _hash(finding, root, said)


def occurrence_fingerprints(findings: Sequence[Finding], root: Path) -> list[str]:
    """One fingerprint per finding, unique in ``findings``: ``<fingerprint>:<n>``, the finding being the n-th
    of those with its fingerprint in the order of their locations (file, line, column, pointer), so that the
    same findings get the same values in every run whatever order they were reported in. Pass every finding
    of the run, suppressed ones included, so that showing or leaving those out changes no other value."""
    keys = [fingerprint(f, root) for f in findings]
    seen: Counter[str] = Counter()
    out = [""] * len(findings)
    for index in sorted(range(len(findings)), key=lambda i: (findings[i].sort_key(), i)):
        seen[keys[index]] += 1
        out[index] = f"{keys[index]}:{seen[keys[index]]}"
    return out


def text_fingerprint(finding: Finding, root: Path) -> str:
    """The fingerprint of version-1 baselines: the rendered message in place of its id and parameters."""
    return _hash(finding, root, finding.message)


def _hash(finding: Finding, root: Path, said: str) -> str:
    parts = (finding.rule_id, project_path(finding.location.source, root), finding.subject,
             normalized_pointer(finding.location.pointer), said)
    # surrogatepass: a file name that is not UTF-8, or a lone surrogate from JSON, still has a fingerprint
    # (and every other text keeps the one it had).
    import hashlib       # 3 ms of a cold start: only for the reports and runs that fingerprint

    return hashlib.sha256("\x1f".join(parts).encode("utf-8", "surrogatepass")).hexdigest()[:32]


def baselinable(finding: Finding) -> bool:
    return not finding.suppressed and finding.rule_id not in NEVER_BASELINED


def write(path: Path, findings: Iterable[Finding], root: Path) -> int:
    """Record the findings; returns how many were recorded."""
    entries = sorted(({"fingerprint": fingerprint(f, root), "rule_id": f.rule_id,
                       "path": project_path(f.location.source, root), "subject": f.subject, "message": f.message}
                      for f in findings if baselinable(f)),
                     key=lambda e: (e["path"], e["rule_id"], e["subject"], e["fingerprint"]))
    document = {"version": BASELINE_VERSION, "tool": {"name": "rumpolicy", "version": __version__},
                "findings": entries}
    try:
        path.write_text(json_safe(json.dumps(document, indent=2, ensure_ascii=False)) + "\n", "utf-8")
    except OSError as exc:
        raise BaselineError(f"cannot write baseline {path}: {exc.strerror or exc}") from exc
    return len(entries)


@value_type(slots=False)
class Recorded:
    """The fingerprints of a baseline file, with how often each was recorded, and how they were made."""

    counts: Counter
    version: int


def read(path: Path) -> Recorded:
    """The fingerprints recorded in a baseline file."""
    try:
        document = json.loads(path.read_text("utf-8"))
    except OSError as exc:
        raise BaselineError(f"cannot read baseline {path}: {exc.strerror or exc}") from exc
    except ValueError as exc:
        raise BaselineError(f"baseline {path} is not JSON: {exc}") from exc
    if not isinstance(document, dict) or document.get("version") not in READABLE_VERSIONS:
        raise BaselineError(f"baseline {path} is not a rumpolicy baseline (version "
                            f"{' or '.join(map(str, READABLE_VERSIONS))})")
    entries = document.get("findings")
    if not isinstance(entries, list) or not all(isinstance(e, dict) and isinstance(e.get("fingerprint"), str)
                                                for e in entries):
        raise BaselineError(f"baseline {path}: `findings` must be a list of entries with a `fingerprint`")
    return Recorded(Counter(e["fingerprint"] for e in entries), document["version"])


def new_findings(findings: list[Finding], recorded: "Recorded | Counter[str]", root: Path) -> tuple[list[Finding], int]:
    """The findings the baseline does not excuse, and how many it excused."""
    if isinstance(recorded, Counter):
        recorded = Recorded(recorded, BASELINE_VERSION)
    left = Counter(recorded.counts)
    key_of = fingerprint if recorded.version >= 2 else text_fingerprint
    kept: list[Finding] = []
    excused = 0
    for finding in findings:
        if baselinable(finding):
            key = key_of(finding, root)
            if left[key] > 0:
                left[key] -= 1
                excused += 1
                continue
        kept.append(finding)
    return kept, excused
