"""Pipeline definitions: compiled to YAML for a cluster, or run locally with ``kfp.local``."""
