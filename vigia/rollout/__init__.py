"""Model releases on a Kubernetes cluster: KServe InferenceServices patched through the
Kubernetes API (canary, promotion, roll back), judged on the canary's Prometheus metrics."""
