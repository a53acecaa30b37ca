"""Hospital readmission within 30 days: the UCI "Diabetes 130-US hospitals" data shipped in
``vigia/data/files/diabetes_130us.csv.gz`` (CC BY 4.0; see ``diabetes_130us.SOURCE.md``).

One row per inpatient encounter (101,766) of 71,518 patients. :func:`readmission_table` keeps
what is known when the patient is discharged and adds a few derived columns:

- encounters that ended in death or hospice (``discharge_disposition_id`` 11, 13, 14, 19, 20,
  21) are dropped: those patients cannot be readmitted, so they are not part of the question;
- ``diag_1..3`` (ICD-9 codes) also as their chapter group (``diag_1_group``: circulatory,
  respiratory, diabetes, …, following Strack et al. 2014) and their 3-character category;
- ``prior_visits`` = outpatient + emergency + inpatient visits in the year before;
- ``medications_changed`` / ``medications_used``: counts over the 23 diabetes medications;
- ``encounter_id`` is dropped; ``patient_nbr`` stays only to group the split (the risk
  pipeline replaces it with a surrogate code at ingest and never uses it as a feature).
"""

from __future__ import annotations

import hashlib
import importlib.resources
from typing import Any

import numpy as np
import pandas as pd

from vigia.errors import DataContractError

DATA_FILE = "diabetes_130us.csv.gz"
DATA_SHA256 = "0689e7ec031237dc63031b938805c48377748761a3b26acab621567afa24df97"
ROWS, COLUMNS = 101_766, 50
TARGET = "readmitted"
POSITIVE = "<30"
GROUP = "patient_nbr"
EXPIRED_OR_HOSPICE = (11, 13, 14, 19, 20, 21)
CODE_COLUMNS = ("admission_type_id", "discharge_disposition_id", "admission_source_id")
MEDICATIONS = (
    "metformin",
    "repaglinide",
    "nateglinide",
    "chlorpropamide",
    "glimepiride",
    "acetohexamide",
    "glipizide",
    "glyburide",
    "tolbutamide",
    "pioglitazone",
    "rosiglitazone",
    "acarbose",
    "miglitol",
    "troglitazone",
    "tolazamide",
    "examide",
    "citoglipton",
    "insulin",
    "glyburide-metformin",
    "glipizide-metformin",
    "glimepiride-pioglitazone",
    "metformin-rosiglitazone",
    "metformin-pioglitazone",
)
# ICD-9 chapter groups as in Strack et al. (2014), table 2.
ICD9_GROUPS = (
    ("circulatory", ((390, 460), (785, 786))),
    ("respiratory", ((460, 520), (786, 787))),
    ("digestive", ((520, 580), (787, 788))),
    ("diabetes", ((250, 251),)),
    ("injury", ((800, 1000),)),
    ("musculoskeletal", ((710, 740),)),
    ("genitourinary", ((580, 630), (788, 789))),
    ("neoplasms", ((140, 240),)),
)


def data_path() -> Any:
    """The shipped compressed CSV (an ``importlib.resources`` traversable)."""
    return importlib.resources.files("vigia.data") / "files" / DATA_FILE


def load_readmission_raw(verify: bool = False) -> pd.DataFrame:
    """The encounters as published: text columns, ``?`` as missing.

    Args:
        verify: Check the decompressed bytes against the published SHA-256 first.
    """
    with importlib.resources.as_file(data_path()) as path:
        if verify:
            import gzip

            digest = hashlib.sha256(gzip.decompress(path.read_bytes())).hexdigest()
            if digest != DATA_SHA256:
                raise DataContractError(f"{DATA_FILE}: checksum {digest} != {DATA_SHA256}")
        frame = pd.read_csv(path, dtype=str, na_values=["?"], keep_default_na=False)
    if frame.shape != (ROWS, COLUMNS):
        raise DataContractError(f"{DATA_FILE}: shape {frame.shape}, expected {(ROWS, COLUMNS)}")
    return frame


def icd9_group(codes: pd.Series) -> pd.Series:
    """ICD-9 code → chapter group (``other`` for the rest, NaN where the code is missing)."""
    text = codes.astype("string")
    number = pd.to_numeric(text.where(~text.str[0].isin(["V", "E"])), errors="coerce")
    out = pd.Series("other", index=codes.index, dtype=object)
    for name, ranges in ICD9_GROUPS:
        inside = np.zeros(len(codes), dtype=bool)
        for low, high in ranges:
            inside |= ((number >= low) & (number < high)).fillna(False).to_numpy()
        out[inside] = name
    return out.where(codes.notna(), np.nan)


def readmission_table(raw: pd.DataFrame | None = None) -> tuple[pd.DataFrame, dict[str, int]]:
    """The modelling table (see the module docstring) and the rows dropped per reason."""
    frame = load_readmission_raw() if raw is None else raw.copy()
    disposition = pd.to_numeric(frame["discharge_disposition_id"], errors="coerce")
    ended = disposition.isin(EXPIRED_OR_HOSPICE).to_numpy()
    dropped = {"encounter ended in death or hospice": int(ended.sum())}
    frame = frame[~ended].drop(columns=["encounter_id"]).reset_index(drop=True)
    numeric = [
        "time_in_hospital",
        "num_lab_procedures",
        "num_procedures",
        "num_medications",
        "number_outpatient",
        "number_emergency",
        "number_inpatient",
        "number_diagnoses",
    ]
    for col in numeric:
        frame[col] = pd.to_numeric(frame[col]).astype("float64")
    for i in (1, 2, 3):
        col = f"diag_{i}"
        frame[f"{col}_group"] = icd9_group(frame[col])
        frame[f"{col}_category"] = frame[col].str.split(".").str[0]
    frame["prior_visits"] = (
        frame["number_outpatient"] + frame["number_emergency"] + frame["number_inpatient"]
    )
    meds = frame[list(MEDICATIONS)]
    frame["medications_changed"] = meds.isin(["Up", "Down"]).sum(axis=1).astype("float64")
    frame["medications_used"] = (meds != "No").sum(axis=1).astype("float64")
    return frame, dropped


def readmission_categorical() -> list[str]:
    """Columns holding codes that must be treated as categories, not numbers."""
    return list(CODE_COLUMNS)
