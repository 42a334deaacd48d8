"""Live AWS accounts -> the model (``rumpolicy audit``): read through boto3, then built like any input.

Two halves, each in its own module, with the records that pass between them in a third; this
module gathers their public names:

* **Reading** (``live_read``: ``AccountReader``, ``OrgReader``) calls the read-only operations of
  ``rumpolicy.audit.readonly`` through the clients it is handed and keeps the responses as they
  came (``AccountData`` and the records of ``live_data``). A call that fails is data too: a ``Gap``
  says what could not be read and why, and the reading goes on. Not-found answers have their
  meaning (``PolicyNotFoundException``: the monitor has no resource policy). Pools are read in their
  own region (the prefix of their id); roles and managed policies once per account, however many
  monitors share them; what several accounts share (AWS managed policies, organization roots and
  OUs, SCPs) once per run (``Once``).
* **Building** (``live_build``: ``build_inventory``) is pure: one account's responses become
  AppMonitor, ResourcePolicy, IdentityPool, RoleAttachment, Role, ManagedPolicy and OrgPolicies
  objects with literal ``Environment(partition, region, account)``, linked by
  ``rumpolicy.chain.link``. Everything a gap left unread becomes an undecided check (RUM-SRC-001)
  or an unknown value, never an absence that a rule could take for a pass.

Locations: the source is ``aws://ACCOUNT/REGION`` for regional resources (a pool: its own region)
and ``aws://ACCOUNT`` for IAM and Organizations, which are global (``aws://aws`` for AWS managed
policies); the pointer runs into the API response that returned the value:

* app monitor: ``GetAppMonitor`` (``/AppMonitor/AppMonitorConfiguration/IdentityPoolId``);
* resource policy: ``GetResourcePolicy`` (``/PolicyDocument/Statement/0``, into the JSON string);
* identity pool: ``DescribeIdentityPool`` (``/AllowUnauthenticatedIdentities``), its roles:
  ``GetIdentityPoolRoles`` (``/Roles/unauthenticated``);
* role: the role as ``GetAccountAuthorizationDetails`` lists it (``/AssumeRolePolicyDocument/...``,
  ``/RolePolicyList/0/PolicyDocument/...``, ``/AttachedManagedPolicies/0/PolicyArn``,
  ``/PermissionsBoundary/PermissionsBoundaryArn``), whichever calls it was read with;
* managed policy: ``GetPolicyVersion`` (``/PolicyVersion/Document/...``);
* SCP: ``DescribePolicy`` (``/Policy/Content/Statement/0``).

Roles are read per role (``GetRole``, ``ListRolePolicies`` + ``GetRolePolicy``,
``ListAttachedRolePolicies``) when an account's monitors need few of them, and with
``GetAccountAuthorizationDetails`` (every role of the account, with its inline policies, in pages
of up to 1000) when they need ``BULK_ROLES`` or more: fewer calls for a large account. If the bulk
call is denied, the roles are read one by one.

Responses are checked before they are used (``response_problem``): a body that is not JSON or XML,
or whose values do not have the types of botocore's service model (``{"AppMonitorSummaries": "x"}``,
an ``AppMonitorConfiguration`` that is a list, an IAM policy document that is not URL-encoded JSON)
fails its call with ``MalformedResponse``, like any other failed call. botocore alone would read a
body that is not JSON as an empty answer (no app monitors: a false pass) and raises AttributeError
on JSON of the wrong shape; the JSON bodies are therefore checked before botocore parses them
(``rumpolicy.audit.responses``) and every parsed answer again in ``live_read``.
"""

from __future__ import annotations

from rumpolicy.load.live_build import (KIND_MANAGED_POLICY, KIND_MONITOR, KIND_ORG, KIND_POOL, KIND_POOL_ROLES,
                                       KIND_RESOURCE_POLICY, KIND_ROLE, build_inventory)
from rumpolicy.load.live_data import (DEADLINE_REACHED, DEADLINE_REASON, AccountData, Gap, ManagedRecord, OrgData,
                                      PoolData, RegionData, RoleData, RoleRecord, ScpLevelData, UnreadPart,
                                      account_scope, managed_arns, pool_region, region_scope, unlisted_region,
                                      unread_org, unread_pool)
from rumpolicy.load.live_read import (AUTHORIZATION_DETAILS_PAGE, BULK_ROLES, LIST_MONITORS_PAGE, MALFORMED,
                                      NOT_FOUND, POLICY_DOCUMENT_SHAPE, REGION_NOT_ENABLED, SCP, AccountReader,
                                      CallFailed, ClientSource, Once, OrgReader, call, pages, required,
                                      response_problem)

__all__ = [
    "AUTHORIZATION_DETAILS_PAGE", "BULK_ROLES", "DEADLINE_REACHED", "DEADLINE_REASON", "KIND_MANAGED_POLICY",
    "KIND_MONITOR", "KIND_ORG", "KIND_POOL", "KIND_POOL_ROLES", "KIND_RESOURCE_POLICY", "KIND_ROLE",
    "LIST_MONITORS_PAGE", "MALFORMED", "NOT_FOUND", "POLICY_DOCUMENT_SHAPE", "REGION_NOT_ENABLED", "SCP",
    "AccountData", "AccountReader", "CallFailed", "ClientSource", "Gap", "ManagedRecord", "Once", "OrgData",
    "OrgReader", "PoolData", "RegionData", "RoleData", "RoleRecord", "ScpLevelData", "UnreadPart",
    "account_scope", "build_inventory", "call", "managed_arns", "pages", "pool_region", "region_scope", "required",
    "response_problem", "unlisted_region", "unread_org", "unread_pool",
]
