output "artifacts_bucket" {
  description = "MLflow artifacts (gs://<bucket>/mlflow) and the KFP pipeline root (gs://<bucket>/pipeline-root)."
  value       = google_storage_bucket.artifacts.name
}

output "models_bucket" {
  description = "Versioned model store: gs://<bucket>/<model>/<version>/ is an InferenceService storageUri."
  value       = google_storage_bucket.folders["models"].name
}

output "payloads_bucket" {
  description = "Serving payload log written by the sink (payloads/), read by monitoring."
  value       = google_storage_bucket.folders["payloads"].name
}
