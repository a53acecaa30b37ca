"""The live model and its reference data, found through the registry's lineage.

The model store's ``CURRENT`` pointer names the live version; the registry maps that version to
the training run that produced it; the run holds, as artifact ``reference/``, the feature table
of the training data (every region × origin, the same features the server logs). Nothing is
copied by hand: a new version brings its own reference with it.

The reference for *prediction* drift is what the live model says about its own last year of
training weeks: its forecasts from the history bundled with it.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from vigia.errors import NotFoundError, VigiaError
from vigia.models.bundle import load_forecast_bundle, read_manifest
from vigia.monitor.window import LoggedForecasts
from vigia.registry.store import ModelStore

REFERENCE_ARTIFACT = "reference"
log = logging.getLogger(__name__)


@dataclass
class LiveModel:
    """The version serving reads now, with what its training run recorded."""

    name: str
    version: int
    run_id: str
    bundle_dir: Path
    manifest: dict[str, Any]
    metrics: dict[str, float]
    pointer_version: int | None = None  # the store's CURRENT (may differ from what is served)
    version_source: str = "the store's pointer"

    @property
    def last_week(self) -> pd.Timestamp | None:
        """The last week of the data it was trained on."""
        value = self.manifest.get("last_week")
        return pd.Timestamp(value) if value else None

    @property
    def backtest_relative_wis(self) -> float | None:
        """Its backtest WIS relative to persistence, as its training run logged it."""
        value = self.metrics.get("relative_wis")
        return None if value is None else float(value)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "version_source": self.version_source,
            "pointer_version": self.pointer_version,
            "run_id": self.run_id,
            "method": self.manifest.get("method"),
            "last_week": self.manifest.get("last_week"),
            "data_hash": self.manifest.get("data_hash"),
            "backtest_relative_wis": self.backtest_relative_wis,
        }


def live_model(
    store_root: str | Path, tracking_uri: str, name: str, serving_url: str = ""
) -> LiveModel:
    """The live version of ``name`` and its registry record: the version the server at
    ``serving_url`` reports when it answers, else the model store's pointer. A disagreement is
    logged as a warning.

    Raises:
        NotFoundError: Nothing of ``name`` was pushed, or the registry does not know the version.
    """
    store = ModelStore(store_root)
    pointer = store.current(name)
    version, source = pointer, "the store's pointer"
    if serving_url:
        from vigia.registry.served import served_version

        served = served_version(serving_url, name)
        problem = served.disagreement(name, pointer)
        if problem:
            log.warning(problem)
        version = served.version if served.version is not None else pointer
        source = (
            served.note if served.version is not None else f"the store's pointer ({served.note})"
        )
    if version is None:
        raise NotFoundError(f"model {name!r} has no live version in {store.root}: nothing to check")
    folder = store.version_dir(name, version)
    if not folder.is_dir():
        raise NotFoundError(f"{name} version {version} ({source}) is not in the store {store.root}")
    manifest = read_manifest(folder)

    from mlflow.exceptions import MlflowException

    from vigia.registry.tracking import Registry

    try:
        info = Registry(tracking_uri).version(name, version)
    except MlflowException:
        raise NotFoundError(
            f"the registry at {tracking_uri} has no {name} version {version} (the live one)"
        ) from None
    return LiveModel(name, version, info.run_id, folder, manifest, info.metrics, pointer, source)


def reference_file(model: LiveModel, tracking_uri: str, cache_dir: Path, suffix: str) -> Path:
    """The first file of ``model``'s run artifact ``reference/`` (the training snapshot), copied
    to ``cache_dir`` once per version as ``<name>-v<version>-<suffix>``.

    Raises:
        NotFoundError: The run logged no reference (trained before runs logged one).
    """
    cached = cache_dir / f"{model.name}-v{model.version}-{suffix}"
    if cached.exists():
        return cached
    import mlflow

    mlflow.set_tracking_uri(tracking_uri)
    with tempfile.TemporaryDirectory() as tmp:
        try:
            folder = Path(
                mlflow.artifacts.download_artifacts(
                    run_id=model.run_id, artifact_path=REFERENCE_ARTIFACT, dst_path=tmp
                )
            )
        except (OSError, mlflow.exceptions.MlflowException):
            raise NotFoundError(
                f"{model.name} version {model.version} (run {model.run_id}) has no training "
                f"snapshot ('{REFERENCE_ARTIFACT}/' artifact); retrain it with the current "
                "training pipeline to monitor it"
            ) from None
        files = sorted(p for p in folder.rglob("*") if p.is_file())
        if not files:
            raise NotFoundError(f"run {model.run_id}: '{REFERENCE_ARTIFACT}/' is empty")
        cache_dir.mkdir(parents=True, exist_ok=True)
        staged = cached.with_suffix(".tmp")
        shutil.copyfile(files[0], staged)
        staged.replace(cached)
    return cached


def reference_features(model: LiveModel, tracking_uri: str, cache_dir: Path) -> pd.DataFrame:
    """The training feature table of ``model``'s run (artifact ``reference/``), cached in
    ``cache_dir`` by version.

    Raises:
        NotFoundError: The run logged no reference (trained before runs logged one).
    """
    cached = reference_file(model, tracking_uri, cache_dir, "features.parquet")
    frame = pd.read_parquet(cached)
    if "origin" not in frame.columns or "region" not in frame.columns:
        raise VigiaError(f"{cached}: not a feature table (needs region and origin columns)")
    frame["origin"] = pd.to_datetime(frame["origin"]).astype("datetime64[ns]")
    return frame


def reference_predictions(model: LiveModel, weeks: int, cache_dir: Path) -> LoggedForecasts:
    """The live model's forecasts from each of the last ``weeks`` weeks of its bundled history
    (each from the weeks up to that origin only), cached in ``cache_dir`` by version."""
    cached = cache_dir / f"{model.name}-v{model.version}-predictions-{weeks}w.parquet"
    if cached.exists():
        return LoggedForecasts.load(cached)
    forecaster, history, _ = load_forecast_bundle(model.bundle_dir)
    weeks_all = np.sort(history["week_start"].unique())
    first = max(len(weeks_all) - weeks, int(forecaster.min_history))
    parts = []
    for origin in weeks_all[first:]:
        seen = history[history["week_start"] <= origin]
        forecast = forecaster.predict(seen)
        last = seen.groupby("region", sort=True).tail(1).set_index("region")["cases"]
        keys = forecast.keys.assign(
            last_cases=last.reindex(forecast.keys["region"]).to_numpy(dtype="float64"),
            version=model.version,
        )
        parts.append((keys, forecast.values))
    if not parts:
        raise VigiaError(
            f"{model.name} version {model.version}: its bundled history is too short to make "
            "reference forecasts"
        )
    inputs = pd.concat([k for k, _ in parts], ignore_index=True)
    values = np.concatenate([v for _, v in parts])
    result = LoggedForecasts(inputs, values, forecaster.horizons, forecaster.levels)
    cache_dir.mkdir(parents=True, exist_ok=True)
    staged = cached.with_suffix(".tmp")
    result.save(staged)
    staged.replace(cached)
    return result
