"""Data sources → validated, typed tables (data contracts with clear errors)."""

from vigia.data.contract import PANEL_COLUMNS, read_panel_csv, validate_panel
from vigia.data.peru import load_peru_line_list, peru_weekly_panel

__all__ = [
    "PANEL_COLUMNS",
    "load_peru_line_list",
    "peru_weekly_panel",
    "read_panel_csv",
    "validate_panel",
]
