variable "domain" {
  type        = string
  description = "DNS domain of the prediction endpoints: Knative serves <model>.vigia.<domain> (PREDICTOR_HOSTS in the manifests overlay)."
  validation {
    condition     = can(regex("^([a-z0-9-]+\\.)+[a-z]{2,}$", var.domain))
    error_message = "domain must be a DNS name such as vigia-health.org."
  }
}

variable "pipeline_root" {
  type        = string
  description = "KFP default pipeline root (gs://<artifacts bucket>/pipeline-root): where run artifacts go."
  validation {
    condition     = can(regex("^gs://[a-z0-9][a-z0-9._-]+/.+$", var.pipeline_root))
    error_message = "pipeline_root must be gs://<bucket>/<folder>."
  }
}

variable "versions" {
  type = object({
    cert_manager          = string
    istio                 = string
    knative               = string
    kserve                = string
    kfp                   = string
    kube_prometheus_stack = string
    pushgateway           = string
  })
  nullable    = false
  description = "Pinned versions of every component. kserve must match the CRD schemas in tools/infra/schemas/kserve (0.21 line); kfp the backend for the kfp SDK in requirements.lock."
  default = {
    cert_manager          = "v1.19.1"
    istio                 = "1.28.0"
    knative               = "1.20.0"
    kserve                = "v0.21.0"
    kfp                   = "2.14.5"
    kube_prometheus_stack = "79.5.0"
    pushgateway           = "3.4.2"
  }
  validation {
    condition = alltrue([
      for v in values(var.versions) : can(regex("^v?[0-9]+\\.[0-9]+\\.[0-9]+$", v))
    ])
    error_message = "every version must be an exact release such as 1.2.3 or v1.2.3 (no ranges, no latest)."
  }
}

variable "prometheus_retention" {
  type        = string
  description = "How long Prometheus keeps samples (e.g. 30d)."
  default     = "30d"
  validation {
    condition     = can(regex("^[0-9]+[dwy]$", var.prometheus_retention))
    error_message = "prometheus_retention must look like 30d, 8w or 1y."
  }
}
