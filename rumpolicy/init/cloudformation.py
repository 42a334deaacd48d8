"""The setup as a CloudFormation template (YAML, short intrinsic forms).

Strings are written as JSON strings, which are YAML double-quoted scalars: a name such as `#web` or a
domain such as `*.example.com` needs no other care.
"""

from __future__ import annotations

import json

from rumpolicy.init.setup import (AMR, ATTACHMENT_ID, AUD, COGNITO, MONITOR_ID, POLICY_ID, POOL_ID, PUT_RUM_EVENTS,
                                  ROLE_ID, SESSION_SAMPLE_RATE, TELEMETRIES, Setup, resource_policy)

MONITOR_ARN_SUB = "arn:${AWS::Partition}:rum:${AWS::Region}:${AWS::AccountId}:appmonitor/"


def q(value: str) -> str:
    return json.dumps(value)


def outputs(setup: Setup) -> dict[str, str]:
    """Output name -> what it holds; the web client snippet names these."""
    out = {"AppMonitorId": "the app monitor's id (the web client's application id)"}
    if setup.cognito:
        out["IdentityPoolId"] = "the identity pool's id (the web client's `identityPoolId`)"
    if setup.basic:
        out["GuestRoleArn"] = "the guest role's ARN (the web client's `guestRoleArn`)"
    return out


def template(setup: Setup) -> str:
    flow = {"enhanced": "the Cognito enhanced flow", "basic": "the Cognito basic (classic) flow",
            "resource-policy": "unsigned requests admitted by the app monitor's resource-based policy"}[setup.flow]
    lines = [
        'AWSTemplateFormatVersion: "2010-09-09"',
        f"Description: {q(f'CloudWatch RUM app monitor {setup.monitor}, authorized with {flow} (rumpolicy init).')}",
        "Resources:",
    ]
    if setup.cognito:
        lines += [
            f"  {POOL_ID}:",
            "    Type: AWS::Cognito::IdentityPool",
            "    Properties:",
            f"      IdentityPoolName: {q(setup.pool_name)}",
            "      AllowUnauthenticatedIdentities: true",
            f"      AllowClassicFlow: {'true' if setup.basic else 'false'}",
            "",
            f"  {ROLE_ID}:",
            "    Type: AWS::IAM::Role",
            "    Properties:",
            "      Description: Assumed by anonymous browsers to send CloudWatch RUM events.",
            "      AssumeRolePolicyDocument:",
            '        Version: "2012-10-17"',
            "        Statement:",
            "          - Effect: Allow",
            "            Principal:",
            f"              Federated: {COGNITO}",
            "            Action: sts:AssumeRoleWithWebIdentity",
            "            Condition:",
            "              StringEquals:",
            f"                {AUD}: !Ref {POOL_ID}",
            "              ForAnyValue:StringLike:",
            f"                {AMR}: unauthenticated",
            "",
            # A resource of its own, not `Policies` of the role: the basic flow's monitor names the role
            # (GuestRoleArn), so a role naming the monitor would be a circular dependency.
            f"  {POLICY_ID}:",
            "    Type: AWS::IAM::RolePolicy",
            "    Properties:",
            f"      RoleName: !Ref {ROLE_ID}",
            "      PolicyName: send-rum-events",
            "      PolicyDocument:",
            '        Version: "2012-10-17"',
            "        Statement:",
            "          - Effect: Allow",
            f"            Action: {PUT_RUM_EVENTS}",
            f"            Resource: !Sub {q(MONITOR_ARN_SUB + '${' + MONITOR_ID + '}')}",
            "",
            f"  {ATTACHMENT_ID}:",
            "    Type: AWS::Cognito::IdentityPoolRoleAttachment",
            "    Properties:",
            f"      IdentityPoolId: !Ref {POOL_ID}",
            "      Roles:",
            f"        unauthenticated: !GetAtt {ROLE_ID}.Arn",
            "",
        ]
    lines += [
        f"  {MONITOR_ID}:",
        "    Type: AWS::RUM::AppMonitor",
        "    Properties:",
        f"      Name: {q(setup.monitor)}",
    ]
    if len(setup.domains) == 1:
        lines.append(f"      Domain: {q(setup.domains[0])}")
    else:
        lines.append("      DomainList:")
        lines += [f"        - {q(d)}" for d in setup.domains]
    lines.append("      AppMonitorConfiguration:")
    if setup.cognito:
        lines.append(f"        IdentityPoolId: !Ref {POOL_ID}")
    if setup.basic:
        lines.append(f"        GuestRoleArn: !GetAtt {ROLE_ID}.Arn")
    lines += [
        f"        SessionSampleRate: {SESSION_SAMPLE_RATE}",
        f"        Telemetries: [{', '.join(TELEMETRIES)}]",
    ]
    if setup.flow == "resource-policy":
        # The monitor's own ARN, from its literal name: a `${RumAppMonitor}` here would be a circular reference.
        document = json.dumps(resource_policy(MONITOR_ARN_SUB + setup.monitor, setup.alias))
        lines += [
            "      ResourcePolicy:",
            f"        PolicyDocument: !Sub {q(document)}",
        ]
    lines += ["", "Outputs:"]
    values = {"AppMonitorId": f"!GetAtt {MONITOR_ID}.Id", "IdentityPoolId": f"!Ref {POOL_ID}",
              "GuestRoleArn": f"!GetAtt {ROLE_ID}.Arn"}
    for name, description in outputs(setup).items():
        lines += [f"  {name}:", f"    Description: {q(description)}", f"    Value: {values[name]}"]
    return "\n".join(lines) + "\n"
