"""Test helpers for rules, built-in or a plugin's: ``assert_findings(path, expected)`` in one line.

    from tests.helpers import assert_findings
    assert_findings("fixtures/rules/RUM-TRUST-002/bad.yaml", ["RUM-TRUST-002:25", "RUM-PERM-005:35"])

``expected`` lists ``RULE-ID:LINE`` (or ``(rule_id, line)``) for every active finding the check of
``path`` must report, no more and no fewer (order does not matter, repeats count). ``rules`` keeps
the comparison to findings of those rule ids (a rule's fixture need not list what other rules say).
"""

from __future__ import annotations

from collections import Counter
from typing import Iterable

from rumpolicy.api import Options, check


def _key(item) -> tuple[str, int | None]:
    if isinstance(item, str):
        rule_id, _, line = item.partition(":")
        return rule_id, int(line) if line else None
    rule_id, line = item
    return rule_id, line


def assert_findings(path: str, expected: Iterable, *, rules: Iterable[str] | None = None, options: Options | None = None):
    """Check ``path`` and compare its active findings with ``expected``; returns the report."""
    report = check([str(path)], options or Options())
    keep = set(rules) if rules is not None else None
    got = Counter((f.rule_id, f.location.line) for f in report.active if keep is None or f.rule_id in keep)
    want = Counter(_key(item) for item in expected)
    if got != want:
        shown = "\n".join(f"  {f.rule_id}:{f.location.line} {f.message}" for f in report.active
                          if keep is None or f.rule_id in keep)
        missing = sorted(f"{r}:{l}" for r, l in (want - got).elements())
        unexpected = sorted(f"{r}:{l}" for r, l in (got - want).elements())
        raise AssertionError(f"{path}: missing {missing}, unexpected {unexpected}; reported:\n{shown}")
    return report


def builtin_rules():
    """The rules rumpolicy ships (meta-tests and docs checks cover these, not a plugin's)."""
    from rumpolicy.engine import builtin, registry

    return tuple(r for r in registry() if builtin(r))


# What could point boto3 at real AWS, or at credentials and settings of the machine the tests run on.
AWS_ENVIRONMENT = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_REGION",
                   "AWS_DEFAULT_REGION", "AWS_RETRY_MODE", "AWS_MAX_ATTEMPTS", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
                   "HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy")


def isolate_aws(monkeypatch, tmp_path) -> None:
    """Fake credentials, empty AWS configuration files and no proxy: a test's AWS calls go where it says."""
    for name in AWS_ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)
    empty = tmp_path / "aws-empty"
    empty.write_text("")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(empty))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(empty))
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
