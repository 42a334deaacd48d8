"""What the RUM-CLIENT rules share: versions, regions and hosts of a web client, and CSP matching.

Unresolved values (``Unknown``) are reported once by the loader (RUM-SRC-001); these helpers give
None for them and the rules pass them over.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from rumpolicy.aws import DNS_SUFFIXES, dns_suffix, partition_of_region
from rumpolicy.model.arns import is_literal, pool_region
from rumpolicy.model.policy import Node
from rumpolicy.model.resources import WebClientConfig

# aws-rum-web 3.0 to 3.2 (full build) ignore the constructor's region and send to us-west-2 unless
# `endpoint` is set (issues #854, #881). The fix (PR #869) was merged after 3.2.0, so 3.2.1 and later
# 3.2 patches may or may not have it; 3.3.0 and later do.
BROKEN_FROM, BROKEN_TO, FIXED_FROM = (3, 0, 0), (3, 2, 0), (3, 3, 0)
HARDCODED_REGION = "us-west-2"
_VERSION = re.compile(r"^\s*(?P<op>[\^~]|=|v)?\s*(?P<major>\d+)(?:\.(?P<minor>\d+|[x*]))?(?:\.(?P<patch>\d+|[x*]))?"
                      r"(?:[-+][\w.-]*)?\s*$")


def literal(node: Node | None) -> str | None:
    """The node's value when it is a literal, non-empty string."""
    if node is None or not isinstance(node.value, str) or not node.value or not is_literal(node.value):
        return None
    return node.value


def build_of(client: WebClientConfig) -> str | None:
    value = client.build.value if client.build is not None else None
    return value if value in ("full", "slim") else None


def version_range(text: str) -> tuple[tuple[int, int, int], tuple[int, int, int]] | None:
    """The versions a version or range can stand for, as [low, high) ; None when it cannot be read.

    ``3.2.0`` is exactly 3.2.0; ``3.x``/``3`` any 3; ``3.2.x`` any 3.2; ``^3.1.0`` 3.1.0 up to 4;
    ``~3.2.0`` 3.2.0 up to 3.3.
    """
    match = _VERSION.match(text)
    if match is None:
        return None
    major = int(match.group("major"))
    minor, patch, op = match.group("minor"), match.group("patch"), match.group("op")
    if minor is None or not minor.isdigit():
        return (major, 0, 0), (major + 1, 0, 0)
    if patch is None or not patch.isdigit():
        return (major, int(minor), 0), (major, int(minor) + 1, 0)
    low = (major, int(minor), int(patch))
    if op == "^":
        return low, ((major + 1, 0, 0) if major else (0, int(minor) + 1, 0))
    if op == "~":
        return low, (major, int(minor) + 1, 0)
    return low, (major, int(minor), int(patch) + 1)


def ignores_region(client: WebClientConfig) -> bool | None:
    """Does this client send to us-west-2 whatever its region says (full build 3.0 to 3.2, no `endpoint`)?

    True: a known broken version of the full build. False: the slim build, or a version outside 3.0
    to 3.2. None: the version (or build) is not known, or a range or a 3.2 patch release that may
    or may not be fixed.
    """
    build = build_of(client)
    if build == "slim":
        return False
    text = client.client_version.value if client.client_version is not None else None
    span = version_range(text) if isinstance(text, str) else None
    if span is None:
        return None
    low, high = span
    if high <= BROKEN_FROM or low >= FIXED_FROM:
        return False
    broken = BROKEN_FROM <= low and high <= (BROKEN_TO[0], BROKEN_TO[1], BROKEN_TO[2] + 1)
    return True if broken and build == "full" else None


def partition_of(region: str) -> tuple[str, str] | None:
    """(partition, DNS suffix) of a region name (``rumpolicy.aws``: botocore's partition table)."""
    partition = partition_of_region(region)
    suffix = dns_suffix(partition) if partition is not None else None
    return (partition, suffix) if suffix is not None else None


def client_pool_region(client: WebClientConfig) -> str | None:
    value = literal(client.identity_pool_id)
    region = pool_region(value) if value else None
    return region if region and partition_of(region) else None


def monitor_region(client: WebClientConfig) -> tuple[object, str] | None:
    """Where the client's app monitor is, and how that is known: the linked monitor's region, else the
    region the client itself names (documented as the app monitor's region)."""
    if client.monitor is not None:
        region = client.monitor.env.region
        return (region, f"app monitor {client.monitor.subject}") if region else None
    region = literal(client.region)
    return (region, "the region the web client names") if region else None


def cross_checked(client: WebClientConfig) -> bool:
    """Is the client linked to a monitor that RUM-XREF-001 checks (one read from the input, not only declared)?"""
    return client.monitor is not None and not client.monitor.declared_only


# --- Content-Security-Policy ---------------------------------------------------------------------------

_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*:$", re.I)
_HOST_SOURCE = re.compile(r"^(?:(?P<scheme>[a-z][a-z0-9+.-]*)://)?(?P<host>\*|(?:\*\.)?[a-z0-9-]+(?:\.[a-z0-9-]+)*)"
                          r"(?::(?P<port>\d+|\*))?(?P<path>/[^;,\s]*)?$", re.I)
DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}
# A host of an AWS service, in any partition (the DNS suffixes of ``rumpolicy.aws``).
AWS_HOST = re.compile(r"\.(%s)\.?$" % "|".join(re.escape(suffix) for suffix in sorted(set(DNS_SUFFIXES.values()))))


def csp_sources(policy: str, directive: str = "connect-src") -> list[str] | None:
    """The source list that governs ``directive`` (falling back to ``default-src``); None: not restricted.

    Directive names are case-insensitive and the first occurrence of a directive wins (CSP3).
    """
    directives: dict[str, list[str]] = {}
    for part in policy.split(";"):
        tokens = part.split()
        if tokens:
            directives.setdefault(tokens[0].lower(), tokens[1:])
    if directive in directives:
        return directives[directive]
    return directives.get("default-src")


def csp_allows(sources: list[str], url: str) -> bool | None:
    """Does a source list allow a fetch of ``url`` from a page served over https?

    None when only ``'self'`` could allow it (the page's origin is not known).
    """
    parts = urlsplit(url)
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    port = parts.port or DEFAULT_PORTS.get(scheme)
    path = parts.path or "/"
    maybe = False
    for source in sources:
        lowered = source.lower()
        if lowered == "*":
            if scheme in DEFAULT_PORTS:
                return True
            continue
        if lowered == "'self'":
            maybe = maybe or not AWS_HOST.search(host)     # a page is never served from an AWS service host
            continue
        if lowered.startswith("'"):
            continue                               # 'none', nonces, hashes, 'unsafe-...': no URL
        if _SCHEME.match(lowered):
            wanted = lowered[:-1]
            if wanted == scheme or (wanted, scheme) in (("http", "https"), ("ws", "wss")):
                return True
            continue
        match = _HOST_SOURCE.match(source)
        if match is None:
            continue
        if _host_source_matches(match, scheme, host, port, path):
            return True
    return None if maybe else False


def _host_source_matches(match: re.Match, scheme: str, host: str, port: int | None, path: str) -> bool:
    wanted_scheme = (match.group("scheme") or "").lower()
    if wanted_scheme:
        if wanted_scheme != scheme and (wanted_scheme, scheme) not in (("http", "https"), ("ws", "wss")):
            return False
    elif scheme not in ("https", "wss", "http", "ws"):
        return False
    pattern = match.group("host").lower()
    if pattern == "*":
        pass
    elif pattern.startswith("*."):
        if not host.endswith(pattern[1:]):
            return False
    elif pattern != host:
        return False
    wanted_port = match.group("port")
    if wanted_port == "*":
        pass
    elif wanted_port is not None:
        if port != int(wanted_port):
            return False
    elif port != DEFAULT_PORTS.get(scheme):
        return False
    wanted_path = match.group("path")
    if wanted_path and wanted_path != "/":
        return path.startswith(wanted_path) if wanted_path.endswith("/") else path == wanted_path
    return True
