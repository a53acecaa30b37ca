"""Replay for a risk model: past cases sent week by week through the live endpoint, labels
revealed with a delay, a monitoring check each week, and the timeline of estimated (CBPE) vs
realized ROC-AUC.

Week *w*: the week's cases go to ``POST /v1/models/<model>:predict`` in requests of at most
``batch`` rows, each with its own ``x-request-id``; the replay keeps (request id, row) → label
as a hospital system would, and reveals the labels of week *w* at week *w + delay*. The check of
week *w* (:func:`vigia.monitor.risk_check.check_risk_model`) looks at the payload log of that
week's requests with every label revealed so far; when week *w*'s labels arrive, its realized
ROC-AUC is computed from the same logged rows. The replay decides but does not retrain: a
retrain decision is written in the timeline. Training and serving around it:
:mod:`vigia.workflows.risk_replay`.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from vigia.errors import RuntimeFailure, VigiaError
from vigia.monitor.cbpe import expected_roc_auc, realized, recalibrate
from vigia.monitor.collect import recent_retrain
from vigia.monitor.paths import MonitorPaths
from vigia.monitor.risk_check import check_risk_model
from vigia.monitor.risk_collect import join_labels, logged_scores
from vigia.monitor.risk_config import RiskMonitorConfig
from vigia.monitor.risk_publish import publish_risk_check
from vigia.risk.snapshot import PROBABILITY
from vigia.risk.task import TARGET, TIME, Feature

BATCH = 1000
RECALIBRATION_WEEKS = 4  # revealed weeks the recalibrated estimate learns the calibration from


def v1_instances(rows: pd.DataFrame, features: list[Feature]) -> list[dict[str, Any]]:
    """V1 instances for ``rows``: numbers as floats, categories as text, missing as null."""
    out = []
    for record in rows[[f.name for f in features]].to_dict(orient="records"):
        instance: dict[str, Any] = {}
        for f in features:
            value = record[f.name]
            missing = value is None or (isinstance(value, float) and math.isnan(value))
            if missing or value is pd.NA:
                instance[f.name] = None
            else:
                instance[f.name] = float(value) if f.kind == "numeric" else str(value)
        out.append(instance)
    return out


@dataclass
class ReplayWeek:
    """One replayed week."""

    week: str
    cases: int
    decision: str
    drift_share: float | None
    score_drift: bool | None
    estimated_roc_auc: float | None
    expected_positive_rate: float | None
    recalibrated_roc_auc: float | None = None  # CBPE after the latest labels' calibration
    realized_roc_auc: float | None = None  # filled when the week's labels are revealed
    observed_positive_rate: float | None = None
    revealed_at: str | None = None
    reasons: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class RiskReplay:
    model: str
    version: int
    label_delay_weeks: int
    weeks: list[ReplayWeek]
    seconds: float

    def summary(self) -> dict[str, Any]:
        """Estimated − realized ROC-AUC over the weeks with both, for the plain CBPE estimate and
        the recalibrated one (mean absolute error with a bootstrap 90 % interval over weeks)."""
        out: dict[str, Any] = {
            "decisions": {a: sum(w.decision == a for w in self.weeks)
                          for a in ("nothing", "warn", "retrain")},
        }  # fmt: skip
        for key, attribute in (("cbpe", "estimated_roc_auc"),
                               ("recalibrated_cbpe", "recalibrated_roc_auc")):  # fmt: skip
            pairs = [
                (getattr(w, attribute), w.realized_roc_auc)
                for w in self.weeks
                if getattr(w, attribute) is not None and w.realized_roc_auc is not None
            ]
            out[key] = _errors(pairs)
        out["weeks_compared"] = out["cbpe"]["weeks_compared"]
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "version": self.version,
            "label_delay_weeks": self.label_delay_weeks,
            "seconds": round(self.seconds, 1),
            "summary": self.summary(),
            "weeks": [w.to_dict() for w in self.weeks],
        }


def _errors(pairs: list[tuple[float, float]]) -> dict[str, Any]:
    if not pairs:
        return {"weeks_compared": 0}
    diff = np.array([e - r for e, r in pairs])
    rng = np.random.default_rng(0)
    means = [np.abs(rng.choice(diff, len(diff))).mean() for _ in range(2000)]
    return {
        "weeks_compared": len(pairs),
        "mean_abs_error": float(np.abs(diff).mean()),
        "mean_abs_error_ci90": [float(np.quantile(means, 0.05)), float(np.quantile(means, 0.95))],
        "mean_error": float(diff.mean()),
        "max_abs_error": float(np.abs(diff).max()),
        "weeks_within_0.03": int((np.abs(diff) <= 0.03).sum()),
        "mean_estimated": float(np.mean([e for e, _ in pairs])),
        "mean_realized": float(np.mean([r for _, r in pairs])),
    }


def _fmt(value: float | None, digits: int = 3) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def timeline_table(weeks: list[ReplayWeek]) -> str:
    """The timeline as a Markdown table."""
    lines = [
        "| week | cases | drift share | score drift | estimated ROC-AUC | recalibrated | "
        "realized ROC-AUC | est. − real. | expected rate | observed rate | decision |",
        "|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for w in weeks:
        gap = (
            None
            if w.estimated_roc_auc is None or w.realized_roc_auc is None
            else w.estimated_roc_auc - w.realized_roc_auc
        )
        drift = {None: "–", True: "yes", False: "no"}[w.score_drift]
        lines.append(
            f"| {w.week} | {w.cases} | {_fmt(w.drift_share, 2)} | {drift} | "
            f"{_fmt(w.estimated_roc_auc)} | {_fmt(w.recalibrated_roc_auc)} | "
            f"{_fmt(w.realized_roc_auc)} | "
            f"{'–' if gap is None else f'{gap:+.3f}'} | {_fmt(w.expected_positive_rate)} | "
            f"{_fmt(w.observed_positive_rate)} | {w.decision} |"
        )
    return "\n".join(lines)


def _wait_logged(paths: MonitorPaths, model: str, count: int, timeout: float = 60.0) -> None:
    from vigia.payloads import read_payloads

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if len(read_payloads(paths.payload_root / model)[0]) >= count:
            return
        time.sleep(0.1)
    raise RuntimeFailure(f"the server did not log {count} requests within {timeout:.0f}s")


def replay_risk(
    base_url: str,
    paths: MonitorPaths,
    model: str,
    features: list[Feature],
    version: int,
    cases: pd.DataFrame,
    config: RiskMonitorConfig,
    label_delay_weeks: int = 2,
    evidently: bool = True,
    progress: Callable[[ReplayWeek], None] | None = None,
) -> RiskReplay:
    """Send ``cases`` (features, ``__target__``, ``__time__`` week) week by week to the live
    endpoint at ``base_url`` and check the model after each week (see the module docstring)."""
    import httpx

    if label_delay_weeks < 1:
        raise VigiaError("the label delay must be at least one week")
    started = time.perf_counter()
    weeks = sorted(pd.to_datetime(cases[TIME]).unique())
    labels: list[pd.DataFrame] = []  # revealed so far
    pending: list[tuple[int, pd.DataFrame]] = []  # (week index, labels) not revealed yet
    windows: list[tuple[datetime, datetime]] = []
    revealed: list[tuple[np.ndarray, np.ndarray]] = []  # (scores, labels) per revealed week
    timeline: list[ReplayWeek] = []
    logged = len(_records(paths, model))
    with httpx.Client(base_url=base_url, timeout=120.0) as client:
        for index, week in enumerate(weeks):
            rows = cases[pd.to_datetime(cases[TIME]) == week]
            start = datetime.now(UTC)
            week_labels = []
            for first in range(0, len(rows), BATCH):
                part = rows.iloc[first : first + BATCH]
                request_id = f"replay-{pd.Timestamp(week):%Y-%m-%d}-{first // BATCH}"
                reply = client.post(
                    f"/v1/models/{model}:predict",
                    json={"instances": v1_instances(part, features)},
                    headers={"x-request-id": request_id},
                )
                if reply.status_code != 200:
                    raise RuntimeFailure(
                        f"week {week:%Y-%m-%d}: HTTP {reply.status_code} {reply.text}"
                    )
                week_labels.append(
                    pd.DataFrame(
                        {
                            "request_id": request_id,
                            "row": np.arange(len(part)),
                            "label": part[TARGET].to_numpy(dtype="int64"),
                        }
                    )
                )
                logged += 1
            _wait_logged(paths, model, logged)
            end = datetime.now(UTC)
            windows.append((start, end))
            pending.append((index, pd.concat(week_labels, ignore_index=True)))
            # Labels of weeks at least `label_delay_weeks` old arrive now.
            arrived = [p for p in pending if p[0] <= index - label_delay_weeks]
            pending = [p for p in pending if p[0] > index - label_delay_weeks]
            for done, frame in arrived:
                labels.append(frame)
                revealed.append(
                    _reveal(
                        timeline[done],
                        paths,
                        model,
                        features,
                        version,
                        windows[done],
                        frame,
                        f"{pd.Timestamp(week):%Y-%m-%d}",
                    )
                )
            as_of = pd.Timestamp(week)
            check, _ = check_risk_model(
                paths,
                model,
                config,
                start=start,
                end=end,
                labels=pd.concat(labels, ignore_index=True) if labels else None,
                recent_retrain=recent_retrain(
                    paths, model, version, as_of, config.retrain_cooldown_weeks
                ),
                snapshot_time=as_of.to_pydatetime(),
            )
            publish_risk_check(check, paths, evidently=evidently, drift_html=False)
            status = check.status()
            row = ReplayWeek(
                week=f"{as_of:%Y-%m-%d}",
                cases=len(rows),
                decision=check.decision.action,
                drift_share=status["drift_share"],
                score_drift=status["score_drift"],
                estimated_roc_auc=status["estimated_roc_auc"],
                expected_positive_rate=status["expected_positive_rate"],
                reasons=check.decision.reasons,
            )
            row.recalibrated_roc_auc = _recalibrated(
                paths, model, features, version, (start, end), revealed[-RECALIBRATION_WEEKS:]
            )
            timeline.append(row)
            if progress:
                progress(row)
    return RiskReplay(model, version, label_delay_weeks, timeline, time.perf_counter() - started)


def _records(paths: MonitorPaths, model: str) -> list[dict[str, Any]]:
    from vigia.payloads import read_payloads

    return read_payloads(paths.payload_root / model)[0]


def _reveal(
    row: ReplayWeek,
    paths: MonitorPaths,
    model: str,
    features: list[Feature],
    version: int,
    window: tuple[datetime, datetime],
    labels: pd.DataFrame,
    when: str,
) -> tuple[np.ndarray, np.ndarray]:
    """The realized metrics of a past week's logged rows, now that its labels arrived; returns
    the week's (scores, labels)."""
    logged = logged_scores(paths, model, version, features, *window)
    joined = join_labels(logged.rows, labels)
    y = joined["label"].to_numpy(dtype="int64")
    if len(y) and 0 < y.sum() < len(y):
        result = realized(y, joined[PROBABILITY].to_numpy(), 0.5)
        row.realized_roc_auc = result.roc_auc
        row.observed_positive_rate = result.positive_rate
    row.revealed_at = when
    return joined[PROBABILITY].to_numpy(dtype="float64"), y


def _recalibrated(
    paths: MonitorPaths,
    model: str,
    features: list[Feature],
    version: int,
    window: tuple[datetime, datetime],
    revealed: list[tuple[np.ndarray, np.ndarray]],
    min_rows: int = 200,
) -> float | None:
    """CBPE of the window's scores after an isotonic recalibration on the revealed weeks."""
    if not revealed:
        return None
    p_labelled = np.concatenate([p for p, _ in revealed])
    y_labelled = np.concatenate([y for _, y in revealed])
    if len(y_labelled) < min_rows or not 0 < y_labelled.sum() < len(y_labelled):
        return None
    scores = logged_scores(paths, model, version, features, *window).rows
    if len(scores) < min_rows:
        return None
    p = scores[PROBABILITY].to_numpy(dtype="float64")
    return expected_roc_auc(recalibrate(p, p_labelled, y_labelled))


def write_timeline(replay: RiskReplay, folder: Path) -> dict[str, Path]:
    """``timeline.md`` and ``timeline.json`` in ``folder``."""
    import json

    folder.mkdir(parents=True, exist_ok=True)
    files = {"md": folder / "timeline.md", "json": folder / "timeline.json"}
    files["md"].write_text(timeline_table(replay.weeks) + "\n", encoding="utf-8")
    files["json"].write_text(json.dumps(replay.to_dict(), indent=2), encoding="utf-8")
    return files
