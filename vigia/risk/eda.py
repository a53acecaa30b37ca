"""Exploratory data analysis of a risk table: missingness, distributions, the target rate
(overall, over time, per value), correlations and leakage suspects — as a JSON-ready summary
and a self-contained HTML page (no scripts, works offline).

Leakage suspects are features that separate the classes too well to be believed (single-feature
ROC-AUC ≥ 0.9, out-of-fold), numeric features strongly correlated with the target, and features
whose name contains the target's. Identifier-like columns never reach this step (validation
removes them and the report lists them).
"""

from __future__ import annotations

import importlib.resources
from typing import Any

import jinja2
import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from vigia.risk.task import TARGET, TIME, RiskTask

LEAK_AUC = 0.9
LEAK_CORR = 0.8
REDUNDANT_CORR = 0.9
TOP_VALUES = 10
HIST_BINS = 20
MAX_HEATMAP = 16


def _bins(values: pd.Series, feature_kind: str) -> pd.Series:
    """Groups for target-rate profiles: deciles of numbers / values of categories, and
    ``(missing)``."""
    if feature_kind == "numeric":
        ranks = values.rank(method="first")
        cut = pd.qcut(ranks, min(10, max(values.notna().sum(), 1)), labels=False, duplicates="drop")
        out = cut.astype("float64").map(lambda v: f"q{int(v)}" if pd.notna(v) else "(missing)")
        return out.astype(str)
    return values.astype(object).where(values.notna(), "(missing)").astype(str)


def single_feature_auc(groups: pd.Series, y: np.ndarray, seed: int = 0) -> float:
    """Out-of-fold ROC-AUC of a feature alone (its groups' target rate learned on the other half,
    smoothed towards the overall rate), folded to ≥ 0.5."""
    rng = np.random.default_rng(seed)
    half = rng.random(len(groups)) < 0.5
    prior = float(y.mean())
    scores = np.empty(len(groups))
    for learn in (half, ~half):
        frame = pd.DataFrame({"g": groups[learn].to_numpy(), "y": y[learn]})
        stats = frame.groupby("g")["y"].agg(["sum", "count"])
        rate = (stats["sum"] + 10 * prior) / (stats["count"] + 10)
        scores[~learn] = groups[~learn].map(rate).fillna(prior).to_numpy()
    if len(np.unique(y)) < 2:
        return float("nan")
    auc = float(roc_auc_score(y, scores))
    return max(auc, 1 - auc)


def _time_profile(times: pd.Series, y: np.ndarray) -> list[dict[str, Any]]:
    if pd.api.types.is_datetime64_any_dtype(times):
        span = (times.max() - times.min()).days
        freq = "M" if span > 120 else "W"
        period = times.dt.to_period(freq).astype(str)
    else:
        period = times.astype("float64").map(lambda v: f"{v:g}")
        if period.nunique() > 60:
            period = pd.qcut(times, 20, duplicates="drop").astype(str)
    frame = pd.DataFrame({"period": period.to_numpy(), "y": y})
    stats = frame.groupby("period", sort=True)["y"].agg(["count", "mean"])
    return [
        {"period": str(p), "rows": int(r["count"]), "rate": float(r["mean"])}
        for p, r in stats.iterrows()
    ]


def eda_summary(table: pd.DataFrame, task: RiskTask, validation: dict[str, Any]) -> dict[str, Any]:
    """Everything the EDA page shows, JSON-ready.

    Args:
        table: A validated risk table.
        task: The validated task (feature schema).
        validation: The validation report (removed columns, dropped rows).
    """
    y = table[TARGET].to_numpy().astype(int)
    prior = float(y.mean())
    features: list[dict[str, Any]] = []
    for feat in task.features:
        values = table[feat.name]
        missing = float(values.isna().mean())
        entry: dict[str, Any] = {
            "name": feat.name,
            "kind": feat.kind,
            "missing": missing,
            "distinct": int(values.nunique()),
        }
        groups = _bins(values, feat.kind)
        entry["auc"] = single_feature_auc(groups, y)
        frame = pd.DataFrame({"g": groups.to_numpy(), "y": y})
        stats = frame.groupby("g")["y"].agg(["count", "mean"])
        if feat.kind == "numeric":
            present = values.dropna()
            q = present.quantile([0.0, 0.01, 0.05, 0.5, 0.95, 0.99, 1.0]).to_numpy()
            entry.update(
                min=q[0], p5=q[2], median=q[3], p95=q[4], max=q[6], mean=float(present.mean())
            )
            low, high = (q[1], q[5]) if q[5] > q[1] else (q[0], q[6] + 1)
            counts, edges = np.histogram(present.clip(low, high), bins=HIST_BINS, range=(low, high))
            entry["histogram"] = [
                {"from": float(edges[i]), "to": float(edges[i + 1]), "rows": int(counts[i])}
                for i in range(len(counts))
            ]
            entry["target_by_decile"] = [
                {"value": str(k), "rows": int(r["count"]), "rate": float(r["mean"])}
                for k, r in stats.iterrows()
            ]
            corr = np.corrcoef(values.fillna(present.median()).to_numpy(), y)[0, 1]
            entry["target_corr"] = float(corr) if np.isfinite(corr) else 0.0
        else:
            top = stats.sort_values("count", ascending=False).head(TOP_VALUES)
            entry["top_values"] = [
                {"value": str(k), "rows": int(r["count"]), "rate": float(r["mean"])}
                for k, r in top.iterrows()
            ]
            entry["target_corr"] = None
        features.append(entry)
    numeric = [f.name for f in task.features if f.kind == "numeric"]
    corr = table[numeric].corr() if len(numeric) >= 2 else pd.DataFrame()
    pairs = []
    for i, a in enumerate(numeric):
        for b in numeric[i + 1 :]:
            r = corr.loc[a, b] if not corr.empty else np.nan
            if np.isfinite(r) and abs(r) >= REDUNDANT_CORR:
                pairs.append({"a": a, "b": b, "r": float(r)})
    strongest = sorted(numeric, key=lambda n: -table[n].var() if table[n].var() > 0 else 0)
    heat = strongest[:MAX_HEATMAP]
    suspects = []
    for entry in features:
        reasons = []
        if np.isfinite(entry["auc"]) and entry["auc"] >= LEAK_AUC:
            reasons.append(f"alone it separates the classes (ROC-AUC {entry['auc']:.3f})")
        if entry["target_corr"] is not None and abs(entry["target_corr"]) >= LEAK_CORR:
            reasons.append(f"correlation with the target {entry['target_corr']:.2f}")
        if task.target.lower() in entry["name"].lower():
            reasons.append(f"its name contains the target's ({task.target!r})")
        if reasons:
            suspects.append({"feature": entry["name"], "reasons": reasons})
    return {
        "title": task.label or task.name,
        "rows": len(table),
        "target": task.target,
        "positive": task.positive,
        "prevalence": prior,
        "positives": int(y.sum()),
        "group_col": task.group_col,
        "time_col": task.time_col,
        "features": features,
        "ranked": sorted(features, key=lambda e: -(e["auc"] if np.isfinite(e["auc"]) else 0)),
        "correlated_pairs": pairs,
        "heatmap": {
            "columns": heat,
            "matrix": [
                [float(corr.loc[a, b]) if not corr.empty else 0.0 for b in heat] for a in heat
            ],
        },
        "target_over_time": _time_profile(table[TIME], y) if TIME in table else [],
        "leakage_suspects": suspects,
        "validation": validation,
    }


def eda_html(summary: dict[str, Any]) -> str:
    """The EDA page (self-contained HTML)."""
    source = (importlib.resources.files("vigia.risk") / "eda.html.j2").read_text("utf-8")
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    env.filters["pct"] = lambda v: "–" if v is None or not np.isfinite(v) else f"{100 * v:.1f}%"
    env.filters["num"] = lambda v: "–" if v is None or not np.isfinite(v) else f"{v:,.4g}"
    return env.from_string(source).render(s=summary)
