"""The forecasting training workflow as plain functions over files.

Each step reads and writes files only, so the same functions run as KFP components (the
components in ``vigia.components`` are thin wrappers), as a plain chain (benchmarks), or from the
CLI. Data flows one way: ingest → features → train → evaluate → register → push.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import pandas as pd

from vigia.data.ingest import PERU, ingest_panel, read_panel, write_ingest_outputs
from vigia.errors import GateRefusedError, VigiaError
from vigia.evaluate.backtest import (
    BacktestPlan,
    BacktestResult,
    ShardResult,
    default_origins,
    merge_shards,
    plan_backtest,
    rolling_origin_backtest,
    run_blocks,
)
from vigia.evaluate.forecast_scores import method_table
from vigia.evaluate.gates import Decision, forecast_gate
from vigia.features.catalog import catalog_markdown, catalog_records
from vigia.features.forecast import build_features, feature_catalog
from vigia.forecasts.quantiles import HORIZONS
from vigia.models.base import Forecaster, ForecasterFactory
from vigia.models.bundle import read_manifest, write_forecast_bundle

# vigia.models.catalog (XGBoost, scikit-learn, statsforecast: ~3 s of CPU to import) is imported
# by the functions that fit models, not here: the pipeline's features, register and push tasks
# import this module and need none of it (benchmarks/pipeline_overhead).

__all__ = ["PERU", "ingest_panel", "read_panel", "write_ingest_outputs"]

Progress = Callable[[str], None]


def _say(progress: Progress | None, message: str) -> None:
    if progress:
        progress(message)


# --- features ------------------------------------------------------------------------------------
def write_features(
    panel: pd.DataFrame, features_path: Path, catalog_json_path: Path, catalog_md_path: Path
) -> int:
    """Write the feature table (every region × origin) and the feature catalog; return rows."""
    features = build_features(panel)
    features.to_parquet(features_path, index=False)
    specs = feature_catalog()
    catalog_json_path.write_text(json.dumps(catalog_records(specs), indent=2), encoding="utf-8")
    catalog_md_path.write_text(catalog_markdown(specs), encoding="utf-8")
    return len(features)


# --- train ---------------------------------------------------------------------------------------
def train_forecaster(
    panel: pd.DataFrame, method: str, seed: int, bundle_dir: Path, meta: dict[str, Any]
) -> Forecaster:
    """Fit ``method`` on the whole panel and export it as a bundle."""
    from vigia.models.catalog import make_forecaster

    model = make_forecaster(method, seed).fit(panel)
    write_forecast_bundle(bundle_dir, model, panel, {"seed": seed, **meta})
    return model


# --- evaluate ------------------------------------------------------------------------------------
def _backtest_setup(
    panel: pd.DataFrame, methods: list[str], seed: int, years: float
) -> tuple[dict[str, ForecasterFactory], list[pd.Timestamp]]:
    """The forecaster factories of ``methods`` plus the baselines, and the backtest's origins."""
    from vigia.models.catalog import BASELINES, make_forecaster

    names = list(dict.fromkeys([*BASELINES, *methods]))
    origins = default_origins(panel, years=years, max_horizon=max(HORIZONS))
    factories: dict[str, ForecasterFactory] = {
        name: partial(make_forecaster, name, seed) for name in names
    }
    return factories, origins


def _candidate_plan(
    panel: pd.DataFrame, method: str, seed: int, years: float, refit_every: int
) -> tuple[BacktestPlan, dict[str, ForecasterFactory]]:
    """The plan of the candidate's backtest (what every shard and the merge agree on)."""
    factories, origins = _backtest_setup(panel, [method], seed, years)
    return plan_backtest(panel, factories, origins, refit_every), factories


def backtest_methods(
    panel: pd.DataFrame,
    methods: list[str],
    seed: int = 0,
    years: float = 2.0,
    refit_every: int = 13,
    progress: Progress | None = None,
) -> BacktestResult:
    """Rolling-origin backtest of ``methods`` plus the baselines, scored against persistence."""
    factories, origins = _backtest_setup(panel, methods, seed, years)
    return rolling_origin_backtest(panel, factories, origins, refit_every, progress=progress)


def format_scores_table(scores: dict[str, Any]) -> str:
    """The method table as aligned text (also valid Markdown): overall scores, WIS parts and
    relative WIS per horizon, best method first."""
    return method_table(scores)


def evaluate_candidate(
    panel: pd.DataFrame,
    method: str,
    seed: int,
    gate_config: dict[str, Any],
    champion_metrics: dict[str, float] | None,
    years: float = 2.0,
    refit_every: int = 13,
    progress: Progress | None = None,
    source: str | None = None,
    champion_scope: dict[str, Any] | None = None,
    replaces_scope: bool = False,
) -> tuple[dict[str, Any], Decision]:
    """Backtest the candidate against the baselines and apply the gate. With ``source`` the
    candidate's scope (regions, horizons, data source) is recorded in the scores and compared
    with ``champion_scope``."""
    scores = backtest_candidate(panel, method, seed, years, refit_every, progress, source)
    decision = gate_candidate(scores, gate_config, champion_metrics, champion_scope, replaces_scope)
    return scores, decision


def backtest_candidate(
    panel: pd.DataFrame,
    method: str,
    seed: int,
    years: float = 2.0,
    refit_every: int = 13,
    progress: Progress | None = None,
    source: str | None = None,
) -> dict[str, Any]:
    """The candidate's backtest scores against the baselines (pure in its inputs: the pipeline
    caches it); with ``source``, its scope too. The pipeline splits it:
    :func:`backtest_shard_ranges` → :func:`backtest_shard` each → :func:`merge_backtest`, with
    the same scores."""
    result = backtest_methods(
        panel, [method], seed=seed, years=years, refit_every=refit_every, progress=progress
    )
    return _candidate_scores(result, panel, method, source)


def backtest_shard_ranges(
    panel: pd.DataFrame,
    method: str,
    seed: int,
    years: float = 2.0,
    refit_every: int = 13,
    shards: int = 4,
) -> list[tuple[int, int]]:
    """The (first, stop) refit blocks of at most ``shards`` shards of the candidate's backtest,
    each starting where every method refits (so each fits the models the single run fits)."""
    plan, _ = _candidate_plan(panel, method, seed, years, refit_every)
    return plan.shards(shards)


def backtest_shard(
    panel: pd.DataFrame,
    method: str,
    seed: int,
    years: float,
    refit_every: int,
    shards: int,
    shard: int,
    progress: Progress | None = None,
) -> ShardResult:
    """Shard number ``shard`` of :func:`backtest_shard_ranges`: its forecasts, every method."""
    plan, factories = _candidate_plan(panel, method, seed, years, refit_every)
    ranges = plan.shards(shards)
    if not 0 <= shard < len(ranges):
        raise VigiaError(f"backtest shard {shard} does not exist: the plan has {len(ranges)}")
    first, stop = ranges[shard]
    return run_blocks(panel, factories, plan, first, stop, progress)


def merge_backtest(
    panel: pd.DataFrame,
    method: str,
    seed: int,
    parts: list[ShardResult],
    years: float = 2.0,
    refit_every: int = 13,
    source: str | None = None,
) -> dict[str, Any]:
    """The scores of :func:`backtest_candidate`, from the forecasts of all its shards."""
    plan, _ = _candidate_plan(panel, method, seed, years, refit_every)
    return _candidate_scores(merge_shards(panel, plan, parts), panel, method, source)


def _candidate_scores(
    result: BacktestResult, panel: pd.DataFrame, method: str, source: str | None
) -> dict[str, Any]:
    scores = result.scores_json()
    scores["candidate"] = method
    if source is not None:
        scores["scope"] = panel_scope(panel, source)
    return scores


def gate_candidate(
    scores: dict[str, Any],
    gate_config: dict[str, Any],
    champion_metrics: dict[str, float] | None,
    champion_scope: dict[str, Any] | None = None,
    replaces_scope: bool = False,
) -> Decision:
    """The approval gate on :func:`backtest_candidate`'s scores, against the current champion."""
    method = str(scores["candidate"])
    return forecast_gate(
        method,
        scores["methods"][method],
        gate_config,
        champion_metrics,
        regions=scores["by_region"][method],
        scope=scores.get("scope"),
        champion_scope=champion_scope,
        replaces_scope=replaces_scope,
    )


def panel_scope(panel: pd.DataFrame, source: str) -> dict[str, Any]:
    """What a model trained on ``panel`` answers for: regions, horizons, data source."""
    return {
        "regions": sorted(str(r) for r in panel["region"].unique()),
        "horizons": list(HORIZONS),
        "source": source,
    }


def candidate_metrics(scores: dict[str, Any]) -> dict[str, float]:
    """Flat metrics of the candidate for MLflow (overall and per horizon)."""
    method = scores["candidate"]
    flat = {k: float(v) for k, v in scores["methods"][method].items()}
    for h, values in scores["by_horizon"][method].items():
        for k in ("relative_wis", "wis", "coverage_50", "coverage_90"):
            flat[f"h{h}_{k}"] = float(values[k])
    if method in scores.get("seconds", {}):
        flat["backtest_seconds"] = float(scores["seconds"][method])
    for name, values in scores["methods"].items():
        if name != method:
            flat[f"{name}_wis"] = float(values["wis"])
    return flat


# --- push ----------------------------------------------------------------------------------------
def push_approved(
    bundle_dir: Path,
    decision: Decision,
    registered_name: str,
    version: int,
    store_root: Path,
    tracking_uri: str,
    progress: Progress | None = None,
) -> Path:
    """Push an approved version to the model store, then make it champion in the registry.

    Refuses (GateRefusedError) unless the decision approved this very model. The store push
    loads the bundle and answers a canned request for every region in a fresh process before
    ``CURRENT`` moves. A store and registry left apart by an earlier crash are reconciled
    first; ``progress`` gets one line per repair.
    """
    from vigia.registry.lifecycle import reconcile
    from vigia.registry.store import ModelStore
    from vigia.registry.tracking import Registry

    if not decision.approved:
        raise GateRefusedError(
            f"{registered_name} version {version} was not approved by the gate; not pushing"
        )
    try:
        manifest = read_manifest(bundle_dir)
    except ValueError as exc:  # a truncated or edited vigia-model.json
        raise VigiaError(f"{bundle_dir}: unreadable manifest ({exc}); not pushing") from None
    registry = Registry(tracking_uri)
    info = registry.version(registered_name, version)
    if not info.approved:
        raise GateRefusedError(
            f"registry says {registered_name} version {version} is not approved; not pushing"
        )
    store = ModelStore(store_root)
    for line in reconcile(store, registry, registered_name):
        _say(progress, f"repaired: {line}")
    target = store.push(
        registered_name,
        version,
        bundle_dir,
        manifest_updates={
            "name": registered_name,
            "version": version,
            "decision": decision.to_dict(),
            "run_id": info.run_id,
            "method": manifest["method"],
        },
    )
    registry.promote(registered_name, version)
    return target


def passive_openmp() -> None:
    """Let idle OpenMP threads sleep instead of spinning (unless the user chose otherwise).

    Retraining runs XGBoost; on a busy 2-core machine its spinning OpenMP threads made a
    2-thread fit 23× slower than a 1-thread one (420 s vs 18 s; benchmarks/drift/openmp_wait.py);
    passive waiting made it 6 s. Inherited by the pipeline steps this process starts.
    """
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
