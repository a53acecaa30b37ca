output "instance_name" {
  description = "Cloud SQL instance name."
  value       = google_sql_database_instance.this.name
}

output "private_ip" {
  description = "Private IP of the instance (inside the private services range)."
  value       = google_sql_database_instance.this.private_ip_address
}

output "backend_store_uri_secret" {
  description = "Secret Manager secret holding MLflow's backend-store URI (read it with gcloud secrets versions access latest --secret=...)."
  value       = google_secret_manager_secret.backend_store_uri.secret_id
}
