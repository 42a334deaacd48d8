"""Every AWS operation the AWS Config rule's handler may call, and the IAM actions its roles need.

The handler reads the chain around a changed resource as ``rumpolicy audit`` does, but only what it
needs of the audit's read-only list (``rumpolicy.audit.readonly.READ_ONLY_OPERATIONS``, of which
``CHAIN_READS`` and ``SCP_READS`` are checked to be parts): no ``organizations:ListAccounts``, no
``sts:GetCallerIdentity`` (the function's ARN says who it is). It reads an oversized configuration
item and a deleted monitor's last one (``config:GetResourceConfigHistory``), asks whether it judged a resource before
(``config:GetComplianceDetailsByResource``), reports its verdicts (``config:PutEvaluations``) and,
for another account's event, assumes the member role there (``sts:AssumeRole``). With the Security
Hub export on it also reads and imports rumpolicy's findings (``SECURITY_HUB_EXPORT``).

Where each call is made decides which role needs it:

* in the evaluated account, with the member role's credentials (or the function's own for its own
  account): ``CHAIN_READS``, ``CONFIG_RULE`` and the export: ``MEMBER_ROLE_OPERATIONS``;
* with the function's own credentials only: the service control policies (``SCP_READS``: only the
  management account or a delegated administrator may read them) and ``sts:AssumeRole``.

Each session the handler creates is guarded by ``ALLOWED_OPERATIONS`` (``ALLOWED_WITH_EXPORT``)
(``rumpolicy.audit.readonly.Guard``): anything else is refused before it is signed. The roles in
``deploy/`` grant exactly ``iam_actions()`` of these lists; ``tests/test_deploy.py`` compares them.
"""

from __future__ import annotations

from rumpolicy.audit.readonly import READ_ONLY_OPERATIONS, Operations, check_names, merged

# The app monitors, identity pools, roles and managed policies of the evaluated account.
CHAIN_READS: Operations = check_names({
    "rum": frozenset({"ListAppMonitors", "GetAppMonitor", "GetResourcePolicy"}),
    "cognito-identity": frozenset({"DescribeIdentityPool", "GetIdentityPoolRoles"}),
    "iam": frozenset({"GetRole", "ListRolePolicies", "GetRolePolicy", "ListAttachedRolePolicies", "GetPolicy",
                      "GetPolicyVersion", "GetAccountAuthorizationDetails"}),
})
# The service control policies above the evaluated account (rumpolicy.load.live_read.OrgReader).
SCP_READS: Operations = check_names({
    "organizations": frozenset({"DescribeOrganization", "ListParents", "ListPoliciesForTarget", "DescribePolicy"}),
})
# GetComplianceDetailsByResource: whether the rule judged a resource no monitor uses before (rumpolicy.aws_config.run).
CONFIG_RULE: Operations = check_names({
    "config": frozenset({"GetResourceConfigHistory", "GetComplianceDetailsByResource", "PutEvaluations"}),
})
MEMBER_ACCESS: Operations = check_names({"sts": frozenset({"AssumeRole"})})
SECURITY_HUB_EXPORT: Operations = check_names({
    "securityhub": frozenset({"GetFindings", "BatchImportFindings"}),
})

for _reads in (CHAIN_READS, SCP_READS):
    for _service, _operations in _reads.items():
        if not _operations <= READ_ONLY_OPERATIONS.get(_service, frozenset()):
            raise ValueError(f"{_service}: {sorted(_operations)} are not all among the audit's read-only operations")

# What the handler may call without and with the Security Hub export.
ALLOWED_OPERATIONS: Operations = merged(CHAIN_READS, SCP_READS, CONFIG_RULE, MEMBER_ACCESS)
ALLOWED_WITH_EXPORT: Operations = merged(ALLOWED_OPERATIONS, SECURITY_HUB_EXPORT)
# What the role the function assumes in a member account grants (the export's actions added when it is on).
MEMBER_ROLE_OPERATIONS: Operations = merged(CHAIN_READS, CONFIG_RULE)

# No permission is needed for sts:GetCallerIdentity (IAM cannot deny it); for these services an IAM action is
# named as its operation.
NEEDS_NO_PERMISSION = frozenset({("sts", "GetCallerIdentity")})


def iam_actions(operations: Operations) -> list[str]:
    """The IAM actions that allow ``operations``."""
    return sorted(f"{service}:{operation}" for service, names in operations.items() for operation in names
                  if (service, operation) not in NEEDS_NO_PERMISSION)
