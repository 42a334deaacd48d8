"""RUM-IAM-001/002: explicit deny, org levels, identity vs resource-based, boundary and session policy."""

from __future__ import annotations

import pytest

from rumpolicy.iam import Decision, PolicySet, RequestPrincipal, evaluate
from rumpolicy.model.locator import FixedLocator
from rumpolicy.model.policy import parse_policy
from rumpolicy.model.symbols import Unknown
from tests.iam.helpers import (ACCOUNT_TOKEN, ACTION, MONITOR, NO_ALLOW, OTHER_ACCOUNT, ROLE, SESSION,
                               allow, check, deny, policy)

CALLER = RequestPrincipal(arn=SESSION, role_arn=ROLE)
OUTSIDER = RequestPrincipal(arn=f"arn:aws:iam::{OTHER_ACCOUNT}:role/x")
UNCERTAIN = {"Condition": {"Bool": {"aws:SecureTransport": "true"}}}   # unknown: the key is not given


def rbp(*statements: dict):
    return policy(*statements, name="monitor-policy")


def allows_everything(kind: str) -> PolicySet:
    """A set where every layer allows, and the layer `kind` also holds a Deny for the request."""
    grants = {
        "identity": allow(), "boundary": allow(sid="B"), "session": allow(sid="S"),
        "resource": allow(sid="R", Principal={"AWS": ROLE}),
        "scp": allow(sid="O", Resource="*"), "rcp": allow(sid="C", Principal="*", Resource="*"),
    }

    def layer(name: str):
        statements = [grants[name]]
        if name == kind:
            statements.append(deny(Principal="*") if name in ("resource", "rcp") else deny())
        return policy(*statements)

    return PolicySet(identity=[layer("identity")], boundary=[layer("boundary")], session=[layer("session")],
                     resource=[layer("resource")], scps=[[layer("scp")]], rcps=[[layer("rcp")]])


@pytest.mark.parametrize("kind", ["identity", "boundary", "session", "resource", "scp", "rcp"])
def test_an_explicit_deny_in_any_kind_of_policy_decides(kind):
    result = evaluate(allows_everything(kind), ACTION, MONITOR, principal=CALLER)
    check(result, Decision.DENY, by=[(kind, "D")])
    assert result.reasons[0].startswith("explicitly denied by")


def test_the_same_set_without_the_deny_allows():
    result = evaluate(allows_everything("none"), ACTION, MONITOR, principal=CALLER)
    check(result, Decision.ALLOW, by=[("identity", "A"), ("boundary", "B"), ("session", "S"),
                                      ("resource", "R"), ("scp", "O"), ("rcp", "C")])


def test_everything_allowing_allows():
    result = evaluate(PolicySet(identity=[policy(allow())], boundary=[policy(allow(sid="B"))]),
                      ACTION, MONITOR, principal=CALLER)
    check(result, Decision.ALLOW, by=[("identity", "A"), ("boundary", "B")], reasons=())


def test_a_sure_deny_beats_an_unknown_allow():
    doc = policy(allow(**UNCERTAIN), deny())
    check(evaluate([doc], ACTION, MONITOR), Decision.DENY, by=[("identity", "D")])


def test_a_deny_of_unknown_applicability_makes_an_allow_unknown():
    doc = policy(allow(), deny(**UNCERTAIN))
    check(evaluate([doc], ACTION, MONITOR), Decision.UNKNOWN, by=[("identity", "D")],
          unknown_keys=("aws:SecureTransport",), reason_has="may deny it")


def test_a_deny_of_unknown_applicability_does_not_rescue_a_missing_allow():
    doc = policy(deny(**UNCERTAIN))
    check(evaluate([doc], ACTION, MONITOR), Decision.DENY, by=[], reasons=(NO_ALLOW,))


def test_every_scp_level_must_allow():
    root, ou = [policy(allow(sid="Root", Resource="*"))], [policy(allow(sid="Ou", Action="s3:*", Resource="*"))]
    result = evaluate(PolicySet(identity=[policy(allow())], scps=[root, ou]), ACTION, MONITOR)
    check(result, Decision.DENY, by=[], reasons=("no service control policy at level 2 allows it",))
    result = evaluate(PolicySet(identity=[policy(allow())], scps=[root, root]), ACTION, MONITOR)
    check(result, Decision.ALLOW, by=[("identity", "A"), ("scp", "Root")])


def test_an_empty_scp_level_allows_nothing_and_no_levels_restrict_nothing():
    check(evaluate(PolicySet(identity=[policy(allow())], scps=[[]]), ACTION, MONITOR), Decision.DENY,
          reasons=("no service control policy at level 1 allows it",))
    check(evaluate(PolicySet(identity=[policy(allow())], scps=[]), ACTION, MONITOR), Decision.ALLOW)


def test_every_rcp_level_must_allow():
    full = [policy(allow(sid="RCPFullAWSAccess", Principal="*", Action="*", Resource="*"))]
    narrow = [policy(allow(sid="OnlyS3", Principal="*", Action="s3:*", Resource="*"))]
    result = evaluate(PolicySet(identity=[policy(allow())], rcps=[full, narrow]), ACTION, MONITOR)
    check(result, Decision.DENY, reasons=("no resource control policy at level 2 allows it",))
    result = evaluate(PolicySet(identity=[policy(allow())], rcps=[full]), ACTION, MONITOR)
    check(result, Decision.ALLOW, by=[("identity", "A"), ("rcp", "RCPFullAWSAccess")])


def test_the_permissions_boundary_intersects_with_identity_policies():
    identity = [policy(allow())]
    only_s3 = [policy(allow(sid="B", Action="s3:*", Resource="*"))]
    check(evaluate(PolicySet(identity=identity, boundary=only_s3), ACTION, MONITOR), Decision.DENY,
          by=[], reasons=("the permissions boundary does not allow it", "no resource-based policy allows it"))
    check(evaluate(PolicySet(identity=identity, boundary=[]), ACTION, MONITOR), Decision.DENY,
          reason_has="the permissions boundary does not allow it")
    check(evaluate(PolicySet(identity=identity, boundary=None), ACTION, MONITOR), Decision.ALLOW,
          by=[("identity", "A")])


def test_the_session_policy_intersects_with_identity_policies():
    identity = [policy(allow(Action="rum:*", Resource="*"))]
    session = [policy(allow(sid="S", Resource="*"))]
    check(evaluate(PolicySet(identity=identity, session=session), ACTION, MONITOR), Decision.ALLOW,
          by=[("identity", "A"), ("session", "S")])
    check(evaluate(PolicySet(identity=identity, session=session), "rum:PutResourcePolicy", MONITOR),
          Decision.DENY, reasons=("the session policy does not allow it", "no resource-based policy allows it"))
    check(evaluate(PolicySet(identity=identity, session=[]), ACTION, MONITOR), Decision.DENY,
          reason_has="the session policy does not allow it")


def test_same_account_identity_or_resource_policy_suffices():
    grant = rbp(allow(sid="R", Principal={"AWS": SESSION}))
    check(evaluate(PolicySet(resource=[grant]), ACTION, MONITOR, principal=CALLER), Decision.ALLOW,
          by=[("resource", "R")])
    check(evaluate(PolicySet(identity=[policy(allow())]), ACTION, MONITOR, principal=CALLER), Decision.ALLOW,
          by=[("identity", "A")])
    check(evaluate(PolicySet(), ACTION, MONITOR, principal=CALLER), Decision.DENY, by=[], reasons=(NO_ALLOW,))


def test_cross_account_needs_both():
    identity = [policy(allow())]
    grant = rbp(allow(sid="R", Principal={"AWS": OUTSIDER.arn}))
    check(evaluate(PolicySet(identity=identity), ACTION, MONITOR, principal=OUTSIDER), Decision.DENY,
          by=[], reasons=("cross-account request: no resource-based policy allows it",))
    check(evaluate(PolicySet(resource=[grant]), ACTION, MONITOR, principal=OUTSIDER), Decision.DENY,
          reasons=("cross-account request: no identity-based policy allows it",))
    check(evaluate(PolicySet(identity=identity, resource=[grant]), ACTION, MONITOR, principal=OUTSIDER),
          Decision.ALLOW, by=[("identity", "A"), ("resource", "R")])


def test_a_caller_account_known_only_at_deploy_is_unknown_only_when_the_readings_differ():
    caller = RequestPrincipal(arn=f"arn:aws:iam::{ACCOUNT_TOKEN}:role/guest")
    identity = [policy(allow())]
    result = evaluate(PolicySet(identity=identity), ACTION, MONITOR, principal=caller)
    check(result, Decision.UNKNOWN, by=[("identity", "A")],
          reasons=("whether the caller is in the resource's account is known only at deploy time",))
    grant = rbp(allow(sid="R", Principal={"AWS": caller.arn}))
    check(evaluate(PolicySet(identity=identity, resource=[grant]), ACTION, MONITOR, principal=caller),
          Decision.ALLOW, by=[("identity", "A"), ("resource", "R")])


class TestRoleOrSessionArn:
    """RUM-IAM-001 nuance: a grant to the role ARN vs the session ARN with a boundary or session policy."""

    def test_a_grant_to_the_role_with_a_limiting_boundary_is_unknown(self):
        grant = rbp(allow(sid="R", Principal={"AWS": ROLE}))
        result = evaluate(PolicySet(resource=[grant], boundary=[]), ACTION, MONITOR, principal=CALLER)
        check(result, Decision.UNKNOWN, by=[("resource", "R")], reason_has="rather than the session ARN")
        assert "the permissions boundary does not allow it" in result.reasons

    def test_a_grant_to_the_role_with_a_limiting_session_policy_is_unknown(self):
        grant = rbp(allow(sid="R", Principal="*"))
        only_s3 = [policy(allow(sid="S", Action="s3:*", Resource="*"))]
        result = evaluate(PolicySet(resource=[grant], session=only_s3), ACTION, MONITOR, principal=CALLER)
        check(result, Decision.UNKNOWN, by=[("resource", "R")], reason_has="session policy limits")

    def test_a_grant_to_the_session_arn_is_not_limited(self):
        grant = rbp(allow(sid="R", Principal={"AWS": SESSION}))
        result = evaluate(PolicySet(resource=[grant], boundary=[]), ACTION, MONITOR, principal=CALLER)
        check(result, Decision.ALLOW, by=[("resource", "R")])

    def test_a_grant_to_the_role_within_the_boundary_allows_either_way(self):
        grant = rbp(allow(sid="R", Principal={"AWS": ROLE}))
        boundary = [policy(allow(sid="B", Resource="*"))]
        result = evaluate(PolicySet(resource=[grant], boundary=boundary), ACTION, MONITOR, principal=CALLER)
        check(result, Decision.ALLOW, by=[("resource", "R")])

    def test_without_boundary_or_session_policy_the_grant_to_the_role_allows(self):
        grant = rbp(allow(sid="R", Principal={"AWS": ROLE}))
        check(evaluate(PolicySet(resource=[grant]), ACTION, MONITOR, principal=CALLER), Decision.ALLOW,
              by=[("resource", "R")])


def test_unknown_propagates_through_and_but_not_through_a_granting_or():
    identity = [policy(allow())]
    doubtful_boundary = [policy(allow(sid="B", **UNCERTAIN))]
    result = evaluate(PolicySet(identity=identity, boundary=doubtful_boundary), ACTION, MONITOR)
    check(result, Decision.UNKNOWN, by=[("boundary", "B")], unknown_keys=("aws:SecureTransport",))
    grant = rbp(allow(sid="R", Principal={"AWS": SESSION}))
    result = evaluate(PolicySet(identity=[policy(allow(**UNCERTAIN))], resource=[grant]), ACTION, MONITOR,
                      principal=CALLER)
    check(result, Decision.ALLOW, by=[("resource", "R")])


def test_an_unresolved_boundary_is_unknown():
    boundary = parse_policy(Unknown("Fn::ImportValue Boundary"), "", FixedLocator("stack"), name="boundary")
    result = evaluate(PolicySet(identity=[policy(allow())], boundary=[boundary]), ACTION, MONITOR)
    check(result, Decision.UNKNOWN, by=[("boundary", None)], reason_has="Fn::ImportValue Boundary")


class TestUnsignedRequests:
    def test_a_public_resource_policy_allows(self):
        public = rbp(allow(sid="Public", Principal="*"))
        result = evaluate(PolicySet(resource=[public]), ACTION, MONITOR,
                          principal=RequestPrincipal(anonymous=True))
        check(result, Decision.ALLOW, by=[("resource", "Public")])

    def test_identity_policies_do_not_apply(self):
        result = evaluate(PolicySet(identity=[policy(allow())], boundary=[policy(deny())]), ACTION, MONITOR,
                          principal=RequestPrincipal(anonymous=True))
        check(result, Decision.DENY, by=[], reasons=("an unsigned request has no identity-based policies",
                                                     "no resource-based policy allows it"))


def test_bool_of_a_result_is_refused():
    result = evaluate([policy(allow())], ACTION, MONITOR)
    with pytest.raises(TypeError, match="three outcomes"):
        bool(result)


def test_invalid_arguments_are_caller_errors():
    with pytest.raises(ValueError, match="missing_keys"):
        evaluate([], ACTION, MONITOR, missing_keys="maybe")
    with pytest.raises(TypeError, match="context value"):
        evaluate([], ACTION, MONITOR, {"aws:username": {"nested": "dict"}})
