"""The identifier policy: which columns and fields identify a person, an encounter or a record.

One policy for every place patient-level data could leak: risk training (such a column is never
a feature: :func:`vigia.risk.validate.prepare_table`) and the payload log (such a key is never
written: :func:`vigia.payloads.encode_record`). Documented in docs/risk.md ("Identifiers").

A column is an identifier

1. **by name** (:data:`IDENTIFIER_NAME`), Spanish or English, case and accents ignored:
   ``id``, ``uuid``, names (``nombre``, ``apellido``, ``first_name``…), document numbers
   (``dni``, ``cedula``, ``nro_documento``, ``passport``, ``ssn``, ``national_id``, ``ruc``…),
   record numbers (``mrn``, ``historia_clinica``, ``hc``, ``codigo_paciente``, ``id_paciente``,
   ``patient_nbr``, ``encounter_id``…), contact details (``telefono``, ``phone``, ``email``,
   ``direccion``, ``address``…) and birth dates (``fecha_nacimiento``, ``dob``…);
2. **by pattern** (:data:`ID_PATTERN`): ``*_id``, ``id_*``, ``*_nbr``, ``nro_*``, ``num_*`` … —
   unless the column holds a small code set (at most :data:`CODE_MAX_DISTINCT` values, each
   repeated: at most :data:`CODE_MAX_SHARE` of the rows distinct), like ``admission_type_id``;
   with no values to look at (the payload log sees names only) such a name counts as an
   identifier unless the model declares it as one of its features;
3. **by content**: text with more than 100 distinct values that are distinct in over half the
   rows (free text or codes), or a whole number distinct in every row (a record number).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

import numpy as np
import pandas as pd

_WORDS = (
    # person and record identifiers
    r"id|uuid|guid|dni|cedula|ci|curp|rut|run|ruc|nit|ssn|sin|nhs|nhi|mrn|nhc|hc|passport|pasaporte"
    r"|national_id|documento|nro_documento|numero_documento|num_documento|tipo_y_numero_documento"
    r"|historia|historia_clinica|hist_clinica|nro_historia|codigo_paciente|cod_paciente"
    r"|id_paciente|paciente|patient|patient_name|carnet|afiliacion|numero_afiliacion"
    # names
    r"|name|full_name|first_name|last_name|surname|given_name|family_name|nombre|nombres"
    r"|apellido|apellidos|nombre_completo|primer_nombre|segundo_nombre|madre|padre"
    # contact details
    r"|phone|telephone|mobile|cell|telefono|celular|movil|fono|email|e_mail|correo"
    r"|address|street|direccion|domicilio|calle|zip|postcode|codigo_postal|ip|ip_address"
    # birth dates
    r"|dob|birth_date|date_of_birth|birthdate|fecha_nacimiento|fec_nac|fecha_nac|f_nacimiento"
)
# Whole names that identify, and words that identify wherever they appear in a name.
IDENTIFIER_NAME = re.compile(
    rf"^({_WORDS})$"
    r"|(^|_)(patient|paciente|encounter|person|persona|document|documento|passport|pasaporte"
    r"|cedula|historia|nombre|nombres|apellido|apellidos|telefono|phone|email|correo|direccion"
    r"|address|nacimiento|birth|dni|mrn|ssn)(_|$)",
)
# Names shaped like an identifier; a small code set under such a name is a category.
ID_PATTERN = re.compile(
    r"(^|_)(id|uuid|nbr|nro|num|numero|number|no|key|codigo|code|cod)$"
    r"|^(id|nro)_"
)
CODE_MAX_DISTINCT = 30
CODE_MAX_SHARE = 0.05
TEXT_MAX_DISTINCT = 100


def normal_name(name: str) -> str:
    """Lower case, accents removed, runs of non-alphanumerics as one ``_``."""
    split = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", str(name))  # PatientID → Patient_ID
    plain = unicodedata.normalize("NFKD", split).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "_", plain.lower()).strip("_")


def identifier_by_name(name: str) -> str | None:
    """Why ``name`` alone marks an identifier (None: the name is not conclusive)."""
    key = normal_name(name)
    if IDENTIFIER_NAME.search(key):
        return "identifier (by name)"
    if ID_PATTERN.search(key):
        return "identifier (by name pattern)"
    return None


def is_code_set(values: pd.Series) -> bool:
    """A few values, each repeated: a coded category (``admission_type_id``), not a record id."""
    present = values.dropna()
    distinct = present.nunique()
    return distinct <= CODE_MAX_DISTINCT and distinct <= CODE_MAX_SHARE * max(len(present), 1)


def identifier_reason(name: str, values: pd.Series | None = None) -> str | None:
    """Why the column ``name`` (with ``values``, if known) is an identifier, or None.

    Names alone decide for :data:`IDENTIFIER_NAME`; a name matching only :data:`ID_PATTERN`
    is let through when its values are a small code set; values decide for free text and
    record numbers whatever the name.
    """
    key = normal_name(name)
    if IDENTIFIER_NAME.search(key):
        return "identifier (by name): never a feature"
    if values is None:
        return identifier_by_name(name)
    if ID_PATTERN.search(key) and not is_code_set(values):
        return "identifier (by name pattern, not a small code set): never a feature"
    return identifier_by_content(values)


def identifier_by_content(values: pd.Series, min_rows: int = 100) -> str | None:
    """Free text / codes unique to most rows, or a whole number distinct in every row."""
    present = values.dropna()
    if present.empty:
        return None
    numeric = pd.to_numeric(present, errors="coerce")
    if numeric.notna().all():
        whole = numeric.to_numpy(dtype="float64")
        if (
            len(values) >= min_rows
            and np.isfinite(whole).all()
            and len(np.unique(whole)) == len(values)
            and (whole == np.round(whole)).all()
        ):
            return "identifier-like (a distinct whole number in every row)"
        return None
    distinct = present.astype(str).nunique()
    if distinct > TEXT_MAX_DISTINCT and distinct > 0.5 * len(present):
        return f"identifier-like or free text ({distinct} distinct values)"
    return None


def loggable(key: str, declared: Iterable[str] = ()) -> bool:
    """May a payload-log field called ``key`` be written? Never a name-identified field; a
    pattern-shaped name (``*_id``) only when the model declares it as a feature (it passed
    this policy with its values at training)."""
    norm = normal_name(key)
    if IDENTIFIER_NAME.search(norm):
        return False
    return not ID_PATTERN.search(norm) or key in set(declared)
