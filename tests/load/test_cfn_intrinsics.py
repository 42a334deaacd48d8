"""Intrinsic functions: what resolves, what stays symbolic, and what becomes Unknown (and is recorded)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rumpolicy.load.cfn_intrinsics import NO_VALUE, Resolver, StackEnv
from rumpolicy.model.symbols import ATTR, IMPORT, OPAQUE, PARAM, PSEUDO, REF, Unknown, symbols_in, token
from tests.conftest import examples

REGION = token(PSEUDO, "AWS::Region")
ACCOUNT = token(PSEUDO, "AWS::AccountId")
KNOWN_ENV = StackEnv(region="eu-west-1", account="123456789012")
HERE = "/Resources/Subject/Properties/Value"

TEMPLATE: dict[str, Any] = {
    "Parameters": {
        "Env": {"Type": "String", "Default": "prod"},
        "NoDefault": {"Type": "String"},
        "Origins": {"Type": "CommaDelimitedList", "Default": "a.example,b.example"},
        "Zones": {"Type": "List<AWS::EC2::AvailabilityZone::Name>"},
        "Rate": {"Type": "Number", "Default": 1},
        "FromSsm": {"Type": "AWS::SSM::Parameter::Value<String>", "Default": "/rum/monitor-name"},
        "AttrName": {"Type": "String", "Default": "Arn"},
        "SsmList": {"Type": "AWS::SSM::Parameter::Value<List<String>>", "Default": "/rum/origins"},
        "ObjectDefault": {"Type": "String", "Default": {"not": "a string"}},
    },
    "Mappings": {
        "Stages": {"prod": {"Monitor": "web-prod", "Rate": 0.5}, "dev": {"Monitor": "web-dev"}},
        "Accounts": {123456789012: {"Name": "main"}},
    },
    "Conditions": {
        "IsProd": {"Fn::Equals": [{"Ref": "Env"}, "prod"]},
        "IsDev": {"Fn::Not": [{"Condition": "IsProd"}]},
        "InUsEast1": {"Fn::Equals": [{"Ref": "AWS::Region"}, "us-east-1"]},
        "ProdAndUsEast1": {"Fn::And": [{"Condition": "IsProd"}, {"Condition": "InUsEast1"}]},
        "DevAndUsEast1": {"Fn::And": [{"Condition": "IsDev"}, {"Condition": "InUsEast1"}]},
        "ProdOrUsEast1": {"Fn::Or": [{"Condition": "IsProd"}, {"Condition": "InUsEast1"}]},
        "DevOrUsEast1": {"Fn::Or": [{"Condition": "IsDev"}, {"Condition": "InUsEast1"}]},
        "SameToken": {"Fn::Equals": [{"Ref": "NoDefault"}, {"Ref": "NoDefault"}]},
        "SuffixDiffers": {"Fn::Equals": [{"Fn::Sub": "${NoDefault}-prod"}, "dev"]},
        "TwoTokens": {"Fn::Equals": [{"Ref": "NoDefault"}, {"Ref": "AWS::StackName"}]},
        "NumberParameter": {"Fn::Equals": [{"Ref": "Rate"}, "1"]},
        "SameList": {"Fn::Equals": [{"Ref": "Origins"}, ["a.example", "b.example"]]},
        "ShorterList": {"Fn::Equals": [{"Ref": "Origins"}, ["a.example"]]},
        "ListWithToken": {"Fn::Equals": [["a.example", {"Ref": "NoDefault"}], {"Ref": "Origins"}]},
        "Loop": {"Condition": "Loop"},
        "Broken": {"Fn::Equals": ["only one"]},
    },
    "Resources": {
        "Monitor": {"Type": "AWS::RUM::AppMonitor", "Properties": {"Name": "web", "Domain": "example.com"}},
        "StackMonitor": {"Type": "AWS::RUM::AppMonitor", "Properties": {"Name": {"Fn::Sub": "${AWS::StackName}-web"}}},
        "GuestRole": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": {}}},
        "NamedRole": {"Type": "AWS::IAM::Role", "Properties": {"RoleName": "rum-guest", "Path": "/rum"}},
        "SelfRole": {"Type": "AWS::IAM::Role", "Properties": {"RoleName": {"Ref": "SelfRole"}}},
        "IdentityPool": {"Type": "AWS::Cognito::IdentityPool", "Properties": {"AllowUnauthenticatedIdentities": True}},
        "NamedPool": {"Type": "AWS::Cognito::IdentityPool", "Properties": {"IdentityPoolName": "rum_pool"}},
        "PutPolicy": {"Type": "AWS::IAM::ManagedPolicy",
                      "Properties": {"ManagedPolicyName": "rum-put", "Path": "/app/"}},
        "AnonymousPolicy": {"Type": "AWS::IAM::ManagedPolicy", "Properties": {}},
        "Bucket": {"Type": "AWS::S3::Bucket"},
    },
}


@dataclass(frozen=True)
class Unresolvable:
    """Expected outcome: ``Unknown`` whose reason contains ``fragment``, recorded in ``unresolved``."""

    fragment: str


def check(value: Any, expected: Any, env: StackEnv = StackEnv(), parameter_values: dict | None = None) -> None:
    resolver = Resolver(TEMPLATE, env, parameter_values)
    result = resolver.resolve(value, HERE)
    if isinstance(expected, Unresolvable):
        assert isinstance(result, Unknown), result
        assert expected.fragment in result.reason
        assert any(expected.fragment in reason for _, reason in resolver.unresolved), resolver.unresolved
    else:
        assert result == expected and type(result) is type(expected), result
        assert resolver.unresolved == []


def table(*rows: tuple[str, Any, Any]):
    return pytest.mark.parametrize("value,expected", [row[1:] for row in rows], ids=[row[0] for row in rows])


# ---------------------------------------------------------------------- Ref


@table(
    ("parameter default", {"Ref": "Env"}, "prod"),
    ("parameter without value", {"Ref": "NoDefault"}, token(PARAM, "NoDefault")),
    ("comma-delimited default", {"Ref": "Origins"}, ["a.example", "b.example"]),
    ("number parameter is a string", {"Ref": "Rate"}, "1"),
    ("SSM parameter value", {"Ref": "FromSsm"}, token(PARAM, "FromSsm")),
    ("SSM list parameter", {"Ref": "SsmList"}, Unresolvable("list read from SSM")),
    ("parameter default that is no string", {"Ref": "ObjectDefault"}, Unresolvable("an object, not a string")),
    ("partition", {"Ref": "AWS::Partition"}, "aws"),
    ("region", {"Ref": "AWS::Region"}, REGION),
    ("url suffix", {"Ref": "AWS::URLSuffix"}, "amazonaws.com"),
    ("stack id", {"Ref": "AWS::StackId"}, token(PSEUDO, "AWS::StackId")),
    ("app monitor is its name", {"Ref": "Monitor"}, "web"),
    ("app monitor with a symbolic name", {"Ref": "StackMonitor"}, token(PSEUDO, "AWS::StackName") + "-web"),
    ("role without RoleName", {"Ref": "GuestRole"}, token(REF, "GuestRole")),
    ("role with RoleName", {"Ref": "NamedRole"}, "rum-guest"),
    ("identity pool id", {"Ref": "IdentityPool"}, token(REF, "IdentityPool")),
    ("named managed policy", {"Ref": "PutPolicy"}, f"arn:aws:iam::{ACCOUNT}:policy/app/rum-put"),
    ("unnamed managed policy", {"Ref": "AnonymousPolicy"}, token(REF, "AnonymousPolicy")),
    ("other resource", {"Ref": "Bucket"}, token(REF, "Bucket")),
    ("NoValue in a list", ["a", {"Ref": "AWS::NoValue"}, "b"], ["a", "b"]),
    ("NoValue in an object", {"Keep": 1, "Drop": {"Ref": "AWS::NoValue"}}, {"Keep": 1}),
    ("undefined", {"Ref": "Nowhere"}, Unresolvable("Ref to undefined 'Nowhere'")),
    ("list parameter without value", {"Ref": "Zones"}, Unresolvable("list parameter 'Zones' has no default")),
    ("notification ARNs", {"Ref": "AWS::NotificationARNs"}, Unresolvable("AWS::NotificationARNs")),
    ("malformed", {"Ref": ["a"]}, Unresolvable("malformed Ref")),
)
def test_ref(value: Any, expected: Any) -> None:
    check(value, expected)


def test_ref_prefers_given_parameter_values_and_splits_lists() -> None:
    check({"Ref": "Env"}, "dev", parameter_values={"Env": "dev"})
    check({"Ref": "NoDefault"}, "given", parameter_values={"NoDefault": "given"})
    check({"Ref": "Zones"}, ["eu-west-1a", "eu-west-1b"], parameter_values={"Zones": "eu-west-1a,eu-west-1b"})


def test_stack_env_fills_pseudo_parameters() -> None:
    env = StackEnv(partition="aws-cn", region="cn-north-1", account="111122223333", stack_name="rum")
    assert [env.pseudo(name) for name in ("AWS::Partition", "AWS::Region", "AWS::AccountId",
                                          "AWS::URLSuffix", "AWS::StackName")] == \
        ["aws-cn", "cn-north-1", "111122223333", "amazonaws.com.cn", "rum"]
    assert StackEnv(partition="aws-iso-f").pseudo("AWS::URLSuffix") == "csp.hci.ic.gov"
    assert StackEnv(partition="aws-new").pseudo("AWS::URLSuffix") == token(PSEUDO, "AWS::URLSuffix")
    assert StackEnv(url_suffix="example.net").pseudo("AWS::URLSuffix") == "example.net"
    with pytest.raises(ValueError):
        env.pseudo("AWS::NoValue")


# ---------------------------------------------------------------------- Fn::GetAtt


@table(
    ("role arn, generated name", {"Fn::GetAtt": ["GuestRole", "Arn"]},
     f"arn:aws:iam::{ACCOUNT}:role/{token(REF, 'GuestRole')}"),
    ("role arn, name and path", {"Fn::GetAtt": ["NamedRole", "Arn"]}, f"arn:aws:iam::{ACCOUNT}:role/rum/rum-guest"),
    ("dotted string form", {"Fn::GetAtt": "NamedRole.Arn"}, f"arn:aws:iam::{ACCOUNT}:role/rum/rum-guest"),
    ("attribute name from a parameter", {"Fn::GetAtt": ["NamedRole", {"Ref": "AttrName"}]},
     f"arn:aws:iam::{ACCOUNT}:role/rum/rum-guest"),
    ("role id", {"Fn::GetAtt": ["GuestRole", "RoleId"]}, token(ATTR, "GuestRole.RoleId")),
    ("pool id is the Ref", {"Fn::GetAtt": ["IdentityPool", "Id"]}, token(REF, "IdentityPool")),
    ("pool name set", {"Fn::GetAtt": ["NamedPool", "Name"]}, "rum_pool"),
    ("pool name generated", {"Fn::GetAtt": ["IdentityPool", "Name"]}, token(ATTR, "IdentityPool.Name")),
    ("monitor id", {"Fn::GetAtt": ["Monitor", "Id"]}, token(ATTR, "Monitor.Id")),
    ("policy arn", {"Fn::GetAtt": ["PutPolicy", "PolicyArn"]}, f"arn:aws:iam::{ACCOUNT}:policy/app/rum-put"),
    ("other attribute", {"Fn::GetAtt": ["Bucket", "DomainName"]}, token(ATTR, "Bucket.DomainName")),
    ("undefined resource", {"Fn::GetAtt": ["Nowhere", "Arn"]}, Unresolvable("undefined resource 'Nowhere'")),
    ("attribute from a parameter without value", {"Fn::GetAtt": ["NamedRole", {"Ref": "NoDefault"}]},
     Unresolvable("attribute name")),
    ("malformed arity", {"Fn::GetAtt": ["NamedRole"]}, Unresolvable("malformed Fn::GetAtt")),
    ("malformed string", {"Fn::GetAtt": "NamedRole"}, Unresolvable("malformed Fn::GetAtt")),
)
def test_get_att(value: Any, expected: Any) -> None:
    check(value, expected)


def test_guest_role_arn_with_a_known_environment() -> None:
    check({"Fn::GetAtt": ["GuestRole", "Arn"]},
          f"arn:aws:iam::123456789012:role/{token(REF, 'GuestRole')}", env=KNOWN_ENV)
    check({"Fn::GetAtt": ["NamedRole", "Arn"]}, "arn:aws:iam::123456789012:role/rum/rum-guest", env=KNOWN_ENV)


def test_role_named_after_itself_is_circular_but_terminates() -> None:
    resolver = Resolver(TEMPLATE, StackEnv())
    assert resolver.resolve({"Fn::GetAtt": ["SelfRole", "Arn"]}, HERE) == \
        f"arn:aws:iam::{ACCOUNT}:role/{token(REF, 'SelfRole')}"
    assert resolver.physical_ref("SelfRole") == token(REF, "SelfRole")
    assert isinstance(resolver.physical_ref("Nowhere"), Unknown)
    assert resolver.unresolved == [("/Resources/SelfRole/Properties/RoleName",
                                    "circular reference: RoleName of 'SelfRole' depends on itself")]


def test_mutually_referencing_names_terminate() -> None:
    template = {"Resources": {
        "A": {"Type": "AWS::RUM::AppMonitor", "Properties": {"Name": {"Fn::Sub": "${B}-a"}}},
        "B": {"Type": "AWS::IAM::Role", "Properties": {"RoleName": {"Fn::GetAtt": ["A", "Id"]},
                                                       "Path": {"Fn::Sub": "/${A}/"}}},
    }}
    resolver = Resolver(template, StackEnv())
    assert resolver.resolve({"Ref": "A"}) == token(ATTR, "A.Id") + "-a"
    assert isinstance(resolver.resolve({"Fn::GetAtt": ["B", "Arn"]}), str)


# ---------------------------------------------------------------------- Fn::Sub

MONITOR_ARN = {"Fn::Sub": "arn:${AWS::Partition}:rum:${AWS::Region}:${AWS::AccountId}:appmonitor/${Monitor}"}


def test_headline_monitor_arn_is_symbolic_until_the_environment_is_known() -> None:
    check(MONITOR_ARN, "arn:aws:rum:" + REGION + ":" + ACCOUNT + ":appmonitor/web")
    check(MONITOR_ARN, "arn:aws:rum:eu-west-1:123456789012:appmonitor/web", env=KNOWN_ENV)


@table(
    ("parameter and pseudo", {"Fn::Sub": "${Env}.${AWS::URLSuffix}"}, "prod.amazonaws.com"),
    ("resource attribute", {"Fn::Sub": "${NamedRole.Arn}"}, f"arn:aws:iam::{ACCOUNT}:role/rum/rum-guest"),
    ("escape", {"Fn::Sub": "${!Literal}-${Env}"}, "${Literal}-prod"),
    ("variables map first", {"Fn::Sub": ["${Env}/${Other}", {"Env": "mapped", "Other": {"Ref": "Monitor"}}]},
     "mapped/web"),
    ("number parameter", {"Fn::Sub": "rate=${Rate}"}, "rate=1"),
    ("no variables", {"Fn::Sub": "plain $ {text}"}, "plain $ {text}"),
    ("unclosed", {"Fn::Sub": "${Env"}, "${Env"),
    ("malformed type", {"Fn::Sub": 3}, Unresolvable("malformed Fn::Sub")),
    ("malformed variables", {"Fn::Sub": ["${A}", ["A"]]}, Unresolvable("malformed Fn::Sub")),
)
def test_sub(value: Any, expected: Any) -> None:
    check(value, expected)


def test_sub_json_policy_keeps_the_pool_token_inside_the_json() -> None:
    policy = ('{"Statement": [{"Effect": "Allow", "Principal": {"Federated": "cognito-identity.amazonaws.com"},'
              ' "Action": "sts:AssumeRoleWithWebIdentity", "Condition": {"StringEquals":'
              ' {"cognito-identity.amazonaws.com:aud": "${IdentityPool}"}}}]}')
    resolver = Resolver(TEMPLATE, StackEnv())
    text = resolver.resolve({"Fn::Sub": policy}, HERE)
    document = json.loads(text, strict=False)    # tokens are raw control characters inside JSON strings
    condition = document["Statement"][0]["Condition"]["StringEquals"]
    assert condition["cognito-identity.amazonaws.com:aud"] == resolver.resolve({"Ref": "IdentityPool"})
    assert resolver.unresolved == []


def test_sub_with_unknown_parts_keeps_the_known_text_and_an_opaque_token() -> None:
    resolver = Resolver(TEMPLATE, StackEnv())
    result = resolver.resolve({"Fn::Sub": ["arn:${Zones}:${Missing}:${Az}",
                                           {"Az": {"Fn::Select": [0, {"Fn::GetAZs": ""}]}}]}, HERE)
    assert isinstance(result, str) and result.startswith("arn:")
    assert [symbol.kind for symbol in symbols_in(result)] == [OPAQUE, OPAQUE, OPAQUE]
    assert len(set(symbols_in(result))) == 3, "different unknowns must not compare equal"
    assert [reason for _, reason in resolver.unresolved] == [
        "list parameter 'Zones' has no default and no value was given",
        "Ref to undefined 'Missing'",
        "Fn::GetAZs: the Availability Zones are known only at deployment",
    ]
    assert resolver.unresolved[2][0] == HERE + "/Fn::Sub/1/Az/Fn::Select/1"
    listed = resolver.resolve({"Fn::Sub": "${Origins}"}, HERE)
    assert [symbol.kind for symbol in symbols_in(listed)] == [OPAQUE]
    assert resolver.unresolved[-1] == (HERE, "Fn::Sub variable ${Origins} is a list, not a string")


# ---------------------------------------------------------------------- Fn::Join, Fn::Select, Fn::Split


@table(
    ("join", {"Fn::Join": [":", ["arn", {"Ref": "AWS::Partition"}, "rum"]]}, "arn:aws:rum"),
    ("join of a list intrinsic", {"Fn::Join": [",", {"Ref": "Origins"}]}, "a.example,b.example"),
    ("join keeps tokens", {"Fn::Join": ["", ["x-", {"Ref": "AWS::Region"}]]}, "x-" + REGION),
    ("join of a list with NoValue", {"Fn::Join": ["-", ["a", {"Ref": "AWS::NoValue"}, "b"]]}, "a-b"),
    ("join of an unknown list", {"Fn::Join": [",", {"Fn::GetAZs": ""}]}, Unresolvable("Fn::GetAZs")),
    ("join malformed", {"Fn::Join": 5}, Unresolvable("malformed Fn::Join")),
    ("join of a nested list", {"Fn::Join": ["", [["a"]]]}, Unresolvable("malformed Fn::Join")),
    ("select", {"Fn::Select": [1, ["a", "b", "c"]]}, "b"),
    ("select with a string index", {"Fn::Select": ["0", {"Ref": "Origins"}]}, "a.example"),
    ("select the known prefix of a symbolic split",
     {"Fn::Select": [2, {"Fn::Split": [":", {"Fn::Sub": "arn:aws:rum:${AWS::Region}:x"}]}]}, "rum"),
    ("select past the known prefix",
     {"Fn::Select": [3, {"Fn::Split": [":", {"Fn::Sub": "arn:aws:rum:${AWS::Region}:x"}]}]},
     Unresolvable("may contain ':'")),
    ("select out of range", {"Fn::Select": [3, ["a"]]}, Unresolvable("out of range")),
    ("select with an unknown index", {"Fn::Select": [{"Ref": "NoDefault"}, ["a"]]}, Unresolvable("index")),
    ("select from an unknown list", {"Fn::Select": [0, {"Fn::GetAZs": ""}]}, Unresolvable("Fn::GetAZs")),
    ("select malformed", {"Fn::Select": [0]}, Unresolvable("malformed Fn::Select")),
    ("split", {"Fn::Split": [",", "a,b,,c"]}, ["a", "b", "", "c"]),
    ("split a parameter", {"Fn::Split": [".", {"Ref": "Env"}]}, ["prod"]),
    ("split a symbolic string", {"Fn::Split": ["-", {"Fn::Sub": "web-${AWS::Region}"}]},
     Unresolvable("${AWS::Region} is known only at deployment and may contain '-'")),
    ("split with an empty delimiter", {"Fn::Split": ["", "abc"]}, Unresolvable("non-empty literal")),
    ("split malformed", {"Fn::Split": "a,b"}, Unresolvable("malformed Fn::Split")),
)
def test_list_functions(value: Any, expected: Any) -> None:
    check(value, expected)


# ---------------------------------------------------------------------- Fn::If and Conditions


@pytest.mark.parametrize("name,env,parameter_values,expected", [
    ("IsProd", StackEnv(), None, True),
    ("IsProd", StackEnv(), {"Env": "dev"}, False),
    ("IsDev", StackEnv(), None, False),
    ("InUsEast1", StackEnv(), None, None),
    ("InUsEast1", StackEnv(region="us-east-1"), None, True),
    ("InUsEast1", KNOWN_ENV, None, False),
    ("ProdAndUsEast1", StackEnv(), None, None),
    ("DevAndUsEast1", StackEnv(), None, False),
    ("ProdOrUsEast1", StackEnv(), None, True),
    ("DevOrUsEast1", StackEnv(), None, None),
    ("SameToken", StackEnv(), None, True),
    ("SuffixDiffers", StackEnv(), None, False),
    ("TwoTokens", StackEnv(), None, None),
    ("NumberParameter", StackEnv(), None, True),
    ("SameList", StackEnv(), None, True),
    ("ShorterList", StackEnv(), None, False),
    ("ListWithToken", StackEnv(), None, None),
    ("Loop", StackEnv(), None, None),
    ("Broken", StackEnv(), None, None),
    ("Undefined", StackEnv(), None, None),
])
def test_conditions(name: str, env: StackEnv, parameter_values: dict | None, expected: bool | None) -> None:
    assert Resolver(TEMPLATE, env, parameter_values).condition(name) is expected


def test_broken_conditions_are_recorded() -> None:
    resolver = Resolver(TEMPLATE, StackEnv())
    for name in ("Loop", "Broken", "Undefined"):
        resolver.condition(name)
    assert resolver.unresolved == [
        ("/Conditions/Loop", "circular reference: condition 'Loop' depends on itself"),
        ("/Conditions/Broken", "malformed condition: Fn::Equals with a list"),
        ("/Conditions", "condition 'Undefined' is not defined"),
    ]


@table(
    ("decided true", {"Fn::If": ["IsProd", "p", "d"]}, "p"),
    ("decided false", {"Fn::If": ["IsDev", "d", "p"]}, "p"),
    ("untaken branch is not resolved", {"Fn::If": ["IsProd", "p", {"Fn::GetAZs": ""}]}, "p"),
    ("decided NoValue drops the property", {"A": {"Fn::If": ["IsProd", {"Ref": "AWS::NoValue"}, 1]}}, {}),
    ("undecidable but equal branches", {"Fn::If": ["InUsEast1", {"Ref": "Monitor"}, "web"]}, "web"),
    ("undecidable but equal structures", {"Fn::If": ["InUsEast1", [{"A": {"Ref": "Env"}}], [{"A": "prod"}]]},
     [{"A": "prod"}]),
    ("undecidable, branches differ in type only", {"Fn::If": ["InUsEast1", 1, True]},
     Unresolvable("depends on condition 'InUsEast1'")),
    ("undecidable", {"Fn::If": ["InUsEast1", "a", "b"]}, Unresolvable("depends on condition 'InUsEast1'")),
    ("undecidable NoValue in a list stays an unknown item",
     {"Fn::Select": [0, [{"Fn::If": ["InUsEast1", "a", {"Ref": "AWS::NoValue"}]}]]},
     Unresolvable("depends on condition 'InUsEast1'")),
    ("undefined condition", {"Fn::If": ["Nope", "a", "b"]}, Unresolvable("depends on condition 'Nope'")),
    ("malformed", {"Fn::If": ["IsProd", "a"]}, Unresolvable("malformed Fn::If")),
)
def test_if(value: Any, expected: Any) -> None:
    check(value, expected)


def test_if_decided_by_the_environment() -> None:
    check({"Fn::If": ["InUsEast1", "a", "b"]}, "a", env=StackEnv(region="us-east-1"))


# ---------------------------------------------------------------------- Fn::FindInMap and the rest


@table(
    ("find", {"Fn::FindInMap": ["Stages", {"Ref": "Env"}, "Monitor"]}, "web-prod"),
    ("find a number", {"Fn::FindInMap": ["Stages", "prod", "Rate"]}, 0.5),
    ("numeric key read by YAML", {"Fn::FindInMap": ["Accounts", "123456789012", "Name"]}, "main"),
    ("default value", {"Fn::FindInMap": ["Stages", "test", "Monitor", {"DefaultValue": "web-test"}]}, "web-test"),
    ("unknown key", {"Fn::FindInMap": ["Stages", {"Ref": "NoDefault"}, "Monitor"]},
     Unresolvable("cannot be resolved before deployment")),
    ("unknown key with a default", {"Fn::FindInMap": ["Stages", {"Ref": "AWS::Region"}, "Monitor",
                                                      {"DefaultValue": "x"}]},
     Unresolvable("cannot be resolved before deployment")),
    ("missing entry", {"Fn::FindInMap": ["Stages", "test", "Monitor"]}, Unresolvable("no entry Stages/test/Monitor")),
    ("malformed", {"Fn::FindInMap": ["Stages", "prod"]}, Unresolvable("malformed Fn::FindInMap")),
    ("malformed default", {"Fn::FindInMap": ["Stages", "x", "y", "z"]}, Unresolvable("malformed Fn::FindInMap")),
    ("base64", {"Fn::Base64": {"Fn::Sub": "${Env}"}}, "prod"),
    ("base64 of an unknown", {"Fn::Base64": {"Fn::GetAZs": ""}}, Unresolvable("Fn::GetAZs")),
    ("base64 malformed", {"Fn::Base64": ["a"]}, Unresolvable("malformed Fn::Base64")),
    ("length", {"Fn::Length": {"Ref": "Origins"}}, 2),
    ("length without NoValue items", {"Fn::Length": ["a", {"Ref": "AWS::NoValue"}]}, 1),
    ("length with an item that may be absent",
     {"Fn::Length": ["a", {"Fn::If": ["InUsEast1", "b", {"Ref": "AWS::NoValue"}]}]}, Unresolvable("may be absent")),
    ("length malformed", {"Fn::Length": "abc"}, Unresolvable("malformed Fn::Length")),
    ("to json string", {"Fn::ToJsonString": {"Name": {"Ref": "Monitor"}, "Rate": 0.5, "On": True}},
     '{"Name":"web","Rate":0.5,"On":true}'),
    ("to json string keeps tokens", {"Fn::ToJsonString": {"Pool": {"Ref": "IdentityPool"}, "Q": "\"é"}},
     '{"Pool":"' + token(REF, "IdentityPool") + '","Q":"\\"é"}'),
    ("to json string of unknown parts", {"Fn::ToJsonString": [{"Fn::GetAZs": ""}]}, Unresolvable("unresolvable parts")),
    ("get AZs", {"Fn::GetAZs": ""}, Unresolvable("Fn::GetAZs")),
    ("cidr", {"Fn::Cidr": ["10.0.0.0/16", 2, 8]}, Unresolvable("Fn::Cidr")),
    ("transform", {"Fn::Transform": {"Name": "AWS::Include"}}, Unresolvable("transform not expanded")),
    ("for each beside other keys", {"A": 1, "Fn::ForEach::Items": ["X", ["a"], {}]},
     Unresolvable("transform not expanded")),
    ("unsupported function", {"Fn::Equals": ["a", "a"]}, Unresolvable("Fn::Equals is not supported here")),
)
def test_other_functions(value: Any, expected: Any) -> None:
    check(value, expected)


@pytest.mark.parametrize("value,expected", [
    ({"Fn::ImportValue": "shared-PoolId"}, token(IMPORT, "shared-PoolId")),
    ({"Fn::ImportValue": {"Fn::Sub": "${Env}-PoolId"}}, token(IMPORT, "prod-PoolId")),
    ({"Fn::ImportValue": {"Fn::Sub": "${NoDefault}-PoolId"}}, token(IMPORT, "${NoDefault}-PoolId")),
])
def test_import_value_is_a_token_and_is_recorded(value: Any, expected: str) -> None:
    resolver = Resolver(TEMPLATE, StackEnv())
    assert resolver.resolve(value, HERE) == expected
    assert resolver.resolve(value, "/elsewhere") == expected, "the same import is the same value everywhere"
    assert resolver.unresolved[0][0] == HERE and "Fn::ImportValue" in resolver.unresolved[0][1]


def test_import_value_of_an_unknown_name_is_opaque() -> None:
    resolver = Resolver(TEMPLATE, StackEnv())
    result = resolver.resolve({"Fn::ImportValue": {"Fn::GetAZs": ""}}, HERE)
    assert [symbol.kind for symbol in symbols_in(result)] == [OPAQUE]


@table(
    ("multi-key object with an intrinsic key is data", {"Ref": "Monitor", "Other": {"Ref": "Env"}},
     {"Ref": "Monitor", "Other": "prod"}),
    ("Condition outside Conditions is data", {"Condition": {"StringEquals": {"k": {"Ref": "Env"}}}},
     {"Condition": {"StringEquals": {"k": "prod"}}}),
    ("scalars pass through", [1, 2.5, True, None], [1, 2.5, True, None]),
)
def test_plain_data(value: Any, expected: Any) -> None:
    check(value, expected)


def test_top_level_no_value_is_returned_for_the_caller_to_drop() -> None:
    assert Resolver(TEMPLATE, StackEnv()).resolve({"Ref": "AWS::NoValue"}) is NO_VALUE


def test_nul_characters_cannot_forge_a_token() -> None:
    resolver = Resolver(TEMPLATE, StackEnv())
    result = resolver.resolve({"Fn::Join": ["", ["x", token(PSEUDO, "AWS::Region")]]}, HERE)
    assert [symbol.kind for symbol in symbols_in(result)] == [OPAQUE]
    assert "NUL" in resolver.unresolved[0][1]


def test_deep_nesting_becomes_unknown_instead_of_overflowing_the_stack() -> None:
    deep: Any = "leaf"
    for _ in range(5000):
        deep = [{"Fn::Join": ["", deep]}]
    resolver = Resolver(TEMPLATE, StackEnv())
    assert "nested more than" in repr(resolver.resolve(deep))
    condition: Any = {"Fn::Equals": ["a", "a"]}
    for _ in range(5000):
        condition = {"Fn::Not": [condition]}
    assert Resolver({"Conditions": {"Deep": condition}}, StackEnv()).condition("Deep") is None


def test_malformed_template_sections_are_treated_as_empty() -> None:
    resolver = Resolver({"Resources": 5, "Parameters": ["x"], "Conditions": "y", "Mappings": None}, StackEnv())
    assert isinstance(resolver.resolve({"Ref": "x"}), Unknown)
    assert resolver.condition("y") is None
    assert isinstance(Resolver([], StackEnv()).resolve({"Fn::GetAtt": "A.B"}), Unknown)  # type: ignore[arg-type]


# ---------------------------------------------------------------------- never raises

FUNCTIONS = ["Ref", "Fn::GetAtt", "Fn::Sub", "Fn::Join", "Fn::Select", "Fn::Split", "Fn::If", "Fn::FindInMap",
             "Fn::ImportValue", "Fn::Base64", "Fn::GetAZs", "Fn::Cidr", "Fn::Length", "Fn::ToJsonString",
             "Fn::Transform", "Fn::ForEach::Loop", "Fn::Equals", "Fn::And", "Fn::Or", "Fn::Not", "Condition",
             "Fn::Unknown"]
NAMES = ["Env", "NoDefault", "Origins", "Zones", "Monitor", "GuestRole", "NamedRole", "SelfRole", "IdentityPool",
         "PutPolicy", "Bucket", "IsProd", "InUsEast1", "Loop", "Stages", "prod", "Monitor", "AWS::Region",
         "AWS::NoValue", "AWS::NotificationARNs", "NamedRole.Arn", "Arn", "Id", "DefaultValue"]
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-5, 5), st.floats(allow_nan=True),
    st.sampled_from(NAMES),
    st.sampled_from(["${Env}", "${!x}", "${Monitor.Arn}", "a,b", "${", "\x00", "${AWS::Region}:${Nope}"]),
    st.text(max_size=12),
)
values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.builds(lambda name, args: {name: args}, st.sampled_from(FUNCTIONS), children),
        st.dictionaries(st.sampled_from(FUNCTIONS + NAMES) | st.text(max_size=5), children, max_size=3),
    ),
    max_leaves=20,
)
templates = st.fixed_dictionaries({
    "Parameters": st.dictionaries(st.sampled_from(NAMES), st.one_of(
        values, st.fixed_dictionaries({"Type": st.sampled_from(["String", "CommaDelimitedList", "List<Number>",
                                                               "AWS::SSM::Parameter::Value<String>"])},
                                      optional={"Default": values}))),
    "Conditions": st.dictionaries(st.sampled_from(NAMES), values, max_size=4),
    "Mappings": st.dictionaries(st.sampled_from(NAMES), values, max_size=2),
    "Resources": st.dictionaries(st.sampled_from(NAMES), values | st.fixed_dictionaries(
        {"Type": st.sampled_from(["AWS::RUM::AppMonitor", "AWS::IAM::Role", "AWS::IAM::ManagedPolicy",
                                  "AWS::Cognito::IdentityPool", "AWS::S3::Bucket"])},
        optional={"Properties": st.dictionaries(st.sampled_from(["Name", "RoleName", "Path", "ManagedPolicyName",
                                                                  "IdentityPoolName"]), values)}), max_size=4),
}) | values


def _plain(value: Any) -> bool:
    """Only data the rest of the linter understands may come out of the resolver."""
    if isinstance(value, list):
        return all(map(_plain, value))
    if isinstance(value, dict):
        return all(map(_plain, value.values()))
    return value is None or isinstance(value, (str, int, float, bool, Unknown))


@settings(max_examples=examples(400), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(template=templates, value=values, partition=st.sampled_from(["aws", "aws-cn", "x"]))
def test_resolver_never_raises(template: Any, value: Any, partition: str) -> None:
    resolver = Resolver(template, StackEnv(partition=partition))
    result = resolver.resolve(value, "/Value")
    assert result is NO_VALUE or _plain(result)
    for name in NAMES:
        assert resolver.condition(name) in (True, False, None)
        if isinstance(template, dict) and isinstance(template.get("Resources"), dict) and name in template["Resources"]:
            assert isinstance(resolver.physical_ref(name), str)
    assert all(isinstance(pointer, str) and isinstance(reason, str) for pointer, reason in resolver.unresolved)
    assert len(set(resolver.unresolved)) == len(resolver.unresolved)
