"""The pieces of a replay that need no server: the client's weekly request and the timeline.

A replay trains on the data up to a cut-off, then walks the following weeks as they happened:
each week a client (the ministry's surveillance system) sends every region's weekly counts up to
that week to the live endpoint and gets forecasts back; then the monitoring check runs. The
orchestration (server, training pipeline) lives in ``vigia.workflows.replay``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from vigia.errors import VigiaError

if TYPE_CHECKING:
    from pathlib import Path


def replay_weeks(panel: pd.DataFrame, cut_off: pd.Timestamp, weeks: int) -> list[pd.Timestamp]:
    """The first ``weeks`` weeks of ``panel`` after ``cut_off`` (all of them if ``weeks`` = 0).

    Raises:
        VigiaError: The cut-off is not inside the panel, or no week follows it.
    """
    all_weeks = pd.DatetimeIndex(sorted(panel["week_start"].unique()))
    if cut_off < all_weeks[0] or cut_off >= all_weeks[-1]:
        raise VigiaError(
            f"cut-off {cut_off:%Y-%m-%d} must fall inside the data "
            f"({all_weeks[0]:%Y-%m-%d} … {all_weeks[-1]:%Y-%m-%d}) and leave weeks to replay"
        )
    after = list(all_weeks[all_weeks > cut_off])
    return after[:weeks] if weeks > 0 else after


def weekly_request(panel: pd.DataFrame, week: pd.Timestamp) -> dict[str, Any]:
    """The V1 request a client sends in ``week``: every region's counts up to that week."""
    seen = panel[panel["week_start"] <= week].sort_values(["region", "week_start"])
    instances = []
    for region, rows in seen.groupby("region", sort=True):
        if rows["week_start"].iloc[-1] != week:
            continue  # no count reported for this week yet
        instances.append(
            {
                "region": str(region),
                "week_start": f"{week:%Y-%m-%d}",
                "history": [float(v) for v in rows["cases"].to_numpy()],
            }
        )
    return {"instances": instances}


def serve_offline(
    bundle_dir: Path, requests: list[dict[str, Any]], payload_root: Path, model: str
) -> int:
    """Answer V1 ``requests`` with the bundle's servable and log them with the payload writer, as
    the server does but without HTTP (benchmarks and tests that need a payload log quickly).
    Returns the number of records written."""
    from vigia.payloads import PayloadWriter, payload_record
    from vigia.servables.kinds import load_servable

    servable = load_servable(bundle_dir)
    version = int(servable.manifest.get("version", 0))
    writer = PayloadWriter(payload_root, queue_size=len(requests) + 1)  # drop nothing
    try:
        for i, body in enumerate(requests):
            batch = servable.parse_v1(body)
            inputs, outputs = servable.payload_rows(batch, servable.predict(batch))
            record = payload_record(
                request_id=f"offline-{i}",
                model=model,
                version=version,
                kind=servable.kind,
                protocol="v1",
                latency_ms=None,
                inputs=inputs,
                outputs=outputs,
            )
            writer.submit(model, record)
    finally:
        writer.close(timeout=60)
    return writer.stats.written


@dataclass
class TimelineRow:
    """One replayed week."""

    week: str
    served_version: int
    rows: int
    drift_share: float | None
    prediction_drift_share: float | None
    rolling_relative_wis: float | None
    coverage_90: float | None
    decision: str
    live_version: int  # after any retraining of this week
    note: str = ""
    reasons: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _fmt(value: float | None, digits: int) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def timeline_table(rows: list[TimelineRow]) -> str:
    """The timeline as an aligned Markdown table."""
    header = (
        "| week | served by | drift share | pred. drift | rolling rel. WIS | 90% cov. | "
        "decision | live version | note |"
    )
    lines = [header, "|---|---:|---:|---:|---:|---:|---|---:|---|"]
    for r in rows:
        lines.append(
            f"| {r.week} | v{r.served_version} | {_fmt(r.drift_share, 2)} | "
            f"{_fmt(r.prediction_drift_share, 2)} | {_fmt(r.rolling_relative_wis, 3)} | "
            f"{_fmt(r.coverage_90, 2)} | {r.decision} | v{r.live_version} | {r.note} |"
        )
    return "\n".join(lines)
