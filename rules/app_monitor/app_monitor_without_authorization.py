"""RUM-MON-003."""

from __future__ import annotations

from typing import Iterator

from rumpolicy.engine import NOT_APPLICABLE, Undecided, Violation, rule
from rumpolicy.findings import Severity
from rumpolicy.model import AppMonitor
from rumpolicy.model.coverage import is_declaration, resource_policy_grants
from rumpolicy.model.dialect import prop, render_for


@rule(id="RUM-MON-003", name="app-monitor-without-authorization", severity=Severity.WARNING,
      subject=AppMonitor,
      references=("https://docs.aws.amazon.com/cloudwatchrum/latest/APIReference/API_CreateAppMonitor.html",
                  "https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch-RUM-get-started-authorization.html"))
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
        yield Undecided(monitor.resource_policy or monitor,
                        "whether the resource-based policy allows `rum:PutRumEvents` on this app monitor could not "
                        "be decided, so its authorization path was not checked")
        return
    if not monitor.resource_policies and monitor.unresolved_resource_policies:
        policy = monitor.unresolved_resource_policies[0]
        yield Undecided(monitor, f"{policy.subject} names its app monitor by a value known only at deployment "
                                 f"(`{render_for(monitor, policy.monitor_name.value)}`), so whether app monitor "
                                 f"{monitor.subject} has a resource-based policy was not checked")
        return
    pool_id = prop(monitor, "IdentityPoolId")
    hint = _unnamed_pool_hint(monitor)
    if not monitor.resource_policies and not is_declaration(monitor) and not monitor.resource_policy_read:
        yield Undecided(monitor, f"app monitor {monitor.subject} has no `{pool_id}` and its resource-based "
                                 f"policy is not part of the input, so its authorization path was not checked{hint}")
        return
    what = ("a resource-based policy that allows no `rum:PutRumEvents` on it" if monitor.resource_policies
            else "no resource-based policy")
    related = tuple(dict.fromkeys(offer.pool.location for offer in monitor.unnamed_pools))
    yield Violation(monitor, f"app monitor {monitor.subject} has no `{pool_id}`, {what}, and no "
                             f"declaration that credentials are vended elsewhere{hint}", related=related)


def _unnamed_pool_hint(monitor: AppMonitor) -> str:
    """Where the monitor's pool probably is: the pools of its input that no monitor names."""
    if not monitor.unnamed_pools:
        return ""
    described = []
    for offer in monitor.unnamed_pools:
        role = offer.role.subject if offer.role is not None else f"`{render_for(monitor, offer.role_arn.value)}`"
        described.append(f"{offer.pool.subject} (role {role} attached as `unauthenticated` by "
                         f"{offer.attachment.subject})")
    pools = ("identity pool " + described[0] if len(described) == 1
             else "identity pools " + ", ".join(described))
    one, verb = ("it", "is") if len(described) == 1 else ("one of them", "are")
    return (f"; {pools} in the same input {verb} named by no app monitor: set `{prop(monitor, 'IdentityPoolId')}` "
            f"on the monitor to {one} (and `{prop(monitor, 'GuestRoleArn')}` to its role for the basic flow)")
