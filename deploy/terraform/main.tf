# rumpolicy as an AWS Config custom rule (docs/aws-config.md); the same resources as
# deploy/cloudformation/rumpolicy-config-rule.yaml.

locals {
  organization   = var.scope == "organization"
  scheduled      = var.maximum_execution_frequency != "Off"
  resource_types = ["AWS::RUM::AppMonitor", "AWS::Cognito::IdentityPool", "AWS::IAM::Role"]
  input_parameters = jsonencode(merge(
    { FailOn = var.fail_on },
    var.select == "" ? {} : { Select = var.select },
    var.ignore == "" ? {} : { Ignore = var.ignore },
  ))
  partition = data.aws_partition.current.partition
  account   = data.aws_caller_identity.current.account_id
}

data "aws_partition" "current" {}
data "aws_caller_identity" "current" {}

resource "aws_cloudwatch_log_group" "this" {
  name              = "/aws/lambda/${var.function_name}"
  retention_in_days = var.log_retention_in_days
}

data "aws_iam_policy_document" "lambda_trust" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

# Exactly the operations rumpolicy.aws_config.allowed lists (tests/test_deploy.py compares them): what
# is read and written in the evaluated account (./chain-permissions, which the member role grants too),
# the function's own logs, the service control policies (only the management account or a delegated
# administrator may read them, so only this role grants them) and, for an organization rule, the
# member role.
module "chain_permissions" {
  source                 = "./chain-permissions"
  export_to_security_hub = var.export_to_security_hub
}

data "aws_iam_policy_document" "rule" {
  statement {
    sid       = "OwnLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.this.arn}:*"]
  }
  statement {
    sid = "ReadServiceControlPolicies"
    actions = [
      "organizations:DescribeOrganization",
      "organizations:DescribePolicy",
      "organizations:ListParents",
      "organizations:ListPoliciesForTarget",
    ]
    resources = ["*"]
  }
}

data "aws_iam_policy_document" "assume_member" {
  count = local.organization ? 1 : 0

  statement {
    sid       = "AssumeMemberRole"
    actions   = ["sts:AssumeRole"]
    resources = ["arn:${local.partition}:iam::*:role/${var.member_role_name}"]
    condition {
      test     = "StringEquals"
      variable = "aws:ResourceOrgID"
      values   = [var.organization_id]
    }
  }
}

data "aws_iam_policy_document" "execution" {
  source_policy_documents = concat(
    [module.chain_permissions.json, data.aws_iam_policy_document.rule.json],
    data.aws_iam_policy_document.assume_member[*].json,
  )
}

resource "aws_iam_role" "execution" {
  name_prefix        = "rumpolicy-config-rule-"
  description        = "rumpolicy AWS Config rule (read-only, plus config:PutEvaluations)"
  assume_role_policy = data.aws_iam_policy_document.lambda_trust.json
}

resource "aws_iam_role_policy" "execution" {
  name   = "rumpolicy-config-rule"
  role   = aws_iam_role.execution.id
  policy = data.aws_iam_policy_document.execution.json
}

resource "aws_lambda_function" "this" {
  function_name                  = var.function_name
  description                    = "rumpolicy AWS Config rule (CloudWatch RUM authorization chain)"
  role                           = aws_iam_role.execution.arn
  handler                        = "rumpolicy.aws_config.handler"
  runtime                        = var.runtime
  architectures                  = [var.architecture]
  memory_size                    = 512
  timeout                        = 300
  reserved_concurrent_executions = var.reserved_concurrency

  filename         = var.lambda_zip_path
  source_code_hash = var.lambda_zip_path == null ? null : filebase64sha256(var.lambda_zip_path)
  s3_bucket        = var.code_s3_bucket
  s3_key           = var.code_s3_key

  logging_config {
    log_format = "Text"
    log_group  = aws_cloudwatch_log_group.this.name
  }

  environment {
    variables = merge(
      { RUMPOLICY_SECURITY_HUB = tostring(var.export_to_security_hub) },
      local.organization ? { RUMPOLICY_MEMBER_ROLE_NAME = var.member_role_name } : {},
    )
  }

  lifecycle {
    precondition {
      condition     = (var.lambda_zip_path != null) != (var.code_s3_bucket != null && var.code_s3_key != null)
      error_message = "Set lambda_zip_path, or code_s3_bucket and code_s3_key (not both)."
    }
    precondition {
      condition     = !local.organization || var.organization_id != null
      error_message = "scope organization needs organization_id."
    }
  }

  depends_on = [aws_iam_role_policy.execution]
}

# Config invokes the function. For an account rule, only this account's Config (source_account). For an
# organization rule, Config in every member account invokes it, and Lambda accepts neither a list of
# source accounts nor a principal organization for a service principal: the permission names the
# principal only, and the function reaches no account outside the organization (assume_member above).
resource "aws_lambda_permission" "config" {
  statement_id   = "AllowConfig"
  action         = "lambda:InvokeFunction"
  function_name  = aws_lambda_function.this.function_name
  principal      = "config.amazonaws.com"
  source_account = local.organization ? null : local.account
}

resource "aws_config_config_rule" "this" {
  count = local.organization ? 0 : 1

  name             = var.rule_name
  description      = "rumpolicy checks the authorization chain of CloudWatch RUM app monitors."
  input_parameters = local.input_parameters

  scope {
    compliance_resource_types = local.resource_types
  }

  source {
    owner             = "CUSTOM_LAMBDA"
    source_identifier = aws_lambda_function.this.arn

    source_detail {
      event_source = "aws.config"
      message_type = "ConfigurationItemChangeNotification"
    }
    source_detail {
      event_source = "aws.config"
      message_type = "OversizedConfigurationItemChangeNotification"
    }
    dynamic "source_detail" {
      for_each = local.scheduled ? [var.maximum_execution_frequency] : []
      content {
        event_source                = "aws.config"
        message_type                = "ScheduledNotification"
        maximum_execution_frequency = source_detail.value
      }
    }
  }

  depends_on = [aws_lambda_permission.config]
}

resource "aws_config_organization_custom_rule" "this" {
  count = local.organization ? 1 : 0

  name                        = var.rule_name
  description                 = "rumpolicy checks the authorization chain of CloudWatch RUM app monitors."
  lambda_function_arn         = aws_lambda_function.this.arn
  trigger_types               = concat(["ConfigurationItemChangeNotification", "OversizedConfigurationItemChangeNotification"], local.scheduled ? ["ScheduledNotification"] : [])
  resource_types_scope        = local.resource_types
  maximum_execution_frequency = local.scheduled ? var.maximum_execution_frequency : null
  input_parameters            = local.input_parameters
  excluded_accounts           = length(var.excluded_accounts) > 0 ? var.excluded_accounts : null

  depends_on = [aws_lambda_permission.config]
}
