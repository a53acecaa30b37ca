"""Ragged and gapped panels in the backtest and the hybrid (the issue's crash: the hybrid's
out-of-sample stacking on regions that start and end in different weeks)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from forecast_settings import TINY_HYBRID

from vigia.data.contract import validate_panel
from vigia.evaluate.backtest import MIN_ORIGIN_WEEKS, rolling_origin_backtest
from vigia.models.baselines import Persistence
from vigia.models.hybrid import HybridForecaster


def _ragged(small_panel: pd.DataFrame) -> pd.DataFrame:
    """PIURA whole, LORETO from week 120 with gaps, TUMBES ending 20 weeks early."""
    parts = []
    for region, group in small_panel.groupby("region"):
        if region == "LORETO":
            group = group.iloc[120:]
            group = group[np.arange(len(group)) % 9 != 4]  # every 9th week not reported
        elif region == "TUMBES":
            group = group.iloc[:-20]
        parts.append(group)
    return validate_panel(pd.concat(parts))


def test_backtest_and_hybrid_on_a_ragged_gapped_panel(small_panel: pd.DataFrame) -> None:
    panel = _ragged(small_panel)
    assert panel["cases"].isna().sum() > 0
    factories = {
        "persistence": Persistence,
        "hybrid": lambda: HybridForecaster(**{**TINY_HYBRID, "fold_weeks": 26}),
    }
    weeks = sorted(panel["week_start"].unique())
    origins = list(weeks[-60:-4])
    result = rolling_origin_backtest(panel, factories, origins=origins, refit_every=13)
    scores = result.scores_json()
    counts = scores["region_origins"]
    reported = panel[panel["cases"].notna()]
    # LORETO starts 120 weeks in: forecast only once it has 13 reported weeks, never at an
    # unreported week; TUMBES not after its last week; PIURA at every origin
    loreto = reported[reported["region"] == "LORETO"].reset_index(drop=True)
    first_ok = loreto["week_start"].iloc[MIN_ORIGIN_WEEKS - 1]
    keys = result.forecasts["hybrid"].keys
    at_loreto = keys[keys["region"] == "LORETO"]["origin"]
    assert at_loreto.min() >= max(first_ok, origins[0])
    assert at_loreto.isin(loreto["week_start"]).all()
    assert (
        keys[keys["region"] == "TUMBES"]["origin"].max()
        <= panel[panel["region"] == "TUMBES"]["week_start"].max()
    )
    assert counts["PIURA"] == len(origins)
    assert 0 < counts["TUMBES"] < counts["PIURA"] and 0 < counts["LORETO"] < counts["PIURA"]
    # every method scored on the same rows, only where the target was reported
    for table in result.tables.values():
        assert table["y"].notna().all()
    assert np.isfinite(scores["methods"]["hybrid"]["relative_wis"])
