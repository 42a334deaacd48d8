"""RUM-CLIENT-005."""

from __future__ import annotations

from typing import Iterator

from rumpolicy.engine import NOT_APPLICABLE, Violation, rule
from rumpolicy.findings import Severity
from rumpolicy.model.resources import WebClientConfig
from rumpolicy.rules.web_client._client import client_pool_region, literal, partition_of

STANDARD_SUFFIX = "amazonaws.com"


@rule(id="RUM-CLIENT-005", name="client-partition-not-amazonaws-com", severity=Severity.WARNING,
      subject=WebClientConfig,
      references=("https://github.com/aws-observability/aws-rum-web/blob/main/packages/core/src/dispatch/CognitoIdentityClient.ts",
                  "https://github.com/aws-observability/aws-rum-web/blob/main/packages/core/src/dispatch/StsClient.ts"),
      messages={
          "cognito-host": "the web client gets credentials from `{host}`, but {region} is in partition {partition}, "
                          "whose hosts end in `{suffix}`",
          "dataplane-host": "the web client sets no `endpoint` and would send to `{host}`, but {region} is in "
                            "partition {partition}, whose hosts end in `{suffix}`",
      })
def client_partition_not_amazonaws_com(client: WebClientConfig) -> Iterator:
    """The web client would call AWS hosts under `amazonaws.com` in a partition that uses another domain.

    ## What it checks
    aws-rum-web builds its Cognito and STS hosts as `cognito-identity.<region>.amazonaws.com` and
    `sts.<region>.amazonaws.com`, and its default endpoint as
    `https://dataplane.rum.<region>.amazonaws.com`. In partitions whose DNS suffix is another
    domain (aws-cn `amazonaws.com.cn`, aws-eusc `amazonaws.eu`, the ISO partitions), those hosts do
    not exist. The rule reports a client that gets Cognito credentials from an identity pool in
    such a region, and a client without an explicit `endpoint` whose region is in one. The region's
    partition is told from the region name as botocore's partition table defines it.

    This is inferred from the client's code (requirements RUM-CLIENT-005, open question Q11): a
    warning, not an error.

    ## Why it matters
    The browser cannot reach a host that does not exist: credentials never arrive, or events are
    never delivered.

    ## Fix
    Set `endpoint` to the dataplane of the partition
    (`https://dataplane.rum.<region>.amazonaws.com.cn` in aws-cn), and supply credentials yourself
    with `setAwsCredentials` instead of `identityPoolId`, using an SDK that knows the partition's
    endpoints.
    """
    checked = False
    pool_region = client_pool_region(client) if client.uses_cognito is True else None
    if pool_region is not None:
        checked = True
        partition, suffix = partition_of(pool_region)
        if suffix != STANDARD_SUFFIX:
            yield Violation(client.identity_pool_id, "cognito-host",
                            host=f"cognito-identity.{pool_region}.{STANDARD_SUFFIX}", region=pool_region,
                            partition=partition, suffix=suffix)
    region = literal(client.region)
    place = partition_of(region) if region else None
    if client.endpoint is None and client.config_open is None and place is not None:
        checked = True
        partition, suffix = place
        if suffix != STANDARD_SUFFIX:
            yield Violation(client.region, "dataplane-host", host=f"dataplane.rum.{region}.{STANDARD_SUFFIX}",
                            region=region, partition=partition, suffix=suffix)
    if not checked:
        yield NOT_APPLICABLE
