output "cluster_name" {
  description = "GKE cluster name."
  value       = module.vigia.cluster_name
}

output "registry" {
  description = "Image registry; must equal [registries] cluster in vigia/images.toml."
  value       = module.registry.registry
}

output "buckets" {
  description = "Bucket names for manifests/overlays/prod (environment.env, mlflow.env)."
  value       = module.vigia.buckets
}

output "cloudsql_cidr" {
  description = "CLOUDSQL_CIDR for manifests/overlays/prod/environment.env."
  value       = module.vigia.cloudsql_cidr
}

output "mlflow_backend_secret" {
  description = "Secret Manager secret with MLflow's backend-store URI."
  value       = module.vigia.mlflow_backend_secret
}

output "api_client_email" {
  description = "Service account whose ID tokens the gateway accepts."
  value       = module.vigia.api_client_email
}

output "node_service_account" {
  description = "Nodes' service account."
  value       = module.vigia.node_service_account
}
