"""The audit calls only read-only AWS operations, and the product itself enforces it.

``READ_ONLY_OPERATIONS`` lists every operation the audit may call, by service. Each name starts
with ``Get``, ``List`` or ``Describe``, except two STS operations that change nothing in any
account: ``GetCallerIdentity`` (who am I) and ``AssumeRole``, which ``--org`` needs to read each
member account. ``guard`` is a botocore ``before-call`` handler: registered on every session the
audit uses, it refuses any other operation before a request is signed or sent, naming it.

A short explicit list, rather than "anything named Get*", because some ``Get`` operations are not
read-only: ``cognito-identity:GetId`` creates an identity and ``GetCredentialsForIdentity`` vends
credentials.
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


def _check_names() -> None:
    """The list itself obeys the rule: a mistaken edit fails at import, before any call."""
    for service, operations in READ_ONLY_OPERATIONS.items():
        for operation in operations:
            if not operation.startswith(READ_ONLY_PREFIXES) and not (service == "sts" and operation in STS_EXCEPTIONS):
                raise ValueError(f"{service}:{operation} is not named like a read-only operation")


_check_names()


class ReadOnlyViolation(RuntimeError):
    """rumpolicy tried to call an operation that is not on the read-only list (a defect in rumpolicy)."""


def is_read_only(service: str, operation: str) -> bool:
    return operation in READ_ONLY_OPERATIONS.get(service, frozenset())


def guard(model: Any = None, **_: Any) -> None:
    """botocore ``before-call`` handler: refuse every operation that is not on the read-only list."""
    service = model.service_model.service_name
    if not is_read_only(service, model.name):
        raise ReadOnlyViolation(f"refusing to call {service}:{model.name}: `rumpolicy audit` only calls "
                                "read-only operations")


def install(session: Any) -> None:
    """Guard every client a botocore session creates from now on."""
    session.register("before-call", guard, unique_id="rumpolicy-read-only-guard")
