"""RUM-RBP-006."""

from __future__ import annotations

from typing import Iterator

from rumpolicy.engine import NOT_APPLICABLE, Undecided, Violation, rule
from rumpolicy.findings import Severity
from rumpolicy.iam import Decision, PolicySet, RequestPrincipal, evaluate
from rumpolicy.model import AppMonitor, ResourcePolicy
from rumpolicy.chain.coverage import is_declaration
from rumpolicy.chain.grants import PUT_RUM_EVENTS, monitor_arn_reference, readable_resource_policy
from rumpolicy.model.dialect import Dialect, Encoded, companion, dialect_of
from rumpolicy.model.messages import Listed, Said, WriteResource, WriteTree
from rumpolicy.model.symbols import ATTR, token

# Request facts an unsigned browser request carries, which a public statement may narrow on
# (RUM-RBP-005): a condition on them is the owner's deliberate narrowing, not a missing Allow.
BROWSER_SUPPLIED_KEYS = frozenset({"aws:referer", "aws:useragent", "aws:sourceip", "rum:alias",
                                   "aws:securetransport", "aws:currenttime", "aws:epochtime"})

# The hashicorp/aws provider declares a monitor's policy as a resource of its own.
POLICY_KINDS = {Dialect.TERRAFORM: "aws_rum_resource_policy"}


@rule(id="RUM-RBP-006", name="unsigned-clients-without-public-policy", severity=Severity.ERROR,
      subject=AppMonitor,
      references=("https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch-RUM-resource-policies.html",
                  "https://github.com/aws-observability/aws-rum-web/blob/main/docs/troubleshooting.md"),
      messages={
          "monitor-name-unknown": "the app monitor's name is not known, so its ARN could not be evaluated",
          "policy-unreadable": "resource policy {policy} could not be read ({reason}), so whether it admits unsigned "
                               "requests was not checked",
          "policy-not-in-input": "web clients of app monitor {monitor} send unsigned events, and its resource policy "
                                 "is not part of the input, so whether it admits them was not checked",
          "no-policy": "web clients of app monitor {monitor} send unsigned events, but the monitor has no resource "
                       "policy, so every request gets 403",
          "denied": "web clients of app monitor {monitor} send unsigned events, but the resource policy does not "
                    "admit them: a Deny statement blocks them",
          "not-allowed": "web clients of app monitor {monitor} send unsigned events, but the resource policy does "
                         "not admit them: no statement allows `rum:PutRumEvents` to `\"*\"`",
          "evaluation-undecided": "whether the resource policy admits unsigned requests could not be decided: "
                                  "{reasons}",
          "evaluation-failed": "whether the resource policy admits unsigned requests could not be decided: the "
                               "policy could not be evaluated",
      })
def unsigned_clients_without_public_policy(monitor: AppMonitor) -> Iterator:
    """Web clients send unsigned events, but no resource policy of the app monitor admits them.

    ## What it checks
    Where the web client is configured with `signing: false` against the RUM endpoint, which a
    template declares on the app monitor with `Metadata: {rumpolicy: {authorization: unsigned}}`
    and which a web client linked to the monitor shows (`signing: false`, or the slim build without
    a signing factory, sending to the RUM dataplane; see RUM-CLIENT-002 for a client whose monitor
    is not part of the input), the app monitor's resource-based policy must allow
    `rum:PutRumEvents` to the anonymous principal `"*"`. The policy is evaluated for an unsigned
    request: an explicit Deny, a missing policy, or a statement for other principals is an error.
    A public statement narrowed by conditions on what the browser sends (`aws:referer`,
    `aws:SourceIp`, `rum:alias`, `aws:UserAgent`) counts as admitting it: narrowing is RUM-RBP-005's
    subject. `Principal: {"AWS": "*"}` is reported as undecided: whether it admits unsigned requests
    is not documented for RUM (open question Q16).

    The finding is reported once per monitor, at its policy (or, without one, at the first
    declaration or client); RUM-CLIENT-002 does not report these clients again. A monitor read from
    `rum get-app-monitor` output without its `get-resource-policy` output is reported as not checked
    (RUM-SRC-001): the policy may exist without being part of the input.

    ## Why it matters
    An unsigned `PutRumEvents` without a public resource policy is answered with 403
    `MissingAuthenticationTokenException`, and the web client then disables dispatch for the page:
    no telemetry arrives at all.

    ## Fix
    Add a resource policy that admits unsigned requests, narrowed to your site, or sign the
    requests (remove `signing: false` and authorize the client through Cognito):

    ```yaml
    ResourcePolicy:
      PolicyDocument: !Sub |
        {"Version": "2012-10-17",
         "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "rum:PutRumEvents",
                        "Resource": "arn:${AWS::Partition}:rum:${AWS::Region}:${AWS::AccountId}:appmonitor/web",
                        "Condition": {"StringLike": {"aws:referer": ["https://www.example.com/*"]}}}]}
    ```

    In Terraform:

    ```hcl
    resource "aws_rum_resource_policy" "web" {
      app_monitor_name = aws_rum_app_monitor.web.name
      policy_document = jsonencode({
        Version = "2012-10-17"
        Statement = [{
          Effect    = "Allow"
          Principal = "*"
          Action    = "rum:PutRumEvents"
          Resource  = aws_rum_app_monitor.web.arn
          Condition = { StringLike = { "aws:referer" = ["https://www.example.com/*"] } }
        }]
      })
    }
    ```
    """
    if not monitor.unsigned_clients:
        yield NOT_APPLICABLE
        return
    declared = monitor.unsigned_clients[0]
    arn = monitor.arn
    if arn is None:
        yield Undecided(declared, "monitor-name-unknown")
        return
    documents = []
    for policy in monitor.resource_policies:
        document, unreadable = readable_resource_policy(policy)
        if document is None and unreadable is None:
            yield NOT_APPLICABLE        # absent or malformed: RUM-RBP-009 reports it
            return
        if document is None:
            yield Undecided(policy.location, "policy-unreadable", policy=policy, reason=Said(unreadable))
            return
        documents.append(document)
    fix = _public_policy_fix(monitor)
    if not documents and not is_declaration(monitor):
        yield Undecided(declared, "policy-not-in-input", monitor=monitor)
        return
    if not documents:
        yield Violation(declared, "no-policy", monitor=monitor, fix=fix)
        return
    result = evaluate(PolicySet(resource=documents), PUT_RUM_EVENTS, arn, principal=RequestPrincipal(anonymous=True))
    related = tuple(d.location for d in documents)
    if result.decision is Decision.ALLOW:
        return
    if result.decision is Decision.DENY:
        denied = [r for r in result.deciding if r.statement.is_deny]
        where = denied[0].statement if denied else documents[0]
        yield Violation(where, "denied" if denied else "not-allowed", monitor=monitor, related=(declared, *related),
                        fix=fix)
        return
    unknown = {k.lower() for k in result.unknown_keys}
    if unknown and unknown <= BROWSER_SUPPLIED_KEYS and not any("principal" in r.lower() for r in result.reasons):
        return
    if result.reasons:
        yield Undecided(declared, "evaluation-undecided",
                        reasons=Listed(tuple(Said(r) for r in result.reasons), separator="; "))
    else:
        yield Undecided(declared, "evaluation-failed")


def _public_policy_fix(monitor: AppMonitor) -> WriteResource | WriteTree:
    """A resource policy admitting unsigned requests from the site, declared as the monitor's dialect does."""
    dialect = dialect_of(monitor)
    separate = dialect is Dialect.TERRAFORM and monitor.kind == "aws_rum_app_monitor"
    target = companion(monitor, ResourcePolicy, POLICY_KINDS, "Policy") if separate else monitor
    statement = {"Effect": "Allow", "Principal": "*", "Action": PUT_RUM_EVENTS,
                 "Resource": monitor_arn_reference(target, monitor),
                 "Condition": {"StringLike": {"aws:referer": ["https://www.example.com/*"]}}}
    document = {"Version": "2012-10-17", "Statement": [statement]}
    if separate:
        return WriteResource(target, {"app_monitor_name": token(ATTR, f"{monitor.subject}.name"),
                                      "policy_document": Encoded(document)})
    if dialect is Dialect.TERRAFORM:
        return WriteTree(monitor, {"resource_policy": {"policy_document": Encoded(document)}})
    if dialect is Dialect.CLOUDFORMATION:
        return WriteTree(monitor, {"ResourcePolicy": {"PolicyDocument": Encoded(document)}})
    return WriteTree(monitor, document)
