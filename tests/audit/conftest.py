"""Loopback AWS for audit tests: a moto server (IAM, STS, Organizations, Security Hub) behind the stand-in
(RUM, Cognito, and the Config calls moto lacks).

Every AWS endpoint variable points at the stand-in, which forwards what it does not serve to moto;
the credentials are fake and the AWS configuration files empty, so nothing can reach real AWS.
Tests set up IAM and Organizations directly at moto (``World.iam``...), so the stand-in's call log
holds the audit's own calls only.
"""

from __future__ import annotations

import json
import logging
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import boto3
import pytest

from tests.aws_standin import DEFAULT_ACCOUNT, AwsStandin
from tests.helpers import isolate_aws

SERVICES = ("RUM", "COGNITO_IDENTITY", "IAM", "STS", "ORGANIZATIONS", "SECURITYHUB", "CONFIG_SERVICE")
REGION = "us-east-1"
POOL_UUIDS = ("0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0", "1a2b3c4d-5e6f-4a1b-8c2d-3e4f5a6b7c8d",
              "2b3c4d5e-6f7a-4b2c-9d3e-4f5a6b7c8d9e", "3c4d5e6f-7a8b-4c3d-8e4f-5a6b7c8d9e0f",
              "4d5e6f7a-8b9c-4d4e-9f5a-6b7c8d9e0f1a", "5e6f7a8b-9c0d-4e5f-8a6b-7c8d9e0f1a2b")


@pytest.fixture(scope="session")
def moto_url() -> str:
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def trust_policy(pool_id: str | None, *, amr: bool = True) -> dict:
    condition: dict = {}
    if pool_id is not None:
        condition["StringEquals"] = {"cognito-identity.amazonaws.com:aud": pool_id}
    if amr:
        condition["ForAnyValue:StringLike"] = {"cognito-identity.amazonaws.com:amr": "unauthenticated"}
    return {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Federated": "cognito-identity.amazonaws.com"},
        "Action": "sts:AssumeRoleWithWebIdentity", "Condition": condition}]}


def put_policy(*monitor_arns: str) -> dict:
    return {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "rum:PutRumEvents",
                                                    "Resource": list(monitor_arns)}]}


def monitor_arn(account: str, name: str, region: str = REGION) -> str:
    return f"arn:aws:rum:{region}:{account}:appmonitor/{name}"


def pool_id(index: int, region: str = REGION) -> str:
    return f"{region}:{POOL_UUIDS[index]}"


@dataclass
class World:
    """The loopback AWS of one test."""

    moto_url: str
    standin: AwsStandin
    _sessions: dict = field(default_factory=dict)

    def session(self, account: str = DEFAULT_ACCOUNT) -> boto3.Session:
        """A session straight to moto, as ``account`` (setup only: not seen by the stand-in)."""
        if account not in self._sessions:
            if account == DEFAULT_ACCOUNT:
                session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                                        region_name=REGION)
            else:
                sts = self.session().client("sts", endpoint_url=self.moto_url)
                issued = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/setup",
                                         RoleSessionName="setup")["Credentials"]
                session = boto3.Session(aws_access_key_id=issued["AccessKeyId"],
                                        aws_secret_access_key=issued["SecretAccessKey"],
                                        aws_session_token=issued["SessionToken"], region_name=REGION)
            self._sessions[account] = session
        return self._sessions[account]

    def client(self, service: str, account: str = DEFAULT_ACCOUNT):
        return self.session(account).client(service, endpoint_url=self.moto_url)

    def role(self, name: str, trust: dict, *policies: dict, account: str = DEFAULT_ACCOUNT,
             managed: tuple[str, ...] = (), boundary: str | None = None) -> str:
        iam = self.client("iam", account)
        extra = {"PermissionsBoundary": boundary} if boundary else {}
        arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust), **extra)["Role"]["Arn"]
        for index, policy in enumerate(policies):
            iam.put_role_policy(RoleName=name, PolicyName=f"{name}-{index}", PolicyDocument=json.dumps(policy))
        for policy_arn in managed:
            iam.attach_role_policy(RoleName=name, PolicyArn=policy_arn)
        return arn

    def guest_setup(self, account: str, name: str, index: int, *, region: str = REGION, trust: dict | None = None,
                    policy: dict | None = None, role: str | None = None, basic: bool = False,
                    allow_unauthenticated: bool = True) -> str:
        """A monitor with its own pool and guest role (unless ``role`` names an existing one)."""
        pool = pool_id(index, region)
        if role is None:
            role = self.role(f"{name}-guest", trust or trust_policy(pool),
                             policy or put_policy(monitor_arn(account, name, region)), account=account)
        self.standin.add_identity_pool(account, pool, allow_unauthenticated=allow_unauthenticated,
                                       allow_classic_flow=basic, unauthenticated_role=role)
        self.standin.add_app_monitor(account, region, name, pool_id=pool, guest_role_arn=role if basic else None)
        return role


@pytest.fixture
def world(moto_url, monkeypatch, tmp_path: Path) -> World:
    urllib.request.urlopen(urllib.request.Request(f"{moto_url}/moto-api/reset", method="POST"), timeout=30).read()
    standin = AwsStandin(moto_url).start()
    isolate_aws(monkeypatch, tmp_path)
    monkeypatch.setenv("AWS_ENDPOINT_URL", standin.url)
    for service in SERVICES:
        monkeypatch.setenv(f"AWS_ENDPOINT_URL_{service}", standin.url)
    yield World(moto_url, standin)
    standin.stop()
