"""Naming the lines of a CSV file in error messages (the one line-number formatter)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

MAX_LISTED = 5


def lines_text(positions: Sequence[int] | np.ndarray | pd.Index) -> str:
    """'lines 2, 5, 9 (+3 more)' for 0-based data-row positions (header is line 1)."""
    numbers = [int(p) + 2 for p in list(positions)[:MAX_LISTED]]
    more = len(positions) - len(numbers)
    text = ("line " if len(positions) == 1 else "lines ") + ", ".join(map(str, numbers))
    return text + (f" (+{more} more)" if more > 0 else "")
