# MLflow's backend store: Cloud SQL for PostgreSQL on a private IP only, TLS required, backups
# with point-in-time recovery, audit-friendly logging flags. The mlflow user's password is
# generated here and stored, inside the full backend-store URI, in Secret Manager; docs/deploy.md
# copies it into the Kubernetes Secret mlflow-backend. It never appears in a manifest.

resource "google_sql_database_instance" "this" {
  #checkov:skip=CKV_GCP_6:TLS is required (ssl_mode ENCRYPTED_ONLY); client certificates are not, because the instance has no public IP and only the MLflow pod (NetworkPolicy) reaches it, with a password kept in Secret Manager.
  project             = var.project_id
  name                = var.name
  region              = var.region
  database_version    = var.database_version
  deletion_protection = var.deletion_protection

  settings {
    tier              = var.tier
    availability_type = var.high_availability ? "REGIONAL" : "ZONAL"
    disk_autoresize   = true
    user_labels       = var.labels

    ip_configuration {
      ipv4_enabled    = false
      private_network = var.network_id
      ssl_mode        = "ENCRYPTED_ONLY"
    }

    backup_configuration {
      enabled                        = true
      point_in_time_recovery_enabled = true
      start_time                     = "02:00"
      backup_retention_settings {
        retained_backups = 14
      }
    }

    insights_config {
      query_insights_enabled  = true
      record_application_tags = false
      record_client_address   = false
    }

    database_flags {
      name  = "log_checkpoints"
      value = "on"
    }
    database_flags {
      name  = "log_connections"
      value = "on"
    }
    database_flags {
      name  = "log_disconnections"
      value = "on"
    }
    database_flags {
      name  = "log_lock_waits"
      value = "on"
    }
    database_flags {
      name  = "log_min_messages"
      value = "error"
    }
    database_flags {
      name  = "log_min_error_statement"
      value = "error"
    }
    database_flags {
      name  = "log_temp_files"
      value = "0"
    }
    database_flags {
      name  = "log_min_duration_statement"
      value = "-1"
    }
    database_flags {
      name  = "log_hostname"
      value = "on"
    }
    database_flags {
      name  = "log_duration"
      value = "on"
    }
    database_flags {
      name  = "log_statement"
      value = "ddl"
    }
    database_flags {
      name  = "cloudsql.enable_pgaudit"
      value = "on"
    }
  }
}

resource "google_sql_database" "mlflow" {
  project  = var.project_id
  instance = google_sql_database_instance.this.name
  name     = "mlflow"
}

resource "random_password" "mlflow" {
  length  = 32
  special = false
}

resource "google_sql_user" "mlflow" {
  project  = var.project_id
  instance = google_sql_database_instance.this.name
  name     = "mlflow"
  password = random_password.mlflow.result
}

resource "google_secret_manager_secret" "backend_store_uri" {
  project   = var.project_id
  secret_id = "${var.name}-backend-store-uri"
  labels    = var.labels

  replication {
    user_managed {
      replicas {
        location = var.region
      }
    }
  }
}

resource "google_secret_manager_secret_version" "backend_store_uri" {
  secret      = google_secret_manager_secret.backend_store_uri.id
  secret_data = "postgresql://mlflow:${random_password.mlflow.result}@${google_sql_database_instance.this.private_ip_address}:5432/mlflow?sslmode=require"
}
