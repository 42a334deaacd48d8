# The trust and permissions policies as heredoc JSON.
resource "aws_cognito_identity_pool" "web" {
  identity_pool_name               = "web"
  allow_unauthenticated_identities = true
  allow_classic_flow               = true
}

resource "aws_iam_role" "guest" {
  name               = "rum-guest"
  assume_role_policy = <<EOF
{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Principal": { "Federated": "cognito-identity.amazonaws.com" },
      "Action": "sts:AssumeRoleWithWebIdentity",
      "Condition": {
        "ForAnyValue:StringLike": { "cognito-identity.amazonaws.com:amr": "unauthenticated" }
      }
    }
  ]
}
EOF
}

resource "aws_iam_role_policy" "rum" {
  name   = "rum"
  role   = aws_iam_role.guest.id
  policy = <<-POLICY
    {
      "Version": "2012-10-17",
      "Statement": [{ "Effect": "Allow", "Action": "rum:*", "Resource": "*" }]
    }
  POLICY
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
