"""Monitor, step 1: the live version, its logged forecasts and its reference data (found through
the registry's lineage), as one folder for the steps after it."""

from kfp.dsl import Dataset, Output


def monitor_collect(
    store_root: str,
    tracking_uri: str,
    payload_root: str,
    model_name: str,
    as_of: str,
    monitor_config: str,
    check_data: Output[Dataset],
) -> str:
    """Returns the week checked (ISO date)."""
    import tempfile
    from pathlib import Path

    from vigia.errors import exit_on_user_error
    from vigia.monitor.collect import collect
    from vigia.monitor.config import parse_monitor_config
    from vigia.monitor.paths import MonitorPaths

    with exit_on_user_error("monitor"), tempfile.TemporaryDirectory() as scratch:
        config = parse_monitor_config(monitor_config)
        paths = MonitorPaths(Path(store_root), tracking_uri, Path(payload_root), Path(scratch))
        data = collect(paths, model_name, config, as_of or None)
        data.save(Path(check_data.path))
    logged = data.logged
    print(
        f"monitor: {model_name} version {data.model.version}, week {data.as_of:%Y-%m-%d}: "
        f"{len(logged)} logged forecasts from {logged.requests} requests, "
        f"{logged.skipped_lines} corrupt lines skipped; reference {len(data.reference)} rows"
    )
    return f"{data.as_of:%Y-%m-%d}"
