"""Monitor, step 3: score the live model's past forecasts against the actual counts that have
arrived (WIS, coverage, relative WIS vs persistence, per region and horizon)."""

from kfp.dsl import Dataset, Input, Metrics, Output


def monitor_performance(
    check_data: Input[Dataset],
    monitor_config: str,
    source: str,
    region_col: str,
    date_col: str,
    target_col: str,
    level: str,
    panel_options: str,
    performance: Output[Dataset],
    metrics: Output[Metrics],
) -> float:
    """Returns the rolling relative WIS (-1 when not assessed)."""
    from pathlib import Path

    from vigia.errors import exit_on_user_error
    from vigia.monitor.collect import ActualsSource, CheckData
    from vigia.monitor.config import parse_monitor_config
    from vigia.monitor.performance import score_logged

    config = parse_monitor_config(monitor_config)
    data = CheckData.load(Path(check_data.path))
    with exit_on_user_error("monitor"):
        actuals = ActualsSource(
            source, region_col, date_col, target_col, level, panel_options
        ).load(data.as_of)
    result = score_logged(
        data.logged, actuals, data.as_of, config.performance_weeks, config.min_scored
    )
    result.save(Path(performance.path))
    for key, value in result.overall.items():
        metrics.log_metric(key, float(value))
    if result.assessed:
        overall = result.overall
        print(
            f"monitor: performance over {result.scored} forecasts: relative WIS "
            f"{overall['relative_wis']:.3f}, 90% coverage {overall['coverage_90']:.2f}"
        )
        return float(result.overall["relative_wis"])
    print(f"monitor: performance not assessed: {result.reason}")
    return -1.0
