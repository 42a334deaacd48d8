"""Which app monitors a guest role lets browsers write to, and whether a monitor has any way in.

``monitor_coverage(guest)`` answers, for every monitor a guest role serves, "would a browser holding
this role's credentials be allowed ``rum:PutRumEvents`` on the monitor's ARN?", with the IAM
evaluator (``rumpolicy.iam``), never with string matching of its own. It is shared by RUM-XREF-005
(a shared role misses one of its monitors) and RUM-PERM-001 (the role allows none of them).

The request evaluated for a monitor:

* principal: the role session the web client holds, ``arn:<p>:sts::<account>:assumed-role/<role>/<session>``
  (session ``cwr`` in the basic flow, ``CognitoIdentityCredentials`` in the enhanced flow), with
  the role ARN and account;
* identity policies: the role's inline and attached policies; a policy that is not in the input
  (an AWS managed policy rumpolicy has no text for, a customer policy from elsewhere) is a document
  that cannot be read, so the answer is UNKNOWN rather than a guess;
* the permissions boundary, when the role has one;
* the Cognito scope-down session policy, only when the monitor reaches the role through the
  enhanced flow alone (the web client uses the basic flow whenever the monitor has ``GuestRoleArn``,
  and basic-flow credentials carry no session policy);
* the monitor's resource-based policy (an Allow naming the role session substitutes for the
  identity policy in the same account);
* ``missing_keys="unknown"``: a condition on a key the linter cannot know keeps the answer open.
"""

from __future__ import annotations

from dataclasses import replace

from rumpolicy.findings import Location
from rumpolicy.iam.evaluator import Decision, EvaluationResult, PolicySet, evaluate, statement_matches
from rumpolicy.iam.principals import RequestPrincipal
from rumpolicy.model.arns import parse_arn, split_literal
from rumpolicy.model.policy import Node, PolicyDocument, PolicyRef, Principal
from rumpolicy.model.resources import AppMonitor, GuestRole, Role, RoleAttachment

ACTION = "rum:PutRumEvents"
BASIC_SESSION = "cwr"                                 # aws-rum-web BasicAuthentication.ts RoleSessionName
ENHANCED_SESSION = "CognitoIdentityCredentials"      # session name Cognito gives GetCredentialsForIdentity


def monitor_coverage(guest: GuestRole) -> dict[AppMonitor, EvaluationResult]:
    """For every monitor the guest role serves: does the role allow ``rum:PutRumEvents`` on it?

    Keys are the monitors of ``guest.monitors`` in their order (monitors compare by identity).
    """
    return {monitor: covers(guest, monitor) for monitor in guest.monitors}


def covers(guest: GuestRole, monitor: AppMonitor) -> EvaluationResult:
    """Does a browser session of this guest role get ``rum:PutRumEvents`` on ``monitor``?"""
    arn = monitor.arn
    if arn is None:
        return _unknown(f"the ARN of app monitor {monitor.subject} is not known, because its name could not "
                        "be resolved")
    role = guest.role
    if role is None:
        return _unknown(f"role {guest.subject} is not in the input")
    flows = guest.flows(monitor)
    enhanced_only = flows == {"enhanced"}
    policies = PolicySet(identity=[document(ref) for ref in role.policies],
                         boundary=[document(role.boundary)] if _has_boundary(role) else None,
                         session=[_session_policy()] if enhanced_only else None,
                         resource=_resource_documents(monitor))
    principal = session_principal(role, ENHANCED_SESSION if enhanced_only else BASIC_SESSION)
    return evaluate(policies, ACTION, arn, None, missing_keys="unknown", principal=principal)


def allowed(result: EvaluationResult) -> bool | None:
    """ALLOW -> True, DENY -> False, UNKNOWN -> None."""
    return {Decision.ALLOW: True, Decision.DENY: False}.get(result.decision)


def session_principal(role: Role, session: str) -> RequestPrincipal:
    """The assumed-role session a browser holds: ``arn:<p>:sts::<account>:assumed-role/<name>/<session>``."""
    parsed = parse_arn(role.arn)
    partition = parsed.partition if parsed else role.env.partition
    account = parsed.account if parsed and parsed.account else role.env.account
    if role.bare and parsed is None:
        # A bare permission policy given for a declared monitor is that monitor's account's role:
        # leave the account open so the evaluator takes the same-account path.
        account = None
    name = split_literal(parsed.resource, "/")[-1] if parsed else role.name
    arn = f"arn:{partition}:sts::{account}:assumed-role/{name}/{session}" if name and account else None
    return RequestPrincipal(arn=arn, account=account or None, role_arn=role.arn if isinstance(role.arn, str) else None)


def document(ref: PolicyRef | None) -> PolicyDocument:
    """The document of a policy reference; one that cannot be read when the input lacks it."""
    if ref is not None and ref.document is not None:
        return ref.document
    label = ref.label if ref is not None else "policy"
    location = ref.location if ref is not None else Location("<input>")
    return PolicyDocument(location, unknown=f"policy {label} is not part of the input", name=label)


def resource_policy_grants(monitor: AppMonitor) -> bool | None:
    """Does the monitor's resource-based policy allow ``rum:PutRumEvents`` to anyone, under any condition?

    This is the "is there an authorization path at all" question of RUM-MON-002/003: an Allow for
    ``Principal: "*"`` (public, unsigned clients), or for a role of a proxy or of an identity provider
    that vends credentials (options 3 and 5), is a path; whether its principal and conditions are
    right is for the RUM-RBP rules. Each Allow statement is matched on action and resource only.
    None when a policy or statement cannot be read (or the monitor's ARN is not known) and no other
    statement grants.
    """
    arn = monitor.arn
    result: bool | None = False
    for policy in monitor.resource_policies:
        doc = policy.document
        if doc is None or doc.unknown is not None:
            result = None
            continue
        for statement in doc.statements:
            if statement.effect not in ("Allow", None) and statement.unknown is None:
                continue
            if statement.unknown is not None:
                result = None
                continue
            if arn is None:
                result = None
                continue
            anyone = replace(statement, principal=Principal(statement.location, wildcard=True),
                             not_principal=None, conditions=())
            match = statement_matches(anyone, ACTION, arn, None, missing_keys="unknown", kind="resource",
                                      version=doc.version)
            if match is True:
                return True
            if match is None:
                result = None
    return result


# Inputs that declare a whole resource the way a create request does (CloudFormation, Terraform), as
# opposed to API output (``aws rum get-app-monitor``), which leaves out what other calls return
# (the resource policy) and fills in what the service derives (``DomainList`` from ``Domain``).
DECLARATIVE_KINDS = ("AWS::", "aws_", "awscc_")


def is_declaration(resource) -> bool:
    """Was this resource read from infrastructure code rather than from API output?"""
    return resource.kind.startswith(DECLARATIVE_KINDS)


def enhanced_role_arns(monitor: AppMonitor) -> list[tuple[RoleAttachment, Node]]:
    """The ``unauthenticated`` role ARNs attached to the monitor's identity pool (the enhanced flow's
    guest roles), except one written exactly like the monitor's ``GuestRoleArn``, which the
    ``GuestRoleArn`` checks (RUM-MON-004) already cover."""
    pool = monitor.identity_pool
    out = []
    for attachment in pool.attachments if pool is not None else ():
        node = attachment.role_arn("unauthenticated")
        if node is None:
            continue
        if monitor.guest_role_arn is not None and monitor.guest_role_arn.value == node.value:
            continue
        out.append((attachment, node))
    return out


def _has_boundary(role: Role) -> bool:
    return role.boundary is not None or role.permissions_boundary is not None


def _resource_documents(monitor: AppMonitor) -> list[PolicyDocument]:
    docs = []
    for policy in monitor.resource_policies:
        if policy.document is not None:
            docs.append(policy.document)
        else:
            docs.append(PolicyDocument(policy.location, unknown=f"{policy.subject} has no readable `PolicyDocument`",
                                       name=policy.subject))
    return docs


def _session_policy():
    from rumpolicy.iam.cognito import UNAUTH_SESSION_POLICY

    return UNAUTH_SESSION_POLICY


def _unknown(reason: str) -> EvaluationResult:
    return EvaluationResult(Decision.UNKNOWN, (), (reason,), ())
