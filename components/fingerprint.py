"""Fingerprint the data source: what it holds, not where it is. Never cached; the ingest step
takes the result as a parameter, so its cache key changes exactly when the data does."""


def fingerprint(source: str) -> str:
    """Returns the source's content fingerprint (:func:`vigia.data.sources.source_fingerprint`)."""
    from vigia.data.sources import source_fingerprint
    from vigia.errors import exit_on_user_error

    with exit_on_user_error("fingerprint"):
        found = source_fingerprint(source)
    print(f"ingest: source {source} holds {found[:23]}")
    return found
