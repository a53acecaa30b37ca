variable "project_id" {
  type        = string
  description = "Google Cloud project of this environment."
  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", var.project_id))
    error_message = "project_id must be a valid Google Cloud project ID."
  }
}

variable "region" {
  type        = string
  description = "Region of every regional resource (data stays in it)."
  validation {
    condition     = can(regex("^[a-z]+-[a-z]+[0-9]+$", var.region))
    error_message = "region must look like europe-west1."
  }
}

variable "environment" {
  type        = string
  description = "Stage name: dev or prod (resource names are vigia-<environment>-...)."
  validation {
    condition     = contains(["dev", "prod"], var.environment)
    error_message = "environment must be dev or prod."
  }
}

variable "domain" {
  type        = string
  description = "DNS domain of the prediction endpoints (<model>.vigia.<domain>)."
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
  description = "Networks allowed to reach the Kubernetes API (passed to modules/gke)."
  default     = []
  validation {
    condition     = alltrue([for n in var.master_authorized_networks : can(cidrhost(n.cidr_block, 0))])
    error_message = "every cidr_block must be a CIDR block."
  }
}

variable "general_pool" {
  type = object({
    machine_type = string
    min_nodes    = number
    max_nodes    = number
    disk_size_gb = number
  })
  description = "General node pool size (modules/gke)."
  validation {
    condition     = var.general_pool.max_nodes >= var.general_pool.min_nodes
    error_message = "general_pool.max_nodes must be >= min_nodes."
  }
}

variable "gpu_pool" {
  type = object({
    enabled          = bool
    machine_type     = string
    accelerator_type = string
    accelerator_cnt  = number
    max_nodes        = number
  })
  description = "Optional GPU node pool (modules/gke)."
  validation {
    condition     = var.gpu_pool.accelerator_cnt >= 1
    error_message = "gpu_pool.accelerator_cnt must be >= 1."
  }
}

variable "database_tier" {
  type        = string
  description = "Cloud SQL tier of MLflow's database."
  validation {
    condition     = can(regex("^db-", var.database_tier))
    error_message = "database_tier must be a Cloud SQL tier."
  }
}

variable "high_availability" {
  type        = bool
  description = "Regional (HA) Cloud SQL instance."
}

variable "protect_data" {
  type        = bool
  description = "Deletion protection on the cluster and the database, and no force-destroy of buckets."
}

variable "api_token_creators" {
  type        = list(string)
  description = "IAM members allowed to mint ID tokens for the prediction API (modules/workload-identity)."
  default     = []
  validation {
    condition     = alltrue([for m in var.api_token_creators : can(regex("^(serviceAccount|group|user):", m))])
    error_message = "api_token_creators must be IAM members."
  }
}

variable "platform_versions" {
  type = object({
    cert_manager          = string
    istio                 = string
    knative               = string
    kserve                = string
    kfp                   = string
    kube_prometheus_stack = string
    pushgateway           = string
  })
  description = "Pinned platform component versions (modules/platform); null keeps the module's defaults."
  default     = null
}
