"""A Brazil-sized panel (5,570 series, InfoDengue's municipalities) simulated from Peru's real
district series.

Each simulated series copies one real district (drawn at random, so every district is used
about ten times), multiplies its weekly counts by a size factor drawn log-uniformly between
0.25 and 4 and draws Poisson counts around that (a week with no case in the district stays
zero: the panel stays as sparse as the real one), then shifts it by -4…4 weeks (outbreaks do not
peak in the same week everywhere; the shifted-in weeks repeat the edge). One series in ten
enters surveillance late (its first 1–104 weeks are dropped): the panel is ragged, as real
exports are. Names keep the department prefix (``DEPT/PROV/DIST#k``) so grouping by department
still works. Deterministic for a seed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from vigia.data.peru import peru_weekly_panel


def simulated_panel(series: int = 5570, seed: int = 0) -> pd.DataFrame:
    """A weekly panel (region, week_start, cases) of ``series`` series (see the module doc)."""
    real = peru_weekly_panel(level="district").panel
    wide = real.pivot(index="region", columns="week_start", values="cases")
    weeks = wide.columns.to_numpy()
    counts = wide.to_numpy(dtype="float64")
    rng = np.random.default_rng(seed)
    source = rng.integers(len(wide), size=series)
    size = np.exp(rng.uniform(np.log(0.25), np.log(4.0), size=series))
    shift = rng.integers(-4, 5, size=series)
    late = np.where(rng.random(series) < 0.1, rng.integers(1, 105, size=series), 0)
    positions = np.clip(np.arange(len(weeks))[None, :] - shift[:, None], 0, len(weeks) - 1)
    means = counts[source[:, None], positions] * size[:, None]
    simulated = rng.poisson(means).astype("float64")
    names = [f"{wide.index[s]}#{k}" for k, s in enumerate(source)]
    keep = np.arange(len(weeks))[None, :] >= late[:, None]
    rows, columns = np.nonzero(keep)
    return pd.DataFrame(
        {
            "region": np.asarray(names, dtype=object)[rows],
            "week_start": weeks[columns],
            "cases": simulated[rows, columns],
        }
    )
