variable "project_id" {
  type        = string
  description = "Google Cloud project of the buckets."
  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", var.project_id))
    error_message = "project_id must be a valid Google Cloud project ID."
  }
}

variable "location" {
  type        = string
  description = "Bucket location: the cluster's region (e.g. EUROPE-WEST1) keeps data in-country/region."
  validation {
    condition     = can(regex("^[A-Za-z0-9-]+$", var.location))
    error_message = "location must be a Cloud Storage location such as EUROPE-WEST1."
  }
}

variable "bucket_prefix" {
  type        = string
  description = "Prefix of the bucket names: <prefix>-artifacts, -models, -payloads, -access-logs. Bucket names are global: use the project ID."
  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{2,40}[a-z0-9]$", var.bucket_prefix))
    error_message = "bucket_prefix must be 4-42 lowercase letters, digits or hyphens."
  }
}

variable "payload_retention_days" {
  type        = number
  description = "Days to keep serving payload logs (requests and responses) before deletion."
  default     = 400
  validation {
    condition     = var.payload_retention_days >= 30 && var.payload_retention_days <= 3650
    error_message = "payload_retention_days must be between 30 and 3650."
  }
}

variable "force_destroy" {
  type        = bool
  description = "Allow terraform destroy to delete non-empty buckets (throw-away environments only)."
  default     = false
}

variable "labels" {
  type        = map(string)
  description = "Labels on every bucket."
  default     = {}
}
