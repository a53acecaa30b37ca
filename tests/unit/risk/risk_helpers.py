"""Small real tables for the risk tests: slices of the shipped datasets."""

from __future__ import annotations

from functools import cache

import pandas as pd

from vigia.data.readmission import readmission_table


@cache
def readmission_rows() -> pd.DataFrame:
    """The readmission modelling table (all rows; callers slice it)."""
    return readmission_table()[0]


def readmission_csv_frame(rows: int = 1500, seed: int = 0) -> pd.DataFrame:
    """A few real encounters with a handful of columns, as a user's CSV would hold them."""
    table = readmission_rows().sample(rows, random_state=seed)
    columns = [
        "patient_nbr",
        "gender",
        "age",
        "race",
        "time_in_hospital",
        "num_medications",
        "number_inpatient",
        "number_emergency",
        "admission_type_id",
        "diag_1_group",
        "readmitted",
    ]
    return table[columns].reset_index(drop=True)
