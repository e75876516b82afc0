"""The Affinity file drop: the company's employees as the standard employee file (INTERFACE.md).

Affinity's file-based path pulls standard CSV files from an SFTP folder; the sandbox writes such a file into a
folder (the one the SFTP server serves, in a demo or a test), exactly as the provider's export would.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from django.utils import timezone

from apps.core.exports import SafeWriter

from .. import wire
from ..models import SandboxCompany


def company_file_drop(
    *, company: SandboxCompany, directory: Path | str, today: dt.date | None = None
) -> Path:
    """Write ``<company>_employees_<YYYYMMDD>.csv`` (UTF-8, header row) into ``directory``; return its path.

    Written to a temporary name and renamed, so a poller never picks up half a file.
    """
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    day = (today or timezone.localdate()).strftime("%Y%m%d")
    final = folder / f"{company.external_id}_employees_{day}.csv"
    partial = final.with_suffix(".csv.part")
    employees = company.employees.select_related("company").order_by("employee_id")
    with partial.open("w", newline="", encoding="utf-8") as handle:
        writer = SafeWriter(handle)
        writer.writerow(wire.STANDARD_FILE_COLUMNS)
        for employee in employees.iterator(chunk_size=2000):
            writer.writerow(wire.standard_file_row(employee))
    partial.replace(final)
    return final
