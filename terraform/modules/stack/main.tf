# One Vigía environment: network → cluster → buckets, database, workload identities → the
# in-cluster platform. environments/<stage> call this module with the stage's sizes.

locals {
  name = "vigia-${var.environment}"
  labels = {
    app         = "vigia"
    environment = var.environment
  }
}

resource "google_project_service" "this" {
  for_each = toset([
    "artifactregistry.googleapis.com",
    "compute.googleapis.com",
    "container.googleapis.com",
    "dns.googleapis.com",
    "iam.googleapis.com",
    "iamcredentials.googleapis.com",
    "secretmanager.googleapis.com",
    "servicenetworking.googleapis.com",
    "sqladmin.googleapis.com",
    "storage.googleapis.com",
  ])
  project            = var.project_id
  service            = each.value
  disable_on_destroy = false
}

module "network" {
  source     = "../network"
  project_id = var.project_id
  region     = var.region
  name       = local.name
  depends_on = [google_project_service.this]
}

module "gke" {
  source                     = "../gke"
  project_id                 = var.project_id
  name                       = local.name
  region                     = var.region
  network                    = module.network.network_name
  subnetwork                 = module.network.subnetwork_name
  pods_range_name            = module.network.pods_range_name
  services_range_name        = module.network.services_range_name
  master_authorized_networks = var.master_authorized_networks
  general_pool               = var.general_pool
  gpu_pool                   = var.gpu_pool
  deletion_protection        = var.protect_data
  labels                     = local.labels
}

module "storage" {
  source        = "../storage"
  project_id    = var.project_id
  location      = upper(var.region)
  bucket_prefix = var.project_id
  force_destroy = !var.protect_data
  labels        = local.labels
  depends_on    = [google_project_service.this]
}

module "cloudsql" {
  source              = "../cloudsql"
  project_id          = var.project_id
  region              = var.region
  name                = "${local.name}-mlflow"
  network_id          = module.network.network_id
  tier                = var.database_tier
  high_availability   = var.high_availability
  deletion_protection = var.protect_data
  labels              = local.labels
  depends_on          = [module.network]
}

# The Kubernetes ServiceAccounts are in manifests/base (same names).
module "workload_identity" {
  source     = "../workload-identity"
  project_id = var.project_id
  workloads = {
    vigia-pipelines = {
      namespace       = "kubeflow"
      service_account = "vigia-pipeline-runner"
      bucket_roles = {
        (module.storage.artifacts_bucket) = "roles/storage.objectUser"
        (module.storage.models_bucket)    = "roles/storage.objectUser"
        (module.storage.payloads_bucket)  = "roles/storage.objectViewer"
      }
    }
    vigia-mlflow = {
      namespace       = "vigia"
      service_account = "vigia-mlflow"
      bucket_roles    = { (module.storage.artifacts_bucket) = "roles/storage.objectUser" }
    }
    vigia-predictor = {
      namespace       = "vigia"
      service_account = "vigia-predictor"
      bucket_roles    = { (module.storage.models_bucket) = "roles/storage.objectViewer" }
    }
    vigia-payload-sink = {
      namespace       = "vigia"
      service_account = "vigia-payload-sink"
      bucket_roles = {
        (module.storage.models_bucket)   = "roles/storage.objectViewer"
        (module.storage.payloads_bucket) = "roles/storage.objectUser"
      }
    }
  }
  api_token_creators = var.api_token_creators
  depends_on         = [google_project_service.this, module.gke]
}

module "platform" {
  source        = "../platform"
  domain        = var.domain
  pipeline_root = "gs://${module.storage.artifacts_bucket}/pipeline-root"
  versions      = var.platform_versions
  depends_on    = [module.gke]
}
