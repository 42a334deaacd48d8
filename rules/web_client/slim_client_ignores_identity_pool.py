"""RUM-CLIENT-003."""

from __future__ import annotations

from typing import Iterator

from rumpolicy.engine import NOT_APPLICABLE, Undecided, Violation, rule
from rumpolicy.findings import Severity
from rumpolicy.model.messages import Prop
from rumpolicy.model.resources import WebClientConfig
from rumpolicy.rules.web_client._client import build_of


@rule(id="RUM-CLIENT-003", name="slim-client-ignores-identity-pool", severity=Severity.ERROR,
      subject=WebClientConfig,
      references=("https://github.com/aws-observability/aws-rum-web/blob/main/docs/troubleshooting.md",
                  "https://github.com/aws-observability/aws-rum-web/blob/main/docs/packages/slim.md"),
      messages={
          "slim-ignores-pool": "the slim build of the web client ignores `{key}` and nothing in this file calls "
                               "`setAwsCredentials`, so the client gets no credentials",
          "slim-config-unseen": "the slim build ignores `{key}`; whether the code that reads this config supplies "
                                "credentials with `setAwsCredentials` cannot be seen",
      })
def slim_client_ignores_identity_pool(client: WebClientConfig) -> Iterator:
    """The slim web client is given an identity pool, which it ignores.

    ## What it checks
    The slim build (`@aws-rum/web-slim`, the CDN's `cwr-slim.js`) has no Cognito support: it
    ignores `identityPoolId` and `guestRoleArn`. A slim client configured with them relies on
    credentials it never gets, unless the same file hands it credentials itself
    (`setAwsCredentials`, e.g. with `fromCognitoIdentityPool`), which passes. For a JSON config
    file the code that reads it is not part of the input, so a slim JSON config with an identity
    pool is reported as not checked (RUM-SRC-001).

    ## Why it matters
    Without credentials the slim client sends unsigned requests: they get 403 unless the app
    monitor's resource policy is public, and the identity pool, its role and its trust policy, all
    set up for this client, are never used.

    ## Fix
    Use the full build (`aws-rum-web`, `cwr.js`) to get Cognito credentials from the pool, or keep
    the slim build and supply credentials and signing yourself:

    ```javascript
    import { createSigningConfig } from '@aws-rum/web-core';
    import { fromCognitoIdentityPool } from '@aws-sdk/credential-providers';

    awsRum.setSigningConfigFactory(createSigningConfig);
    awsRum.setAwsCredentials(fromCognitoIdentityPool({ identityPoolId, clientConfig: { region } }));
    ```
    """
    configured = [n for n in (client.identity_pool_id, client.guest_role_arn) if n is not None and n.value]
    if not configured or build_of(client) != "slim":
        yield NOT_APPLICABLE        # the full build uses them; an unknown build was noted by the loader
        return
    key = Prop(client, "IdentityPoolId" if configured[0] is client.identity_pool_id else "GuestRoleArn")
    if client.sets_credentials:
        return
    if not client.ignores_its_pool:
        yield Undecided(configured[0], "slim-config-unseen", key=key)
        return
    yield Violation(configured[0], "slim-ignores-pool", key=key, related=(client.build.location,))
