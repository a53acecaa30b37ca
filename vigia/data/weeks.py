"""One weekly calendar for every panel: week rules, epidemiological weeks from year + number.

Week rules (``--week-rule``):

- ``auto`` (default): a panel whose dates all fall on one weekday is kept as it is; otherwise
  every date is moved to the first day (Sunday) of the MMWR epidemiological week containing it.
- ``mmwr``: every date → the Sunday that starts its MMWR (CDC) epidemiological week.
- ``iso``: every date → the Monday that starts its ISO week.
- ``none``: dates are used as given; they must all fall on one weekday.

A week number (``--year-col``/``--week-col``) names the week's first day in the same systems:
MMWR week 1 is the first Sunday-start week with at least four days in the year, ISO week 1 the
first Monday-start week with at least four days in the year (the week containing 4 January).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from vigia.data.lines import lines_text
from vigia.errors import DataContractError

WEEK_RULES = ("auto", "mmwr", "iso", "none")
WEEK_SYSTEMS = ("mmwr", "iso")
FIRST_WEEKDAY = {"mmwr": 6, "iso": 0}  # pandas dayofweek: Monday 0 … Sunday 6


def check_week_rule(rule: str) -> str:
    if rule not in WEEK_RULES:
        raise DataContractError(f"unknown week rule {rule!r}; choose {', '.join(WEEK_RULES)}")
    return rule


def snap_to_week(dates: pd.Series, system: str) -> pd.Series:
    """The first day of the week (``mmwr``: Sunday, ``iso``: Monday) containing each date."""
    back = (dates.dt.dayofweek - FIRST_WEEKDAY[system]) % 7
    return dates - pd.to_timedelta(back, unit="D")


def week_one_start(years: np.ndarray, system: str) -> pd.DatetimeIndex:
    """First day of week 1 of each year: the week (of the system) that contains 4 January."""
    jan4 = pd.to_datetime(pd.DataFrame({"year": years, "month": 1, "day": 4}))
    return pd.DatetimeIndex(snap_to_week(jan4, system))


def week_start_from_number(year: pd.Series, week: pd.Series, system: str) -> pd.Series:
    """First day of epidemiological week ``week`` of ``year`` (``mmwr`` or ``iso``).

    Raises:
        DataContractError: A week number outside 1…52/53 for its year (naming the lines).
    """
    years = year.to_numpy(dtype="int64")
    weeks = week.to_numpy(dtype="int64")
    start = week_one_start(years, system)
    next_start = week_one_start(years + 1, system)
    weeks_in_year = ((next_start - start).days // 7).to_numpy()
    bad = np.flatnonzero((weeks < 1) | (weeks > weeks_in_year))
    if bad.size:
        raise DataContractError(
            f"week {int(weeks[bad[0]])} does not exist in {system.upper()} year "
            f"{int(years[bad[0]])} ({int(weeks_in_year[bad[0]])} weeks) at {lines_text(bad)}"
        )
    return pd.Series(start + pd.to_timedelta(7 * (weeks - 1), unit="D"), index=year.index)
