"""Feature builders and their catalog (name, meaning, source, dtype)."""
