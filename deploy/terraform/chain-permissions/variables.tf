variable "export_to_security_hub" {
  description = "Whether the Security Hub export's two actions are granted too."
  type        = bool
  default     = false
}
