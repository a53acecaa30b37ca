project_id = "vigia-health"
region     = "europe-west1"
domain     = "vigia-health.org"
