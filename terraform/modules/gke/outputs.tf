output "name" {
  description = "Cluster name."
  value       = google_container_cluster.this.name
}

output "endpoint" {
  description = "Control-plane endpoint (private when no authorized networks are given)."
  value       = google_container_cluster.this.endpoint
  sensitive   = true
}

output "ca_certificate" {
  description = "Base64 cluster CA certificate, for the kubernetes and helm providers."
  value       = google_container_cluster.this.master_auth[0].cluster_ca_certificate
  sensitive   = true
}

output "workload_pool" {
  description = "Workload Identity pool (PROJECT.svc.id.goog)."
  value       = "${var.project_id}.svc.id.goog"
}

output "node_service_account" {
  description = "Email of the nodes' service account (grant it registry read access)."
  value       = google_service_account.nodes.email
}
