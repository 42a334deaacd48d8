"""The AWS Config rule's handler against loopback AWS: moto (IAM, STS, Organizations, Security Hub) behind the
stand-in (RUM, Cognito Identity, and Config's rule-evaluation calls, ``tests/aws_standin.py``).

``Invoker`` plays Config's part: it takes a recorded event (``events/*.json``, shaped as Config
sends them), puts in a result token the stand-in issued (so ``PutEvaluations`` accepts it) and the
live identity of the resource (moto makes up RoleIds), and calls ``rumpolicy.aws_config.handler``
as Lambda would, with a context naming the function's ARN and its remaining time.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.audit.conftest import REGION, World, moto_url, world  # noqa: F401  (fixtures)
from tests.aws_standin import DEFAULT_ACCOUNT

EVENTS = Path(__file__).parent / "events"
RULE = "rumpolicy-chain"
FUNCTION = "rumpolicy-config-rule"


def load_event(name: str) -> dict:
    return json.loads((EVENTS / f"{name}.json").read_text())


def invoking(event: dict) -> dict:
    return json.loads(event["invokingEvent"])


@dataclass
class LambdaContext:
    """What the handler reads of Lambda's context object."""

    account: str = DEFAULT_ACCOUNT
    region: str = REGION
    remaining_ms: int = 60_000

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:{self.region}:{self.account}:function:{FUNCTION}"

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


@dataclass
class Invoker:
    world: World

    def event(self, name: str, *, account: str = DEFAULT_ACCOUNT, region: str = REGION, token: str | None = None,
              item: dict | None = None, parameters: dict | None = None, at: str | None = None) -> dict:
        """A recorded event for ``account``, with a fresh result token, the item's fields in ``item`` replaced
        and its capture time (or the notification's) set to ``at``."""
        event = copy.deepcopy(load_event(name))
        message = invoking(event)
        key = "configurationItem" if "configurationItem" in message else "configurationItemSummary"
        if key in message:
            message[key].update(item or {})
            message[key]["awsAccountId"] = account
            if at is not None:
                message[key]["configurationItemCaptureTime"] = at
        elif at is not None:
            message["notificationCreationTime"] = at
        event["invokingEvent"] = json.dumps(message)
        event["accountId"] = account
        event["resultToken"] = token or self.world.standin.invoke_token(account, region, RULE)
        if parameters is not None:
            event["ruleParameters"] = json.dumps(parameters)
        return event

    def role_item(self, name: str, account: str = DEFAULT_ACCOUNT) -> dict:
        """The identity and recorded configuration of a live role, as Config records them."""
        from urllib.parse import quote

        iam = self.world.client("iam", account)
        role = iam.get_role(RoleName=name)["Role"]
        policies = [{"policyName": p, "policyDocument": quote(json.dumps(
            iam.get_role_policy(RoleName=name, PolicyName=p)["PolicyDocument"]), safe="")}
            for p in iam.list_role_policies(RoleName=name)["PolicyNames"]]
        configuration = {"path": role["Path"], "roleName": name, "roleId": role["RoleId"], "arn": role["Arn"],
                         "assumeRolePolicyDocument": quote(json.dumps(role["AssumeRolePolicyDocument"]), safe=""),
                         "rolePolicyList": policies, "attachedManagedPolicies": [], "instanceProfileList": []}
        return {"resourceId": role["RoleId"], "resourceName": name, "ARN": role["Arn"], "configuration": configuration}

    def __call__(self, event: dict, context: LambdaContext | None = None) -> dict:
        from rumpolicy.aws_config import handler

        return handler(event, context or LambdaContext())

    def config(self, account: str = DEFAULT_ACCOUNT):
        """A Config client to the stand-in, as ``account`` (the tests read the verdicts with it)."""
        session = self.world.session(account)
        # The session was assumed at moto directly: tell the stand-in whose key it is, as AssumeRole through it would.
        self.world.standin.keys[session.get_credentials().access_key] = account
        return session.client("config", endpoint_url=self.world.standin.url, region_name=REGION)

    def compliance(self, account: str = DEFAULT_ACCOUNT, kinds: tuple[str, ...] = ()) -> dict[tuple[str, str], dict]:
        """GetComplianceDetailsByConfigRule, every page: (resource type, id) -> (ComplianceType, Annotation)."""
        client = self.config(account)
        out: dict[tuple[str, str], Any] = {}
        params: dict[str, Any] = {"ConfigRuleName": RULE, "Limit": 100}
        if kinds:
            params["ComplianceTypes"] = list(kinds)
        while True:
            page = client.get_compliance_details_by_config_rule(**params)
            for result in page["EvaluationResults"]:
                qualifier = result["EvaluationResultIdentifier"]["EvaluationResultQualifier"]
                out[(qualifier["ResourceType"], qualifier["ResourceId"])] = (result["ComplianceType"],
                                                                             result.get("Annotation"))
            if not page.get("NextToken"):
                return out
            params["NextToken"] = page["NextToken"]


@pytest.fixture
def invoke(world, monkeypatch) -> Invoker:
    monkeypatch.setenv("AWS_REGION", REGION)
    monkeypatch.delenv("RUMPOLICY_SECURITY_HUB", raising=False)
    monkeypatch.delenv("RUMPOLICY_MEMBER_ROLE_NAME", raising=False)
    return Invoker(world)
