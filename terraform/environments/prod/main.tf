# Production: HA database, three to six general nodes (1-2 per zone), an optional GPU pool (off until a GPU
# model ships), deletion protection on, and the image registry named in vigia/images.toml.

module "vigia" {
  source      = "../../modules/stack"
  project_id  = var.project_id
  region      = var.region
  environment = "prod"
  domain      = var.domain

  master_authorized_networks = var.master_authorized_networks
  general_pool = {
    machine_type = "e2-standard-4"
    min_nodes    = 1
    max_nodes    = 2
    disk_size_gb = 100
  }
  gpu_pool = {
    enabled          = false
    machine_type     = "g2-standard-8"
    accelerator_type = "nvidia-l4"
    accelerator_cnt  = 1
    max_nodes        = 2
  }
  database_tier      = "db-custom-2-7680"
  high_availability  = true
  protect_data       = true
  api_token_creators = var.api_token_creators
}

module "registry" {
  source     = "../../modules/registry"
  project_id = var.project_id
  region     = var.region
  readers    = concat(["serviceAccount:${module.vigia.node_service_account}"], var.registry_readers)
  writers    = var.registry_writers
  depends_on = [module.vigia]
}
