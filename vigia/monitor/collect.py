"""Step 1 of a monitoring check: collect what it looks at — the live version, its logged
forecasts, its reference data and its retraining history. Nothing is measured here."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from vigia.monitor.config import MonitorConfig
from vigia.monitor.paths import MonitorPaths
from vigia.monitor.reference import (
    LiveModel,
    live_model,
    reference_features,
    reference_predictions,
)
from vigia.monitor.window import LoggedForecasts, logged_forecasts


@dataclass(frozen=True)
class ActualsSource:
    """Where observed weekly counts come from (the same sources as training's ingest step)."""

    source: str = "peru"
    region_col: str = "region"
    date_col: str = "week_start"
    target_col: str = "cases"
    level: str = "department"
    panel_options: str = ""  # PanelOptions JSON: how to read a CSV source (vigia.data.read)

    def load(self, end: pd.Timestamp) -> pd.DataFrame:
        """The validated panel of counts up to and including week ``end``."""
        from vigia.data.ingest import ingest_panel
        from vigia.data.read import PanelOptions

        options = PanelOptions.from_json(self.panel_options)
        columns = {"region_col": self.region_col, "date_col": self.date_col}
        panel, _ = ingest_panel(
            self.source,
            level=self.level,
            end=f"{end:%Y-%m-%d}",
            options=PanelOptions(**{**options.__dict__, **columns, "target_col": self.target_col}),
        )
        return panel


@dataclass
class CheckData:
    """What a check looks at."""

    model: LiveModel
    logged: LoggedForecasts  # every logged forecast of the live version
    as_of: pd.Timestamp
    reference: pd.DataFrame  # training feature table
    reference_predictions: LoggedForecasts
    last_prediction_ts: str | None = None
    recent_retrain: str | None = None  # a retraining attempted for this version lately (week)
    actuals: pd.DataFrame | None = None  # observed weekly counts up to ``as_of``, if collected

    def window(self, weeks: int) -> LoggedForecasts:
        """The logged forecasts with origins in ``(as_of - weeks, as_of]``."""
        return self.logged.between(self.as_of - pd.Timedelta(weeks=weeks), self.as_of)

    # --- a folder (the collect step's output artifact) -----------------------------------------
    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.logged.save(folder / "logged.parquet")
        self.reference.to_parquet(folder / "reference.parquet", index=False)
        self.reference_predictions.save(folder / "reference_predictions.parquet")
        context = {
            "model": {**self.model.to_dict(), "bundle_dir": str(self.model.bundle_dir)},
            "manifest": self.model.manifest,
            "metrics": self.model.metrics,
            "as_of": f"{self.as_of:%Y-%m-%d}",
            "last_prediction_ts": self.last_prediction_ts,
            "recent_retrain": self.recent_retrain,
            "counters": {
                "skipped_lines": self.logged.skipped_lines,
                "skipped_rows": self.logged.skipped_rows,
                "other_versions": self.logged.other_versions,
                "requests": self.logged.requests,
            },
        }
        (folder / "context.json").write_text(json.dumps(context, indent=2), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> CheckData:
        context = json.loads((folder / "context.json").read_text(encoding="utf-8"))
        described = context["model"]
        model = LiveModel(
            described["name"],
            int(described["version"]),
            described["run_id"],
            Path(described["bundle_dir"]),
            context["manifest"],
            context["metrics"],
        )
        logged = LoggedForecasts.load(folder / "logged.parquet")
        for key, value in context["counters"].items():
            setattr(logged, key, int(value))
        reference = pd.read_parquet(folder / "reference.parquet")
        reference["origin"] = pd.to_datetime(reference["origin"]).astype("datetime64[ns]")
        return cls(
            model,
            logged,
            pd.Timestamp(context["as_of"]),
            reference,
            LoggedForecasts.load(folder / "reference_predictions.parquet"),
            context["last_prediction_ts"],
            context.get("recent_retrain"),
        )


def check_timestamp(as_of: pd.Timestamp) -> datetime:
    """The time an Evidently snapshot of a check carries: the week checked (data time), so the
    UI's history lines up with the epidemiological weeks, in a replay as in live use."""
    return datetime(as_of.year, as_of.month, as_of.day)


def recent_retrain(
    paths: MonitorPaths, model: str, version: int, as_of: pd.Timestamp, cooldown_weeks: int
) -> str | None:
    """The week of a retraining attempted for ``model`` ``version`` less than ``cooldown_weeks``
    before ``as_of`` (from ``history.jsonl``), or None."""
    if not paths.history.exists() or cooldown_weeks <= 0:
        return None
    found = None
    for line in paths.history.read_text(encoding="utf-8").splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        retrain = entry.get("retraining")
        if (
            entry.get("model") == model
            and entry.get("live_version") == version
            and isinstance(retrain, dict)
            and retrain.get("started")
        ):
            week = pd.Timestamp(entry["as_of"])
            if pd.Timedelta(0) <= as_of - week < pd.Timedelta(weeks=cooldown_weeks):
                found = entry["as_of"]
    return found


def collect(
    paths: MonitorPaths,
    model_name: str,
    config: MonitorConfig,
    as_of: str | pd.Timestamp | None = None,
    since: str | datetime | None = None,
    actuals: ActualsSource | pd.DataFrame | None = None,
) -> CheckData:
    """Gather a check's data: the live version, its logged forecasts, its references and the
    week of a retraining already attempted for it within the cooldown (``history.jsonl``).

    Args:
        paths: Store, registry, payload log and reports locations.
        model_name: Registered model name (e.g. ``dengue-forecast``).
        config: Thresholds (the reference prediction weeks).
        as_of: The last week the check covers (default: the newest logged origin of the live
            version; with none logged, its last training week).
        since: Read only payload records logged at or after this time (default: all).
        actuals: Where observed counts come from, or a panel already loaded (weeks after
            ``as_of`` are ignored either way); None: not collected.
    """
    from vigia.servables.events import read_logged

    model = live_model(paths.store_root, paths.tracking_uri, model_name, paths.serving_url)
    reference = reference_features(model, paths.tracking_uri, paths.cache)
    predictions = reference_predictions(model, config.reference_prediction_weeks, paths.cache)
    records, skipped = read_logged(paths.payload_root / model_name, paths.store_root, since)
    logged = logged_forecasts(records, version=model.version, skipped_lines=skipped)
    ours = [r for r in records if int(r.get("version", -1)) == model.version]
    last_ts = str(ours[-1]["ts"]) if ours else None
    if as_of is not None:
        chosen = pd.Timestamp(as_of)
    elif logged.last_origin is not None:
        chosen = logged.last_origin
    else:
        chosen = model.last_week or pd.Timestamp(datetime.now(UTC).date())
    cooldown = recent_retrain(
        paths, model.name, model.version, chosen, config.retrain_cooldown_weeks
    )
    observed = actuals.load(chosen) if isinstance(actuals, ActualsSource) else actuals
    return CheckData(model, logged, chosen, reference, predictions, last_ts, cooldown, observed)
