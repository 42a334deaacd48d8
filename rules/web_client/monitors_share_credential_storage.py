"""RUM-CLIENT-004."""

from __future__ import annotations

from typing import Iterator

from rumpolicy.engine import NOT_APPLICABLE, Violation, rule
from rumpolicy.findings import Severity
from rumpolicy.model.resources import WebClientConfig
from rumpolicy.model.symbols import Unknown
from rumpolicy.rules.web_client._client import literal


@rule(id="RUM-CLIENT-004", name="monitors-share-credential-storage", severity=Severity.WARNING,
      subject=WebClientConfig,
      references=("https://github.com/aws-observability/aws-rum-web/blob/main/docs/troubleshooting.md",
                  "https://github.com/aws-observability/aws-rum-web/blob/main/packages/core/src/dispatch/Authentication.ts",
                  "https://github.com/aws-observability/aws-rum-web/blob/main/docs/configuration.md"),
      messages={
          "shared-storage": "web client of app monitor `{application}` and the one at {other} (app monitor "
                            "`{other_application}`) are served from one origin and both cache Cognito credentials "
                            "under the same `localStorage` key `cwr_c`",
      })
def monitors_share_credential_storage(client: WebClientConfig) -> Iterator:
    """Web clients of different app monitors on one origin share their cached Cognito credentials.

    ## What it checks
    A client that gets Cognito credentials caches them in the browser's `localStorage` under
    `cwr_c` (and the identity under `cwr_i`), or under a key of its own application id when
    `cookieAttributes: {unique: true}`. Two clients of different app monitors on one origin without
    `unique` read each other's credentials.

    Clients count as one origin when they are on the same HTML page, or in the same web project: the
    nearest folder with a `package.json` (or, without one, the same folder). Each pair of clearly
    different application ids is reported once, at the later client (one `unique: true` separates
    the two keys). Clients whose id, build or config is not a literal are passed over: the loader
    reports those values as not known (RUM-SRC-001).

    ## Why it matters
    The credentials cached for one monitor's guest role are used to sign the other monitor's events:
    when the role does not allow that monitor, every request gets 403 and dispatch stops, and which
    monitor loses depends on which page a visitor opened first.

    ## Fix
    Give each client its own credential storage:

    ```javascript
    {
      identityPoolId: 'eu-west-1:00000000-0000-0000-0000-000000000000',
      cookieAttributes: { unique: true },
    }
    ```
    """
    if not client.same_origin or client.uses_cognito is False:
        yield NOT_APPLICABLE
        return
    if client.cookie_unique is not None and client.cookie_unique.value is True:
        return
    if client.cookie_unique is not None and isinstance(client.cookie_unique.value, Unknown):
        return                      # noted by the loader
    mine = literal(client.application_id)
    earlier = [other for other in client.same_origin if _order(other) < _order(client)
               and other.uses_cognito is not False
               and not (other.cookie_unique is not None and other.cookie_unique.value is True)]
    clashing = [o for o in earlier if mine and literal(o.application_id) and literal(o.application_id) != mine
                and o.uses_cognito is True and client.uses_cognito is True
                and not (o.cookie_unique is not None and isinstance(o.cookie_unique.value, Unknown))]
    where = client.cookie_unique or client
    if clashing:
        other = clashing[0]
        yield Violation(where, "shared-storage", application=mine, other=_at(other),
                        other_application=literal(other.application_id), related=tuple(o.location for o in clashing))


def _order(client: WebClientConfig) -> tuple:
    return client.location.sort_key()


def _at(client: WebClientConfig) -> str:
    line = f":{client.location.line}" if client.location.line else ""
    return f"{client.location.source}{line}"
