"""RUM-MON-003."""

from __future__ import annotations

from typing import Iterator

from rumpolicy.chain.coverage import is_declaration, resource_policy_grants
from rumpolicy.engine import NOT_APPLICABLE, Undecided, Violation, rule
from rumpolicy.findings import Severity
from rumpolicy.model import AppMonitor
from rumpolicy.model.messages import Listed, Prop, Value, canonical, words
from rumpolicy.records import value_type

MESSAGES = {
    "grants-undecided": "whether the resource-based policy allows `rum:PutRumEvents` on this app monitor could not "
                        "be decided, so its authorization path was not checked",
    "policy-name-at-deploy": "{policy} names its app monitor by a value known only at deployment (`{name}`), so "
                             "whether app monitor {monitor} has a resource-based policy was not checked",
    "policy-not-in-input": "app monitor {monitor} has no `{pool_id}` and its resource-based policy is not part of "
                           "the input, so its authorization path was not checked{hint}",
    "no-authorization": "app monitor {monitor} has no `{pool_id}`, no resource-based policy, and no declaration "
                        "that credentials are vended elsewhere{hint}",
    "policy-allows-nothing": "app monitor {monitor} has no `{pool_id}`, a resource-based policy that allows no "
                             "`rum:PutRumEvents` on it, and no declaration that credentials are vended elsewhere{hint}",
    # The {hint} of the three above when the input has pools that no monitor names (_Phrase, below).
    "hint-unnamed-pool": "; identity pool {pools} in the same input is named by no app monitor: set `{pool_id}` on "
                         "the monitor to it (and `{guest_role}` to its role for the basic flow)",
    "hint-unnamed-pools": "; identity pools {pools} in the same input are named by no app monitor: set `{pool_id}` "
                          "on the monitor to one of them (and `{guest_role}` to its role for the basic flow)",
    "unnamed-pool": "{pool} (role {role} attached as `unauthenticated` by {attachment})",
    "unnamed-pool-role-arn": "{pool} (role `{role}` attached as `unauthenticated` by {attachment})",
}


@rule(id="RUM-MON-003", name="app-monitor-without-authorization", severity=Severity.WARNING,
      subject=AppMonitor,
      references=("https://docs.aws.amazon.com/cloudwatchrum/latest/APIReference/API_CreateAppMonitor.html",
                  "https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch-RUM-get-started-authorization.html"),
      messages=MESSAGES)
def app_monitor_without_authorization(monitor: AppMonitor) -> Iterator:
    """The app monitor has no authorization path the linter can see.

    ## What it checks
    Browsers can send to an app monitor through one of:

    1. Cognito: `AppMonitorConfiguration.IdentityPoolId` is set (checked further by RUM-MON-002 and
       the pool, attachment, trust and permission rules);
    2. a resource-based policy on the monitor with an `Allow` for `rum:PutRumEvents` (its principal
       and conditions are checked by the RUM-RBP rules);
    3. credentials the application vends itself, or a signing proxy (options 3 and 5), declared on
       the monitor resource with `Metadata: {rumpolicy: {authorization: external}}`.

    The rule reports a monitor with none of them. A monitor with `GuestRoleArn` but no
    `IdentityPoolId` is left to RUM-MON-002, which reports it as an error, so that one missing pool
    id is not reported twice. A monitor read from `aws rum get-app-monitor` output, whose resource
    policy is not in the input, is reported as not checked (RUM-SRC-001); `rumpolicy audit` reads
    every monitor's resource policy, so there the rule decides. So is a monitor when the same input
    has a resource-based policy whose monitor name is known only at deployment (`var.monitor`, a
    parameter): it may be this monitor's.

    When the same input (the template, the Terraform module, the folder of AWS CLI output) has an
    identity pool that no monitor names, with a role attachment giving it an `unauthenticated`
    role, the message names that pool, its attachment and role: most often it is the monitor's own
    pool and only `IdentityPoolId` (and `GuestRoleArn`, for the basic flow) was left out.

    ## Why it matters
    Without `IdentityPoolId` the web client cannot get Cognito credentials, and without a resource
    policy unsigned requests are refused with 403: no telemetry arrives. The setup can still be
    right (an identity provider or a proxy supplies credentials), which the linter cannot see, so
    this is a warning until the monitor says so.

    ## Fix
    Add the authorization the monitor uses: an identity pool,

    ```yaml
    AppMonitorConfiguration:
      IdentityPoolId: !Ref RumPool
    ```

    a resource-based policy (`ResourcePolicy: {PolicyDocument: ...}` allowing `rum:PutRumEvents`),
    or, when credentials come from elsewhere, say so:

    ```yaml
    Monitor:
      Type: AWS::RUM::AppMonitor
      Metadata:
        rumpolicy:
          authorization: external
    ```

    Terraform has no resource metadata: there, suppress the finding with a reason,
    `# rumpolicy: ignore RUM-MON-003 -- credentials come from our identity provider`.
    """
    if monitor.identity_pool_id is not None or monitor.guest_role_arn is not None:
        yield NOT_APPLICABLE
        return
    if monitor.external_credentials:
        return
    grants = resource_policy_grants(monitor) if monitor.resource_policies else False
    if grants is True:
        return
    if grants is None:
        yield Undecided(monitor.resource_policy or monitor, "grants-undecided")
        return
    if not monitor.resource_policies and monitor.unresolved_resource_policies:
        policy = monitor.unresolved_resource_policies[0]
        yield Undecided(monitor, "policy-name-at-deploy", policy=policy,
                        name=Value(monitor, policy.monitor_name.value), monitor=monitor)
        return
    pool_id = Prop(monitor, "IdentityPoolId")
    hint = _unnamed_pool_hint(monitor)
    if not monitor.resource_policies and not is_declaration(monitor) and not monitor.resource_policy_read:
        yield Undecided(monitor, "policy-not-in-input", monitor=monitor, pool_id=pool_id, hint=hint)
        return
    related = tuple(dict.fromkeys(offer.pool.location for offer in monitor.unnamed_pools))
    yield Violation(monitor, "policy-allows-nothing" if monitor.resource_policies else "no-authorization",
                    monitor=monitor, pool_id=pool_id, hint=hint, related=related)


@value_type(slots=False)
class _Phrase:
    """A part of a message, worded by a template of MESSAGES: a parameter of the message it is part of."""

    message_id: str
    params: tuple[tuple[str, object], ...]

    def words(self) -> str:
        return MESSAGES[self.message_id].format_map({name: words(value) for name, value in self.params})

    def canonical(self) -> str:
        return f"{self.message_id}(" + ", ".join(f"{name}={canonical(value)}" for name, value in self.params) + ")"


def _unnamed_pool_hint(monitor: AppMonitor) -> _Phrase | str:
    """Where the monitor's pool probably is: the pools of its input that no monitor names."""
    if not monitor.unnamed_pools:
        return ""
    described = []
    for offer in monitor.unnamed_pools:
        if offer.role is not None:
            message_id, role = "unnamed-pool", offer.role
        else:
            message_id, role = "unnamed-pool-role-arn", Value(monitor, offer.role_arn.value)
        described.append(_Phrase(message_id, (("pool", offer.pool), ("role", role), ("attachment", offer.attachment))))
    return _Phrase("hint-unnamed-pool" if len(described) == 1 else "hint-unnamed-pools",
                   (("pools", Listed(tuple(described))), ("pool_id", Prop(monitor, "IdentityPoolId")),
                    ("guest_role", Prop(monitor, "GuestRoleArn"))))
