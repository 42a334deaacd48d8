"""What `rumpolicy init` sets up, as data: the options checked once, the names and the policies every
format writes the same way.

The values are checked with the rules' own grammars (RUM-MON-001 for the name, RUM-MON-006 for the
domains), so that what init accepts is exactly what ``rumpolicy check`` passes. A ``Setup`` that
could be built is always valid; ``SetupError`` carries the one-line reason otherwise.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rumpolicy.aws import REGION, UNAUTHENTICATED, dns_suffix, partition_of_region
from rumpolicy.rules.app_monitor.app_monitor_domain_invalid import DOMAIN, MAX_DOMAIN, MAX_ITEMS
from rumpolicy.rules.app_monitor.app_monitor_name_invalid import MAX_LENGTH, NAME

FLOWS = ("enhanced", "basic", "resource-policy")
FORMATS = ("cloudformation", "terraform", "cdk-python", "cdk-typescript")

PUT_RUM_EVENTS = "rum:PutRumEvents"
COGNITO = "cognito-identity.amazonaws.com"
AUD = f"{COGNITO}:aud"
AMR = f"{COGNITO}:amr"
ALIAS_KEY = "rum:alias"
MAX_ALIAS = 255               # botocore rum PutRumEventsRequest.Alias: length 1-255
# Identity pool names (botocore cognito-identity ``IdentityPoolName``): 1-128 of `[\w\s+=,.@-]`.
POOL_NAME_CHARS = re.compile(r"[^\w+=,.@-]")
MAX_POOL_NAME = 128

SESSION_SAMPLE_RATE = 1
TELEMETRIES = ("errors", "performance", "http")


class SetupError(ValueError):
    """An option init cannot build a setup from; the message is one sentence for the user."""


@dataclass(frozen=True)
class Setup:
    monitor: str                  # the app monitor's name (RUM-MON-001 grammar)
    domains: tuple[str, ...]      # one: `Domain`; several: `DomainList` (RUM-MON-006)
    flow: str                     # enhanced | basic | resource-policy
    region: str | None = None     # where the stack deploys; None: the web client shows a placeholder
    alias: str | None = None      # resource-policy flow: the `rum:alias` the policy requires

    @property
    def cognito(self) -> bool:
        return self.flow in ("enhanced", "basic")

    @property
    def basic(self) -> bool:
        return self.flow == "basic"

    @property
    def pool_name(self) -> str:
        return POOL_NAME_CHARS.sub("-", self.monitor)[:MAX_POOL_NAME]

    @property
    def endpoint(self) -> str | None:
        """The dataplane endpoint of the region, None without a region."""
        if self.region is None:
            return None
        return f"https://dataplane.rum.{self.region}.{dns_suffix(partition_of_region(self.region))}"


def build(monitor: str, domains: list[str] | tuple[str, ...], flow: str = "enhanced", region: str | None = None,
          alias: str | None = None) -> Setup:
    """A valid ``Setup`` from the command's options, or ``SetupError``."""
    check_monitor(monitor)
    domains = tuple(domains)
    if not domains:
        raise SetupError("give the app monitor's domain with --domain")
    if len(domains) > MAX_ITEMS:
        raise SetupError(f"{len(domains)} domains given; the RUM API accepts at most {MAX_ITEMS}")
    if len(set(domains)) != len(domains):
        raise SetupError("a domain is given twice")
    for domain in domains:
        check_domain(domain)
    if flow not in FLOWS:
        raise SetupError(f"unknown flow {flow!r}: one of {', '.join(FLOWS)}")
    if region is not None:
        check_region(region, flow)
    if flow == "resource-policy":
        alias = monitor if alias is None else alias
        if not 1 <= len(alias) <= MAX_ALIAS or not alias.isprintable() or any(c in alias for c in "\"\\${}'<>"):
            raise SetupError(f"the alias {alias!r} must be 1 to {MAX_ALIAS} printable characters without quotes, "
                             "backslashes, `$`, braces or angle brackets")
    elif alias is not None:
        raise SetupError("--alias belongs to --flow resource-policy")
    return Setup(monitor, domains, flow, region, alias)


def check_monitor(name: str) -> None:
    """RUM-MON-001's checks of a literal name."""
    if not name:
        raise SetupError("the app monitor name is empty")
    if len(name) > MAX_LENGTH:
        raise SetupError(f"the app monitor name is {len(name)} characters long; the RUM API allows at most "
                         f"{MAX_LENGTH}")
    if name.startswith("."):
        raise SetupError(f"the app monitor name {name!r} starts with a dot, which the RUM API rejects")
    if not NAME.match(name):
        raise SetupError(f"the app monitor name {name!r} is not one the RUM API accepts: use only letters, "
                         "digits, `.`, `-`, `_` and `#`")


def check_domain(domain: str) -> None:
    """RUM-MON-006's checks of one literal domain."""
    if len(domain) > MAX_DOMAIN:
        raise SetupError(f"the domain {domain[:40]!r}... is {len(domain)} characters long; the RUM API allows at "
                         f"most {MAX_DOMAIN}")
    if not DOMAIN.match(domain):
        raise SetupError(f"the domain {domain!r} is not one the RUM API accepts: a host name such as "
                         "`www.example.com` or `*.example.com`, an IPv4 address or `localhost`, without scheme or "
                         "path")


def check_region(region: str, flow: str) -> None:
    partition = partition_of_region(region) if REGION.match(region) else None
    if partition is None:
        raise SetupError(f"{region!r} is not an AWS region name")
    suffix = dns_suffix(partition)
    if flow != "resource-policy" and suffix != "amazonaws.com":
        # RUM-CLIENT-005: the web client calls Cognito and STS under amazonaws.com whatever the partition.
        raise SetupError(f"the web client calls Cognito under `amazonaws.com`, which partition {partition} of "
                         f"{region} does not use ({suffix}); use --flow resource-policy there")


# The documents, with the references each format spells its own way: ``pool`` the identity pool's id,
# ``monitor_arn`` the app monitor's ARN.

def trust_policy(pool: object) -> dict:
    return {
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Federated": COGNITO},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {
                "StringEquals": {AUD: pool},
                "ForAnyValue:StringLike": {AMR: UNAUTHENTICATED},
            },
        }],
    }


def permissions_policy(monitor_arn: object) -> dict:
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": PUT_RUM_EVENTS, "Resource": monitor_arn}],
    }


def resource_policy(monitor_arn: object, alias: str) -> dict:
    """Unsigned `rum:PutRumEvents` from anyone who sends the alias (RUM-RBP-005: a narrowing condition)."""
    return {
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": "*",
            "Action": PUT_RUM_EVENTS,
            "Resource": monitor_arn,
            "Condition": {"StringEquals": {ALIAS_KEY: alias}},
        }],
    }


# CloudFormation / CDK logical ids, shared so that the CDK app synthesizes the same template.
POOL_ID, ROLE_ID, POLICY_ID = "RumIdentityPool", "RumGuestRole", "RumGuestRolePolicy"
ATTACHMENT_ID, MONITOR_ID = "RumIdentityPoolRoles", "RumAppMonitor"
