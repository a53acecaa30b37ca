variable "project_id" {
  type        = string
  description = "Google Cloud project of the production environment (also hosts the image registry)."
  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", var.project_id))
    error_message = "project_id must be a valid Google Cloud project ID."
  }
}

variable "region" {
  type        = string
  description = "Region of every resource."
  default     = "europe-west1"
  validation {
    condition     = can(regex("^[a-z]+-[a-z]+[0-9]+$", var.region))
    error_message = "region must look like europe-west1."
  }
}

variable "domain" {
  type        = string
  description = "DNS domain of the prediction endpoints."
  validation {
    condition     = can(regex("^([a-z0-9-]+\\.)+[a-z]{2,}$", var.domain))
    error_message = "domain must be a DNS name."
  }
}

variable "master_authorized_networks" {
  type = list(object({
    cidr_block   = string
    display_name = string
  }))
  description = "Networks allowed to reach the Kubernetes API."
  default     = []
  validation {
    condition     = alltrue([for n in var.master_authorized_networks : can(cidrhost(n.cidr_block, 0))])
    error_message = "every cidr_block must be a CIDR block."
  }
}

variable "api_token_creators" {
  type        = list(string)
  description = "IAM members allowed to mint ID tokens for the prediction API."
  default     = []
  validation {
    condition     = alltrue([for m in var.api_token_creators : can(regex("^(serviceAccount|group|user):", m))])
    error_message = "api_token_creators must be IAM members."
  }
}

variable "registry_readers" {
  type        = list(string)
  description = "Other clusters' node service accounts that pull images from this project's registry (e.g. dev's)."
  default     = []
  validation {
    condition     = alltrue([for m in var.registry_readers : can(regex("^serviceAccount:", m))])
    error_message = "registry_readers must be serviceAccount: members."
  }
}

variable "registry_writers" {
  type        = list(string)
  description = "Identities that push release images (CI / release engineers)."
  default     = []
  validation {
    condition     = alltrue([for m in var.registry_writers : can(regex("^(serviceAccount|group|user):", m))])
    error_message = "registry_writers must be IAM members."
  }
}
