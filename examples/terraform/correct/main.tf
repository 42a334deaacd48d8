# CloudWatch RUM for www.example.com, authorized the recommended way: a dedicated identity pool with
# guest access and the enhanced flow only, a guest role that trusts exactly this pool for
# unauthenticated identities, and permission to send events to exactly this app monitor.
# The Terraform form of examples/correct/rum-web.yaml.

data "aws_partition" "current" {}
data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

resource "aws_cognito_identity_pool" "rum" {
  identity_pool_name               = "rum-web"
  allow_unauthenticated_identities = true
  allow_classic_flow               = false
}

data "aws_iam_policy_document" "guest_trust" {
  statement {
    effect  = "Allow"
    actions = ["sts:AssumeRoleWithWebIdentity"]

    principals {
      type        = "Federated"
      identifiers = ["cognito-identity.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "cognito-identity.amazonaws.com:aud"
      values   = [aws_cognito_identity_pool.rum.id]
    }

    condition {
      test     = "ForAnyValue:StringLike"
      variable = "cognito-identity.amazonaws.com:amr"
      values   = ["unauthenticated"]
    }
  }
}

resource "aws_iam_role" "guest" {
  name               = "rum-web-guest"
  description        = "Assumed by anonymous browsers to send RUM telemetry."
  assume_role_policy = data.aws_iam_policy_document.guest_trust.json
}

resource "aws_iam_role_policy" "send_rum_events" {
  name = "send-rum-events"
  role = aws_iam_role.guest.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = "rum:PutRumEvents"
      Resource = aws_rum_app_monitor.web.arn
    }]
  })
}

resource "aws_cognito_identity_pool_roles_attachment" "rum" {
  identity_pool_id = aws_cognito_identity_pool.rum.id
  roles = {
    unauthenticated = aws_iam_role.guest.arn
  }
}

resource "aws_rum_app_monitor" "web" {
  name   = "www-example-com"
  domain = "www.example.com"

  app_monitor_configuration {
    identity_pool_id    = aws_cognito_identity_pool.rum.id
    session_sample_rate = 1
    telemetries         = ["errors", "performance", "http"]
  }
}

output "app_monitor_id" {
  value = aws_rum_app_monitor.web.app_monitor_id
}

output "identity_pool_id" {
  value = aws_cognito_identity_pool.rum.id
}
