project_id = "vigia-health-dev"
region     = "europe-west1"
domain     = "dev.vigia-health.org"
