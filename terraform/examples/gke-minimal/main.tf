# The smallest useful use of modules/network + modules/gke: a private cluster with one small
# node per zone, no GPU, destroyable. terraform init && terraform apply -var project_id=...

provider "google" {
  project = var.project_id
  region  = var.region
}

module "network" {
  source     = "../../modules/network"
  project_id = var.project_id
  region     = var.region
  name       = "vigia-example"
}

module "gke" {
  source              = "../../modules/gke"
  project_id          = var.project_id
  name                = "vigia-example"
  region              = var.region
  network             = module.network.network_name
  subnetwork          = module.network.subnetwork_name
  deletion_protection = false
  labels              = { app = "vigia", environment = "example" }
  general_pool = {
    machine_type = "e2-standard-2"
    min_nodes    = 1
    max_nodes    = 1
    disk_size_gb = 30
  }
}
