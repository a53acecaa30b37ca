# Providers are configured here, in the root, never inside modules. The Kubernetes-side
# providers authenticate to the new cluster with the caller's Google access token.

provider "google" {
  project = var.project_id
  region  = var.region
}

data "google_client_config" "current" {}

locals {
  cluster_host = "https://${module.vigia.cluster_endpoint}"
  cluster_ca   = base64decode(module.vigia.cluster_ca_certificate)
  kubeconfig = yamlencode({
    apiVersion      = "v1"
    kind            = "Config"
    current-context = "vigia"
    clusters        = [{ name = "vigia", cluster = { server = local.cluster_host, certificate-authority-data = module.vigia.cluster_ca_certificate } }]
    users           = [{ name = "vigia", user = { token = data.google_client_config.current.access_token } }]
    contexts        = [{ name = "vigia", context = { cluster = "vigia", user = "vigia" } }]
  })
}

provider "kubernetes" {
  host                   = local.cluster_host
  token                  = data.google_client_config.current.access_token
  cluster_ca_certificate = local.cluster_ca
}

provider "helm" {
  kubernetes = {
    host                   = local.cluster_host
    token                  = data.google_client_config.current.access_token
    cluster_ca_certificate = local.cluster_ca
  }
}

provider "kustomization" {
  kubeconfig_raw = local.kubeconfig
}
