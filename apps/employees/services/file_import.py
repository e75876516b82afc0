"""The standard employee file, applied through the one write path."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Iterable
from typing import BinaryIO

from django.contrib.auth import get_user_model
from django.core.cache import caches
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django_q.tasks import async_task

from apps.companies.models import Company, Customer

from .. import files
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


APPLY_SLICE = 5000  # rows of one company applied together; a file is never held whole in memory
MAX_PENDING = 20000  # rows waiting over all companies before every company's rows are applied


def employee_file_import(
    *,
    customer: Customer,
    data: bytes | str | BinaryIO,
    filename: str,
    companies: Iterable[Company] | None = None,
    acting_user=None,
    today: dt.date | None = None,
) -> FileImport:
    """Apply a standard employee file: good rows land, bad rows are reported by line, nothing half-way.

    1. A file-level problem (not UTF-8, required columns missing) refuses the whole file, recorded.
    2. Rows naming a company this customer (or the given companies) does not have are rejected.
    3. The rest is applied per company through ``employee_records_apply`` under one change batch, so the
       mass-change safeguard sees the file as one cause; every row lands before any person is reconciled.
    ``data`` may be an open binary file (an upload, a file on disk): it is read row by row and each
    company's rows are applied in slices of ``APPLY_SLICE`` as they come, all in one transaction, so a
    100,000-row file never sits in memory whole (its rows, its records or its text).
    The returned FileImport also carries ``apply_result`` (not stored): the merged counts of the apply.
    """
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
        streamed = files.stream(data)
    except files.FileRefused as exc:
        file_import.refused = str(exc)
        file_import.save()
        return file_import
    errors: list[dict] = []
    accepted = 0
    with transaction.atomic():
        file_import.save()
        with change_batch(
            customer=customer,
            cause=f"file {filename} ({file_import.pk})"[:200],
            cause_type=CauseType.FILE_IMPORT,
            cause_id=str(file_import.pk),
        ) as batch:

            def apply(external_id: str, rows: list[tuple[int, EmployeeRecord]]) -> int:
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
                file_import.apply_result.merge(result)
                return len(rows) - len(result.rejected)

            pending: dict[str, list[tuple[int, EmployeeRecord]]] = defaultdict(list)
            waiting = 0
            for line, rec in streamed:
                if rec.company_external_id not in known:
                    errors.append(
                        {
                            "line": line,
                            "employee_id": rec.employee_id,
                            "reason": f"unknown company {rec.company_external_id}",
                        }
                    )
                    continue
                rows = pending[rec.company_external_id]
                rows.append((line, rec))
                waiting += 1
                if len(rows) >= APPLY_SLICE:
                    accepted += apply(rec.company_external_id, rows)
                    waiting -= len(rows)
                    pending[rec.company_external_id] = []
                elif waiting >= MAX_PENDING:
                    for external_id, company_rows in pending.items():
                        if company_rows:
                            accepted += apply(external_id, company_rows)
                    pending.clear()
                    waiting = 0
            for external_id, company_rows in pending.items():
                if company_rows:
                    accepted += apply(external_id, company_rows)
            # Every row of the file has landed before any person is reconciled: the file is one set of facts.
            outcome = persons_reconcile_in_batch(
                customer=customer, person_ids=file_import.apply_result.persons, batch=batch, today=today
            )
            file_import.apply_result.actions += outcome.written
            file_import.apply_result.withdrawn += outcome.withdrawn
        errors.extend(streamed.errors)
        file_import.batch = batch
        file_import.rows = streamed.total
        file_import.accepted = accepted
        file_import.rejected = len(errors)
        file_import.errors = sorted(errors, key=lambda e: e["line"])
        file_import.save(update_fields=["rows", "accepted", "rejected", "errors", "updated_at"])
    return file_import


# --- admin uploads, applied by the worker -------------------------------------------------------------------

UPLOAD_FOLDER = "employee-uploads"
UPLOAD_STATE_TTL = (
    7 * 24 * 3600
)  # a result page stays readable for a week (the FileImport row stays for good)


def _upload_state_key(upload_id: str) -> str:
    return f"employees:upload:{upload_id}"


def _upload_state_set(upload_id: str, **state) -> dict:

    cache = caches["shared"]  # shared by the web processes and the workers
    merged = {**(cache.get(_upload_state_key(upload_id)) or {}), **state}
    cache.set(_upload_state_key(upload_id), merged, UPLOAD_STATE_TTL)
    return merged


def employee_file_upload_state(upload_id: str) -> dict | None:
    """What became of an upload: ``state`` (queued, running, done, failed), its rows, its FileImport id."""

    return caches["shared"].get(_upload_state_key(upload_id))


def employee_file_upload_enqueue(*, customer: Customer, data: bytes, filename: str, acting_user=None) -> str:
    """Store an uploaded employee file and ask a worker to apply it; return the upload's id.

    Why: a large file (100,000 rows) takes longer than a web request may (the gunicorn timeout answered 500
    and nothing was imported). The file goes to the default storage (shared by web and workers), the
    worker applies it through ``employee_file_import`` and removes it; the upload's state is kept in the
    shared cache for the progress page.
    """

    upload_id = uuid.uuid4().hex
    path = default_storage.save(f"{UPLOAD_FOLDER}/{upload_id}.csv", ContentFile(data))
    _upload_state_set(
        upload_id,
        state="queued",
        filename=filename[:255],
        customer_id=customer.pk,
        user_id=getattr(acting_user, "pk", None),
        lines=data.count(b"\n") + (0 if data.endswith(b"\n") else 1) - 1,
        path=path,
    )
    # Not on commit: nothing above is in a transaction (the file and the state are stored already).
    async_task("apps.employees.tasks.employee_file_upload_apply", upload_id, group="uploads")
    return upload_id


def employee_file_upload_apply(*, upload_id: str) -> int | None:
    """Apply a stored upload (the worker's half); return its FileImport id. Safe to run twice: a second run
    finds the file gone (or the state done) and does nothing."""

    state = employee_file_upload_state(upload_id)
    if state is None or state.get("state") == "done" or not default_storage.exists(state["path"]):
        return None
    customer = Customer.objects.filter(pk=state["customer_id"]).first()
    if customer is None:
        _upload_state_set(upload_id, state="failed", error="The customer no longer exists.")
        return None
    user = get_user_model().objects.filter(pk=state.get("user_id")).first()
    _upload_state_set(upload_id, state="running")
    try:
        with default_storage.open(state["path"], "rb") as handle:
            file_import = employee_file_import(
                customer=customer, data=handle, filename=state["filename"], acting_user=user
            )
    except Exception as exc:
        _upload_state_set(upload_id, state="failed", error=f"{type(exc).__name__}: the file was not applied.")
        raise
    default_storage.delete(state["path"])
    _upload_state_set(upload_id, state="done", file_import_id=file_import.pk)
    return file_import.pk
