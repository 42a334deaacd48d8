"""What the trust, permission and resource-policy rules ask of policies, asked once.

* which statements of a role's identity policies grant an action (``allowing``, ``grants_on``), and
  where to point at them (``Grant.at``, ``relocate``: a policy that is not in the input, such as an
  AWS managed policy rumpolicy ships the text of, is located at the place that attaches it); which
  of them could not be read (``unread_policies``);
* which trust statements admit Cognito web identities (``cognito_trust_statements``) and which pool
  ids a guest role's trust policy must admit (``required_pools``, ``same_pool``);
* whether a principal is public (``is_public``) or a wildcard (``is_wildcard_principal``);
* which conditions a browser request can never satisfy (``browser_blockers``) and which are merely
  spoofable (``SPOOFABLE_KEYS``, ``only_spoofable``);
* the request a Cognito-signed browser makes (``signed_browser_principal``, ``signed_browser_context``);
* whether Cognito's enhanced-flow session policy leaves an action usable (``survives_session_policy``),
  and which services it could leave any action of (``session_policy_services``);
* the corrected snippets the rules offer as remediation (``trust_statement_fix``,
  ``put_statement_fix``), as edits of the role they fix (``rumpolicy.model.messages``), and
  the wording of lists in messages (``sample``, ``worst_first``).

Every "does X allow Y" question goes to the IAM evaluator (``rumpolicy.iam``); this module only
selects statements, states what is known about a browser's request, and describes.
"""

from __future__ import annotations

import re
from dataclasses import replace
from functools import lru_cache
from typing import Iterable, Iterator

from rumpolicy.findings import Location
from rumpolicy.iam import RequestPrincipal, match_action, statement_matches
from rumpolicy.model.arns import parse_arn, same, split_literal
from rumpolicy.model.policy import ConditionClause, Node, PolicyDocument, PolicyRef, Principal, Statement
from rumpolicy.model.dialect import Dialect, dialect_of, same_module
from rumpolicy.model.messages import AddStatement
from rumpolicy.model.resources import AppMonitor, GuestRole, IdentityPool, Resource, ResourcePolicy, Role
from rumpolicy.model.symbols import ATTR, PSEUDO, REF, Symbol, Unknown, parts, render, token
from rumpolicy.records import value_type

PUT_RUM_EVENTS = "rum:PutRumEvents"
LOG_EVENTS = "rum:LogEvents"                     # the client's action before 2021 (aws-rum-web#19)
ASSUME_WEB_IDENTITY = "sts:AssumeRoleWithWebIdentity"
ASSUME_ACTIONS = ("sts:AssumeRole", "sts:AssumeRoleWithWebIdentity", "sts:AssumeRoleWithSAML")
COGNITO = "cognito-identity.amazonaws.com"
AUD = f"{COGNITO}:aud"
AMR = f"{COGNITO}:amr"
SUB = f"{COGNITO}:sub"
UNAUTHENTICATED = "unauthenticated"
UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")

# Condition keys a browser can set at will: they narrow nothing against a determined sender.
SPOOFABLE_KEYS = frozenset({"aws:referer", "aws:useragent"})


# ----------------------------------------------------------------------------- identity policies

@value_type(slots=False)
class Grant:
    """One statement of one of a role's identity policies."""

    ref: PolicyRef
    statement: Statement

    @property
    def external(self) -> bool:
        """The document is not in the input (e.g. an AWS managed policy rumpolicy ships)."""
        doc = self.ref.document
        return doc is not None and doc.location.source != self.ref.location.source

    def at(self, location: Location | None = None) -> Location:
        """Where to report about this statement (or one of its nodes): the attachment for external ones."""
        if self.external:
            return self.ref.location
        return location or self.statement.location

    @property
    def label(self) -> str:
        return self.ref.label


def identity_grants(role: Role) -> Iterator[Grant]:
    """Every statement of every identity policy of the role whose document the input has."""
    for ref in role.policies:
        if ref.document is None:
            continue
        for statement in ref.document.statements:
            yield Grant(ref, statement)


def covers_action(statement: Statement, action: str) -> bool | None:
    """Do the statement's ``Action``/``NotAction`` cover ``action`` (whatever its Effect)? None if unreadable."""
    if statement.actions is not None and any(match_action(n.value, action) for n in statement.actions):
        return True
    if statement.unknown is not None:
        return None
    if statement.actions is not None:
        return False
    if statement.not_actions is not None:
        return not any(match_action(n.value, action) for n in statement.not_actions)
    return None


def action_nodes(statement: Statement, action: str) -> list[Node]:
    """The ``Action`` entries that match ``action`` (empty for a ``NotAction`` statement)."""
    return [n for n in statement.actions or () if match_action(n.value, action)]


def allowing(role: Role, action: str) -> list[Grant]:
    """Allow statements of the role's identity policies whose action part covers ``action``."""
    return [g for g in identity_grants(role) if g.statement.is_allow and covers_action(g.statement, action)]


def grants_on(grant: Grant, action: str, arn: str) -> bool | None:
    """Does the statement cover ``action`` on ``arn`` when its conditions are set aside?"""
    bare = replace(grant.statement, conditions=())
    return statement_matches(bare, action, arn, None, missing_keys="unknown",
                             version=grant.ref.document.version if grant.ref.document else None)


# ----------------------------------------------------------------------------- principals

def is_public(principal: Principal | None) -> bool:
    """``"*"`` or ``{"AWS": "*"}``: anyone (signed by any account, or unsigned)."""
    if principal is None:
        return False
    return principal.wildcard or any(n.value == "*" for n in principal.values("AWS"))


def is_wildcard_principal(principal: Principal | None) -> bool:
    """``"*"``, ``{"AWS": "*"}`` or ``{"Federated": "*"}``."""
    if principal is None:
        return False
    return principal.wildcard or any(n.value == "*" for kind in ("AWS", "Federated")
                                     for n in principal.values(kind))


def names_cognito(principal: Principal | None) -> bool:
    """``Principal.Federated`` is (or contains) ``cognito-identity.amazonaws.com``."""
    if principal is None:
        return False
    return any(isinstance(n.value, str) and n.value.lower() == COGNITO for n in principal.values("Federated"))


def cognito_trust_statements(doc: PolicyDocument | None) -> list[Statement]:
    """Allow statements of a trust policy that let Cognito web identities assume the role."""
    if doc is None:
        return []
    return [s for s in doc.statements
            if s.is_allow and names_cognito(s.principal) and covers_action(s, ASSUME_WEB_IDENTITY)]


# ----------------------------------------------------------------------------- pools

@value_type(slots=False)
class PoolNeed:
    """An identity pool whose guests must be able to assume the role, and who says so."""

    pool_id: str
    label: str                       # how messages name it


def required_pools(guest: GuestRole) -> list[PoolNeed]:
    """Pool ids a guest role's trust policy must admit: its monitors' pools and the pools attaching it."""
    out: list[PoolNeed] = []

    def add(pool_id: object, label: str) -> None:
        if isinstance(pool_id, str) and pool_id and all(same_pool(pool_id, n.pool_id) is not True for n in out):
            out.append(PoolNeed(pool_id, label))

    for monitor in guest.monitors:
        pool = monitor.identity_pool
        if pool is not None:
            add(pool.pool_id, pool_label(pool))
        elif monitor.identity_pool_id is not None:
            add(monitor.identity_pool_id.value, render(monitor.identity_pool_id.value))
    for pool in guest.pools:
        add(pool.pool_id, pool_label(pool))
    return out


def pool_label(pool: IdentityPool) -> str:
    if pool.pool_id and not _is_single_token(pool.pool_id):
        return render(pool.pool_id)
    return pool.subject


def _is_single_token(value: str) -> Symbol | None:
    pieces = parts(value)
    return pieces[0] if len(pieces) == 1 and isinstance(pieces[0], Symbol) else None


def same_pool(a: object, b: object) -> bool | None:
    """Are two pool ids the same pool? Exact and case-sensitive; ``!Ref A`` and ``!Ref B`` differ.

    Two distinct resources of one template always have distinct physical ids, so two different
    ``Ref`` tokens are different pools; any other token against a literal is for the deploy to decide.
    """
    if isinstance(a, Unknown) or isinstance(b, Unknown):
        return None
    if isinstance(a, str) and isinstance(b, str):
        ta, tb = _is_single_token(a), _is_single_token(b)
        if ta and tb and ta.kind == REF and tb.kind == REF and ta.detail != tb.detail:
            return False
    return same(a, b)


# ----------------------------------------------------------------------------- conditions

def describe_clause(clause: ConditionClause) -> str:
    values = ", ".join(render(v) if isinstance(v, str) else str(v).lower() if isinstance(v, bool) else str(v)
                       for v in clause.values)
    return f"{clause.operator} {clause.key} {values}"


def _negated(clause: ConditionClause) -> bool:
    return "not" in clause.base_operator.lower() and clause.base_operator != "Null"


def _truthy(values: Iterable[object]) -> bool:
    return any(v is True or (isinstance(v, str) and v.lower() == "true") for v in values)


def browser_blocker(clause: ConditionClause) -> str | None:
    """Why a request from a browser can never satisfy this clause, or None if it might.

    Browsers call RUM directly over the internet with credentials of a Cognito guest session: the
    request comes from no VPC or VPC endpoint, through no AWS service, without MFA. A clause that
    requires such a key to be present (a positive operator without ``IfExists``, or ``Null: false``)
    therefore fails. ``aws:PrincipalOrgID``/``aws:PrincipalOrgPaths`` hold only when the role's
    account belongs to that organization, which the input does not show.
    """
    key = clause.key.lower()
    if clause.base_operator == "Null":
        if key in _VPC_KEYS | _VIA_KEYS and any(str(v).lower() == "false" for v in clause.values):
            return f"`{clause.key}` is never present on a browser request"
        return None
    if clause.if_exists or _negated(clause) or clause.set_qualifier == "ForAllValues":
        return None
    if key in _VPC_KEYS:
        return f"browsers do not call RUM from your VPC, so `{clause.key}` is never present"
    if key in _VIA_KEYS:
        return f"browsers call RUM directly, never through an AWS service, so `{clause.key}` is never present"
    if key == "aws:viaawsservice" and _truthy(clause.values):
        return "browsers call RUM directly, so `aws:ViaAWSService` is false"
    if key == "aws:multifactorauthpresent" and _truthy(clause.values):
        return "Cognito guest sessions are never MFA-authenticated"
    if key in ("aws:principalorgid", "aws:principalorgpaths"):
        return (f"`{clause.key}` holds only if the role's account belongs to that organization, "
                "which rumpolicy cannot see")
    return None


_VPC_KEYS = frozenset({"aws:sourcevpc", "aws:sourcevpce", "aws:sourcevpcarn", "aws:vpcsourceip"})
_VIA_KEYS = frozenset({"aws:calledvia", "aws:calledviafirst", "aws:calledvialast"})


def browser_blockers(statement: Statement) -> list[tuple[ConditionClause, str]]:
    return [(c, why) for c in statement.conditions if (why := browser_blocker(c)) is not None]


def only_spoofable(statement: Statement) -> bool:
    """The statement has conditions, and all of them are on keys a browser sets itself."""
    return bool(statement.conditions) and all(c.key.lower() in SPOOFABLE_KEYS for c in statement.conditions)


# ----------------------------------------------------------------------------- signed browser requests

def signed_browser_principal(monitor: AppMonitor) -> RequestPrincipal:
    """The Cognito guest session of this monitor's browsers, as far as the input says.

    The role is the monitor's ``GuestRoleArn`` (basic flow) or else the pool's ``unauthenticated``
    role (enhanced flow); without either, only the monitor's account is known.
    """
    from rumpolicy.chain.coverage import BASIC_SESSION, ENHANCED_SESSION

    candidates: list[tuple[object, str]] = []
    if monitor.guest_role_arn is not None:
        candidates.append((monitor.guest_role_arn.value, BASIC_SESSION))
    if monitor.identity_pool is not None:
        for attachment in monitor.identity_pool.attachments:
            node = attachment.role_arn(UNAUTHENTICATED)
            if node is not None:
                candidates.append((node.value, ENHANCED_SESSION))
    for value, session in candidates:
        arn = parse_arn(value)
        if arn is None or arn.service != "iam" or arn.resource_type != "role":
            continue
        name = split_literal(arn.resource, "/")[-1]
        session_arn = f"arn:{arn.partition}:sts::{arn.account}:assumed-role/{name}/{session}"
        return RequestPrincipal(arn=session_arn, account=arn.account or None, role_arn=arn.text)
    return RequestPrincipal(account=monitor.env.account or None)


def signed_browser_context(principal: RequestPrincipal) -> dict[str, object]:
    """Condition keys known for a Cognito-signed browser request; the rest stay unknown."""
    context: dict[str, object] = {
        "aws:SecureTransport": True,
        "aws:ViaAWSService": False,
        "aws:SourceVpc": None,
        "aws:SourceVpce": None,
        "aws:CalledVia": None,
        "aws:PrincipalType": "AssumedRole",
    }
    if principal.account_id:
        context["aws:PrincipalAccount"] = principal.account_id
    if principal.role_arn:
        context["aws:PrincipalArn"] = principal.role_arn
    return context


# ----------------------------------------------------------------------------- ARNs

def appmonitor_name(resource: str) -> str | None:
    """The name part of a RUM app-monitor ARN pattern, or None if it is not one."""
    arn = parse_arn(resource)
    if arn is None or arn.service != "rum" or arn.resource_type != "appmonitor":
        return None
    return arn.resource_id


def is_monitor_id(segment: str) -> bool:
    """A UUID, ``!GetAtt <Monitor>.Id`` or Terraform's ``<monitor>.app_monitor_id``: an app monitor's
    ID where IAM wants its name."""
    if UUID.match(segment):
        return True
    token = _is_single_token(segment)
    return bool(token and token.kind == ATTR and token.detail.endswith((".Id", ".app_monitor_id")))


def has_glob(value: str) -> bool:
    """Does the literal part of a value hold ``*`` or ``?``?"""
    return any(isinstance(p, str) and ("*" in p or "?" in p) for p in parts(value))


@lru_cache(maxsize=4096)
def survives_session_policy(action: str) -> bool | None:
    """Does Cognito's scope-down session policy for guests leave ``action`` usable?"""
    from rumpolicy.iam import Decision, evaluate
    from rumpolicy.iam.cognito import UNAUTH_SESSION_POLICY

    if not _session_prefix(action.partition(":")[0].lower()):
        return False                     # cheap first: no statement of it names the service
    plain = _plain_session_allow()
    if plain is not None:
        return action in plain           # same answer as the evaluator, a thousand times faster
    result = evaluate(UNAUTH_SESSION_POLICY, action, "*", None, missing_keys="unknown")
    return {Decision.ALLOW: True, Decision.DENY: False}.get(result.decision)


# ----------------------------------------------------------------------------- trust policies

def trust_policy(guest: GuestRole) -> PolicyDocument | None:
    """The guest role's trust policy when it can be read; None when absent or unreadable."""
    role = guest.role
    doc = role.trust_policy if role is not None else None
    if doc is None or doc.unknown is not None:
        return None
    return doc


def trust_statement_fix(guest: GuestRole) -> AddStatement:
    """The trust statement a guest role needs, for this role's pools (an edit of its trust policy)."""
    pools = [need.pool_id for need in required_pools(guest)] or ["<identity pool id>"]
    statement = {
        "Effect": "Allow",
        "Principal": {"Federated": COGNITO},
        "Action": ASSUME_WEB_IDENTITY,
        "Condition": {
            "StringEquals": {AUD: pools[0] if len(pools) == 1 else pools},
            "ForAnyValue:StringLike": {AMR: UNAUTHENTICATED},
        },
    }
    return AddStatement(guest, statement, "assume_role_policy")


def relocate(role: Role, policy: PolicyDocument, location: Location) -> Location:
    """A location inside ``policy``; the attachment instead when the document is not in the input."""
    refs = list(role.policies) + ([role.boundary] if role.boundary is not None else [])
    for ref in refs:
        if ref.document is policy and policy.location.source != ref.location.source:
            return ref.location
    return location


def put_statement_fix(role: Resource, monitors: Iterable[AppMonitor], *, comment: str | None = None) -> AddStatement | None:
    """An identity-policy statement for ``role`` allowing ``rum:PutRumEvents`` on exactly these monitors
    (``comment`` leads it where the dialect has comments); None when no monitor's ARN is known."""
    resources = [monitor_arn_reference(role, m) for m in monitors if m.arn]
    if not resources:
        return None
    statement = {"Effect": "Allow", "Action": PUT_RUM_EVENTS,
                 "Resource": resources[0] if len(resources) == 1 else resources}
    return AddStatement(role, statement, "policy", comment=comment)


def monitor_arn_reference(target: Resource, monitor: AppMonitor) -> str:
    """The monitor's ARN as a fix in ``target`` writes it, by reference where the input can refer to it:
    Terraform's ``aws_rum_app_monitor.<name>.arn`` of the same module; in the same CloudFormation
    template, ``arn:${AWS::Partition}:rum:${AWS::Region}:${AWS::AccountId}:appmonitor/${Monitor}`` (a
    monitor's ``Ref`` is its name, so a `Name` given by a parameter stays one); elsewhere the ARN itself,
    its deploy-time parts as tokens."""
    if (dialect_of(target) is Dialect.TERRAFORM and monitor.kind == "aws_rum_app_monitor"
            and same_module(target, monitor)):
        return token(ATTR, f"{monitor.subject}.arn")
    if (dialect_of(target) is Dialect.CLOUDFORMATION and monitor.kind == "AWS::RUM::AppMonitor"
            and monitor.location.source == target.location.source):
        pseudo = {name: token(PSEUDO, f"AWS::{name}") for name in ("Partition", "Region", "AccountId")}
        return (f"arn:{pseudo['Partition']}:rum:{pseudo['Region']}:{pseudo['AccountId']}:appmonitor/"
                f"{token(REF, monitor.subject)}")
    return monitor.arn


@lru_cache(maxsize=1)
def _plain_session_allow():
    """The session policy's actions as one ActionSet when it is only unconditional ``Allow`` of
    ``Action`` on ``Resource: *`` (as shipped); then no evaluation is needed per action. Else None."""
    from rumpolicy.iam.action_sets import ActionSet
    from rumpolicy.iam.cognito import UNAUTH_SESSION_POLICY

    patterns: list[str] = []
    for statement in UNAUTH_SESSION_POLICY.statements:
        if (not statement.is_allow or statement.unknown is not None or statement.actions is None
                or statement.conditions or [n.value for n in statement.resources or ()] != ["*"]):
            return None
        patterns.extend(str(n.value) for n in statement.actions)
    return ActionSet(tuple(patterns))


@lru_cache(maxsize=1)
def session_policy_services() -> tuple[str, ...] | None:
    """The services whose actions Cognito's session policy can leave usable, or None if it names no
    finite set (a ``NotAction`` or a wildcard service): only their actions need asking about."""
    from rumpolicy.iam.cognito import UNAUTH_SESSION_POLICY

    services: dict[str, None] = {}
    for statement in UNAUTH_SESSION_POLICY.statements:
        if statement.is_deny:
            continue
        if statement.actions is None:
            return None
        for node in statement.actions:
            prefix, colon, _ = str(node.value).partition(":")
            if not colon or "*" in prefix or "?" in prefix:
                return None
            services[prefix.lower()] = None
    return tuple(services)


@lru_cache(maxsize=1024)
def _session_prefix(prefix: str) -> bool:
    """Could any action of this service prefix be allowed by Cognito's session policy?"""
    services = session_policy_services()
    if services is not None:
        return prefix.lower() in services
    from rumpolicy.iam import glob_intersects
    from rumpolicy.iam.cognito import UNAUTH_SESSION_POLICY

    # The policy names no finite set of services (a wildcard service or NotAction): ask each Allow.
    for statement in UNAUTH_SESSION_POLICY.statements:
        if statement.is_deny:
            continue
        if statement.actions is None:
            return True
        if any(glob_intersects(n.value.lower(), f"{prefix}:*") for n in statement.actions):
            return True
    return False


# ----------------------------------------------------------------------------- resource-based policies

def readable_resource_policy(policy: ResourcePolicy) -> tuple[PolicyDocument | None, str | None]:
    """The resource policy's document when the rules can read it.

    ``(document, None)``: usable. ``(None, reason)``: it could not be resolved (report as undecided).
    ``(None, None)``: absent or malformed, which RUM-RBP-009 reports; other rules have nothing to add.
    """
    doc = policy.document
    if doc is None:
        return None, None
    if doc.problems:
        return None, None
    if doc.unknown is not None:
        return None, doc.unknown
    return doc, None


# Named first in messages: what an anonymous sender could do with them is worst.
WORST_RUM_ACTIONS = ("rum:PutResourcePolicy", "rum:UpdateAppMonitor", "rum:DeleteAppMonitor", "rum:GetAppMonitorData")


def worst_first(actions: Iterable[str]) -> list[str]:
    """Actions sorted for a message: the dangerous RUM ones, then the rest alphabetically."""
    items = sorted(set(actions))
    lowered = {a.lower(): a for a in items}
    head = [lowered[w.lower()] for w in WORST_RUM_ACTIONS if w.lower() in lowered]
    return head + [a for a in items if a not in head]


def sample(actions: list[str], shown: int = 3) -> str:
    """``a``, ``b``, ``c`` and 16 more actions."""
    text = ", ".join(f"`{a}`" for a in actions[:shown])
    more = len(actions) - shown
    return f"{text} and {more} more action{'s' if more != 1 else ''}" if more > 0 else text


def unread_policies(role: Role) -> list[PolicyRef]:
    """Identity policies of the role whose document is not in the input or could not be resolved."""
    return [ref for ref in role.policies if ref.document is None or ref.document.unknown is not None]
