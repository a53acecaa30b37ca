output "service_accounts" {
  description = "Workload name → Google service account email."
  value       = { for name, sa in google_service_account.workload : name => sa.email }
}

output "api_client_email" {
  description = "The API client service account (mint tokens with gcloud auth print-identity-token --impersonate-service-account=...)."
  value       = google_service_account.api_client.email
}
