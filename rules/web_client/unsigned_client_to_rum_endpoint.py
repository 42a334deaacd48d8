"""RUM-CLIENT-002."""

from __future__ import annotations

from typing import Iterator

from rumpolicy.engine import NOT_APPLICABLE, Violation, rule
from rumpolicy.findings import Severity
from rumpolicy.model.resources import WebClientConfig
from rumpolicy.rules.web_client._client import cross_checked, literal


@rule(id="RUM-CLIENT-002", name="unsigned-client-to-rum-endpoint", severity=Severity.ERROR, subject=WebClientConfig,
      references=("https://github.com/aws-observability/aws-rum-web/blob/main/docs/concepts/auth.md",
                  "https://github.com/aws-observability/aws-rum-web/blob/main/docs/troubleshooting.md",
                  "https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch-RUM-resource-policies.html"),
      messages={
          "signing-false": "the web client sends unsigned events to the RUM dataplane (`signing: false`); app monitor "
                           "{monitor} accepts them only if its resource policy allows `rum:PutRumEvents` to `\"*\"`, "
                           "and that policy is not part of the input",
          "signing-false-no-monitor": "the web client sends unsigned events to the RUM dataplane (`signing: false`); "
                                      "its app monitor accepts them only if its resource policy allows "
                                      "`rum:PutRumEvents` to `\"*\"`, and that policy is not part of the input",
          "slim-unsigned": "the web client sends unsigned events to the RUM dataplane (the slim build signs only with a "
                           "signing factory (`setSigningConfigFactory`)); app monitor {monitor} accepts them only if "
                           "its resource policy allows `rum:PutRumEvents` to `\"*\"`, and that policy is not part of "
                           "the input",
          "slim-unsigned-no-monitor": "the web client sends unsigned events to the RUM dataplane (the slim build signs "
                                      "only with a signing factory (`setSigningConfigFactory`)); its app monitor "
                                      "accepts them only if its resource policy allows `rum:PutRumEvents` to `\"*\"`, "
                                      "and that policy is not part of the input",
      })
def unsigned_client_to_rum_endpoint(client: WebClientConfig) -> Iterator:
    """The web client sends unsigned events to RUM itself, and its app monitor's resource policy is unknown.

    ## What it checks
    A client is unsigned with `signing: false`, and on the slim build (`@aws-rum/web-slim`,
    `cwr-slim.js`) by default, unless the same file installs a signing factory
    (`setSigningConfigFactory`). Unsigned events sent to the RUM dataplane (an explicit
    `https://dataplane.rum.<region>.amazonaws.com` endpoint, or none, which means the dataplane) are
    accepted only when the app monitor's resource-based policy allows `rum:PutRumEvents` to
    `Principal: "*"` (RUM-RBP-006).

    Which rule reports it, so that one missing policy gives one finding:

    * the app monitor is part of the input: the client joins the monitor's unsigned clients and
      **RUM-RBP-006** evaluates the monitor's policy for an unsigned request and reports an error at
      the policy (or at the client, when the monitor has no policy). This rule then has nothing to say.
    * the app monitor is not part of the input, or only declared with `--app-monitor`: this rule
      reports the client as a **warning**, because whether the policy admits it cannot be seen. The
      requirement's error (403 for every request) holds when the policy is missing; give rumpolicy the
      monitor's template or `rum get-resource-policy` output to have it decided.

    An endpoint that is not the dataplane is a proxy that signs (flow 5) and is not judged.

    ## Why it matters
    Without a public resource policy every unsigned `PutRumEvents` is answered with 403
    (`MissingAuthenticationTokenException`) and the client disables dispatch: no telemetry arrives.

    ## Fix
    Either give the app monitor a resource policy that admits unsigned requests (narrowed to your
    site, see RUM-RBP-005), or sign the requests: remove `signing: false` and let the client get
    Cognito credentials (`identityPoolId`), or on the slim build install a signing factory and
    credentials:

    ```javascript
    awsRum.setSigningConfigFactory(createSigningConfig);
    awsRum.setAwsCredentials(fromCognitoIdentityPool({ identityPoolId, clientConfig: { region } }));
    ```
    """
    if client.signs is not False or client.proxy_endpoint or client.ignores_its_pool:
        yield NOT_APPLICABLE        # signed, a proxy, or a slim client that meant to sign (RUM-CLIENT-003)
        return
    if client.endpoint is not None and literal(client.endpoint) is None:
        yield NOT_APPLICABLE        # the loader noted the unknown endpoint: it may be a signing proxy
        return
    if cross_checked(client):
        yield NOT_APPLICABLE        # RUM-RBP-006 evaluates the monitor's policy for this client
        return
    if client.signing is not None and client.signing.value is False:
        where, named, unnamed = client.signing, "signing-false", "signing-false-no-monitor"
    else:
        where, named, unnamed = client.build, "slim-unsigned", "slim-unsigned-no-monitor"
    if client.monitor is not None:
        yield Violation(where, named, monitor=client.monitor, severity=Severity.WARNING)
    else:
        yield Violation(where, unnamed, severity=Severity.WARNING)
