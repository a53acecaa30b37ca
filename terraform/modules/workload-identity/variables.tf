variable "project_id" {
  type        = string
  description = "Google Cloud project of the service accounts (and of the cluster's workload pool)."
  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", var.project_id))
    error_message = "project_id must be a valid Google Cloud project ID."
  }
}

variable "workloads" {
  type = map(object({
    namespace       = string
    service_account = string
    bucket_roles    = map(string)
  }))
  description = "Google service account name → the Kubernetes ServiceAccount (namespace/name) that impersonates it through Workload Identity, and its roles per bucket (bucket name → role). The manifests annotate each ServiceAccount with iam.gke.io/gcp-service-account = <name>@<project>.iam.gserviceaccount.com."
  validation {
    condition = alltrue([
      for name, w in var.workloads : can(regex("^[a-z][a-z0-9-]{5,29}$", name)) && length(w.namespace) > 0 && length(w.service_account) > 0
    ])
    error_message = "workload names must be valid service account IDs (6-30 chars) with a namespace and service_account."
  }
  validation {
    condition = alltrue(flatten([
      for w in var.workloads : [for role in values(w.bucket_roles) : contains(["roles/storage.objectViewer", "roles/storage.objectCreator", "roles/storage.objectUser"], role)]
    ]))
    error_message = "bucket roles are limited to roles/storage.objectViewer, objectCreator and objectUser (no admin roles)."
  }
}

variable "api_client_id" {
  type        = string
  description = "Service account whose Google-signed ID tokens the Istio gateway accepts (the allowed caller in manifests/base/mesh/gateway-auth.yaml)."
  default     = "vigia-client"
  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{5,29}$", var.api_client_id))
    error_message = "api_client_id must be a valid service account ID."
  }
}

variable "api_token_creators" {
  type        = list(string)
  description = "IAM members allowed to mint ID tokens as the API client (ministry systems, operators running the first curl)."
  default     = []
  validation {
    condition     = alltrue([for m in var.api_token_creators : can(regex("^(serviceAccount|group|user):", m))])
    error_message = "api_token_creators must be IAM members."
  }
}
