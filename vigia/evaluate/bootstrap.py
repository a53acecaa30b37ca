"""Paired block bootstrap over forecast origins: how sure is a difference in WIS?

Forecasts from neighbouring origins share target weeks (horizons 1–4 overlap) and epidemic
phases, so rows are not independent; resampling whole *blocks* of consecutive origins (a moving
block bootstrap) keeps that dependence. Both methods are resampled on the same origins (paired),
so what varies is only which weeks are in the sample, not which rows each method is scored on.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

KEYS = ["region", "origin", "horizon"]


@dataclass(frozen=True)
class BootstrapInterval:
    """Difference ``a − b`` in mean WIS, also relative to the baseline's mean WIS (the change in
    relative WIS), with percentile intervals and the share of resamples where ``a`` is better."""

    a: str
    b: str
    difference: float
    low: float
    high: float
    relative_difference: float
    relative_low: float
    relative_high: float
    share_a_better: float
    resamples: int
    block: int
    level: float

    def to_dict(self) -> dict[str, float | int | str]:
        return asdict(self)

    def markdown_row(self) -> str:
        return (
            f"| {self.a} − {self.b} | {self.relative_difference:+.3f} "
            f"[{self.relative_low:+.3f}, {self.relative_high:+.3f}] | {self.difference:+.3f} "
            f"[{self.low:+.3f}, {self.high:+.3f}] | {self.share_a_better:.3f} |"
        )


MARKDOWN_HEADER = (
    "| difference | Δ rel. WIS [95 % CI] | Δ WIS [95 % CI] | share of resamples better |\n"
    "|---|---:|---:|---:|"
)


def per_origin_wis(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Sum of WIS and row count per origin for every method, on the rows all methods share.

    Returns:
        Frame indexed by origin (sorted) with one column per method (WIS sums) and ``rows``.
    """
    common = None
    for table in tables.values():
        index = pd.MultiIndex.from_frame(table[KEYS])
        common = index if common is None else common.intersection(index)
    sums = {}
    for name, table in tables.items():
        aligned = table.set_index(KEYS).loc[common]
        sums[name] = aligned["wis"].groupby(level="origin").sum()
    frame = pd.DataFrame(sums).sort_index()
    counts = pd.Series(1, index=common).groupby(level="origin").sum()
    frame["rows"] = counts.reindex(frame.index).to_numpy()
    return frame


def block_resamples(n: int, block: int, resamples: int, seed: int) -> np.ndarray:
    """``(resamples, n)`` positions: concatenated runs of ``block`` consecutive positions with
    uniformly drawn starts (moving blocks), cut to ``n``."""
    block = max(1, min(block, n))
    blocks = -(-n // block)
    rng = np.random.default_rng(seed)
    starts = rng.integers(0, n - block + 1, size=(resamples, blocks))
    positions = (starts[:, :, None] + np.arange(block)[None, None, :]).reshape(resamples, -1)
    return positions[:, :n]


def paired_block_bootstrap(
    tables: dict[str, pd.DataFrame],
    pairs: list[tuple[str, str]],
    baseline: str = "persistence",
    resamples: int = 2000,
    block: int = 8,
    level: float = 0.95,
    seed: int = 0,
) -> list[BootstrapInterval]:
    """Intervals of mean-WIS differences ``a − b`` for every pair (negative: ``a`` is better).

    Args:
        tables: Method → score table (``score_table``: region, origin, horizon, wis, …).
        pairs: ``(a, b)`` method pairs.
        baseline: Method whose mean WIS scales the relative differences.
        resamples: Bootstrap resamples.
        block: Consecutive origins per block (8 weeks: twice the longest horizon).
        level: Interval coverage.
        seed: Random seed of the resampling.
    """
    sums = per_origin_wis(tables)
    positions = block_resamples(len(sums), block, resamples, seed)
    rows = sums["rows"].to_numpy(dtype="float64")
    rows_b = rows[positions].sum(axis=1)
    base = sums[baseline].to_numpy(dtype="float64")
    base_b = base[positions].sum(axis=1) / rows_b
    lo_q, hi_q = (1 - level) / 2, 1 - (1 - level) / 2
    out = []
    for a, b in pairs:
        diff = (sums[a] - sums[b]).to_numpy(dtype="float64")
        diff_b = diff[positions].sum(axis=1) / rows_b
        rel_b = diff_b / base_b
        point = float(diff.sum() / rows.sum())
        out.append(
            BootstrapInterval(
                a=a,
                b=b,
                difference=point,
                low=float(np.quantile(diff_b, lo_q)),
                high=float(np.quantile(diff_b, hi_q)),
                relative_difference=point / float(base.sum() / rows.sum()),
                relative_low=float(np.quantile(rel_b, lo_q)),
                relative_high=float(np.quantile(rel_b, hi_q)),
                share_a_better=float((diff_b < 0).mean()),
                resamples=resamples,
                block=block,
                level=level,
            )
        )
    return out
