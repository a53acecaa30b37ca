output "models_bucket" {
  description = "The model store bucket (gs://<bucket>/<model>/<version>/)."
  value       = module.storage.models_bucket
}
