# What rumpolicy's AWS Config rule reads and writes in the account it evaluates, as one policy document:
# the execution role (its own account) and the member role (each member account) both grant it. The
# operations are rumpolicy.aws_config.allowed's MEMBER_ROLE_OPERATIONS, plus SECURITY_HUB_EXPORT when the
# export is on (tests/test_deploy.py compares them), on the account's own resources where IAM can scope
# the action to a resource. Regions are left open: an IAM role's change is followed to the monitors in
# the regions of the pools its trust names, and the Security Hub export writes in each region evaluated.

locals {
  partition = data.aws_partition.current.partition
  account   = data.aws_caller_identity.current.account_id
}

data "aws_partition" "current" {}
data "aws_caller_identity" "current" {}

data "aws_iam_policy_document" "chain" {
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

data "aws_iam_policy_document" "this" {
  source_policy_documents = concat(
    [data.aws_iam_policy_document.chain.json],
    data.aws_iam_policy_document.security_hub[*].json,
  )
}
