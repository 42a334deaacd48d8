# CloudWatch RUM for shop.example.com, set up the way many real configurations are: it applies, and
# then either no browser can send telemetry or anyone on the internet gets more than telemetry.
# The Terraform form of examples/broken/rum-shop.yaml.

resource "aws_cognito_identity_pool" "shop" {
  identity_pool_name               = "shop"
  allow_unauthenticated_identities = true
  # The monitor hands out snippets with guestRoleArn (basic flow), but the classic flow is off.
  allow_classic_flow = false
}

resource "aws_iam_role" "shop_guest" {
  name = "shop-guest"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      # No `aud` condition: identities of any identity pool could assume this role.
      {
        Effect    = "Allow"
        Principal = { Federated = "cognito-identity.amazonaws.com" }
        Action    = "sts:AssumeRoleWithWebIdentity"
        Condition = {
          "ForAnyValue:StringLike" = { "cognito-identity.amazonaws.com:amr" = "unauthenticated" }
        }
      }
    ]
  })

  inline_policy {
    name = "rum-everything"
    policy = jsonencode({
      Version = "2012-10-17"
      Statement = [
        # Guest credentials are public: this lets anyone rewrite or delete every app monitor.
        {
          Effect   = "Allow"
          Action   = "rum:*"
          Resource = "*"
        }
      ]
    })
  }
}

resource "aws_cognito_identity_pool_roles_attachment" "shop" {
  identity_pool_id = aws_cognito_identity_pool.shop.id
  roles = {
    unauthenticated = aws_iam_role.shop_guest.arn
  }
}

resource "aws_rum_app_monitor" "shop" {
  name   = "shop-example-com"
  domain = "shop.example.com"

  app_monitor_configuration {
    identity_pool_id    = aws_cognito_identity_pool.shop.id
    guest_role_arn      = aws_iam_role.shop_guest.arn
    session_sample_rate = 1
    telemetries         = ["errors", "performance", "http"]
  }
}
