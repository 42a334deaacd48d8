"""RUM-IAM-ORG-001."""

from __future__ import annotations

from typing import Iterator

from rumpolicy.engine import NOT_APPLICABLE, Undecided, Violation, rule
from rumpolicy.findings import Location, Severity
from rumpolicy.iam import Decision, PolicySet, RequestPrincipal, evaluate
from rumpolicy.chain.coverage import BASIC_SESSION, ENHANCED_SESSION, session_principal
from rumpolicy.chain.grants import AMR, AUD, COGNITO, UNAUTHENTICATED, signed_browser_context
from rumpolicy.model.locator import FixedLocator
from rumpolicy.model.messages import Listed, Said
from rumpolicy.model.policy import PolicyDocument, parse_policy
from rumpolicy.model.resources import AppMonitor, GuestRole, OrgPolicies, ScpLevel
from rumpolicy.model.symbols import has_symbols

# The principal-side stand-in for "everything the guest's own policies allow": SCPs alone decide here.
_ALLOW_ALL = parse_policy({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]},
                          "", FixedLocator("<scp evaluation>"), name="everything")
PRINCIPAL_TAG = "aws:principaltag/"
_BLOCKS = ("the service control policies of account {account} block `{action}` for the guests of app monitor "
           "{monitors}: ")
# Where the denying SCP is attached (ScpLevel.target_type) -> the message naming it.
_DENIES = {"ROOT": "scp-denies-root", "ORGANIZATIONAL_UNIT": "scp-denies-ou", "ACCOUNT": "scp-denies-account"}


@rule(id="RUM-IAM-ORG-001", name="scp-blocks-guests", severity=Severity.ERROR, subject=OrgPolicies,
      references=("https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_evaluation.html",
                  "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html"),
      messages={
          "scp-unreadable": "the service control policies of account {account} could not be read ({reason}), so "
                            "whether they block the RUM guests was not checked",
          "scp-undecided": "whether the service control policies of account {account} allow `{action}` for the "
                           "guests of app monitor {monitor} could not be decided: {reasons}",
          "scp-blocks": _BLOCKS + "{reason}",
          "scp-no-allow": _BLOCKS + "no service control policy allows it",
          "scp-denies-root": _BLOCKS + "{reason} (attached to the organization's root {target})",
          "scp-denies-ou": _BLOCKS + "{reason} (attached to organizational unit {target})",
          "scp-denies-account": _BLOCKS + "{reason} (attached to the account {target})",
          "scp-denies": _BLOCKS + "{reason} (attached to {target_type} {target})",
      })
def scp_blocks_guests(org: OrgPolicies) -> Iterator:
    """A service control policy blocks the requests RUM's anonymous guests make in the account.

    ## What it checks
    In `rumpolicy audit`, for every account with app monitors that use Cognito guests, the service
    control policies above the account (root, each OU, the account, as AWS Organizations lists them)
    are evaluated as section 6 of the requirements says: an explicit `Deny` at any level, or a level
    where no SCP allows, blocks the request. The requests are those a guest browser's chain needs:

    * `rum:PutRumEvents` on the monitor's ARN, by the guest role's session (`cwr` in the basic
      flow, `CognitoIdentityCredentials` in the enhanced flow), with what is known of such a
      request: no VPC, not via an AWS service, the role's own tags as `aws:PrincipalTag/*`, the
      monitor's region as `aws:RequestedRegion`;
    * `sts:AssumeRoleWithWebIdentity` on the guest role, by a Cognito web identity of the pool;
    * `cognito-identity:GetId` and `GetCredentialsForIdentity` (enhanced flow) or `GetOpenIdToken`
      (basic flow) on the pool.

    A sure block is an error. A `Deny` whose conditions depend on something the audit cannot know
    about a browser request, and SCPs the audit could not read (the caller may read its
    organization but not its policies), are reported as not checked (RUM-SRC-001). SCPs never bind
    the organization's management account, nor an account outside an organization. Templates carry
    no SCPs, so `check` never runs this rule.

    ## Why it matters
    SCPs cap what every principal of a member account can do. A guardrail such as "deny `rum:*`
    unless the caller is tagged `team=obs`" or "deny every region but `eu-west-1`" also hits the
    anonymous guest sessions the web client uses, which carry no such tag and may live in another
    region: every browser is refused, while the monitor, pool and role all look right.

    ## Fix
    Exempt the RUM guest path from the guardrail, for example by excluding the guest role in the
    condition:

    ```json
    {"Effect": "Deny", "Action": "rum:*", "Resource": "*",
     "Condition": {"StringNotEquals": {"aws:PrincipalTag/team": "obs"},
                   "ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/rum-guest-*"}}}
    ```

    or keep `rum:PutRumEvents` (and the Cognito identity APIs) out of region-restricting denies.
    """
    guests = [g for g in org.guest_roles if g.role is not None and g.monitors]
    if not guests:
        yield NOT_APPLICABLE
        return
    if not org.applies:
        return
    if org.levels is None:
        yield Undecided(org, "scp-unreadable", account=org.account, reason=Said(org.unreadable))
        return
    levels = [[_document(ref) for ref in level.policies] for level in org.levels]
    targets = {id(doc): level for docs, level in zip(levels, org.levels) for doc in docs}
    blocked: dict[tuple[str, Location], tuple[str, dict[str, object], list[str]]] = {}
    for guest in guests:
        for monitor in guest.monitors:
            for action, resource, principal, context in _requests(guest, monitor, levels):
                result = evaluate(PolicySet(identity=[_ALLOW_ALL], scps=levels), action, resource, context,
                                  missing_keys="unknown", principal=principal)
                if result.decision is Decision.DENY:
                    where = result.deciding[0].statement.location if result.deciding else org.location
                    key = (action, where)
                    if key not in blocked:
                        blocked[key] = (*_why(result, targets), [])
                    if monitor.subject not in blocked[key][2]:
                        blocked[key][2].append(monitor.subject)
                elif result.decision is Decision.UNKNOWN:
                    yield Undecided(org, "scp-undecided", account=org.account, action=action, monitor=monitor,
                                    reasons=Said("; ".join(result.reasons)))
    for (action, where), (message_id, why, monitors) in blocked.items():
        yield Violation(where, message_id, account=org.account, action=action, monitors=Listed(tuple(monitors)),
                        **why)


def _why(result, targets: dict[int, ScpLevel]) -> tuple[str, dict[str, object]]:
    """The message of a sure block, and its parameters: the evaluator's reason, and where the denying SCP is
    attached when one statement decided it."""
    if not result.reasons:
        return "scp-no-allow", {}
    reason = Said(result.reasons[0])
    if not result.deciding:
        return "scp-blocks", {"reason": reason}
    level = targets[id(result.deciding[0].policy)]
    if level.target_type in _DENIES:
        return _DENIES[level.target_type], {"reason": reason, "target": level.target_id}
    return "scp-denies", {"reason": reason, "target_type": level.target_type, "target": level.target_id}


def _document(ref) -> PolicyDocument:
    if ref.document is not None:
        return ref.document
    return PolicyDocument(ref.location, unknown=f"service control policy {ref.label} could not be read",
                          name=ref.label)


def _requests(guest: GuestRole, monitor: AppMonitor, levels: list[list[PolicyDocument]]) -> Iterator[tuple]:
    role = guest.role
    basic = "basic" in guest.flows(monitor)
    session = session_principal(role, BASIC_SESSION if basic else ENHANCED_SESSION)
    context = signed_browser_context(session)
    context["aws:RequestedRegion"] = monitor.env.region
    if role.tags is not None:
        for key in _condition_keys(levels):
            if key.lower().startswith(PRINCIPAL_TAG):
                context[key] = role.tags.get(key[len(PRINCIPAL_TAG):])
    if monitor.arn and not has_symbols(monitor.arn):
        yield "rum:PutRumEvents", monitor.arn, session, context
    pool = monitor.identity_pool
    pool_id = pool.pool_id if pool is not None else None
    if not pool_id or has_symbols(pool_id) or not isinstance(role.arn, str):
        return
    region = pool.region or monitor.env.region
    web_identity = RequestPrincipal(federated=COGNITO, account=None)
    yield ("sts:AssumeRoleWithWebIdentity", role.arn, web_identity,
           {AUD: pool_id, AMR: [UNAUTHENTICATED, COGNITO], "aws:RequestedRegion": region})
    pool_arn = f"arn:{monitor.env.partition}:cognito-identity:{region}:{monitor.env.account}:identitypool/{pool_id}"
    for action in ("cognito-identity:GetId",
                   "cognito-identity:GetOpenIdToken" if basic else "cognito-identity:GetCredentialsForIdentity"):
        yield action, pool_arn, web_identity, {"aws:RequestedRegion": region}


def _condition_keys(levels: list[list[PolicyDocument]]) -> set[str]:
    return {clause.key for level in levels for doc in level for statement in doc.statements
            for clause in statement.conditions}
