# The role rumpolicy's organization Config rule assumes in one member account (the same as
# deploy/cloudformation/rumpolicy-config-member-role.yaml). Apply it with a provider for that account.

data "aws_iam_policy_document" "trust" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "AWS"
      identifiers = [var.execution_role_arn]
    }
  }
}

# What the function reads and writes in this account: the operations of rumpolicy.aws_config.allowed's
# MEMBER_ROLE_OPERATIONS (tests/test_deploy.py compares them), the same document the execution role grants.
module "chain_permissions" {
  source                 = "../chain-permissions"
  export_to_security_hub = var.export_to_security_hub
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
  policy = module.chain_permissions.json
}
