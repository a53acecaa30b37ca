# The Docker repository of Vigía's images. Tags are immutable: a tag such as 0.1.0 (the one in
# vigia/images.toml) always names the same image, which is why manifests pin tags, not digests.

resource "google_artifact_registry_repository" "this" {
  #checkov:skip=CKV_GCP_84:The images hold open-source code and no data or secrets; Google-managed encryption at rest is enough, and a customer key would add a KMS dependency to every node's image pull.
  project       = var.project_id
  location      = var.region
  repository_id = var.repository_id
  format        = "DOCKER"
  description   = "Vigía container images (project image and predictor)."
  labels        = var.labels

  docker_config {
    immutable_tags = true
  }

  vulnerability_scanning_config {
    enablement_config = "INHERITED"
  }
}

resource "google_artifact_registry_repository_iam_member" "readers" {
  for_each   = toset(var.readers)
  project    = var.project_id
  location   = var.region
  repository = google_artifact_registry_repository.this.name
  role       = "roles/artifactregistry.reader"
  member     = each.value
}

resource "google_artifact_registry_repository_iam_member" "writers" {
  for_each   = toset(var.writers)
  project    = var.project_id
  location   = var.region
  repository = google_artifact_registry_repository.this.name
  role       = "roles/artifactregistry.writer"
  member     = each.value
}
