# Development: zonal database, one general node per zone, no GPU, no deletion protection
# (destroyable). Images come from the production project's registry: add this environment's
# node service account (output node_service_account) to registry_readers in environments/prod.

module "vigia" {
  source      = "../../modules/stack"
  project_id  = var.project_id
  region      = var.region
  environment = "dev"
  domain      = var.domain

  master_authorized_networks = var.master_authorized_networks
  general_pool = {
    machine_type = "e2-standard-4"
    min_nodes    = 1
    max_nodes    = 1
    disk_size_gb = 50
  }
  gpu_pool = {
    enabled          = false
    machine_type     = "g2-standard-8"
    accelerator_type = "nvidia-l4"
    accelerator_cnt  = 1
    max_nodes        = 1
  }
  database_tier      = "db-custom-1-3840"
  high_availability  = false
  protect_data       = false
  api_token_creators = var.api_token_creators
}
