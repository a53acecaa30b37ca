output "network_id" {
  description = "ID of the VPC."
  value       = google_compute_network.this.id
}

output "network_name" {
  description = "Name of the VPC."
  value       = google_compute_network.this.name
}

output "subnetwork_name" {
  description = "Name of the nodes subnet."
  value       = google_compute_subnetwork.nodes.name
}

output "pods_range_name" {
  description = "Name of the subnet's secondary range for pods."
  value       = "pods"
}

output "services_range_name" {
  description = "Name of the subnet's secondary range for Services."
  value       = "services"
}

output "private_services_cidr" {
  description = "Range of Google-managed private services (Cloud SQL); CLOUDSQL_CIDR in manifests/overlays/*/environment.env."
  value       = var.private_services_cidr
}

output "private_services_connection" {
  description = "The service networking connection; Cloud SQL depends on it."
  value       = google_service_networking_connection.private_services.id
}
