variable "lambda_zip_path" {
  description = "Local path of the package `make lambda-zip` built (build/rumpolicy-config-rule.zip). Set this, or code_s3_bucket and code_s3_key."
  type        = string
  default     = null
}

variable "code_s3_bucket" {
  description = "Bucket holding the package (same region as the function), instead of lambda_zip_path."
  type        = string
  default     = null
}

variable "code_s3_key" {
  description = "Key of the package in code_s3_bucket. Upload each build under a new key: the function's code changes only when the key does."
  type        = string
  default     = null
}

variable "runtime" {
  description = "The Lambda runtime: the one `make lambda-zip` printed (the package holds compiled extensions for one Python version)."
  type        = string
  default     = "python3.12"

  validation {
    condition     = contains(["python3.11", "python3.12", "python3.13"], var.runtime)
    error_message = "runtime must be python3.11, python3.12 or python3.13."
  }
}

variable "architecture" {
  description = "The Lambda architecture the package was built on (`make lambda-zip` prints it)."
  type        = string
  default     = "x86_64"

  validation {
    condition     = contains(["x86_64", "arm64"], var.architecture)
    error_message = "architecture must be x86_64 or arm64."
  }
}

variable "scope" {
  description = "account: a Config rule in this account. organization: an organization Config rule in every member account (apply in the management or delegated administrator account, after the member-role module or StackSet)."
  type        = string
  default     = "account"

  validation {
    condition     = contains(["account", "organization"], var.scope)
    error_message = "scope must be account or organization."
  }
}

variable "organization_id" {
  description = "With scope organization: the organization's id. The function may assume the member role only in accounts of this organization (aws:ResourceOrgID)."
  type        = string
  default     = null

  validation {
    condition     = var.organization_id == null || can(regex("^o-[a-z0-9]{10,32}$", var.organization_id))
    error_message = "organization_id looks like o-abcdefghij."
  }
}

variable "member_role_name" {
  description = "With scope organization: the role the function assumes in each member account (the member-role module's role_name)."
  type        = string
  default     = "rumpolicy-config-rule-member"
}

variable "excluded_accounts" {
  description = "With scope organization: accounts the rule is not deployed to."
  type        = list(string)
  default     = []
}

variable "rule_name" {
  description = "Name of the Config rule."
  type        = string
  default     = "rumpolicy-rum-authorization-chain"
}

variable "function_name" {
  description = "Name of the Lambda function (and of its log group, /aws/lambda/<name>)."
  type        = string
  default     = "rumpolicy-config-rule"
}

variable "maximum_execution_frequency" {
  description = "How often the scheduled evaluation runs; \"Off\" for none (changes only, see docs/scale.md)."
  type        = string
  default     = "TwentyFour_Hours"

  validation {
    condition     = contains(["One_Hour", "Three_Hours", "Six_Hours", "Twelve_Hours", "TwentyFour_Hours", "Off"], var.maximum_execution_frequency)
    error_message = "maximum_execution_frequency must be One_Hour, Three_Hours, Six_Hours, Twelve_Hours, TwentyFour_Hours or Off."
  }
}

variable "fail_on" {
  description = "The least severe finding that makes a resource NON_COMPLIANT."
  type        = string
  default     = "error"

  validation {
    condition     = contains(["error", "warning", "info"], var.fail_on)
    error_message = "fail_on must be error, warning or info."
  }
}

variable "select" {
  description = "Comma-separated rule ids (or prefixes) to run; empty runs them all."
  type        = string
  default     = ""
}

variable "ignore" {
  description = "Comma-separated rule ids (or prefixes) to leave out."
  type        = string
  default     = ""
}

variable "export_to_security_hub" {
  description = "Also import rumpolicy's findings into Security Hub (in the evaluated account)."
  type        = bool
  default     = false
}

variable "log_retention_in_days" {
  description = "Retention of the function's log group."
  type        = number
  default     = 90
}

variable "reserved_concurrency" {
  description = "Concurrent executions reserved for (and capping) the function; -1 reserves none. Config invokes asynchronously, so throttled evaluations are retried, not lost."
  type        = number
  default     = -1
}
