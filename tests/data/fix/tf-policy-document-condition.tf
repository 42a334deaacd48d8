# A trust policy as an aws_iam_policy_document whose statement has no condition at all: `rumpolicy fix`
# adds `condition` blocks for `aud` and `amr` to it.
resource "aws_cognito_identity_pool" "web" {
  identity_pool_name               = "web"
  allow_unauthenticated_identities = true
}

data "aws_iam_policy_document" "trust" {
  statement {
    effect  = "Allow"
    actions = ["sts:AssumeRoleWithWebIdentity"]

    principals {
      type        = "Federated"
      identifiers = ["cognito-identity.amazonaws.com"]
    }
  } # the only statement
}

resource "aws_iam_role" "guest" {
  name               = "rum-guest"
  assume_role_policy = data.aws_iam_policy_document.trust.json
}

resource "aws_iam_role_policy" "rum" {
  name = "rum"
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

resource "aws_cognito_identity_pool_roles_attachment" "web" {
  identity_pool_id = aws_cognito_identity_pool.web.id
  roles            = { unauthenticated = aws_iam_role.guest.arn }
}

resource "aws_rum_app_monitor" "web" {
  name   = "web"
  domain = "www.example.com"
  app_monitor_configuration {
    identity_pool_id = aws_cognito_identity_pool.web.id
  }
}
