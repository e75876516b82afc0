"""The standard employee file, applied through the one write path."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable

from django.db import transaction

from apps.companies.models import Company, Customer

from ..models import (
    CauseType,
    FileImport,
)
from ..records import ApplyResult, EmployeeRecord, Source
from ._core import (
    change_batch,
    employee_records_apply,
    persons_reconcile_in_batch,
)

# --- the standard employee file -------------------------------------------------------------------------


def employee_file_import(
    *,
    customer: Customer,
    data: bytes | str,
    filename: str,
    companies: Iterable[Company] | None = None,
    acting_user=None,
    today: dt.date | None = None,
) -> FileImport:
    """Apply a standard employee file: good rows land, bad rows are reported by line, nothing half-way.

    1. A file-level problem (not UTF-8, required columns missing) refuses the whole file, recorded.
    2. Rows naming a company this customer (or the given companies) does not have are rejected.
    3. The rest is applied per company through ``employee_records_apply`` under one change batch, so the
       mass-change safeguard sees the file as one cause.
    The returned FileImport also carries ``apply_result`` (not stored): the merged counts of the apply.
    """
    from .. import files

    known = {
        c.external_id: c
        for c in (
            companies
            if companies is not None
            else Company.objects.filter(company_set__customer=customer).select_related("company_set")
        )
    }
    file_import = FileImport(customer=customer, filename=filename[:255], uploaded_by=acting_user)
    file_import.apply_result = ApplyResult()
    try:
        parsed = files.parse(data)
    except files.FileRefused as exc:
        file_import.refused = str(exc)
        file_import.save()
        return file_import
    errors = list(parsed.errors)
    by_company: dict[str, list[tuple[int, EmployeeRecord]]] = defaultdict(list)
    for line, rec in parsed.rows:
        if rec.company_external_id not in known:
            errors.append(
                {
                    "line": line,
                    "employee_id": rec.employee_id,
                    "reason": f"unknown company {rec.company_external_id}",
                }
            )
            continue
        by_company[rec.company_external_id].append((line, rec))
    accepted = 0
    with transaction.atomic():
        file_import.save()
        with change_batch(
            customer=customer,
            cause=f"file {filename} ({file_import.pk})"[:200],
            cause_type=CauseType.FILE_IMPORT,
            cause_id=str(file_import.pk),
        ) as batch:
            # Every row of the file lands before any person is reconciled: the file is one set of facts.
            for external_id, rows in by_company.items():
                result = employee_records_apply(
                    company=known[external_id],
                    records=[rec for _, rec in rows],
                    source=Source.FILE,
                    acting_user=acting_user,
                    today=today,
                    batch=batch,
                    cause=f"file {filename}",
                    reconcile=False,
                )
                for rejection in result.rejected:
                    line, rec = rows[rejection.index]
                    errors.append({"line": line, "employee_id": rec.employee_id, "reason": rejection.reason})
                accepted += len(rows) - len(result.rejected)
                file_import.apply_result.merge(result)
            outcome = persons_reconcile_in_batch(
                customer=customer, person_ids=file_import.apply_result.persons, batch=batch, today=today
            )
            file_import.apply_result.actions += outcome.written
            file_import.apply_result.withdrawn += outcome.withdrawn
        file_import.batch = batch
        file_import.rows = parsed.total
        file_import.accepted = accepted
        file_import.rejected = len(errors)
        file_import.errors = sorted(errors, key=lambda e: e["line"])
        file_import.save(update_fields=["rows", "accepted", "rejected", "errors", "updated_at"])
    return file_import
