output "cluster_name" {
  description = "Name of the example cluster (gcloud container clusters get-credentials ...)."
  value       = module.gke.name
}
