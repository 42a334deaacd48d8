"""RUM-IAM-007: Principal and NotPrincipal in resource-based policies (trust policies, RUM policies)."""

from __future__ import annotations

import pytest

from rumpolicy.iam import Decision, PolicySet, RequestPrincipal, evaluate
from tests.iam.helpers import (ACCOUNT, ACCOUNT_TOKEN, ACTION, MONITOR, NO_ALLOW, OTHER_ACCOUNT, ROLE, SESSION,
                               allow, check, policy)

GUEST_SESSION = RequestPrincipal(arn=SESSION, role_arn=ROLE)
ANONYMOUS = RequestPrincipal(anonymous=True)
WEB_IDENTITY = RequestPrincipal(federated="cognito-identity.amazonaws.com")
TRUST = ("sts:AssumeRoleWithWebIdentity", ROLE)    # a trust policy is the role's resource-based policy


def granted(principal_element: object, caller: RequestPrincipal | None, *, not_principal: bool = False,
            request: tuple[str, str] = (ACTION, MONITOR)):
    element = {"NotPrincipal" if not_principal else "Principal": principal_element}
    doc = policy(allow(sid="R", Action=request[0], Resource=None, **element))
    return evaluate(PolicySet(resource=[doc]), *request, principal=caller)


@pytest.mark.parametrize("caller", [ANONYMOUS, GUEST_SESSION, WEB_IDENTITY, None])
def test_bare_star_matches_everyone_including_unsigned_callers(caller):
    check(granted("*", caller), Decision.ALLOW, by=[("resource", "R")])


def test_aws_star_matches_signed_callers_and_is_unknown_for_unsigned_ones():
    check(granted({"AWS": "*"}, GUEST_SESSION), Decision.ALLOW, by=[("resource", "R")])
    check(granted({"AWS": "*"}, ANONYMOUS), Decision.UNKNOWN, by=[("resource", "R")], reason_has="Q16")


@pytest.mark.parametrize("value", [ACCOUNT, f"arn:aws:iam::{ACCOUNT}:root", [OTHER_ACCOUNT, ACCOUNT]])
def test_an_account_principal_matches_callers_of_that_account(value):
    check(granted({"AWS": value}, GUEST_SESSION), Decision.ALLOW, by=[("resource", "R")])


def test_an_account_principal_does_not_match_another_account_or_an_unsigned_caller():
    outsider = RequestPrincipal(arn=f"arn:aws:iam::{OTHER_ACCOUNT}:role/x")
    check(granted({"AWS": ACCOUNT}, outsider), Decision.DENY,
          reasons=("cross-account request: no identity-based or resource-based policy allows it",))
    check(granted({"AWS": ACCOUNT}, ANONYMOUS), Decision.DENY,
          reasons=("an unsigned request has no identity-based policies", "no resource-based policy allows it"))


@pytest.mark.parametrize("caller", [GUEST_SESSION, RequestPrincipal(arn=ROLE)])
def test_a_role_principal_matches_the_role_and_its_sessions(caller):
    check(granted({"AWS": ROLE}, caller), Decision.ALLOW, by=[("resource", "R")])


def test_a_role_principal_does_not_match_another_role():
    other = RequestPrincipal(arn=f"arn:aws:iam::{ACCOUNT}:role/admin")
    check(granted({"AWS": ROLE}, other), Decision.DENY, by=[], reasons=(NO_ALLOW,))


def test_federated_cognito_principal_in_a_trust_policy():
    cognito = {"Federated": "cognito-identity.amazonaws.com"}
    check(granted(cognito, WEB_IDENTITY, request=TRUST), Decision.ALLOW, by=[("resource", "R")])
    check(granted({"Federated": ["accounts.google.com", "cognito-identity.amazonaws.com"]}, WEB_IDENTITY,
                  request=TRUST), Decision.ALLOW, by=[("resource", "R")])
    check(granted(cognito, RequestPrincipal(federated="accounts.google.com"), request=TRUST), Decision.DENY,
          reasons=(NO_ALLOW,))
    check(granted({"AWS": ROLE}, WEB_IDENTITY, request=TRUST), Decision.DENY, reasons=(NO_ALLOW,))


def test_service_principal():
    caller = RequestPrincipal(service="rum.amazonaws.com")
    check(granted({"Service": "rum.amazonaws.com"}, caller), Decision.ALLOW, by=[("resource", "R")])
    check(granted({"Service": "s3.amazonaws.com"}, caller), Decision.DENY, reasons=(NO_ALLOW,))


def test_not_principal_inverts():
    check(granted({"AWS": ROLE}, GUEST_SESSION, not_principal=True), Decision.DENY, reasons=(NO_ALLOW,))
    other = RequestPrincipal(arn=f"arn:aws:iam::{ACCOUNT}:role/admin")
    check(granted({"AWS": ROLE}, other, not_principal=True), Decision.ALLOW, by=[("resource", "R")])


def test_a_wildcard_inside_a_principal_value_is_unknown():
    check(granted({"AWS": f"arn:aws:iam::{ACCOUNT}:role/*"}, GUEST_SESSION), Decision.UNKNOWN,
          by=[("resource", "R")], reason_has="wildcard")


def test_tokens_in_principal_values():
    token_monitor = (ACTION, f"arn:aws:rum:us-east-1:{ACCOUNT_TOKEN}:appmonitor/web")
    caller_with_token = RequestPrincipal(arn=f"arn:aws:iam::{ACCOUNT_TOKEN}:role/guest")
    check(granted({"AWS": ACCOUNT_TOKEN}, caller_with_token, request=token_monitor), Decision.ALLOW,
          by=[("resource", "R")])
    check(granted({"AWS": ACCOUNT_TOKEN}, GUEST_SESSION), Decision.UNKNOWN, by=[("resource", "R")],
          reason_has="deploy time")
    token_role = f"arn:aws:iam::{ACCOUNT_TOKEN}:role/guest"
    check(granted({"AWS": token_role}, RequestPrincipal(arn=f"arn:aws:iam::{ACCOUNT}:role/other")),
          Decision.DENY, reasons=(NO_ALLOW,))


def test_an_unknown_caller_is_unknown_unless_the_principal_is_the_bare_star():
    check(granted({"AWS": ROLE}, None), Decision.UNKNOWN, by=[("resource", "R")],
          reason_has="the request principal is not given")


def test_a_resource_based_statement_without_principal_is_unknown():
    doc = policy(allow(sid="R", Resource=None))
    result = evaluate(PolicySet(resource=[doc]), ACTION, MONITOR, principal=GUEST_SESSION)
    check(result, Decision.UNKNOWN, by=[("resource", "R")], reason_has="needs `Principal`")


def test_identity_policies_ignore_principal():
    doc = policy(allow(Principal={"AWS": f"arn:aws:iam::{OTHER_ACCOUNT}:root"}))
    check(evaluate(PolicySet(identity=[doc]), ACTION, MONITOR, principal=GUEST_SESSION), Decision.ALLOW,
          by=[("identity", "A")])
