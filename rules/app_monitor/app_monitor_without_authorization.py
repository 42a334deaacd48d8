"""RUM-MON-003."""

from __future__ import annotations

from typing import Iterator

from rumpolicy.engine import NOT_APPLICABLE, Undecided, Violation, rule
from rumpolicy.findings import Severity
from rumpolicy.model import AppMonitor
from rumpolicy.model.coverage import is_declaration, resource_policy_grants
from rumpolicy.model.dialect import prop


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
    every monitor's resource policy, so there the rule decides.

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
    pool_id = prop(monitor, "IdentityPoolId")
    if not monitor.resource_policies and not is_declaration(monitor) and not monitor.resource_policy_read:
        yield Undecided(monitor, f"app monitor {monitor.subject} has no `{pool_id}` and its resource-based "
                                 "policy is not part of the input, so its authorization path was not checked")
        return
    what = ("a resource-based policy that allows no `rum:PutRumEvents` on it" if monitor.resource_policies
            else "no resource-based policy")
    yield Violation(monitor, f"app monitor {monitor.subject} has no `{pool_id}`, {what}, and no "
                             "declaration that credentials are vended elsewhere")
