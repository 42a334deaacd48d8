output "json" {
  description = "The policy document (JSON)."
  value       = data.aws_iam_policy_document.this.json
}
