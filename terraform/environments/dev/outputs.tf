output "cluster_name" {
  description = "GKE cluster name."
  value       = module.vigia.cluster_name
}

output "buckets" {
  description = "Bucket names for manifests/overlays/dev (environment.env, mlflow.env)."
  value       = module.vigia.buckets
}

output "cloudsql_cidr" {
  description = "CLOUDSQL_CIDR for manifests/overlays/dev/environment.env."
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
  description = "Nodes' service account: add serviceAccount:<this> to registry_readers in environments/prod."
  value       = module.vigia.node_service_account
}
