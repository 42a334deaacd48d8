"""Credentials and clients for the audit: the usual AWS chain, one client per thread, every one guarded.

The caller's credentials come from boto3's chain (``--profile``, environment, SSO, instance role);
``--org`` turns them into one set per member account with ``sts:AssumeRole``. Each set is a
botocore credentials object, shared by all threads (botocore's refreshable credentials are
thread-safe and renew themselves). Clients are not shared: every thread gets its own botocore
session per account and its own client per (account, service, region), created with the read-only
guard (``rumpolicy.audit.readonly``), the check of JSON answers (``rumpolicy.audit.responses``),
the run's deadline (``rumpolicy.audit.deadline``) and retry configuration, and the per-call
timeouts: ``CONNECT_TIMEOUT`` seconds to connect, ``READ_TIMEOUT`` seconds for each read of an
answer (botocore's default is 60 for both: an endpoint that does not even accept a connection
within 10 seconds will not answer). Endpoints come from the standard configuration
(``AWS_ENDPOINT_URL``, ``AWS_ENDPOINT_URL_<SERVICE>``, the profile), so the audit talks to
whatever AWS the environment names.

``identity_failure`` tells why the first call, sts:GetCallerIdentity, failed in the words the user
acts on: STS could not be reached (network, proxy, endpoint, region), it rejected the credentials,
or there were none.
"""

from __future__ import annotations

import threading
from typing import Any

import boto3
import botocore.loaders
import botocore.session
from botocore.config import Config
from botocore.credentials import CredentialProvider, CredentialResolver, RefreshableCredentials

from rumpolicy import __version__
from rumpolicy.audit import readonly, responses
from rumpolicy.audit.deadline import Deadline
from rumpolicy.load.live_read import CallFailed, ClientSource, call, required
from rumpolicy.records import value_type

SESSION_NAME = "rumpolicy-audit"
CONNECT_TIMEOUT = 10
READ_TIMEOUT = 60
IDENTITY_CALL = "sts:GetCallerIdentity"
# What STS answers when it refuses the credentials themselves (GetCallerIdentity needs no permission).
REJECTED = frozenset({"InvalidClientTokenId", "SignatureDoesNotMatch", "ExpiredToken", "ExpiredTokenException",
                      "RequestExpired", "IncompleteSignature", "InvalidAccessKeyId", "UnrecognizedClientException",
                      "AccessDenied", "AccessDeniedException", "AuthFailure"})
# botocore's connection errors, as the user reads them.
UNREACHABLE = {"EndpointConnectionError": "could not connect", "ConnectTimeoutError": "connecting timed out",
               "ReadTimeoutError": "no answer in time", "ConnectionClosedError": "the connection was closed",
               "SSLError": "TLS failed"}
NO_CREDENTIALS = ("no AWS credentials found: use --profile, the AWS_* environment variables, `aws sso login`, "
                  "or an instance role")


@value_type(slots=False)
class Access:
    """How to read one account: its credentials (shared, thread-safe) and partition."""

    account: str
    partition: str
    credentials: Any


class _Given(CredentialProvider):
    """Hands a session the credentials object it is given, so that threads share one set."""

    METHOD = "rumpolicy-shared"

    def __init__(self, credentials: Any):
        super().__init__()
        self._credentials = credentials

    def load(self) -> Any:
        return self._credentials


class Clients:
    """Per-thread botocore clients, one per (account, service, region)."""

    def __init__(self, profile: str | None, retry_mode: str, max_attempts: int, deadline: Deadline | None = None,
                 guard: readonly.Guard | None = None):
        self.profile = profile
        self.deadline = deadline
        self.guard = guard                  # None: the audit's read-only list
        self.config = Config(retries={"mode": retry_mode, "total_max_attempts": max_attempts},
                             user_agent_extra=f"rumpolicy/{__version__}", connect_timeout=CONNECT_TIMEOUT,
                             read_timeout=READ_TIMEOUT)
        self.loader = botocore.loaders.create_loader()     # service models, loaded once for all threads
        self._local = threading.local()

    def source(self, access: Access) -> ClientSource:
        return lambda service, region: self.client(access, service, region)

    def client(self, access: Access, service: str, region: str) -> Any:
        clients = self._local.__dict__.setdefault("clients", {})
        key = (access.account, service, region)
        if key not in clients:
            sessions = self._local.__dict__.setdefault("sessions", {})
            if access.account not in sessions:
                sessions[access.account] = self._session(access)
            clients[key] = sessions[access.account].create_client(service, region_name=region, config=self.config)
        return clients[key]

    def _session(self, access: Access) -> botocore.session.Session:
        session = botocore.session.Session(profile=self.profile)
        session.register_component("data_loader", self.loader)
        session.register_component("credential_provider", CredentialResolver([_Given(access.credentials)]))
        readonly.install(session, self.guard)
        responses.install(session)
        if self.deadline is not None:
            self.deadline.install(session)
        return session


def base_session(profile: str | None) -> boto3.Session:
    """The caller's session (raises botocore's ProfileNotFound for an unknown profile)."""
    return boto3.Session(profile_name=profile)


def assume_role(clients: Clients, base: Access, account: str, role_name: str, region: str,
                external_id: str | None) -> Access:
    """Credentials for ``account`` through its role ``role_name``; raises CallFailed when AssumeRole fails.

    The credentials renew themselves (AssumeRole again, from whichever thread notices they expire).
    """
    params = {"RoleArn": f"arn:{base.partition}:iam::{account}:role/{role_name}", "RoleSessionName": SESSION_NAME}
    if external_id:
        params["ExternalId"] = external_id

    def fetch() -> dict:
        issued = required(call(clients.client(base, "sts", region), "assume_role", **params), "Credentials",
                          "sts:AssumeRole")
        return {"access_key": issued["AccessKeyId"], "secret_key": issued["SecretAccessKey"],
                "token": issued["SessionToken"], "expiry_time": issued["Expiration"].isoformat()}

    credentials = RefreshableCredentials.create_from_metadata(fetch(), refresh_using=fetch, method="assume-role")
    return Access(account, base.partition, credentials)


def identity_failure(error: BaseException | None) -> str | None:
    """Why sts:GetCallerIdentity failed, as the user must act on it; None when ``error`` is not that call's
    ``CallFailed`` or says nothing more precise than its code (throttling, a 5xx after the retries).

    * STS cannot be reached (botocore's ``ConnectionError`` and ``HTTPClientError``: the connection was
      refused or timed out, the proxy or TLS failed): ``cannot reach STS at <endpoint>``, with what to check;
    * STS rejected the credentials (``REJECTED``): ``credentials rejected by STS: <code>``;
    * there were none to sign with: ``no AWS credentials found``.
    """
    from botocore.exceptions import ConnectionError as Unreachable
    from botocore.exceptions import HTTPClientError, NoCredentialsError, ProxyConnectionError

    if not isinstance(error, CallFailed) or error.call != IDENTITY_CALL:
        return None
    cause = error.__cause__
    if isinstance(cause, NoCredentialsError) or error.code == "NoCredentialsError":
        return NO_CREDENTIALS
    if isinstance(cause, ProxyConnectionError):
        return f"cannot reach STS through the proxy {cause.kwargs.get('proxy_url', '')}: check HTTPS_PROXY and NO_PROXY"
    if isinstance(cause, (Unreachable, HTTPClientError)):
        endpoint = cause.kwargs.get("endpoint_url") or "its endpoint"
        what = UNREACHABLE.get(type(cause).__name__, type(cause).__name__)
        return (f"cannot reach STS at {endpoint} ({what}): check the network, a proxy (HTTPS_PROXY), the region "
                "and AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_STS")
    if error.code in REJECTED:
        detail = f": {error.message}" if error.message else ""
        return (f"credentials rejected by STS: {error.code}{detail} (check --profile and the AWS_* environment "
                "variables, or renew expired ones: `aws sso login`, a new session token)")
    return None
