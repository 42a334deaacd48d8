"""The setup as a Terraform module (one `main.tf`, hashicorp/aws provider).

Policies are written with `jsonencode` so that references stay references: the trust policy pins
`aws_cognito_identity_pool.rum.id`, the permissions and the resource policy name
`aws_rum_app_monitor.this.arn`. The resource policy is its own resource, `aws_rum_resource_policy`.
"""

from __future__ import annotations

import json

from rumpolicy.init.setup import (ALIAS_KEY, AMR, AUD, COGNITO, PUT_RUM_EVENTS, SESSION_SAMPLE_RATE, TELEMETRIES,
                                  Setup)

POOL = "aws_cognito_identity_pool.rum"
ROLE = "aws_iam_role.guest"
MONITOR = "aws_rum_app_monitor.this"


def s(value: str) -> str:
    """An HCL string literal: JSON's escapes, plus `${` and `%{` kept literal."""
    return json.dumps(value).replace("${", "$${").replace("%{", "%%{")


def module(setup: Setup) -> str:
    out = [
        f"# CloudWatch RUM app monitor {setup.monitor}, authorized with the {setup.flow} flow (rumpolicy init).",
        "",
        "terraform {",
        "  required_providers {",
        "    aws = {",
        '      source = "hashicorp/aws"',
        "    }",
        "  }",
        "}",
        "",
    ]
    if setup.cognito:
        out += [
            'resource "aws_cognito_identity_pool" "rum" {',
            f"  identity_pool_name               = {s(setup.pool_name)}",
            "  allow_unauthenticated_identities = true",
            f"  allow_classic_flow               = {'true' if setup.basic else 'false'}",
            "}",
            "",
            'resource "aws_iam_role" "guest" {',
            '  description = "Assumed by anonymous browsers to send CloudWatch RUM events."',
            "  assume_role_policy = jsonencode({",
            '    Version = "2012-10-17"',
            "    Statement = [{",
            '      Effect    = "Allow"',
            f"      Principal = {{ Federated = {s(COGNITO)} }}",
            '      Action    = "sts:AssumeRoleWithWebIdentity"',
            "      Condition = {",
            f"        StringEquals = {{ {s(AUD)} = {POOL}.id }}",
            f'        "ForAnyValue:StringLike" = {{ {s(AMR)} = "unauthenticated" }}',
            "      }",
            "    }]",
            "  })",
            "}",
            "",
            'resource "aws_iam_role_policy" "send_rum_events" {',
            '  name = "send-rum-events"',
            f"  role = {ROLE}.id",
            "  policy = jsonencode({",
            '    Version = "2012-10-17"',
            "    Statement = [{",
            '      Effect   = "Allow"',
            f"      Action   = {s(PUT_RUM_EVENTS)}",
            f"      Resource = {MONITOR}.arn",
            "    }]",
            "  })",
            "}",
            "",
            'resource "aws_cognito_identity_pool_roles_attachment" "rum" {',
            f"  identity_pool_id = {POOL}.id",
            "  roles = {",
            f"    unauthenticated = {ROLE}.arn",
            "  }",
            "}",
            "",
        ]
    out += ['resource "aws_rum_app_monitor" "this" {', f"  name = {s(setup.monitor)}"]
    if len(setup.domains) == 1:
        out.append(f"  domain = {s(setup.domains[0])}")
    else:
        out.append(f"  domain_list = [{', '.join(s(d) for d in setup.domains)}]")
    out += ["", "  app_monitor_configuration {"]
    if setup.cognito:
        out.append(f"    identity_pool_id    = {POOL}.id")
    if setup.basic:
        out.append(f"    guest_role_arn      = {ROLE}.arn")
    out += [
        f"    session_sample_rate = {SESSION_SAMPLE_RATE}",
        f"    telemetries         = [{', '.join(s(t) for t in TELEMETRIES)}]",
        "  }",
        "}",
        "",
    ]
    if setup.flow == "resource-policy":
        out += [
            'resource "aws_rum_resource_policy" "this" {',
            f"  app_monitor_name = {MONITOR}.name",
            "  policy_document = jsonencode({",
            '    Version = "2012-10-17"',
            "    Statement = [{",
            '      Effect    = "Allow"',
            '      Principal = "*"',
            f"      Action    = {s(PUT_RUM_EVENTS)}",
            f"      Resource  = {MONITOR}.arn",
            f"      Condition = {{ StringEquals = {{ {s(ALIAS_KEY)} = {s(setup.alias)} }} }}",
            "    }]",
            "  })",
            "}",
            "",
        ]
    out += ['output "app_monitor_id" {', f"  value = {MONITOR}.app_monitor_id", "}"]
    if setup.cognito:
        out += ["", 'output "identity_pool_id" {', f"  value = {POOL}.id", "}"]
    if setup.basic:
        out += ["", 'output "guest_role_arn" {', f"  value = {ROLE}.arn", "}"]
    return "\n".join(out) + "\n"
