"""RUM-CLIENT-001."""

from __future__ import annotations

from typing import Iterator

from rumpolicy.engine import NOT_APPLICABLE, Undecided, Violation, rule
from rumpolicy.findings import Severity
from rumpolicy.model.arns import same
from rumpolicy.model.messages import Place, Said
from rumpolicy.model.resources import WebClientConfig
from rumpolicy.rules.web_client._client import HARDCODED_REGION, ignores_region, monitor_region


@rule(id="RUM-CLIENT-001", name="client-endpoint-wrong-region", severity=Severity.ERROR, subject=WebClientConfig,
      references=("https://github.com/aws-observability/aws-rum-web/blob/main/docs/troubleshooting.md",
                  "https://github.com/aws-observability/aws-rum-web/issues/854",
                  "https://github.com/aws-observability/aws-rum-web/issues/881",
                  "https://github.com/aws-observability/aws-rum-web/pull/869"),
      messages={
          "ignores-region": "aws-rum-web {version} ignores the client's region and sends to {sent_to} when `endpoint` "
                            "is not set, but the app monitor is in {monitor_region} ({whose})",
          "ignores-region-undecided": "aws-rum-web {version} ignores the client's region and sends to {sent_to} when "
                                      "`endpoint` is not set; the app monitor is in {monitor_region} ({whose}): this "
                                      "works only if it is in {sent_to}",
          "may-ignore-region": "the web client sets no `endpoint` and its aws-rum-web version `{version}` may be one of "
                               "3.0 to 3.2, which then send to {sent_to}, not {monitor_region} ({whose})",
          "may-ignore-region-undecided": "the web client sets no `endpoint` and its aws-rum-web version `{version}` may "
                                         "be one of 3.0 to 3.2, which then send to {sent_to}; the app monitor is in "
                                         "{monitor_region} ({whose}): this works only if it is in {sent_to}",
          "version-unknown": "the web client sets no `endpoint` and its aws-rum-web version is not known; 3.0 to 3.2 "
                             "then send to {sent_to}, not {monitor_region} ({whose})",
          "version-unknown-undecided": "the web client sets no `endpoint` and its aws-rum-web version is not known; "
                                       "3.0 to 3.2 then send to {sent_to}; the app monitor is in {monitor_region} "
                                       "({whose}): this works only if it is in {sent_to}",
      })
def client_endpoint_wrong_region(client: WebClientConfig) -> Iterator:
    """The web client sets no endpoint, and its version sends events outside its app monitor's region.

    ## What it checks
    The region of the app monitor is the linked monitor's (see the README section "Web client
    configuration" for how clients are linked), else the region the client names itself (the
    snippet's fourth argument, the constructor's third, `applicationRegion`), which aws-rum-web
    documents as "the AWS region of the AppMonitor".

    **No `endpoint`, full build 3.0 to 3.2.** These versions ignore the region and send to
    `https://dataplane.rum.us-west-2.amazonaws.com` (aws-rum-web issues #854, #881; fixed by PR
    #869). With the version known from the CDN URL (`.../3.2.0/cwr.js`), the package lock or the
    `package.json` range, an app monitor outside us-west-2 is an error. When the version is not
    known (a floating `3.x` URL, a self-hosted copy, a caret range, a 3.2 patch release that may
    predate the fix, or no version at all), it is a warning: the setup works only if the client in
    use is not one of them. Versions before 3.0, 3.3 and later, and the slim build derive the
    endpoint from the region. An explicit `endpoint` in the right region is always fine.
    An explicit endpoint, or an identity pool, in another region than the app monitor is
    RUM-XREF-001's finding, whether or not the monitor is part of the input.

    ## Why it matters
    Requests to another region's dataplane are answered with 403; the client then disables
    dispatch for the session and no telemetry arrives.

    ## Fix
    Set the endpoint explicitly, to the app monitor's region:

    ```javascript
    {
      endpoint: 'https://dataplane.rum.eu-west-1.amazonaws.com',
    }
    ```

    or use aws-rum-web 3.3 or later, which derives it from the region.
    """
    place = monitor_region(client)
    if place is None:
        yield NOT_APPLICABLE        # no region anywhere: the loader noted what is unknown
        return
    region, whose = place
    if client.endpoint is not None:
        yield NOT_APPLICABLE        # an explicit endpoint is compared with the monitor by RUM-XREF-001
        return
    yield from _default_endpoint(client, region, whose)


def _default_endpoint(client: WebClientConfig, region, whose: str) -> Iterator:
    broken = ignores_region(client)
    equal = same(region, HARDCODED_REGION)
    if broken is False or equal is True or client.config_open is not None:
        return                      # an open config was noted by the loader: `endpoint` may be set there
    version = client.client_version.value if client.client_version is not None else None
    related = (client.client_version.location,) if client.client_version is not None else ()
    # ``whose``: how the monitor's region is known, as ``monitor_region`` words it.
    params = dict(sent_to=HARDCODED_REGION, monitor_region=Place(client.monitor or client, region, "region"),
                  whose=Said(whose))
    if broken:
        reported, undecided = "ignores-region", "ignores-region-undecided"
        params["version"] = version
    elif version:
        reported, undecided = "may-ignore-region", "may-ignore-region-undecided"
        params["version"] = version
    else:
        reported, undecided = "version-unknown", "version-unknown-undecided"
    if equal is None:
        yield Undecided(client, undecided, **params)
    elif broken:
        yield Violation(client, reported, related=related, **params)
    else:
        yield Violation(client, reported, severity=Severity.WARNING, related=related, **params)
