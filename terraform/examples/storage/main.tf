# modules/storage alone: the artifacts, model store and payload buckets (+ access logs) of a
# throw-away project. terraform init && terraform apply -var project_id=...

provider "google" {
  project = var.project_id
}

module "storage" {
  source        = "../../modules/storage"
  project_id    = var.project_id
  location      = "EUROPE-WEST1"
  bucket_prefix = var.project_id
  force_destroy = true
}
