variable "execution_role_arn" {
  description = "The parent module's execution_role_arn: the only principal the member role trusts."
  type        = string
}

variable "role_name" {
  description = "The parent module's member_role_name."
  type        = string
  default     = "rumpolicy-config-rule-member"
}

variable "export_to_security_hub" {
  description = "The parent module's export_to_security_hub."
  type        = bool
  default     = false
}
