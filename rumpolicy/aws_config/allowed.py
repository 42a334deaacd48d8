"""Every AWS operation the AWS Config rule's handler may call, and the IAM actions its roles need.

The handler reads the chain around a changed resource as ``rumpolicy audit`` does (its read-only
list, ``rumpolicy.audit.readonly.READ_ONLY_OPERATIONS``), reads an oversized configuration item
(``config:GetResourceConfigHistory``) and reports its verdicts (``config:PutEvaluations``). With
the Security Hub export switched on it also reads and imports rumpolicy's findings
(``SECURITY_HUB_EXPORT``). Each session it creates is guarded by these lists
(``rumpolicy.audit.readonly.Guard``): anything else is refused before it is signed. The roles in
``deploy/`` grant exactly ``iam_actions()``; ``tests/test_deploy.py`` compares them.
"""

from __future__ import annotations

from rumpolicy.audit.readonly import READ_ONLY_OPERATIONS, Operations, check_names, merged

CONFIG_RULE: Operations = check_names({
    "config": frozenset({"GetResourceConfigHistory", "PutEvaluations"}),
})
SECURITY_HUB_EXPORT: Operations = check_names({
    "securityhub": frozenset({"GetFindings", "BatchImportFindings"}),
})

# What the handler may call without and with the Security Hub export.
ALLOWED_OPERATIONS: Operations = merged(READ_ONLY_OPERATIONS, CONFIG_RULE)
ALLOWED_WITH_EXPORT: Operations = merged(ALLOWED_OPERATIONS, SECURITY_HUB_EXPORT)

# sts:GetCallerIdentity needs no permission (IAM cannot deny it); the rest are granted by name.
NEEDS_NO_PERMISSION = frozenset({("sts", "GetCallerIdentity")})


def iam_actions(operations: Operations) -> list[str]:
    """The IAM actions that allow ``operations`` (for these services an action is named as its operation)."""
    return sorted(f"{service}:{operation}" for service, names in operations.items() for operation in names
                  if (service, operation) not in NEEDS_NO_PERMISSION)
