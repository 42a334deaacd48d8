output "function_arn" {
  description = "The rule's Lambda function."
  value       = aws_lambda_function.this.arn
}

output "execution_role_arn" {
  description = "The function's role: the member-role module's execution_role_arn."
  value       = aws_iam_role.execution.arn
}

output "rule_name" {
  description = "The Config rule (an organization rule with scope organization)."
  value       = local.organization ? aws_config_organization_custom_rule.this[0].name : aws_config_config_rule.this[0].name
}
