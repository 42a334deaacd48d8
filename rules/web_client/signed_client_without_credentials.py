"""RUM-CLIENT-007."""

from __future__ import annotations

from typing import Iterator

from rumpolicy.engine import NOT_APPLICABLE, Violation, rule
from rumpolicy.findings import Severity
from rumpolicy.model.resources import WebClientConfig
from rumpolicy.model.symbols import Unknown
from rumpolicy.rules.web_client._client import build_of


@rule(id="RUM-CLIENT-007", name="signed-client-without-credentials", severity=Severity.ERROR,
      subject=WebClientConfig,
      references=("https://github.com/aws-observability/aws-rum-web/blob/main/docs/concepts/auth.md",
                  "https://github.com/aws-observability/aws-rum-web/blob/main/docs/troubleshooting.md"),
      messages={
          "no-credentials": "the web client signs its requests (`signing` is true) but has no `identityPoolId`, and no "
                            "script or page of its web project calls `setAwsCredentials`, so it never has credentials "
                            "and sends nothing",
          "no-credentials-default": "the web client signs its requests (the full build signs by default) but has no "
                                    "`identityPoolId`, and no script or page of its web project calls "
                                    "`setAwsCredentials`, so it never has credentials and sends nothing",
          "credentials-unseen-json": "the web client signs its requests (`signing` is true) but has no "
                                     "`identityPoolId`, and no `setAwsCredentials` call was found (the code that "
                                     "starts it from this config is not part of the input): without one it sends "
                                     "nothing",
          "credentials-unseen-json-default": "the web client signs its requests (the full build signs by default) but "
                                             "has no `identityPoolId`, and no `setAwsCredentials` call was found (the "
                                             "code that starts it from this config is not part of the input): "
                                             "without one it sends nothing",
          "credentials-unseen-unread": "the web client signs its requests (`signing` is true) but has no "
                                       "`identityPoolId`, and no `setAwsCredentials` call was found (not every script "
                                       "of its web project could be read): without one it sends nothing",
          "credentials-unseen-unread-default": "the web client signs its requests (the full build signs by default) "
                                               "but has no `identityPoolId`, and no `setAwsCredentials` call was found "
                                               "(not every script of its web project could be read): without one it "
                                               "sends nothing",
      })
def signed_client_without_credentials(client: WebClientConfig) -> Iterator:
    """The web client signs its requests but has no way to get credentials.

    ## What it checks
    A full-build client (`aws-rum-web`, the CDN's `cwr.js`) signs its requests unless
    `signing: false` is set. It gets the credentials to sign them with from Cognito when its config
    has `identityPoolId`, and otherwise only from the application, through `setAwsCredentials`
    (`cwr('setAwsCredentials', ...)` or `awsRum.setAwsCredentials(...)`, flow 4 of aws-rum-web's
    `docs/concepts/auth.md`). The rule reports a signing full-build client with no `identityPoolId`:

    * **error** when no script or page of the client's web project (the nearest folder with a
      `package.json`, else the client's folder, with its subfolders except `node_modules` and
      hidden ones) mentions `setAwsCredentials`, and every one of them could be read;
    * **warning** when credentials may come from code rumpolicy cannot follow: a JSON config file
      (the code that starts the client is not part of the input), a project file above
      `--max-file-size` or unreadable, or a project of more than 5,000 scripts.

    Any mention of `setAwsCredentials` in the project counts, even in a comment or in a bundle of
    the library itself, so that the rule never calls a working setup broken. The slim build, which
    does not sign by default, is RUM-CLIENT-002's and RUM-CLIENT-003's; a client whose build is not
    known, or whose config may set other keys (a spread, a remote config), is noted by the loader
    (RUM-SRC-001) and not judged.

    ## Why it matters
    Before every send the client checks for credentials; without any it logs `CWR: Cannot dispatch;
    no AWS credentials` and drops the events (aws-rum-web `Dispatch.ts`). The site runs, and no
    telemetry ever arrives.

    ## Fix
    Give the client its identity pool (the app monitor's `IdentityPoolId`):

    ```javascript
    {
      identityPoolId: 'eu-west-1:00000000-0000-0000-0000-000000000000',
      endpoint: 'https://dataplane.rum.eu-west-1.amazonaws.com',
    }
    ```

    or hand it the credentials your application vends, once they are known:

    ```javascript
    cwr('setAwsCredentials', credentials);          // CDN snippet
    awsRum.setAwsCredentials(credentialProvider);   // npm
    ```

    or, when a resource-based policy admits unsigned events (RUM-RBP-006), turn signing off:
    `signing: false`.
    """
    if build_of(client) != "full" or client.signs is not True or client.config_open is not None:
        yield NOT_APPLICABLE        # slim, unsigned, or not known (the loader noted it)
        return
    pool = client.identity_pool_id
    if pool is not None and (isinstance(pool.value, Unknown) or pool.value):
        return                      # Cognito credentials (or a value the loader reported)
    credentials = client.project_sets_credentials
    if credentials:
        return
    related = (client.signing.location,) if client.signing is not None else ()
    explicit = client.signing is not None
    if credentials is False:
        yield Violation(client, "no-credentials" if explicit else "no-credentials-default", related=related)
        return
    if client.form == "json":
        reported = "credentials-unseen-json" if explicit else "credentials-unseen-json-default"
    else:
        reported = "credentials-unseen-unread" if explicit else "credentials-unseen-unread-default"
    yield Violation(client, reported, severity=Severity.WARNING, related=related)
