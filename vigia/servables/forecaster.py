"""The forecaster servable: quantile forecasts for (region, origin) rows from a forecast bundle.

Request rows (V1 instances, or V2 tensors of the same names)::

    {"region": "PIURA"}                                   # from the model's latest week
    {"region": "PIURA", "week_start": "2022-06-05"}       # from an earlier week of its history
    {"region": "LORETO", "week_start": "2022-12-25", "history": [c_-T+1, …, c_0]}

``history`` is the client's own weekly counts, oldest first, the last one for ``week_start``;
without it the model forecasts from the history bundled with it (``history.parquet``).
Any :class:`~vigia.models.base.Forecaster` works: it is loaded with ``load_forecaster``.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Self

import numpy as np
import pandas as pd

from vigia.errors import VigiaError
from vigia.features.forecast import FEATURES, features_at_last
from vigia.models.bundle import load_forecast_bundle
from vigia.servables.base import Servable, Tensor, TensorSpec, as_number, json_type
from vigia.servables.errors import InvalidRequest, bounded

log = logging.getLogger(__name__)
FIELDS = ("region", "week_start", "history")
MAX_HISTORY_WEEKS = 1040  # 20 years of weekly counts per row
# Largest weekly count a request may send for one region: far above any real surveillance
# count (Peru's worst dengue week nationally was ~15,000 cases), far below where float32
# quantiles overflow. A '1e300' history is a client's mistake, not a forecastable series.
MAX_WEEKLY_COUNT = 1e7
# Dates a request may name: inside what datetime64[ns] holds (1677-09-21 … 2262-04-11) with
# room for 20 years of history before and the forecast weeks after.
FIRST_DATE = date(1700, 1, 1)
LAST_DATE = date(2199, 12, 31)
WEEK = np.timedelta64(7, "D")
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass
class ForecastRow:
    """One row of model input: a region's weekly counts up to and including ``origin``."""

    region: str
    origin: np.datetime64  # datetime64[ns], the last observed week
    cases: np.ndarray  # float64, oldest first, the last value is the origin week's
    source: str  # "model" (bundled history) or "request" (sent by the client)

    @property
    def key(self) -> tuple[str, np.datetime64]:
        return (self.region, self.origin)

    @property
    def weeks(self) -> np.ndarray:
        steps = np.arange(len(self.cases) - 1, -1, -1, dtype="int64")
        return self.origin - steps * WEEK


@dataclass
class ForecastBatch:
    rows: list[ForecastRow]

    def __len__(self) -> int:
        return len(self.rows)


class ForecastServable(Servable):
    """Serves a forecast bundle (``kind == "forecaster"``)."""

    kind = "forecaster"

    def __init__(
        self,
        folder: Path,
        manifest: dict[str, Any],
        model: Any,
        history: pd.DataFrame,
    ) -> None:
        super().__init__(folder, manifest)
        self.model = model
        self.horizons = tuple(int(h) for h in model.horizons)
        self.levels = tuple(float(q) for q in model.levels)
        if not any(abs(q - 0.5) < 1e-9 for q in self.levels):
            raise VigiaError(f"{folder}: the model has no 0.5 quantile level (median)")
        self.median_index = min(range(len(self.levels)), key=lambda i: abs(self.levels[i] - 0.5))
        self.min_history = max(int(manifest.get("min_history", 1)), int(model.min_history), 1)
        ordered = history.sort_values(["region", "week_start"])
        self.history = ordered[["region", "week_start", "cases"]].reset_index(drop=True)
        # A forecast from the bundled history is a pure function of (region, origin) within a
        # version, so it is kept after its first request (at most one per bundled week).
        # None turns the cache off (benchmarks time the model call with it).
        self.cache: dict[tuple[str, np.datetime64], np.ndarray] | None = {}
        self.series: dict[str, tuple[np.ndarray, np.ndarray]] = {
            str(region): (
                group["week_start"].to_numpy(dtype="datetime64[ns]"),
                group["cases"].to_numpy(dtype="float64"),
            )
            for region, group in ordered.groupby("region", sort=True)
        }
        self.regions = tuple(sorted(self.series))

    @classmethod
    def from_bundle(cls, folder: Path, manifest: dict[str, Any]) -> Self:
        model, history, _ = load_forecast_bundle(folder)
        return cls(Path(folder), manifest, model, history)

    # --- declared inputs and outputs -----------------------------------------------------------
    @property
    def inputs(self) -> list[TensorSpec]:
        return [
            TensorSpec("region", "BYTES", (-1,), description="region name, as in training"),
            TensorSpec(
                "week_start",
                "BYTES",
                (-1,),
                required=False,
                description="ISO date of the last observed week (default: the model's last)",
            ),
            TensorSpec(
                "history",
                "FP32",
                (-1, -1),
                required=False,
                description="weekly counts, oldest first, the last one for week_start",
            ),
        ]

    @property
    def outputs(self) -> list[TensorSpec]:
        h, q = len(self.horizons), len(self.levels)
        return [
            TensorSpec("region", "BYTES", (-1,)),
            TensorSpec("origin", "BYTES", (-1,), description="ISO date of the last observed week"),
            TensorSpec("horizon", "INT32", (h,), batch=False, description="weeks ahead"),
            TensorSpec("quantile_level", "FP64", (q,), batch=False),
            TensorSpec("target_week", "BYTES", (-1, h), description="ISO date of each horizon"),
            TensorSpec("quantiles", "FP32", (-1, h, q), description="[row, horizon, level]"),
            TensorSpec("median", "FP32", (-1, h)),
        ]

    def canned_requests(self) -> list[dict[str, Any]]:
        """One row per region the manifest claims, from the bundled history (all must exist)."""
        claimed = [str(r) for r in self.manifest.get("regions") or self.regions]
        missing = sorted(set(claimed) - set(self.series))
        if missing:
            raise VigiaError(
                f"{self.folder}: the manifest claims regions with no bundled history: "
                f"{', '.join(missing[:10])}"
            )
        rows = [{"region": r} for r in claimed]
        size = max(self.max_rows, 1)
        return [{"instances": rows[i : i + size]} for i in range(0, len(rows), size)]

    # --- parsing -------------------------------------------------------------------------------
    def parse_v1(self, body: Any) -> ForecastBatch:
        rows = []
        for i, instance in enumerate(self.check_instances(body)):
            where = f"instances[{i}]"
            unknown = sorted(set(instance) - set(FIELDS))
            if unknown:
                raise InvalidRequest(
                    "unknown_field",
                    f"{where}: unknown field(s) {bounded(', '.join(map(repr, unknown)))}; "
                    f"fields are {', '.join(FIELDS)}",
                )
            if "region" not in instance:
                raise InvalidRequest("missing_field", f"{where}.region is missing")
            region = instance["region"]
            if not isinstance(region, str):
                raise InvalidRequest(
                    "wrong_type", f"{where}.region must be a string, got {json_type(region)}"
                )
            week_start = instance.get("week_start")
            if week_start is not None and not isinstance(week_start, str):
                raise InvalidRequest(
                    "wrong_type",
                    f"{where}.week_start must be an ISO date string, got {json_type(week_start)}",
                )
            history = instance.get("history")
            cases = None
            if history is not None:
                if not isinstance(history, list):
                    raise InvalidRequest(
                        "wrong_type",
                        f"{where}.history must be a list of weekly counts, "
                        f"got {json_type(history)}",
                    )
                cases = np.array(
                    [as_number(v, f"{where}.history[{k}]") for k, v in enumerate(history)],
                    dtype="float64",
                )
            rows.append(self._row(region, week_start, cases, where))
        return ForecastBatch(rows)

    def parse_v2(self, tensors: dict[str, Tensor]) -> ForecastBatch:
        regions = tensors["region"].array()
        weeks = tensors["week_start"].array() if "week_start" in tensors else None
        history = tensors["history"].array().astype("float64") if "history" in tensors else None
        rows = [
            self._row(
                str(regions[i]),
                None if weeks is None else str(weeks[i]),
                None if history is None else history[i],
                f"row {i}",
            )
            for i in range(len(regions))
        ]
        return ForecastBatch(rows)

    def _row(
        self, region: str, week_start: str | None, cases: np.ndarray | None, where: str
    ) -> ForecastRow:
        """One validated row; ``where`` names the row in error messages."""
        if region not in self.series:
            shown = ", ".join(self.regions[:30]) + (" …" if len(self.regions) > 30 else "")
            raise InvalidRequest(
                "unknown_region",
                f"{where}: unknown region {bounded(region)!r}; this model knows {shown}",
            )
        origin = None if week_start is None else _parse_week(week_start, f"{where}.week_start")
        if cases is not None:
            if origin is None:
                raise InvalidRequest(
                    "missing_field",
                    f"{where}: history needs week_start (the ISO date of its last week)",
                )
            self._check_history(cases, f"{where}.history")
            return ForecastRow(region, origin, cases, "request")
        weeks, counts = self.series[region]
        reported = np.flatnonzero(~np.isnan(counts))
        if origin is None:  # the last reported week (a ragged region may have stopped earlier)
            end = int(reported[-1]) + 1 if reported.size else 0
        else:
            at = int(np.searchsorted(weeks, origin))
            if at == len(weeks) or weeks[at] != origin:
                raise InvalidRequest(
                    "unknown_week",
                    f"{where}.week_start: {week_start} is not a week of the model's history for "
                    f"{region} ({_iso(weeks[0])} … {_iso(weeks[-1])}, weekly); send history "
                    "to forecast from another week",
                )
            if np.isnan(counts[at]):
                before = reported[reported < at]
                last = ""
                if before.size:
                    last = f"; its last reported week before it is {_iso(weeks[before[-1]])}"
                raise InvalidRequest(
                    "unreported_week",
                    f"{where}.week_start: {region} reported no count for {week_start}, and a "
                    f"forecast starts from a reported week{last}",
                )
            end = at + 1
        if end < self.min_history:
            upto = f" up to {_iso(weeks[end - 1])}" if end else " (none reported)"
            raise InvalidRequest(
                "history_too_short",
                f"{where}: the model's history for {region} has only {end} weeks{upto}; "
                f"it needs at least {self.min_history}",
            )
        return ForecastRow(region, weeks[end - 1], counts[:end], "model")

    def _check_history(self, cases: np.ndarray, where: str) -> None:
        if cases.ndim != 1:
            raise InvalidRequest("wrong_shape", f"{where} must be a flat list of weekly counts")
        if len(cases) < self.min_history:
            raise InvalidRequest(
                "history_too_short",
                f"{where} has {len(cases)} weeks; this model needs at least {self.min_history}",
            )
        if len(cases) > MAX_HISTORY_WEEKS:
            raise InvalidRequest(
                "history_too_long",
                f"{where} has {len(cases)} weeks; at most {MAX_HISTORY_WEEKS} per row",
            )
        if not np.isfinite(cases).all():
            raise InvalidRequest("non_finite", f"{where} has a NaN or infinite value")
        huge = np.flatnonzero(cases > MAX_WEEKLY_COUNT)
        if huge.size:
            raise InvalidRequest(
                "bad_value",
                f"{where}[{int(huge[0])}] is {cases[huge[0]]:g}; weekly counts above "
                f"{MAX_WEEKLY_COUNT:g} are not plausible",
            )
        negative = np.flatnonzero(cases < 0)
        if negative.size:
            raise InvalidRequest(
                "bad_value",
                f"{where}[{int(negative[0])}] is {cases[negative[0]]:g}; counts cannot be negative",
            )

    # --- prediction ----------------------------------------------------------------------------
    def predict(self, batch: ForecastBatch) -> np.ndarray:
        """Quantiles ``(rows, horizons, levels)``.

        Rows on the bundled history come from the cache when asked before. Models that build
        their input with arrays from one series (XGBoost) forecast every other row by one
        ``predict_series`` call. Other models may read several regions at once (the boosted
        member's neighbours), so a bundled region is forecast from the whole bundled history,
        as the pipeline forecast it, and every region of those origins is cached; rows with a
        client's own history are forecast from that series alone.
        """
        values = np.empty((len(batch), len(self.horizons), len(self.levels)), dtype="float64")
        cache = self.cache
        todo = []
        for i, row in enumerate(batch.rows):
            hit = None if cache is None or row.source != "model" else cache.get(row.key)
            if hit is None:
                todo.append(i)
            else:
                values[i] = hit
        rest = todo
        if not self.model.builds_arrays:
            bundled = [i for i in todo if batch.rows[i].source == "model"]
            rest = [i for i in todo if batch.rows[i].source != "model"]
            rest += self._predict_bundled_origins(batch, bundled, values) if bundled else []
        if rest:
            rows = [batch.rows[i] for i in rest]
            origins = np.array([row.origin for row in rows], dtype="datetime64[ns]")
            values[rest] = self.model.predict_series([row.cases for row in rows], origins)
            if cache is not None:
                for i, row in zip(rest, rows, strict=True):
                    if row.source == "model":
                        cache[row.key] = values[i].copy()
        return values

    def _predict_bundled_origins(
        self, batch: ForecastBatch, members: list[int], values: np.ndarray
    ) -> list[int]:
        """Fill ``values`` for the bundled rows ``members`` from one forecast of the whole
        bundled history at their origins; return the rows it has no forecast for (a ragged
        history: a region without a report that week), to be forecast from their own series."""
        origins = sorted({pd.Timestamp(batch.rows[i].origin) for i in members})
        try:
            forecast = self.model.predict_origins(self.history, origins)
        except (VigiaError, ValueError) as exc:
            log.info("%s: forecasting each row from its own series (%s)", self.folder, exc)
            return members
        keys = zip(
            forecast.keys["region"].astype(str),
            forecast.keys["origin"].to_numpy(dtype="datetime64[ns]"),
            strict=True,
        )
        position = {key: j for j, key in enumerate(keys)}
        if self.cache is not None:
            for key, j in position.items():
                self.cache[key] = forecast.values[j].copy()
        missing: list[int] = []
        for i in members:
            at = position.get(batch.rows[i].key)
            if at is None:
                missing.append(i)
            else:
                values[i] = forecast.values[at]
        return missing

    # --- responses -----------------------------------------------------------------------------
    def _dates(self, batch: ForecastBatch) -> tuple[np.ndarray, np.ndarray]:
        """ISO dates of each row's origin ``(rows,)`` and target weeks ``(rows, horizons)``."""
        origins = np.array([row.origin for row in batch.rows], dtype="datetime64[ns]")
        steps = np.asarray(self.horizons, dtype="int64")[None, :] * WEEK
        targets = np.asarray(origins[:, None] + steps, dtype="datetime64[ns]")
        return (
            np.datetime_as_string(origins, unit="D"),
            np.datetime_as_string(targets, unit="D"),
        )

    def v1_predictions(self, batch: ForecastBatch, result: np.ndarray) -> list[dict[str, Any]]:
        horizons, levels = list(self.horizons), list(self.levels)
        origins, targets = self._dates(batch)
        quantiles = result.tolist()
        medians = result[:, :, self.median_index].tolist()
        return [
            {
                "region": row.region,
                "origin": str(origins[i]),
                "horizons": horizons,
                "target_weeks": targets[i].tolist(),
                "quantile_levels": levels,
                "quantiles": quantiles[i],
                "median": medians[i],
            }
            for i, row in enumerate(batch.rows)
        ]

    def v2_outputs(self, batch: ForecastBatch, result: np.ndarray) -> list[Tensor]:
        origins, targets = self._dates(batch)
        arrays = {
            "region": np.array([r.region for r in batch.rows], dtype=object),
            "origin": origins.astype(object),
            "horizon": np.asarray(self.horizons, dtype="int32"),
            "quantile_level": np.asarray(self.levels, dtype="float64"),
            "target_week": targets.astype(object),
            "quantiles": result.astype("float32"),
            "median": result[:, :, self.median_index].astype("float32"),
        }
        return [
            Tensor(spec.name, spec.datatype, list(arrays[spec.name].shape), arrays[spec.name])
            for spec in self.outputs
        ]

    def v1_result(self, batch: ForecastBatch, predictions: list[Any]) -> np.ndarray:
        try:
            values = np.array([p["quantiles"] for p in predictions], dtype="float64")
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidRequest(
                "malformed", f"response predictions lack quantiles ({exc})"
            ) from None
        return self._checked_result(batch, values)

    def v2_result(self, batch: ForecastBatch, outputs: dict[str, np.ndarray]) -> np.ndarray:
        if "quantiles" not in outputs:
            raise InvalidRequest("missing_field", "response has no 'quantiles' output")
        return self._checked_result(batch, np.asarray(outputs["quantiles"], dtype="float64"))

    def _checked_result(self, batch: ForecastBatch, values: np.ndarray) -> np.ndarray:
        expected = (len(batch), len(self.horizons), len(self.levels))
        if values.shape != expected:
            raise InvalidRequest(
                "wrong_shape", f"response quantiles have shape {values.shape}; expected {expected}"
            )
        return values

    def payload_rows(
        self, batch: ForecastBatch, result: np.ndarray
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """Input rows: region, origin, last_cases, history_weeks, history_source and every
        feature at the origin; output rows: quantiles per horizon with their levels."""
        outputs = self.v1_predictions(batch, np.round(result, 3))
        features = self._features(batch.rows)
        inputs = [
            {
                "region": row.region,
                "origin": out["origin"],
                "last_cases": float(row.cases[-1]),
                "history_weeks": len(row.cases),
                "history_source": row.source,
                **feats,
            }
            for row, out, feats in zip(batch.rows, outputs, features, strict=True)
        ]
        return inputs, outputs

    def _features(self, rows: list[ForecastRow]) -> list[dict[str, float]]:
        """Features at each row's origin, from the series the forecast used."""
        if not rows:
            return []
        origins = np.array([row.origin for row in rows], dtype="datetime64[ns]")
        table = features_at_last([row.cases for row in rows], origins)
        return [dict(zip(FEATURES, values, strict=True)) for values in table.tolist()]


def _parse_week(text: str, where: str) -> np.datetime64:
    if not ISO_DATE.match(text):
        raise InvalidRequest(
            "bad_value", f"{where}: {bounded(text)!r} is not an ISO date (YYYY-MM-DD)"
        )
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise InvalidRequest("bad_value", f"{where}: {text!r} is not a valid date") from None
    if not FIRST_DATE <= day <= LAST_DATE:
        raise InvalidRequest(
            "date_out_of_range",
            f"{where}: {text} is outside the dates this server handles "
            f"({FIRST_DATE} … {LAST_DATE})",
        )
    return np.datetime64(day, "ns")


def _iso(moment: np.datetime64) -> str:
    return str(np.datetime_as_string(moment, unit="D"))
