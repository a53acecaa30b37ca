output "registry" {
  description = "Image registry path; must equal [registries] cluster in vigia/images.toml."
  value       = "${var.region}-docker.pkg.dev/${var.project_id}/${google_artifact_registry_repository.this.repository_id}"
}
