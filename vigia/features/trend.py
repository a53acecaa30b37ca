"""Growth-phase features: local polynomial (Taylor) coefficients of the recent log1p series.

Over the last ``w`` weeks up to an origin, a polynomial of degree ``d`` in the week offset
``x = -(w-1), …, 0`` is fitted by least squares to ``log1p(cases)``; its coefficients at the origin
are the local *level* (minus the region's recent level, so it is scale-free), *slope* (growth per
week on the log scale) and, for ``d = 2``, *curvature* (half the second derivative: acceleration
of the growth). Each coefficient is a fixed linear filter of the window, so it is computed once
for every week; a window with a missing (NaN) week gives NaN, which the boosted trees treat as
missing. Flusion (Reich lab, FluSight 2023/24) credits such features for its skill.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from vigia.features.catalog import FeatureSpec

# (window, degree) pairs: short windows see a turn early, longer ones are less noisy.
TREND_WINDOWS: tuple[tuple[int, int], ...] = ((3, 1), (4, 2), (5, 1), (6, 2))
SOURCE = "weekly case panel (cases up to and including the origin week)"
COEFFICIENTS = ("level", "slope", "curv")


def trend_names(windows: tuple[tuple[int, int], ...] = TREND_WINDOWS) -> list[str]:
    """Feature names: ``trend_level_w``, ``trend_slope_w`` and, for degree 2, ``trend_curv_w``."""
    return [f"trend_{COEFFICIENTS[k]}_{w}" for w, d in windows for k in range(d + 1)]


def trend_catalog(windows: tuple[tuple[int, int], ...] = TREND_WINDOWS) -> list[FeatureSpec]:
    """The catalog of :func:`trend_features`."""
    meaning = {
        "level": "fitted log1p(cases) at the origin minus the 4-week level",
        "slope": "fitted weekly growth of log1p(cases) at the origin",
        "curv": "half the fitted second derivative of log1p(cases) (growth acceleration)",
    }
    specs = []
    for w, d in windows:
        for k in range(d + 1):
            kind = COEFFICIENTS[k]
            specs.append(
                FeatureSpec(
                    f"trend_{kind}_{w}",
                    f"{meaning[kind]}; degree-{d} polynomial over the last {w} weeks",
                    SOURCE,
                )
            )
    return specs


def polynomial_filters(window: int, degree: int) -> np.ndarray:
    """``(degree + 1, window)`` weights: coefficient ``k`` of the least-squares polynomial fitted
    to a window (oldest week first) is ``filters[k] @ window_values``, at offset 0 = last week."""
    if window <= degree:
        raise ValueError(f"a degree-{degree} fit needs more than {degree} weeks, got {window}")
    x = np.arange(-(window - 1), 1, dtype="float64")
    design = np.vander(x, degree + 1, increasing=True)  # columns 1, x, x²
    return np.linalg.pinv(design)


def local_trend(values: np.ndarray, window: int, degree: int) -> np.ndarray:
    """``(len(values), degree + 1)`` coefficients at every position of one series; NaN where the
    window is incomplete or holds a NaN."""
    values = np.asarray(values, dtype="float64")
    out = np.full((len(values), degree + 1), np.nan)
    if len(values) < window:
        return out
    windows = np.lib.stride_tricks.sliding_window_view(values, window)
    out[window - 1 :] = windows @ polynomial_filters(window, degree).T
    return out


def trend_features(
    panel: pd.DataFrame,
    level: pd.Series | np.ndarray,
    windows: tuple[tuple[int, int], ...] = TREND_WINDOWS,
) -> pd.DataFrame:
    """Trend features for every (region, week) of a panel, in ``build_features`` row order.

    Args:
        panel: Panel (region, week_start, cases); each region's weeks consecutive (a missing
            week is a NaN count, not an absent row).
        level: The 4-week log1p level of every row (``build_features(panel)["level"]``), in
            the same (region, week_start) order.
        windows: (window, degree) pairs.
    """
    ordered = panel.sort_values(["region", "week_start"]).reset_index(drop=True)
    log_cases = np.log1p(ordered["cases"].to_numpy(dtype="float64"))
    columns = trend_names(windows)
    out = np.full((len(ordered), len(columns)), np.nan)
    for rows in ordered.groupby("region", sort=False).indices.values():
        col = 0
        for w, d in windows:
            out[rows, col : col + d + 1] = local_trend(log_cases[rows], w, d)
            col += d + 1
    frame = pd.DataFrame(out, columns=columns)
    level_values = np.asarray(level, dtype="float64")
    for w, _ in windows:
        frame[f"trend_level_{w}"] -= level_values
    return frame
