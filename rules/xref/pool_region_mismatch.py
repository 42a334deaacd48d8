"""RUM-XREF-001."""

from __future__ import annotations

from typing import Any, Iterator

from rumpolicy.engine import NOT_APPLICABLE, Undecided, Violation, rule
from rumpolicy.findings import Severity
from rumpolicy.model import AppMonitor
from rumpolicy.model.arns import REGION, is_literal, pool_region, same
from rumpolicy.model.messages import Place, Said, UndecidedPlace, Value
from rumpolicy.model.resources import WebClientConfig
from rumpolicy.model.symbols import has_symbols
from rumpolicy.records import value_type


@value_type(slots=False)
class RegionFact:
    """Where one part of the chain says it lives: compared with the app monitor's region."""

    noun: str          # "identity pool", "web client endpoint" ...
    label: Any         # the value as a message quotes it: a literal, or a ``Value`` of the monitor's input
    region: Any        # literal or symbolic region
    where: Any         # the node to report at
    related: tuple = ()


def region_facts(monitor: AppMonitor) -> Iterator[RegionFact]:
    """Everything whose region must equal the monitor's: its identity pool, and the region, explicit
    dataplane endpoint and identity pool of every web client linked to it."""
    yield from _pool_facts(monitor)
    for client in monitor.web_clients:
        yield from _client_facts(monitor, client)


def _client_facts(monitor: AppMonitor, client: WebClientConfig) -> Iterator[RegionFact]:
    """Literal values only: the loader reports a client value that is not known (RUM-SRC-001)."""
    related = (client.location,)
    region = client.region.value if client.region is not None else None
    if isinstance(region, str) and REGION.match(region):
        yield RegionFact("web client region", region, region, client.region, related)
    if client.dataplane_region is not None:
        yield RegionFact("web client endpoint", client.endpoint.value, client.dataplane_region, client.endpoint,
                         related)
    pool_id = client.identity_pool_id.value if client.identity_pool_id is not None else None
    written = monitor.identity_pool_id.value if monitor.identity_pool_id is not None else None
    if client.uses_cognito is not False and is_literal(pool_id) and pool_id != written:
        prefix = pool_region(pool_id)
        if prefix is not None and REGION.match(prefix):
            yield RegionFact("web client identity pool", pool_id, prefix, client.identity_pool_id, related)


def _pool_facts(monitor: AppMonitor) -> Iterator[RegionFact]:
    node = monitor.identity_pool_id
    if node is None or not isinstance(node.value, str):
        return
    region = pool_region(node.value)
    if region is None and monitor.identity_pool is not None:
        region = monitor.identity_pool.region
    if region is not None and is_literal(region) and not REGION.match(region):
        return          # not a pool id at all: RUM-MON-002 reports it
    if region is None and not has_symbols(node.value):
        return          # no region prefix: RUM-MON-002 reports the malformed id
    yield RegionFact("identity pool", Value(monitor, node.value), region, node)


@rule(id="RUM-XREF-001", name="pool-region-mismatch", severity=Severity.ERROR, subject=(AppMonitor, WebClientConfig),
      aliases=("RUM-POOL-005",),
      references=("https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch-RUM-get-started-authorization.html",
                  "https://github.com/aws-observability/aws-rum-web/blob/main/docs/troubleshooting.md",
                  "https://github.com/aws-observability/aws-rum-web/issues/358"),
      messages={
          "regions-conflict": "{noun} `{label}` is in {region}, but {anchor_noun} `{anchor_label}` is in "
                              "{anchor_region}: app monitor {monitor} can be in only one region",
          "region-deploy-time": "the region of {noun} `{label}` is known only at deployment, so it was not compared "
                                "with the region of app monitor {monitor}",
          "monitor-region-unknown": "the region of app monitor {monitor} is not known, so the region of {noun} "
                                    "`{label}` was not compared with it",
          "region-mismatch": "{noun} `{label}` is in {region}, but app monitor {monitor} is in {monitor_region}",
          "region-undecided": "{comparison}",
          # A web client whose monitor is not part of the input; ``whose``: how its region is known.
          "client-region-mismatch": "{noun} `{label}` is in {region}, but the app monitor is in {monitor_region} "
                                    "({whose})",
          "client-region-undecided": "{comparison}",
      })
def pool_region_mismatch(subject: AppMonitor | WebClientConfig) -> Iterator:
    """The identity pool is in another region than the app monitor.

    ## What it checks
    The region prefix of `IdentityPoolId` (`us-east-1` of `us-east-1:0a1b...`; for a `!Ref` to a
    pool of the same stack, the stack's region) must equal the app monitor's region (the stack's
    region, pinned by `--region`, template `Metadata: {rumpolicy: {region: ...}}` or a CDK
    environment).

    A literal region compared with a stack region only known at deployment is reported as not
    checked (RUM-SRC-001), naming the region the stack would have to be deployed to. Two literal
    regions that differ from each other are an error even then, since the monitor can be in only
    one of them: the first of them (the monitor's own `IdentityPoolId`, else the region the web
    client names) is the one the others are compared with.

    This rule also reports **RUM-POOL-005** ("pool region = app monitor region"): the requirements
    list the same fact twice, under the pool and under cross-resource consistency, and one fact
    gets one finding. `rumpolicy rule RUM-POOL-005` shows this page.

    Web clients linked to the monitor (snippets, `new AwsRum(...)`, JSON configs; see the README
    section "Web client configuration") add their own facts: the region they name, the region of an
    explicit `https://dataplane.rum.<region>.amazonaws.com` endpoint, and the region prefix of their
    `identityPoolId` where it differs from the monitor's. A client without `endpoint` on a version that
    ignores its region is RUM-CLIENT-001's finding.

    A web client whose monitor is not part of the input is checked against the monitor it names:
    one declared with `--app-monitor`, else the region the client gives as its monitor's (the
    snippet's fourth argument, the constructor's third, `applicationRegion`). Its explicit
    endpoint and the region prefix of its `identityPoolId` must be in that region.

    ## Why it matters
    "You can use identity pools only from the same Region" (RUM documentation). The web client
    calls Cognito and STS in the region of the pool id and sends to the monitor's region; a pool
    elsewhere gives credentials RUM does not accept, and every `PutRumEvents` fails.

    ## Fix
    Use an identity pool in the monitor's region, best one created in the same stack:

    ```yaml
    AppMonitorConfiguration:
      IdentityPoolId: !Ref RumPool      # same stack, same region
    ```

    or in the same Terraform configuration (and provider):

    ```hcl
    app_monitor_configuration {
      identity_pool_id = aws_cognito_identity_pool.rum.id
    }
    ```
    """
    if isinstance(subject, WebClientConfig):
        yield from _client_without_checked_monitor(subject)
        return
    monitor = subject
    facts = list(region_facts(monitor))
    if not facts:
        yield NOT_APPLICABLE
        return
    mine = monitor.env.region
    conflicting = set()
    if not (mine and is_literal(mine)):
        for fact, anchor in _conflicts(facts):
            conflicting.add(id(fact))
            yield Violation(fact.where, "regions-conflict", noun=fact.noun, label=fact.label, region=fact.region,
                            anchor_noun=anchor.noun, anchor_label=anchor.label, anchor_region=anchor.region,
                            monitor=monitor, related=fact.related + (anchor.where.location,))
    for fact in facts:
        if id(fact) in conflicting:
            continue
        if fact.region is None:
            yield Undecided(fact.where, "region-deploy-time", noun=fact.noun, label=fact.label, monitor=monitor)
            continue
        if not mine:
            yield Undecided(fact.where, "monitor-region-unknown", noun=fact.noun, label=fact.label, monitor=monitor)
            continue
        equal = same(fact.region, mine)
        if equal is False:
            yield Violation(fact.where, "region-mismatch", noun=fact.noun, label=fact.label,
                            region=Place(monitor, fact.region, "region"), monitor=monitor,
                            monitor_region=Place(monitor, mine, "region"), related=fact.related)
        elif equal is None:
            yield Undecided(fact.where, "region-undecided",
                            comparison=UndecidedPlace(monitor, "region", fact.noun, fact.region, mine))


def _conflicts(facts: list[RegionFact]) -> Iterator[tuple[RegionFact, RegionFact]]:
    """Facts whose literal region differs from the first literal region, with that first fact."""
    literal = [f for f in facts if isinstance(f.region, str) and is_literal(f.region) and REGION.match(f.region)]
    if not literal:
        return
    anchor = literal[0]
    for fact in literal[1:]:
        if fact.region != anchor.region:
            yield fact, anchor

def _client_without_checked_monitor(client: WebClientConfig) -> Iterator:
    """A client's own facts against the monitor it names, when that monitor is not part of the input."""
    # Imported here: a run without web clients (one template) need not import the web client's helpers.
    from rumpolicy.rules.web_client._client import client_pool_region, cross_checked, monitor_region

    if cross_checked(client):
        yield NOT_APPLICABLE        # compared with its monitor, as one of the monitor's facts
        return
    place = monitor_region(client)
    if place is None:
        yield NOT_APPLICABLE        # no region anywhere: the loader noted what is unknown
        return
    region, whose = place
    speaker = client.monitor or client      # a declared monitor's region is worded as its input words it
    facts = []
    named = client.region.value if client.region is not None else None
    if client.monitor is not None and isinstance(named, str) and REGION.match(named):
        facts.append((client.region, "web client region", named, named))
    if client.dataplane_region is not None:
        facts.append((client.endpoint, "web client endpoint", client.endpoint.value, client.dataplane_region))
    pool = client_pool_region(client) if client.uses_cognito is not False else None
    if pool is not None:
        facts.append((client.identity_pool_id, "web client identity pool", client.identity_pool_id.value, pool))
    if not facts:
        yield NOT_APPLICABLE
        return
    for node, noun, label, theirs in facts:
        equal = same(theirs, region)
        if equal is False:
            yield Violation(node, "client-region-mismatch", noun=noun, label=label, region=theirs,
                            monitor_region=Place(speaker, region, "region"), whose=Said(whose))
        elif equal is None:
            # UndecidedPlace names what it compares in one phrase: the noun with the value it quotes.
            yield Undecided(node, "client-region-undecided",
                            comparison=UndecidedPlace(speaker, "region", f"{noun} `{label}`", theirs, region))
