"""The audit calls only read-only AWS operations, and the product itself enforces it.

``READ_ONLY_OPERATIONS`` lists every operation the audit may call, by service. Each name starts
with ``Get``, ``List`` or ``Describe``, except two STS operations that change nothing in any
account: ``GetCallerIdentity`` (who am I) and ``AssumeRole``, which ``--org`` needs to read each
member account. ``guard`` is a botocore ``before-call`` handler: registered on every session the
audit uses, it refuses any other operation before a request is signed or sent, naming it.

A short explicit list, rather than "anything named Get*", because some ``Get`` operations are not
read-only: ``cognito-identity:GetId`` creates an identity and ``GetCredentialsForIdentity`` vends
credentials.

Two other callers guard their sessions with a list of their own (``install(session, allowed)``): the
AWS Config rule (``rumpolicy.aws_config.allowed``) and ``audit --to-security-hub``. Every list is
checked at import against the same grammar, and the only operations that change anything that any
of them may name are ``WRITE_OPERATIONS``: ``config:PutEvaluations`` (the Config rule reports its
verdicts) and ``securityhub:BatchImportFindings`` (opt-in export of findings). Nothing else that
writes is callable from rumpolicy.
"""

from __future__ import annotations

from typing import Any

READ_ONLY_PREFIXES = ("Get", "List", "Describe")
# Not named like reads, but they change no resource: STS hands out credentials to the caller only.
STS_EXCEPTIONS = frozenset({"AssumeRole"})

READ_ONLY_OPERATIONS: dict[str, frozenset[str]] = {
    "rum": frozenset({"ListAppMonitors", "GetAppMonitor", "GetResourcePolicy"}),
    "cognito-identity": frozenset({"DescribeIdentityPool", "GetIdentityPoolRoles"}),
    "iam": frozenset({"GetRole", "ListRolePolicies", "GetRolePolicy", "ListAttachedRolePolicies", "GetPolicy",
                      "GetPolicyVersion", "GetAccountAuthorizationDetails"}),
    "sts": frozenset({"GetCallerIdentity", "AssumeRole"}),
    "organizations": frozenset({"DescribeOrganization", "ListAccounts", "ListParents", "ListPoliciesForTarget",
                                "DescribePolicy"}),
}


# The only operations that change something that any of rumpolicy's lists may name.
WRITE_OPERATIONS: frozenset[tuple[str, str]] = frozenset({
    ("config", "PutEvaluations"),            # the AWS Config rule reports its verdicts
    ("securityhub", "BatchImportFindings"),  # opt-in: audit --to-security-hub, the Config rule's export
})

Operations = dict[str, frozenset[str]]


def check_names(allowed: Operations) -> Operations:
    """A list obeys the rule (named like a read, an STS exception, or one of ``WRITE_OPERATIONS``): a
    mistaken edit fails at import, before any call. Returns the list."""
    for service, operations in allowed.items():
        for operation in operations:
            if operation.startswith(READ_ONLY_PREFIXES) or (service == "sts" and operation in STS_EXCEPTIONS):
                continue
            if (service, operation) not in WRITE_OPERATIONS:
                raise ValueError(f"{service}:{operation} is not named like a read-only operation")
    return allowed


check_names(READ_ONLY_OPERATIONS)
if any(service in READ_ONLY_OPERATIONS and operation in READ_ONLY_OPERATIONS[service]
       for service, operation in WRITE_OPERATIONS):
    raise ValueError("the audit's read-only list names a write")


def merged(*lists: Operations) -> Operations:
    """The union of several lists, by service."""
    out: dict[str, frozenset[str]] = {}
    for allowed in lists:
        for service, operations in allowed.items():
            out[service] = out.get(service, frozenset()) | operations
    return check_names(out)


class ReadOnlyViolation(RuntimeError):
    """rumpolicy tried to call an operation that is not on the read-only list (a defect in rumpolicy)."""


def is_read_only(service: str, operation: str) -> bool:
    return operation in READ_ONLY_OPERATIONS.get(service, frozenset())


class Guard:
    """botocore ``before-call`` handler: refuse every operation that is not on ``allowed``."""

    def __init__(self, allowed: Operations, who: str):
        self.allowed = check_names(allowed)
        self.who = who

    def __call__(self, model: Any = None, **_: Any) -> None:
        service = model.service_model.service_name
        if model.name not in self.allowed.get(service, frozenset()):
            raise ReadOnlyViolation(f"refusing to call {service}:{model.name}: {self.who}")


guard = Guard(READ_ONLY_OPERATIONS, "`rumpolicy audit` only calls read-only operations")


def install(session: Any, allowed: Guard | None = None) -> None:
    """Guard every client a botocore session creates from now on (default: the audit's read-only list)."""
    session.register("before-call", allowed or guard, unique_id="rumpolicy-read-only-guard")
