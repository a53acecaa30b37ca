variable "project_id" {
  type        = string
  description = "Google Cloud project of the database."
  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", var.project_id))
    error_message = "project_id must be a valid Google Cloud project ID."
  }
}

variable "region" {
  type        = string
  description = "Region of the instance (the cluster's)."
  validation {
    condition     = can(regex("^[a-z]+-[a-z]+[0-9]+$", var.region))
    error_message = "region must look like europe-west1."
  }
}

variable "name" {
  type        = string
  description = "Instance name (e.g. vigia-prod-mlflow)."
  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,60}[a-z0-9]$", var.name))
    error_message = "name must be lowercase letters, digits or hyphens."
  }
}

variable "network_id" {
  type        = string
  description = "VPC ID with private service access (modules/network output network_id); the instance gets a private IP only. Call this module with depends_on = [module.network] so the peering exists first."
  validation {
    condition     = can(regex("^projects/.+/global/networks/.+$", var.network_id))
    error_message = "network_id must be projects/<project>/global/networks/<name>."
  }
}

variable "tier" {
  type        = string
  description = "Machine tier, e.g. db-custom-1-3840 (dev) or db-custom-2-7680 (prod)."
  default     = "db-custom-1-3840"
  validation {
    condition     = can(regex("^db-", var.tier))
    error_message = "tier must be a Cloud SQL tier such as db-custom-1-3840."
  }
}

variable "high_availability" {
  type        = bool
  description = "REGIONAL (standby in a second zone) instead of ZONAL."
  default     = false
}

variable "database_version" {
  type        = string
  description = "PostgreSQL major version."
  default     = "POSTGRES_18"
  validation {
    condition     = can(regex("^POSTGRES_1[4-9]$", var.database_version))
    error_message = "database_version must be POSTGRES_14 .. POSTGRES_19."
  }
}

variable "deletion_protection" {
  type        = bool
  description = "Refuse to delete the instance (MLflow's registry lives here)."
  default     = true
}

variable "labels" {
  type        = map(string)
  description = "Labels on the instance."
  default     = {}
}
