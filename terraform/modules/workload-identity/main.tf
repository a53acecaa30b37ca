# Identity for workloads without keys: one Google service account per Kubernetes
# ServiceAccount, bound through Workload Identity, with object-level roles on named buckets only
# (no project-wide storage roles). Plus the API client identity whose ID tokens the gateway
# accepts.

locals {
  bucket_grants = merge([
    for name, w in var.workloads : {
      for bucket, role in w.bucket_roles : "${name}/${bucket}" => {
        workload = name
        bucket   = bucket
        role     = role
      }
    }
  ]...)
}

resource "google_service_account" "workload" {
  for_each     = var.workloads
  project      = var.project_id
  account_id   = each.key
  display_name = "Vigía workload ${each.value.namespace}/${each.value.service_account}"
}

resource "google_service_account_iam_member" "workload_identity" {
  for_each           = var.workloads
  service_account_id = google_service_account.workload[each.key].name
  role               = "roles/iam.workloadIdentityUser"
  member             = "serviceAccount:${var.project_id}.svc.id.goog[${each.value.namespace}/${each.value.service_account}]"
}

resource "google_storage_bucket_iam_member" "workload" {
  for_each = local.bucket_grants
  bucket   = each.value.bucket
  role     = each.value.role
  member   = "serviceAccount:${google_service_account.workload[each.value.workload].email}"
}

resource "google_service_account" "api_client" {
  project      = var.project_id
  account_id   = var.api_client_id
  display_name = "Vigía API client (ID tokens for the prediction endpoints)"
}

resource "google_service_account_iam_member" "api_token_creators" {
  for_each           = toset(var.api_token_creators)
  service_account_id = google_service_account.api_client.name
  role               = "roles/iam.serviceAccountOpenIdTokenCreator"
  member             = each.value
}
