variable "project_id" {
  type        = string
  description = "Google Cloud project of the Artifact Registry repository (vigia/images.toml names it: <region>-docker.pkg.dev/<project>/<repository>)."
  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", var.project_id))
    error_message = "project_id must be a valid Google Cloud project ID."
  }
}

variable "region" {
  type        = string
  description = "Region of the repository."
  validation {
    condition     = can(regex("^[a-z]+-[a-z]+[0-9]+$", var.region))
    error_message = "region must look like europe-west1."
  }
}

variable "repository_id" {
  type        = string
  description = "Repository name (the last path segment of the cluster registry in vigia/images.toml)."
  default     = "vigia"
  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,62}$", var.repository_id))
    error_message = "repository_id must be lowercase letters, digits or hyphens."
  }
}

variable "readers" {
  type        = list(string)
  description = "IAM members that pull images (the node service accounts of every cluster, e.g. serviceAccount:vigia-dev-nodes@...)."
  default     = []
  validation {
    condition     = alltrue([for m in var.readers : can(regex("^(serviceAccount|group|user):", m))])
    error_message = "readers must be IAM members such as serviceAccount:NAME@PROJECT.iam.gserviceaccount.com."
  }
}

variable "writers" {
  type        = list(string)
  description = "IAM members that push images (the release pipeline / CI identity)."
  default     = []
  validation {
    condition     = alltrue([for m in var.writers : can(regex("^(serviceAccount|group|user):", m))])
    error_message = "writers must be IAM members."
  }
}

variable "labels" {
  type        = map(string)
  description = "Labels on the repository."
  default     = {}
}
