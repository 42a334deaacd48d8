terraform {
  # 1.2: lifecycle preconditions (the code comes from exactly one place).
  required_version = ">= 1.2"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # 5.x: aws_lambda_function's logging_config.
      version = ">= 5.30"
    }
  }
}
