output "cluster_name" {
  description = "GKE cluster name (gcloud container clusters get-credentials ...)."
  value       = module.gke.name
}

output "cluster_endpoint" {
  description = "Kubernetes API endpoint."
  value       = module.gke.endpoint
  sensitive   = true
}

output "cluster_ca_certificate" {
  description = "Base64 CA certificate of the cluster."
  value       = module.gke.ca_certificate
  sensitive   = true
}

output "node_service_account" {
  description = "Nodes' service account (needs read access to the image registry)."
  value       = module.gke.node_service_account
}

output "buckets" {
  description = "Bucket names: MODELS_BUCKET / PAYLOADS_BUCKET in manifests/overlays/<stage>/environment.env, artifacts in mlflow.env."
  value = {
    artifacts = module.storage.artifacts_bucket
    models    = module.storage.models_bucket
    payloads  = module.storage.payloads_bucket
  }
}

output "cloudsql_cidr" {
  description = "CLOUDSQL_CIDR in manifests/overlays/<stage>/environment.env."
  value       = module.network.private_services_cidr
}

output "mlflow_backend_secret" {
  description = "Secret Manager secret with MLflow's backend-store URI."
  value       = module.cloudsql.backend_store_uri_secret
}

output "service_accounts" {
  description = "Workload identities (Kubernetes ServiceAccount annotations in manifests/)."
  value       = module.workload_identity.service_accounts
}

output "api_client_email" {
  description = "Service account whose ID tokens the gateway accepts."
  value       = module.workload_identity.api_client_email
}

output "predictor_host_pattern" {
  description = "Host names of the InferenceServices (PREDICTOR_HOSTS)."
  value       = module.platform.predictor_host_pattern
}
