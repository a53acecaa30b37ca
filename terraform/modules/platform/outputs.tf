output "kfp_namespace" {
  description = "Namespace where Kubeflow Pipelines runs pipeline pods (manifests/base/pipelines lives there)."
  value       = "kubeflow"
}

output "predictor_host_pattern" {
  description = "Host name of each InferenceService: <name>.vigia.<domain>."
  value       = "*.vigia.${var.domain}"
}

output "pushgateway_url" {
  description = "In-cluster URL where monitoring runs push vigia_drift_share and vigia_relative_wis."
  value       = "http://prometheus-pushgateway.monitoring.svc.cluster.local:9091"
}
