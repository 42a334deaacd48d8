# The role rumpolicy's organization Config rule assumes in one member account (the same as
# deploy/cloudformation/rumpolicy-config-member-role.yaml). Apply it with a provider for that account.

locals {
  partition = data.aws_partition.current.partition
  account   = data.aws_caller_identity.current.account_id
}

data "aws_partition" "current" {}
data "aws_caller_identity" "current" {}

data "aws_iam_policy_document" "trust" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "AWS"
      identifiers = [var.execution_role_arn]
    }
  }
}

# The operations of rumpolicy.aws_config.allowed but sts:AssumeRole (tests/test_deploy.py compares
# them), on this account's resources where IAM can scope the action to a resource. Regions are left
# open: the one role serves the rule in every region the organization rule is deployed in.
data "aws_iam_policy_document" "rule" {
  statement {
    sid       = "ReadAppMonitors"
    actions   = ["rum:GetAppMonitor", "rum:GetResourcePolicy"]
    resources = ["arn:${local.partition}:rum:*:${local.account}:appmonitor/*"]
  }
  statement {
    sid       = "ListAppMonitors"
    actions   = ["rum:ListAppMonitors"]
    resources = ["*"]
  }
  statement {
    sid       = "ReadIdentityPools"
    actions   = ["cognito-identity:DescribeIdentityPool", "cognito-identity:GetIdentityPoolRoles"]
    resources = ["arn:${local.partition}:cognito-identity:*:${local.account}:identitypool/*"]
  }
  statement {
    sid       = "ReadRoles"
    actions   = ["iam:GetRole", "iam:GetRolePolicy", "iam:ListAttachedRolePolicies", "iam:ListRolePolicies"]
    resources = ["arn:${local.partition}:iam::${local.account}:role/*"]
  }
  statement {
    sid     = "ReadManagedPolicies"
    actions = ["iam:GetPolicy", "iam:GetPolicyVersion"]
    resources = [
      "arn:${local.partition}:iam::${local.account}:policy/*",
      "arn:${local.partition}:iam::aws:policy/*",
    ]
  }
  statement {
    sid       = "ReadAccountAuthorization"
    actions   = ["iam:GetAccountAuthorizationDetails"]
    resources = ["*"]
  }
  statement {
    sid       = "ReportToConfig"
    actions   = ["config:GetComplianceDetailsByResource", "config:GetResourceConfigHistory", "config:PutEvaluations"]
    resources = ["*"]
  }
}

data "aws_iam_policy_document" "security_hub" {
  count = var.export_to_security_hub ? 1 : 0

  statement {
    sid       = "ImportFindings"
    actions   = ["securityhub:BatchImportFindings"]
    resources = ["arn:${local.partition}:securityhub:*:${local.account}:product/${local.account}/default"]
  }
  statement {
    sid       = "ReadFindings"
    actions   = ["securityhub:GetFindings"]
    resources = ["arn:${local.partition}:securityhub:*:${local.account}:hub/default"]
  }
}

data "aws_iam_policy_document" "member" {
  source_policy_documents = concat(
    [data.aws_iam_policy_document.rule.json],
    data.aws_iam_policy_document.security_hub[*].json,
  )
}

resource "aws_iam_role" "member" {
  name                 = var.role_name
  description          = "rumpolicy AWS Config rule in a member account (read-only, plus config:PutEvaluations)"
  assume_role_policy   = data.aws_iam_policy_document.trust.json
  max_session_duration = 3600
}

resource "aws_iam_role_policy" "member" {
  name   = "rumpolicy-config-rule"
  role   = aws_iam_role.member.id
  policy = data.aws_iam_policy_document.member.json
}
