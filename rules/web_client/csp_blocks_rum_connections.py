"""RUM-CLIENT-006."""

from __future__ import annotations

from typing import Iterator

from rumpolicy.engine import NOT_APPLICABLE, Undecided, Violation, rule
from rumpolicy.findings import Severity
from rumpolicy.model.messages import Listed
from rumpolicy.model.resources import WebClientConfig
from rumpolicy.rules.web_client._client import (client_pool_region, csp_allows, csp_sources, literal,
                                                monitor_region)


@rule(id="RUM-CLIENT-006", name="csp-blocks-rum-connections", severity=Severity.INFO, subject=WebClientConfig,
      references=("https://github.com/aws-observability/aws-rum-web/blob/main/docs/troubleshooting.md",
                  "https://developer.mozilla.org/en-US/docs/Web/HTTP/Headers/Content-Security-Policy/connect-src"),
      messages={
          "csp-blocks": "the page's Content-Security-Policy does not allow the web client to connect to {urls}",
          "csp-self-only": "the page's Content-Security-Policy allows {urls} only if it is the page's own origin "
                           "('self'), which the page does not tell",
      })
def csp_blocks_rum_connections(client: WebClientConfig) -> Iterator:
    """The page's Content-Security-Policy does not let the web client connect where it must.

    ## What it checks
    For a client on an HTML page with a `<meta http-equiv="Content-Security-Policy">` element,
    `connect-src` (or, without it, `default-src`) must allow:

    * the dataplane: the explicit `endpoint`, else `https://dataplane.rum.<region>.amazonaws.com`
      of the app monitor's region;
    * with Cognito credentials, `https://cognito-identity.<pool region>.amazonaws.com`;
    * with the basic flow (`guestRoleArn` too), `https://sts.<pool region>.amazonaws.com`.

    Sources are matched as CSP Level 3 does (`*`, `https:`, host sources with `*.` wildcards, ports
    and paths). `'self'` matches the page's own origin, which the page does not tell: a proxy
    endpoint allowed only by `'self'` is not judged. A policy sent as an HTTP header is not part of
    the input and is not checked.

    ## Why it matters
    The browser blocks the requests the policy does not allow: no credentials, no events, and only
    a console message says why.

    ## Fix
    Add the hosts to `connect-src`:

    ```html
    <meta http-equiv="Content-Security-Policy" content="default-src 'self';
      connect-src 'self' https://dataplane.rum.eu-west-1.amazonaws.com
      https://cognito-identity.eu-west-1.amazonaws.com https://sts.eu-west-1.amazonaws.com">
    ```
    """
    if not client.content_security_policies:
        yield NOT_APPLICABLE
        return
    needed = _connections(client)
    if needed is None:
        yield NOT_APPLICABLE        # the dataplane's region or endpoint is not known: noted by the loader
        return
    for policy in client.content_security_policies:
        sources = csp_sources(policy.value) if isinstance(policy.value, str) else None
        if sources is None:
            continue
        decisions = [(url, csp_allows(sources, url)) for url in needed]
        blocked = [url for url, allowed in decisions if allowed is False]
        if blocked:
            yield Violation(policy, "csp-blocks", urls=Listed(tuple(blocked)))
        elif any(allowed is None for _, allowed in decisions):
            unclear = [url for url, allowed in decisions if allowed is None]
            yield Undecided(policy, "csp-self-only", urls=Listed(tuple(unclear)))


def _connections(client: WebClientConfig) -> list[str] | None:
    endpoint = literal(client.endpoint)
    if endpoint is not None:
        urls = [endpoint]
    elif client.endpoint is not None or client.config_open is not None:
        return None
    else:
        place = monitor_region(client)
        region = literal(client.region) or (place[0] if place and isinstance(place[0], str) else None)
        if region is None or "\x00" in region:
            return None
        urls = [f"https://dataplane.rum.{region}.amazonaws.com"]
    pool_region = client_pool_region(client)
    if client.uses_cognito is True and pool_region is not None:
        urls.append(f"https://cognito-identity.{pool_region}.amazonaws.com")
        if client.uses_basic_flow is True:
            urls.append(f"https://sts.{pool_region}.amazonaws.com")
    return urls
