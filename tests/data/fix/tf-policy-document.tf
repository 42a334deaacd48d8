# The trust and permissions policies as aws_iam_policy_document data sources.
resource "aws_cognito_identity_pool" "web" {
  identity_pool_name               = "web"
  allow_unauthenticated_identities = true
  allow_classic_flow               = true
}

data "aws_iam_policy_document" "trust" {
  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]
    principals {
      type        = "Federated"
      identifiers = ["cognito-identity.amazonaws.com"]
    }
    condition {
      test     = "ForAnyValue:StringLike"
      variable = "cognito-identity.amazonaws.com:amr"
      values   = ["unauthenticated"]
    }
  }
}

data "aws_iam_policy_document" "rum" {
  statement {
    actions   = ["rum:*"] # every RUM action
    resources = ["*"]
  }
}

resource "aws_iam_role" "guest" {
  name               = "rum-guest"
  assume_role_policy = data.aws_iam_policy_document.trust.json
}

resource "aws_iam_role_policy" "rum" {
  name   = "rum"
  role   = aws_iam_role.guest.id
  policy = data.aws_iam_policy_document.rum.json
}

resource "aws_cognito_identity_pool_roles_attachment" "web" {
  identity_pool_id = aws_cognito_identity_pool.web.id
  roles            = { unauthenticated = aws_iam_role.guest.arn }
}

resource "aws_rum_app_monitor" "web" {
  name   = "web"
  domain = "www.example.com"
  app_monitor_configuration {
    identity_pool_id = aws_cognito_identity_pool.web.id
    guest_role_arn   = aws_iam_role.guest.arn
  }
}
