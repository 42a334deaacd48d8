"""RUM-MON-006."""

from __future__ import annotations

import re
from typing import Iterator

from rumpolicy.chain.coverage import is_declaration
from rumpolicy.engine import Undecided, Violation, rule
from rumpolicy.findings import Severity
from rumpolicy.model import AppMonitor
from rumpolicy.model.messages import Prop, Value
from rumpolicy.model.symbols import has_symbols, is_unknown

# botocore rum 2018-05-10 service-2.json, shape ``AppMonitorDomain`` (length 1-253), copied verbatim.
# botocore >= 1.36 ships it unanchored; it is anchored here as a whole (RUM-REQUIREMENTS INPUT-6),
# so "localhost" means exactly that host and not any name ending in it.
DOMAIN_PATTERN = (
    r"(localhost)$|^((25[0-5]|2[0-4][0-9]|[01]?[0-9][0-9]?)\.){3}(25[0-5]|2[0-4][0-9]|[01]?[0-9][0-9]?)$"
    r"|(?=^[a-zA-Z0-9\.\*-]{4,253}$)(?!.*\.-)(?!.*-\.)(?!.*\.\.)(?!.*[^\.]{64,})^(\*\.)?(?![-\.\*])[^\*]{1,}"
    r"\.(\*|(?!.*--)(?=.*[a-zA-Z])[^\*]{1,}[^\*-])"
)
DOMAIN = re.compile(rf"^(?:{DOMAIN_PATTERN})$")
MAX_DOMAIN = 253      # AppMonitorDomain max length
MAX_ITEMS = 5         # AppMonitorDomainList max items


@rule(id="RUM-MON-006", name="app-monitor-domain-invalid", severity=Severity.ERROR, subject=AppMonitor,
      references=("https://docs.aws.amazon.com/cloudwatchrum/latest/APIReference/API_CreateAppMonitor.html",),
      messages={
          "no-domain": "app monitor {monitor} has neither `{one}` nor `{many}`",
          "both-domains": "app monitor {monitor} has both `{one}` and `{many}`; the RUM API accepts only one of them",
          "list-unresolved": "`{many}` could not be resolved ({value}), so it was not checked",
          "list-not-list": "`{many}` must be a list of domains, not `{value}`",
          "list-empty": "`{many}` is empty; the RUM API requires 1 to 5 domains",
          "list-too-long": "`{many}` has {count} domains; the RUM API accepts at most {limit}",
          # One domain: `Domain` (field: Domain) or an item of `DomainList` (field: DomainList).
          "domain-unresolved": "`{field}` could not be resolved ({value}), so it was not checked",
          "domain-not-string": "`{field}` `{value}` is not a string",
          "domain-undecided": "`{field}` `{value}` is only known at deployment, so it was not checked",
          "domain-too-long": "`{field}` `{start}...` is {length} characters long; the RUM API allows at most {limit}",
          "domain-invalid": "`{field}` `{value}` is not a domain the RUM API accepts",
          "item-unresolved": "`{field}` item could not be resolved ({value}), so it was not checked",
          "item-not-string": "`{field}` item `{value}` is not a string",
          "item-undecided": "`{field}` item `{value}` is only known at deployment, so it was not checked",
          "item-too-long": "`{field}` item `{start}...` is {length} characters long; the RUM API allows at most "
                           "{limit}",
          "item-invalid": "`{field}` item `{value}` is not a domain the RUM API accepts",
      })
def app_monitor_domain_invalid(monitor: AppMonitor) -> Iterator:
    """The app monitor has no valid `Domain` or `DomainList`, or has both.

    ## What it checks
    The RUM API requires "either the domain or the domain list": exactly one of `Domain` and
    `DomainList`. `DomainList` holds 1 to 5 items. Every domain is at most 253 characters and
    matches the API's `AppMonitorDomain` pattern (botocore `rum` model, anchored): a host name such
    as `example.com` or `*.example.com`, an IPv4 address, or `localhost`. A URL with a scheme or a
    path (`https://example.com/`) does not match.

    Domains built from parameters or other resources are reported as not checked (RUM-SRC-001).
    "Exactly one" applies to what infrastructure code declares (a create request); `aws rum
    get-app-monitor` output may carry both, as the service fills `DomainList` in, so only the values
    are checked there.

    ## Why it matters
    The CloudFormation schema only requires `Name`, so the template validates, but
    `CreateAppMonitor` rejects the request and the stack fails to deploy. This is not an
    authorization problem; it is checked because nothing else works until it is fixed.

    ## Fix
    Give exactly one of the two, with bare host names:

    ```yaml
    Monitor:
      Type: AWS::RUM::AppMonitor
      Properties:
        Name: web
        DomainList:
          - example.com
          - "*.example.com"
    ```
    """
    domain, domains = monitor.domain, monitor.domain_list
    declared = is_declaration(monitor)
    one, many = Prop(monitor, "Domain"), Prop(monitor, "DomainList")
    if domain is None and domains is None:
        if declared:
            yield Violation(monitor, "no-domain", monitor=monitor, one=one, many=many)
        return
    if domain is not None and domains is not None and declared:
        yield Violation(domains, "both-domains", monitor=monitor, one=one, many=many)
        return
    if domain is not None:
        yield from _check_domain(monitor, domain, domain.value, "domain", one)
    if domains is None:
        return
    value = domains.value
    if is_unknown(value):
        yield Undecided(domains, "list-unresolved", many=many, value=value)
        return
    if not isinstance(value, list):
        yield Violation(domains, "list-not-list", many=many, value=Value(monitor, value))
        return
    if not value:
        yield Violation(domains, "list-empty", many=many)
        return
    if len(value) > MAX_ITEMS:
        yield Violation(domains, "list-too-long", many=many, count=len(value), limit=MAX_ITEMS)
    for item in value:
        yield from _check_domain(monitor, domains, item, "item", many)


def _check_domain(monitor: AppMonitor, node, value, kind: str, field: Prop) -> Iterator:
    """One domain; ``kind`` is "domain" for `Domain`, "item" for an item of `DomainList` (message ids)."""
    if is_unknown(value):
        yield Undecided(node, f"{kind}-unresolved", field=field, value=value)
    elif not isinstance(value, str):
        yield Violation(node, f"{kind}-not-string", field=field, value=Value(monitor, value))
    elif has_symbols(value):
        yield Undecided(node, f"{kind}-undecided", field=field, value=Value(monitor, value))
    elif len(value) > MAX_DOMAIN:
        yield Violation(node, f"{kind}-too-long", field=field, start=value[:40], length=len(value), limit=MAX_DOMAIN)
    elif not DOMAIN.match(value):
        yield Violation(node, f"{kind}-invalid", field=field, value=value)
