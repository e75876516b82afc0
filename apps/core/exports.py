"""CSV that is safe to open in a spreadsheet: every file the hub writes goes through these writers.

A cell that starts with ``= + - @``, a tab or a carriage return is read by Excel, LibreOffice and Google
Sheets as a formula (``=cmd|' /C calc'!A0``, ``=HYPERLINK(...)``), so data that came from a provider or a
user could run in the reader's spreadsheet. Such a cell is written with a leading apostrophe, which
spreadsheets show as text; :func:`csv_cell_restore` undoes it where the hub reads its own format back.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from typing import Any

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
NEUTRALISER = "'"


def csv_cell(value: Any) -> Any:
    """Return ``value`` with a leading apostrophe when a spreadsheet would read it as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return NEUTRALISER + value
    return value


def csv_cell_restore(value: str) -> str:
    """Undo :func:`csv_cell` on a value read back from a file the hub (or its sandbox) wrote."""
    if value.startswith(NEUTRALISER) and value[1:].startswith(FORMULA_PREFIXES):
        return value[1:]
    return value


def csv_row(row: Iterable[Any]) -> list[Any]:
    return [csv_cell(value) for value in row]


class SafeWriter:
    """``csv.writer`` whose rows are neutralised cell by cell (same ``writerow`` / ``writerows``)."""

    def __init__(self, handle, **kwargs):
        self._writer = csv.writer(handle, **kwargs)

    def writerow(self, row: Iterable[Any]):
        return self._writer.writerow(csv_row(row))

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


class SafeDictWriter(csv.DictWriter):
    """``csv.DictWriter`` whose values are neutralised (the header is the hub's own column names)."""

    def writerow(self, rowdict: Mapping[str, Any]):
        return super().writerow({key: csv_cell(value) for key, value in rowdict.items()})

    def writerows(self, rowdicts):
        for row in rowdicts:
            self.writerow(row)
