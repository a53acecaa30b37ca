variable "project_id" {
  type        = string
  description = "Google Cloud project of the cluster."
  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", var.project_id))
    error_message = "project_id must be a valid Google Cloud project ID."
  }
}

variable "name" {
  type        = string
  description = "Cluster name (also the prefix of its node pools and node service account)."
  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,24}$", var.name))
    error_message = "name must be 2-25 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "region" {
  type        = string
  description = "Region of the (regional, highly available) control plane and nodes."
  validation {
    condition     = can(regex("^[a-z]+-[a-z]+[0-9]+$", var.region))
    error_message = "region must look like europe-west1."
  }
}

variable "network" {
  type        = string
  description = "VPC name or self link (modules/network output network_name)."
  validation {
    condition     = length(var.network) > 0
    error_message = "network must not be empty."
  }
}

variable "subnetwork" {
  type        = string
  description = "Subnet name for the nodes (modules/network output subnetwork_name)."
  validation {
    condition     = length(var.subnetwork) > 0
    error_message = "subnetwork must not be empty."
  }
}

variable "pods_range_name" {
  type        = string
  description = "Secondary range of the subnet for pods."
  default     = "pods"
  validation {
    condition     = length(var.pods_range_name) > 0
    error_message = "pods_range_name must not be empty."
  }
}

variable "services_range_name" {
  type        = string
  description = "Secondary range of the subnet for Services."
  default     = "services"
  validation {
    condition     = length(var.services_range_name) > 0
    error_message = "services_range_name must not be empty."
  }
}

variable "kubernetes_version" {
  type        = string
  description = "Minimum control-plane version (minor); the REGULAR release channel upgrades within it. make infra-check validates manifests against the same minor."
  default     = "1.34"
  validation {
    condition     = can(regex("^1\\.[0-9]{2}$", var.kubernetes_version))
    error_message = "kubernetes_version must be a minor version such as 1.34."
  }
}

variable "master_ipv4_cidr_block" {
  type        = string
  description = "/28 range for the private control plane endpoint."
  default     = "172.16.0.0/28"
  validation {
    condition     = can(cidrhost(var.master_ipv4_cidr_block, 0)) && endswith(var.master_ipv4_cidr_block, "/28")
    error_message = "master_ipv4_cidr_block must be a /28 CIDR block."
  }
}

variable "master_authorized_networks" {
  type = list(object({
    cidr_block   = string
    display_name = string
  }))
  description = "Networks allowed to reach the Kubernetes API (e.g. the operators' office or a bastion). Empty: only from inside the VPC."
  default     = []
  validation {
    condition     = alltrue([for n in var.master_authorized_networks : can(cidrhost(n.cidr_block, 0))])
    error_message = "every master_authorized_networks cidr_block must be a CIDR block."
  }
}

variable "security_group" {
  type        = string
  description = "Google Group for Kubernetes RBAC (gke-security-groups@yourdomain), empty to disable Google Groups for RBAC."
  default     = ""
  validation {
    condition     = var.security_group == "" || can(regex("^gke-security-groups@", var.security_group))
    error_message = "security_group must be gke-security-groups@<your domain> or empty."
  }
}

variable "general_pool" {
  type = object({
    machine_type = string
    min_nodes    = number
    max_nodes    = number
    disk_size_gb = number
  })
  description = "The node pool that runs everything without a GPU (autoscaled per zone)."
  default = {
    machine_type = "e2-standard-4"
    min_nodes    = 1
    max_nodes    = 3
    disk_size_gb = 100
  }
  validation {
    condition     = var.general_pool.min_nodes >= 0 && var.general_pool.max_nodes >= var.general_pool.min_nodes && var.general_pool.disk_size_gb >= 20
    error_message = "general_pool needs 0 <= min_nodes <= max_nodes and disk_size_gb >= 20."
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
  description = "Optional GPU node pool (scales from zero; tainted nvidia.com/gpu so only pods that ask for a GPU land there)."
  default = {
    enabled          = false
    machine_type     = "g2-standard-8"
    accelerator_type = "nvidia-l4"
    accelerator_cnt  = 1
    max_nodes        = 2
  }
  validation {
    condition     = var.gpu_pool.accelerator_cnt >= 1 && var.gpu_pool.max_nodes >= 1
    error_message = "gpu_pool needs accelerator_cnt >= 1 and max_nodes >= 1."
  }
}

variable "deletion_protection" {
  type        = bool
  description = "Refuse terraform destroy of the cluster (set false only for throw-away environments)."
  default     = true
}

variable "labels" {
  type        = map(string)
  description = "Labels on the cluster and its nodes."
  default     = {}
}
