# What Vigía needs inside the cluster, pinned: cert-manager, Istio (mTLS, JWT authentication at
# the gateway), Knative Serving (KServe Serverless mode: canary traffic split, scale to zero),
# KServe, Kubeflow Pipelines (standalone) and kube-prometheus-stack + Pushgateway.
# Helm where the project publishes a chart; Knative and KFP publish kustomize/YAML releases,
# applied with the kustomization provider. Apply after the cluster exists (terraform/README.md).

locals {
  knative_base = "https://github.com/knative"
  kfp_base     = "github.com/kubeflow/pipelines/manifests/kustomize"
}

resource "helm_release" "cert_manager" {
  name             = "cert-manager"
  namespace        = "cert-manager"
  create_namespace = true
  repository       = "https://charts.jetstack.io"
  chart            = "cert-manager"
  version          = var.versions.cert_manager
  values           = [yamlencode({ crds = { enabled = true } })]
}

resource "helm_release" "istio_base" {
  name             = "istio-base"
  namespace        = "istio-system"
  create_namespace = true
  repository       = "https://istio-release.storage.googleapis.com/charts"
  chart            = "base"
  version          = var.versions.istio
}

resource "helm_release" "istiod" {
  name       = "istiod"
  namespace  = "istio-system"
  repository = "https://istio-release.storage.googleapis.com/charts"
  chart      = "istiod"
  version    = var.versions.istio
  values = [yamlencode({
    meshConfig = { enablePrometheusMerge = true }
  })]
  depends_on = [helm_release.istio_base]
}

# Pods labelled istio=ingressgateway: the selector of manifests/base/mesh/gateway-auth.yaml.
resource "helm_release" "istio_gateway" {
  name       = "istio-ingressgateway"
  namespace  = "istio-system"
  repository = "https://istio-release.storage.googleapis.com/charts"
  chart      = "gateway"
  version    = var.versions.istio
  values     = [yamlencode({ labels = { istio = "ingressgateway" } })]
  depends_on = [helm_release.istiod]
}

data "kustomization_overlay" "knative_crds" {
  resources = ["${local.knative_base}/serving/releases/download/knative-v${var.versions.knative}/serving-crds.yaml"]
}

resource "kustomization_resource" "knative_crds" {
  for_each = data.kustomization_overlay.knative_crds.ids
  manifest = data.kustomization_overlay.knative_crds.manifests[each.value]
}

# Knative's activator joins the mesh: the predictors' namespace enforces STRICT mTLS and admits
# the activator by its mesh identity (manifests/base/mesh/workload-auth.yaml).
data "kustomization_overlay" "knative" {
  resources = [
    "${local.knative_base}/serving/releases/download/knative-v${var.versions.knative}/serving-core.yaml",
    "${local.knative_base}/net-istio/releases/download/knative-v${var.versions.knative}/net-istio.yaml",
  ]

  patches {
    target {
      kind = "Namespace"
      name = "knative-serving"
    }
    patch = <<-EOT
      - op: add
        path: /metadata/labels/istio-injection
        value: enabled
    EOT
  }
}

resource "kustomization_resource" "knative" {
  for_each   = data.kustomization_overlay.knative.ids
  manifest   = data.kustomization_overlay.knative.manifests[each.value]
  depends_on = [kustomization_resource.knative_crds, helm_release.istio_gateway]
}

resource "kubernetes_config_map_v1_data" "knative_domain" {
  metadata {
    name      = "config-domain"
    namespace = "knative-serving"
  }
  data       = { (var.domain) = "" }
  force      = true
  depends_on = [kustomization_resource.knative]
}

resource "helm_release" "kserve_crd" {
  name             = "kserve-crd"
  namespace        = "kserve"
  create_namespace = true
  repository       = "oci://ghcr.io/kserve/charts"
  chart            = "kserve-crd"
  version          = var.versions.kserve
}

resource "helm_release" "kserve" {
  name       = "kserve"
  namespace  = "kserve"
  repository = "oci://ghcr.io/kserve/charts"
  chart      = "kserve"
  version    = var.versions.kserve
  values = [yamlencode({
    kserve = {
      controller = { deploymentMode = "Serverless" }
    }
  })]
  depends_on = [helm_release.kserve_crd, helm_release.cert_manager, kubernetes_config_map_v1_data.knative_domain]
}

data "kustomization_build" "kfp_cluster" {
  path = "${local.kfp_base}/cluster-scoped-resources?ref=${var.versions.kfp}"
}

resource "kustomization_resource" "kfp_cluster" {
  for_each = data.kustomization_build.kfp_cluster.ids
  manifest = data.kustomization_build.kfp_cluster.manifests[each.value]
}

data "kustomization_build" "kfp" {
  path = "${local.kfp_base}/env/platform-agnostic?ref=${var.versions.kfp}"
}

resource "kustomization_resource" "kfp" {
  for_each   = data.kustomization_build.kfp.ids
  manifest   = data.kustomization_build.kfp.manifests[each.value]
  depends_on = [kustomization_resource.kfp_cluster]
}

# Task artifacts go to the artifacts bucket (pipeline pods reach it through workload identity).
resource "kubernetes_config_map_v1_data" "kfp_launcher" {
  metadata {
    name      = "kfp-launcher"
    namespace = "kubeflow"
  }
  data       = { defaultPipelineRoot = var.pipeline_root }
  force      = true
  depends_on = [kustomization_resource.kfp]
}

# Prometheus picks up every PodMonitor, ServiceMonitor and PrometheusRule (manifests/base/
# monitoring), not only the chart's own.
resource "helm_release" "kube_prometheus_stack" {
  name             = "kube-prometheus-stack"
  namespace        = "monitoring"
  create_namespace = true
  repository       = "https://prometheus-community.github.io/helm-charts"
  chart            = "kube-prometheus-stack"
  version          = var.versions.kube_prometheus_stack
  values = [yamlencode({
    prometheus = {
      prometheusSpec = {
        retention                               = var.prometheus_retention
        podMonitorSelectorNilUsesHelmValues     = false
        serviceMonitorSelectorNilUsesHelmValues = false
        ruleSelectorNilUsesHelmValues           = false
      }
    }
  })]
}

resource "helm_release" "pushgateway" {
  name       = "prometheus-pushgateway"
  namespace  = "monitoring"
  repository = "https://prometheus-community.github.io/helm-charts"
  chart      = "prometheus-pushgateway"
  version    = var.versions.pushgateway
  depends_on = [helm_release.kube_prometheus_stack]
}
