"""The standard employee file (INTERFACE.md): parse CSV rows into EmployeeRecords, line by line.

A file without the required columns is refused whole with a message naming them; a bad row is reported
with its line number and reason while the other rows go on.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

from apps.core.exports import SafeDictWriter, csv_cell_restore

from .records import EmployeeRecord

COLUMNS = (
    "company_id",
    "employee_id",
    "first_name",
    "last_name",
    "work_email",
    "national_id",
    "birth_date",
    "employment_type",
    "benefit_class",
    "pay_group",
    "status_code",
    "status_effective_date",
    "change_reason",
    "hire_date",
    "termination_date",
)
REQUIRED = ("company_id", "employee_id", "status_code", "status_effective_date")
DATE_COLUMNS = ("birth_date", "status_effective_date", "hire_date", "termination_date")


class FileRefused(Exception):
    """The whole file is unusable (not UTF-8 CSV, or required columns missing)."""


@dataclass
class ParsedFile:
    rows: list[tuple[int, EmployeeRecord]] = field(default_factory=list)  # (line number, record)
    errors: list[dict] = field(default_factory=list)  # {line, employee_id, reason}
    total: int = 0


# Dates outside these years are typos (``20240101`` read as a year, ``9999-12-31`` as "never"), refused by line.
MIN_DATE = dt.date(1900, 1, 1)
MAX_DATE = dt.date(2100, 12, 31)
# The csv module's own per-field limit: a longer field is reported on its line instead of failing the file.
FIELD_LIMIT = csv.field_size_limit()


def _date(value: str, column: str) -> dt.date | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        day = dt.date.fromisoformat(value)
    except ValueError as exc:
        raise ValueError(f"{column} {value!r} is not a date (YYYY-MM-DD)") from exc
    if len(value) != 10 or not MIN_DATE <= day <= MAX_DATE:
        raise ValueError(
            f"{column} {value!r} is not a date between {MIN_DATE.isoformat()} and {MAX_DATE.isoformat()} "
            "(YYYY-MM-DD)"
        )
    return day


UTF8_CHECK_CHUNK = 1 << 20  # a streamed file is checked for UTF-8 a mebibyte at a time


class StreamedFile:
    """A file's data rows, parsed one at a time as they are iterated; bad rows are collected in ``errors``.

    ``total`` counts the data lines seen so far (parsed or reported); both are complete once iterated.
    """

    def __init__(self, reader, header: list[str]):
        self._reader = reader
        self.header = header
        self.errors: list[dict] = []  # {line, employee_id, reason}
        self.total = 0

    def __iter__(self) -> Iterator[tuple[int, EmployeeRecord]]:
        reader, header = self._reader, self.header
        while True:
            first = reader.line_num + 1
            try:
                values = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                self.total += 1
                reason = str(exc)
                if "field larger than field limit" in reason:
                    reason = f"a field is longer than {FIELD_LIMIT:,} characters"
                self.errors.append({"line": reader.line_num, "employee_id": "", "reason": reason})
                continue
            if not values:
                continue  # a blank line, as csv.DictReader skips it
            self.total += 1
            line = first
            row = {k: _restore(v).strip() for k, v in zip(header, values, strict=False) if k}
            try:
                if reader.line_num > first and any("\n" in v or "\r" in v for v in values):
                    raise ValueError(
                        f"a quoted field runs from line {first} to line {reader.line_num}: an unbalanced quote "
                        f"or a line break inside a field (lines {first}-{reader.line_num} not applied)"
                    )
                if any(v.strip() for v in values[len(header) :]):
                    raise ValueError(
                        f"the row has {len(values)} values but the header names {len(header)} columns"
                    )
                record = _record(row)
            except ValueError as exc:
                self.errors.append(
                    {"line": line, "employee_id": row.get("employee_id", ""), "reason": str(exc)}
                )
                continue
            yield line, record


def _check_utf8(stream: BinaryIO) -> None:
    """Read a binary stream through once, refusing it at the first byte that is not UTF-8; rewind it."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset = 0
    while chunk := stream.read(UTF8_CHECK_CHUNK):
        pending = len(decoder.getstate()[0])
        try:
            decoder.decode(chunk)
        except UnicodeDecodeError as exc:
            raise FileRefused(f"The file is not UTF-8 text (byte {offset - pending + exc.start}).") from exc
        offset += len(chunk)
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError as exc:
        raise FileRefused(
            f"The file is not UTF-8 text (byte {offset - len(exc.object) + exc.start})."
        ) from exc
    stream.seek(0)


def stream(data: bytes | str | BinaryIO) -> StreamedFile:
    """Open a file for parsing row by row; raise FileRefused for a file-level problem (encoding, header).

    ``data`` is the file's bytes or text, or a seekable binary stream (an open upload or file on disk),
    which is checked for UTF-8 in one pass and then parsed as it is read, so a file of any size costs the
    memory of one row at a time.
    """
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise FileRefused(f"The file is not UTF-8 text (byte {exc.start}).") from exc
    if isinstance(data, str):
        text = io.StringIO(data, newline="")
    else:
        _check_utf8(data)
        text = io.TextIOWrapper(data, encoding="utf-8-sig", newline="")
    reader = csv.reader(text)
    try:
        header = [h.strip() for h in next(reader, [])]
    except csv.Error as exc:
        raise FileRefused(f"The header row (line 1) is not CSV: {exc}.") from exc
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise FileRefused(f"Required columns missing: {', '.join(missing)}.")
    return StreamedFile(reader, header)


def parse(data: bytes | str | BinaryIO) -> ParsedFile:
    """Parse a whole file into lists; raise FileRefused for a file-level problem.

    Every data line is accounted for: a row is either parsed or reported with its line number, including a
    field over the csv limit (131,072 characters) and a quote left open, which would otherwise swallow the
    lines after it into one field. (``stream`` gives the same rows one at a time.)
    """
    streamed = stream(data)
    rows = list(streamed)
    return ParsedFile(rows=rows, errors=streamed.errors, total=streamed.total)


def _restore(value: str | None) -> str:
    return csv_cell_restore(value or "")


def _record(row: dict[str, str]) -> EmployeeRecord:
    empty = [c for c in REQUIRED if not row.get(c)]
    if empty:
        raise ValueError(f"{', '.join(empty)} is required")
    dates = {c: _date(row.get(c, ""), c) for c in DATE_COLUMNS}
    return EmployeeRecord(
        company_external_id=row["company_id"],
        employee_id=row["employee_id"],
        status_code=row["status_code"].upper(),
        status_effective_date=dates["status_effective_date"],
        first_name=row.get("first_name", ""),
        last_name=row.get("last_name", ""),
        work_email=row.get("work_email", ""),
        national_id=row.get("national_id", ""),
        birth_date=dates["birth_date"],
        employment_type=row.get("employment_type", ""),
        benefit_class=row.get("benefit_class", ""),
        pay_group=row.get("pay_group", ""),
        change_reason=row.get("change_reason", ""),
        hire_date=dates["hire_date"],
        termination_date=dates["termination_date"],
    )


def write(rows: Iterable[dict], *, columns: Iterable[str] = COLUMNS) -> Iterable[str]:
    """Yield CSV lines (header first) in the standard format, for extracts and exports."""
    columns = list(columns)
    buffer = io.StringIO()
    writer = SafeDictWriter(buffer, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    yield buffer.getvalue()
    for row in rows:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(row)
        yield buffer.getvalue()
