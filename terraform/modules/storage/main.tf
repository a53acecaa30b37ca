# Object storage: MLflow artifacts + KFP pipeline root, the versioned model store (what KServe
# serves: <model>/<version>/), the serving payload log, and a bucket for their access logs.
# All private (public access prevention enforced, uniform bucket-level access), versioned.
# The model store and payload buckets use a hierarchical namespace so that folder renames
# (the store's atomic push) are atomic through the Cloud Storage FUSE CSI driver.

resource "google_storage_bucket" "access_logs" {
  #checkov:skip=CKV_GCP_62:This bucket receives the other buckets' access logs; logging it into itself would loop.
  project                     = var.project_id
  name                        = "${var.bucket_prefix}-access-logs"
  location                    = var.location
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = var.force_destroy
  labels                      = var.labels

  versioning {
    enabled = true
  }

  lifecycle_rule {
    condition {
      age = 365
    }
    action {
      type = "Delete"
    }
  }
}

resource "google_storage_bucket" "artifacts" {
  project                     = var.project_id
  name                        = "${var.bucket_prefix}-artifacts"
  location                    = var.location
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = var.force_destroy
  labels                      = var.labels

  versioning {
    enabled = true
  }

  logging {
    log_bucket = google_storage_bucket.access_logs.name
  }
}

resource "google_storage_bucket" "folders" {
  #checkov:skip=CKV_GCP_78:Hierarchical-namespace buckets cannot enable object versioning; a 30-day soft-delete policy protects deleted objects and model versions are never overwritten (immutable <model>/<version>/ folders).
  for_each                    = toset(["models", "payloads"])
  project                     = var.project_id
  name                        = "${var.bucket_prefix}-${each.key}"
  location                    = var.location
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = var.force_destroy
  labels                      = var.labels

  hierarchical_namespace {
    enabled = true
  }

  soft_delete_policy {
    retention_duration_seconds = 2592000
  }

  logging {
    log_bucket = google_storage_bucket.access_logs.name
  }

  dynamic "lifecycle_rule" {
    for_each = each.key == "payloads" ? [var.payload_retention_days] : []
    content {
      condition {
        age = lifecycle_rule.value
      }
      action {
        type = "Delete"
      }
    }
  }
}
