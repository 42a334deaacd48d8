"""AWS CLI output (``aws ... --output json``) and bare IAM policy documents -> the model.

Files are recognized by their content (``recognize``): each CLI output has the top-level shape of
its botocore response (``GetRoleResponse``, ``IdentityPool``, ``GetAppMonitorResponse``...), and a
bare policy is a ``{"Version", "Statement"}`` object. ``load_document`` is called once per file; the
inventories of one folder are merged and then linked by exact identifier equality (pool id, role
ARN, role name, app monitor name), so every identifier is produced exactly as AWS writes it.

The two kinds of input are read by their own modules: ``rumpolicy.load.cli_output`` (the CLI
outputs, some of which are placed through the other outputs of their folder) and
``rumpolicy.load.bare_policy`` (bare policies, classified by content, and the monitors declared
with ``--app-monitor``). This module dispatches between them and gathers their public names.

Wrong shapes (``"Roles": 5``) become located ``Problem`` entries on the ``InputFile``; nothing here
raises on input. Values are kept as written, so a rule can say what is wrong with them.
"""

from __future__ import annotations

from rumpolicy.load.bare_policy import (DECLARED_SOURCE, IAM_POLICY, NOT_RUM_RELATED, POLICY_KEYS, POLICY_VERSIONS,
                                        BarePolicyLoader, declared_monitor)
from rumpolicy.load.cli_output import (AUTHORIZATION_DETAILS_KEYS, CLI_KINDS, DESCRIBE_IDENTITY_POOL,
                                       GET_ACCOUNT_AUTHORIZATION_DETAILS, GET_APP_MONITOR, GET_IDENTITY_POOL_ROLES,
                                       GET_POLICY, GET_POLICY_VERSION, GET_RESOURCE_POLICY, GET_ROLE, GET_ROLE_POLICY,
                                       LIST_ATTACHED_ROLE_POLICIES, LIST_KEYS, LOGIN_PROVIDERS, RESOURCE_POLICY_KEYS,
                                       RESPONSE_METADATA, CliOutputLoader, recognize)
from rumpolicy.load.options import LoadOptions
from rumpolicy.load.source import ParsedSource
from rumpolicy.model import Inventory
from rumpolicy.model.inputs import InputFile

__all__ = [
    "AUTHORIZATION_DETAILS_KEYS", "DECLARED_SOURCE", "DESCRIBE_IDENTITY_POOL", "GET_ACCOUNT_AUTHORIZATION_DETAILS",
    "GET_APP_MONITOR", "GET_IDENTITY_POOL_ROLES", "GET_POLICY", "GET_POLICY_VERSION", "GET_RESOURCE_POLICY",
    "GET_ROLE", "GET_ROLE_POLICY", "IAM_POLICY", "LIST_ATTACHED_ROLE_POLICIES", "LIST_KEYS", "LOGIN_PROVIDERS",
    "NOT_RUM_RELATED", "POLICY_KEYS", "POLICY_VERSIONS", "RESOURCE_POLICY_KEYS", "RESPONSE_METADATA",
    "declared_monitor", "load_document", "recognize",
]


def load_document(parsed: ParsedSource, file: InputFile, kind: str, options: LoadOptions) -> Inventory:
    """The model of one recognized document (``kind`` from ``recognize``); never raises on its content.

    A bare policy that turns out to have nothing to do with RUM yields an empty inventory and sets
    ``file.kind`` to ``NOT_RUM_RELATED`` so that the caller can tell the user it was skipped.
    """
    if kind == IAM_POLICY:
        return BarePolicyLoader(parsed, file, kind, options).load()
    if kind in CLI_KINDS:
        return CliOutputLoader(parsed, file, kind, options).load()
    raise ValueError(f"unknown document kind {kind!r}")
