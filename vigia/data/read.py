"""Reading panel files as spreadsheets export them: gzip, Latin-1/Windows-1252 or UTF-16 text,
comma, semicolon or tab delimiters. Produces a table of text cells; the contract types them.

Detection (each can be forced by :class:`PanelOptions`):

- gzip: by its magic bytes (any file name);
- encoding: UTF-8 (with or without BOM), UTF-16 with a BOM (Excel "Unicode text"), else
  Windows-1252, else Latin-1 (which decodes any byte);
- delimiter: the most frequent of ``,`` ``;`` tab ``|`` in the header line (outside quotes).
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import zlib
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from vigia.errors import DataContractError

DELIMITERS = {",": ",", ";": ";", "tab": "\t", "\\t": "\t", "\t": "\t", "|": "|"}
MISSING_RULES = ("nan", "zero")
MAX_GAP_WEEKS = 26


@dataclass(frozen=True)
class PanelOptions:
    """How to read and regularise a panel file (the CLI's data options).

    Attributes:
        region_col, date_col, target_col: Source column names (renamed to the contract's).
        year_col, week_col: Give weeks as year + epidemiological week number instead of a date.
        week_rule: ``auto``, ``mmwr``, ``iso`` or ``none`` (see :mod:`vigia.data.weeks`); with a
            week number, ``mmwr`` (Sunday start, the ``auto`` choice) or ``iso`` (Monday).
        missing: ``nan`` (a week without a row is missing) or ``zero`` (it means no case).
        max_gap: Longest run of missing weeks bridged inside a series; before a longer gap, the
            region's older weeks are dropped (counted in the data card).
        delimiter: ``auto`` or one of ``,`` ``;`` ``tab`` ``|``.
        encoding: ``auto`` or a Python codec name (``utf-8``, ``cp1252``, ``latin-1``, …).
        covariates: Comma-separated numeric columns to keep; empty: every numeric extra column.
        date_format: ``auto`` or a ``strptime`` format such as ``%d/%m/%Y``.
    """

    region_col: str = "region"
    date_col: str = "week_start"
    target_col: str = "cases"
    year_col: str = ""
    week_col: str = ""
    week_rule: str = "auto"
    missing: str = "nan"
    max_gap: int = MAX_GAP_WEEKS
    delimiter: str = "auto"
    encoding: str = "auto"
    covariates: str = ""
    date_format: str = "auto"

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> PanelOptions:
        return cls(**json.loads(text)) if text.strip() else cls()

    @classmethod
    def of(cls, **values: Any) -> PanelOptions:
        """Options from keyword values, ``None`` meaning the default."""
        return cls(**{k: v for k, v in values.items() if v is not None})

    def covariate_list(self) -> list[str]:
        return [c.strip() for c in self.covariates.split(",") if c.strip()]


@dataclass
class RawTable:
    """A panel file's header and rows as text, and how it was read."""

    header: list[str]
    rows: list[list[str]]
    encoding: str
    delimiter: str
    compressed: bool


def _decompress(path: Path, raw: bytes) -> tuple[bytes, bool]:
    if raw[:2] != b"\x1f\x8b":
        return raw, False
    try:
        return gzip.decompress(raw), True
    except (OSError, EOFError, zlib.error) as exc:
        raise DataContractError(f"{path}: damaged gzip file ({exc})") from None


def _decode(path: Path, raw: bytes, encoding: str) -> tuple[str, str]:
    if encoding != "auto":
        try:
            return raw.decode(encoding), encoding
        except LookupError:
            raise DataContractError(f"unknown encoding {encoding!r}") from None
        except UnicodeDecodeError as exc:
            raise DataContractError(
                f"{path}: not {encoding} text (byte 0x{raw[exc.start]:02x} at offset {exc.start})"
            ) from None
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            return raw.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            pass
    for codec in ("utf-8-sig", "cp1252"):
        try:
            return raw.decode(codec), codec
        except UnicodeDecodeError:
            continue
    return raw.decode("latin-1"), "latin-1"


def _delimiter(first_line: str, choice: str) -> str:
    if choice != "auto":
        if choice not in DELIMITERS:
            raise DataContractError(
                f"unknown delimiter {choice!r}; choose ',', ';', 'tab' or '|' (or auto)"
            )
        return DELIMITERS[choice]
    outside = first_line.split('"')[::2]  # drop quoted parts
    counts = {d: sum(part.count(d) for part in outside) for d in (",", ";", "\t", "|")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > 0 else ","


def read_table(path: Path, options: PanelOptions) -> RawTable:
    """Read a panel file into text cells; refuse with one line what cannot be read."""
    if not path.exists():
        raise DataContractError(f"{path}: file not found")
    if path.is_dir():
        raise DataContractError(f"{path}: is a folder, expected a CSV file")
    raw, compressed = _decompress(path, path.read_bytes())
    if raw[:4] == b"PK\x03\x04":
        raise DataContractError(
            f"{path}: a zip archive or Excel workbook, not CSV text; export the sheet as CSV"
        )
    if not raw.strip():
        raise DataContractError(f"{path}: file is empty")
    text, encoding = _decode(path, raw, options.encoding)
    if "\x00" in text:
        raise DataContractError(f"{path}: binary content (NUL bytes), expected CSV text")
    first_line = text.lstrip("\ufeff").split("\n", 1)[0]
    delimiter = _delimiter(first_line, options.delimiter)
    try:
        rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=delimiter))
    except csv.Error as exc:
        raise DataContractError(f"{path}: malformed CSV ({exc})") from None
    rows = [r for r in rows if any(cell.strip() for cell in r)]  # blank lines
    if not rows:
        raise DataContractError(f"{path}: file is empty")
    return RawTable([h.strip() for h in rows[0]], rows[1:], encoding, delimiter, compressed)
