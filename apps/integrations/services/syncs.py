"""Sync runs: request (the claim), execute (fetch pages, apply in batches), reap runs whose worker died.

The claim is a partial unique constraint (one pending or running run per connection and kind), so a second
request or a second worker cannot start the same sync. A run only ever changes employees through
``employee_records_apply`` with records the provider returned; nothing is inferred from absence, so a failed
or partial run leaves every employee it did not see exactly as it was.

Kinds are a registry: ``register_sync_kind("payroll-ongoing")`` on a function ``(run, context) -> None``
adds one (the payroll app registers its kinds from its ``tasks`` module).
"""

from __future__ import annotations

import contextvars
import datetime as dt
import functools
import importlib
import importlib.util
import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial

from django.conf import settings
from django.db import IntegrityError, connections, transaction
from django.utils import timezone

from apps.companies.models import Company
from apps.core.errors import ApplicationError, ProviderError
from apps.core.logs import log_event
from apps.employees.records import ApplyResult, EmployeeRecord, Source
from apps.employees.selectors import employee_status_index
from apps.employees.services import change_batch, employee_records_apply, employees_mark_seen

from ..models import Connection, SyncRun
from ..providers import client_for
from ..transport import call_context, planned_calls
from .fair_use import fair_use_check

logger = logging.getLogger(__name__)

# Every employee's details are fetched at least this often: the Sunday night full sync does it weekly; a
# routine sync catches up on anyone older (a missed or failed full sync).
DETAILS_MAX_AGE = dt.timedelta(days=8)
FULL_SYNC_WEEKDAY = 6  # Sunday (local time): the nightly sync of every live connection is a full one
APPLY_CHUNK = (
    500  # the employees of a list page that need details are fetched and applied this many at a time
)
STALE_RUN_AFTER = dt.timedelta(minutes=30)  # a running run without a heartbeat this long lost its worker
PENDING_LOST_AFTER = dt.timedelta(minutes=5)  # a pending run not started by then is enqueued again
MAX_ERRORS_KEPT = 100


class SyncConflict(ApplicationError):
    status_code = 409


ProgressCallback = Callable[[SyncRun], None]


@dataclass
class SyncContext:
    """What a kind's function gets besides the run: a progress callback and client options."""

    on_progress: ProgressCallback | None = None
    page_size: int | None = None
    http_options: dict = field(default_factory=dict)


SyncKind = Callable[[SyncRun, SyncContext], None]
_KINDS: dict[str, SyncKind] = {}


def register_sync_kind(kind: str) -> Callable[[SyncKind], SyncKind]:
    """Register the function that runs syncs of ``kind``."""

    def decorator(func: SyncKind) -> SyncKind:
        _KINDS[kind] = func
        return func

    return decorator


def sync_kinds() -> dict[str, SyncKind]:
    """Every registered kind (importing each app's ``tasks`` module first, where kinds register)."""
    from django.apps import apps  # the app registry, read when kinds are listed (after loading)

    for config in apps.get_app_configs():
        if config.name.startswith("apps.") and importlib.util.find_spec(f"{config.name}.tasks"):
            importlib.import_module(f"{config.name}.tasks")
    return dict(_KINDS)


# --- request / claim ----------------------------------------------------------------------------------------


@transaction.atomic
def sync_run_request(
    *,
    connection: Connection,
    kind: str = SyncRun.Kind.EMPLOYEES,
    full: bool = False,
    company: Company | None = None,
    trigger: str = SyncRun.Trigger.API,
    acting_user=None,
) -> SyncRun:
    """Create a pending run: the claim. Refuse (409) while another of the same kind is pending or running."""
    if kind not in sync_kinds():
        raise ApplicationError(
            f"Unknown sync kind {kind!r}; known: {', '.join(sorted(sync_kinds()))}.", extra={"field": "kind"}
        )
    if connection.state == Connection.State.PAUSED:
        raise ApplicationError(f"{connection.name} is paused: resume it before syncing.")
    if company is not None and not connection.companies.filter(pk=company.pk).exists():
        raise ApplicationError(f"Company {company.external_id} is not one of {connection.name}'s companies.")
    run = SyncRun(
        connection=connection,
        connection_state=connection.state,
        kind=kind,
        full=full,
        company=company,
        trigger=trigger,
        requested_by=acting_user if getattr(acting_user, "pk", None) else None,
    )
    run.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            run.save()
    except IntegrityError as exc:
        active = SyncRun.objects.filter(
            connection=connection, kind=kind, state__in=SyncRun.ACTIVE_STATES
        ).first()
        raise SyncConflict(
            f"A {kind} sync of {connection.name} is already {active.state if active else 'running'}"
            + (f" (run #{active.pk})." if active else "."),
            extra={"sync_run": active.pk if active else None},
        ) from exc
    return run


def _claim(run_id: int) -> SyncRun | None:
    now = timezone.now()
    won = SyncRun.objects.filter(pk=run_id, state=SyncRun.State.PENDING).update(
        state=SyncRun.State.RUNNING, started_at=now, heartbeat_at=now
    )
    return SyncRun.objects.select_related("connection", "company").get(pk=run_id) if won else None


# --- execute ------------------------------------------------------------------------------------------------


def sync_run_execute(*, run_id: int, context: SyncContext | None = None) -> SyncRun | None:
    """Run a pending sync to its end; return it, or None if it is gone or another worker has it.

    Not one transaction: each page commits on its own (``employee_records_apply`` is atomic), so a long
    sync never holds locks and its progress is visible. Safe to call twice: only the claim's winner runs.
    """
    if not SyncRun.objects.filter(pk=run_id).exists():
        return None
    run = _claim(run_id)
    if run is None:
        return None
    context = context or SyncContext()
    func = sync_kinds().get(run.kind)
    try:
        if func is None:
            raise ApplicationError(f"No sync is registered for kind {run.kind!r}.")
        with call_context(sync_run=run, on_wait=partial(sync_run_wait, run.pk)):
            func(run, context)
    except (ProviderError, ApplicationError) as exc:
        _finish(run, SyncRun.State.FAILED, str(exc))
    except Exception as exc:
        logger.exception("sync run %s crashed", run.pk)
        _finish(run, SyncRun.State.FAILED, f"Unexpected error: {type(exc).__name__}: {exc}")
        raise
    else:
        state = SyncRun.State.PARTIAL if run.failed else SyncRun.State.SUCCEEDED
        _finish(run, state, run.message or _summary(run))
    _after_run(run)
    return run


def sync_run_wait(run_id: int, seconds: float, reason: str) -> None:
    """Record that the run waits on the provider for ``seconds`` (0: the wait is over), for its page."""
    until = timezone.now() + dt.timedelta(seconds=seconds) if seconds > 0 else None
    SyncRun.objects.filter(pk=run_id).update(
        waiting_until=until, waiting_reason=reason[:200] if until else "", heartbeat_at=timezone.now()
    )


def _summary(run: SyncRun) -> str:
    return (
        f"{run.fetched} listed, {run.details_fetched} detailed: {run.created} created, {run.updated} updated, "
        f"{run.unchanged} unchanged, {run.failed} failed."
    )


@transaction.atomic
def _finish(run: SyncRun, state: str, message: str) -> None:
    run.state = state
    run.message = message[:500]
    run.finished_at = timezone.now()
    run.waiting_until, run.waiting_reason = None, ""
    if state == SyncRun.State.FAILED:
        run.errors = [*run.errors, {"error": message[:500]}][-MAX_ERRORS_KEPT:]
    run.save(
        update_fields=[
            "state",
            "message",
            "finished_at",
            "waiting_until",
            "waiting_reason",
            "errors",
            "fetched",
            "details_fetched",
            "created",
            "updated",
            "unchanged",
            "failed",
            "progress_done",
            "progress_total",
            "updated_at",
        ]
    )
    log_event(
        logger,
        "sync.finished",
        level=logging.WARNING if state == SyncRun.State.FAILED else logging.INFO,
        run_id=run.pk,
        connection_id=run.connection_id,
        customer_id=run.connection.customer_id,
        provider=run.connection.provider,
        kind=run.kind,
        state=state,
        duration_seconds=run.duration_seconds,
        fetched=run.fetched,
        records_created=run.created,
        records_updated=run.updated,
        records_failed=run.failed,
    )


def _after_run(run: SyncRun) -> None:
    fair_use_check(connection=run.connection)


def _save_progress(run: SyncRun, context: SyncContext) -> None:
    run.heartbeat_at = timezone.now()
    SyncRun.objects.filter(pk=run.pk).update(
        fetched=run.fetched,
        details_fetched=run.details_fetched,
        created=run.created,
        updated=run.updated,
        unchanged=run.unchanged,
        failed=run.failed,
        progress_done=run.progress_done,
        progress_total=run.progress_total,
        errors=run.errors,
        heartbeat_at=run.heartbeat_at,
    )
    if context.on_progress:
        context.on_progress(run)


def _add_error(run: SyncRun, **entry) -> None:
    if len(run.errors) < MAX_ERRORS_KEPT:
        run.errors = [*run.errors, entry]


def _count(run: SyncRun, result: ApplyResult) -> None:
    run.created += result.created
    run.updated += result.updated
    run.unchanged += result.unchanged
    run.failed += result.failed
    for rejection in result.rejected:
        _add_error(run, employee_id=rejection.employee_id, error=rejection.reason)


# --- the employees kind -------------------------------------------------------------------------------------


def needs_details(
    *,
    listed_code: str,
    known: tuple[str, dt.datetime | None] | None,
    now: dt.datetime,
    list_has_status: bool,
) -> bool:
    """Decide whether a routine sync fetches this employee's details.

    Yes for: an employee we do not have; a status code the list shows differently from ours (the list's
    status is the provider's change indicator); details never fetched, or older than ``DETAILS_MAX_AGE``
    (the weekly full sync did not run). Unchanged employees cost no request: at 100,000 employees a
    routine sync is the list pages plus the changed employees. Without a status in the list (PrismHR),
    every employee (its detail calls take 20 IDs each).
    """
    if not list_has_status or known is None:
        return True
    code, refreshed_at = known
    if (code or "").upper() != (listed_code or "").upper():
        return True
    return refreshed_at is None or now - refreshed_at >= DETAILS_MAX_AGE


@register_sync_kind(SyncRun.Kind.EMPLOYEES)
def sync_employees(run: SyncRun, context: SyncContext) -> None:
    """Fetch every company's employee list page by page; fetch details where needed; apply each page."""
    connection = run.connection
    companies = [run.company] if run.company else list(connection.companies.filter(active=True))
    if not companies:
        raise ApplicationError(f"{connection.name} has no companies to sync.")
    client = client_for(connection, **context.http_options)
    totals: dict[int, int] = {}
    # The whole run is one cause for the mass-change safeguard: removals spread over many pages still add up.
    with change_batch(customer=connection.customer, cause=f"sync run {run.pk} ({connection.slug})") as batch:
        for company in companies:
            _sync_company(run, context, client, company, batch, totals)


def _sync_company(
    run: SyncRun, context: SyncContext, client, company: Company, batch, totals: dict[int, int]
) -> None:
    """One company of a sync run: page through its list; detail and apply what each page needs.

    Per list page: one read of what we hold about the page's employees (so memory does not grow with the
    company's size), one write marking the unchanged ones seen, then the employees that need details in
    slices of ``APPLY_CHUNK``: fetched, applied, progress saved. A routine page of 5,000 with 50 changes is
    one apply, not ten. With ``SYNC_DETAIL_CONCURRENCY`` above 1 the work is pipelined so that the rate
    limit, not the database, sets the pace: the next list page is requested while this one is read, the
    unchanged employees are marked seen in the background, and a slice's details are fetched while the
    slice before it is applied.
    """
    now = timezone.now()
    pipeline = _Pipeline(run, context, client, company, batch)
    try:
        for page in pipeline.pages(client.list_employees(company.external_id, page_size=context.page_size)):
            run.fetched += len(page.entries)
            if page.total is not None:
                totals[company.pk] = page.total
            run.progress_total = sum(totals.values()) or None
            if client.list_has_details:
                pipeline.drain()
                records = [e.record for e in page.entries if e.record is not None]
                for start in range(0, len(records), APPLY_CHUNK):
                    _apply(run, company, records[start : start + APPLY_CHUNK], batch)
                run.progress_done += len(page.entries)
                _save_progress(run, context)
                continue
            index = (
                {}
                if run.full or not client.list_has_status
                else employee_status_index(
                    company=company, employee_ids=[e.employee_id for e in page.entries]
                )
            )
            wanted = [
                e.employee_id
                for e in page.entries
                if run.full
                or needs_details(
                    listed_code=e.status_code,
                    known=index.get(e.employee_id),
                    now=now,
                    list_has_status=client.list_has_status,
                )
            ]
            # Listed but not detailed this time: seen, and nothing else about them changes.
            unchanged = sorted({e.employee_id for e in page.entries} - set(wanted))
            pipeline.in_background(employees_mark_seen, company=company, employee_ids=unchanged)
            run.unchanged += len(unchanged)
            run.progress_done += len(unchanged)
            for start in range(0, len(wanted), APPLY_CHUNK):
                pipeline.push(wanted[start : start + APPLY_CHUNK])
            if not wanted:
                _save_progress(run, context)
        pipeline.drain()
        pipeline.settle()
    finally:
        pipeline.close()


def _apply(run: SyncRun, company: Company, records: list[EmployeeRecord], batch) -> None:
    if records:
        result = employee_records_apply(
            company=company, records=records, source=Source.SYNC, sync_run=run, batch=batch
        )
        _count(run, result)


class _Pipeline:
    """Fetch a slice's details in a background thread while the slice before it is applied here.

    Only the fetching (the provider calls and their bookkeeping) runs in the background; counting into the
    run, applying and saving progress stay in the sync's thread, in slice order. Sequential (fetch, then
    apply) when ``SYNC_DETAIL_CONCURRENCY`` is 1.
    """

    def __init__(self, run: SyncRun, context: SyncContext, client, company: Company, batch):
        self.run, self.context, self.client, self.company, self.batch = run, context, client, company, batch
        concurrent = int(settings.SYNC_DETAIL_CONCURRENCY) > 1
        self._pool = (
            ThreadPoolExecutor(max_workers=1, thread_name_prefix="sync-fetch") if concurrent else None
        )
        # The list pages and the bookkeeping have a thread each, so neither waits behind a slice's calls.
        self._lister = (
            ThreadPoolExecutor(max_workers=1, thread_name_prefix="sync-list") if concurrent else None
        )
        self._keeper = (
            ThreadPoolExecutor(max_workers=1, thread_name_prefix="sync-seen") if concurrent else None
        )
        self._pending: tuple[list[str], Future] | None = None
        self._kept: list[Future] = []

    def pages(self, iterator):
        """The list pages, each requested while the one before it is being worked on."""
        if self._lister is None:
            yield from iterator
            return
        context = contextvars.copy_context()
        ahead = self._lister.submit(context.run, next, iterator, None)
        while (page := ahead.result()) is not None:
            ahead = self._lister.submit(context.run, next, iterator, None)
            yield page

    def in_background(self, func, **kwargs) -> None:
        """Bookkeeping that nothing after it reads (marking employees seen): off the sync's thread."""
        if self._keeper is None:
            func(**kwargs)
            return
        self._kept.append(
            self._keeper.submit(contextvars.copy_context().run, functools.partial(func, **kwargs))
        )

    def _fetch(self, chunk: list[str]):
        return _detail_outcomes(self.client, self.company.external_id, chunk)

    def push(self, chunk: list[str]) -> None:
        if self._pool is None:
            self._finish(chunk, self._fetch(chunk))
            return
        future = self._pool.submit(contextvars.copy_context().run, self._fetch, chunk)
        self.drain()
        self._pending = (chunk, future)

    def drain(self) -> None:
        if self._pending is not None:
            chunk, future = self._pending
            self._pending = None
            self._finish(chunk, future.result())

    def settle(self) -> None:
        """Wait for the background bookkeeping; a failed write fails the run."""
        kept, self._kept = self._kept, []
        for future in kept:
            future.result()

    def _finish(self, chunk: list[str], outcomes) -> None:
        _apply(self.run, self.company, _tally(self.run, outcomes), self.batch)
        self.run.progress_done += len(chunk)
        _save_progress(self.run, self.context)

    def close(self) -> None:
        for pool in (self._pool, self._lister, self._keeper):
            if pool is not None:
                pool.submit(connections.close_all).result()  # the thread's own database connection
                pool.shutdown(wait=True)


def _detail_outcomes(client, external_id: str, wanted: list[str]):
    """Call for the details of ``wanted``: one call per ``detail_batch_size`` IDs, up to
    ``SYNC_DETAIL_CONCURRENCY`` calls in flight.

    Their rate-limit slots and API call rows are booked in bulk (``planned_calls``), so the queries of a
    page do not grow with its size, and the calls themselves touch no database: several can wait on the
    provider at once while the reserved slots keep them to the connection's rate. With a provider answering
    in 150 ms, one call at a time would use a third of a 25/s limit.
    """
    size = max(1, client.detail_batch_size)
    chunks = [wanted[start : start + size] for start in range(0, len(wanted), size)]
    with planned_calls(client.http, len(chunks)):
        return _detail_calls(client, external_id, chunks)


def _tally(run: SyncRun, outcomes) -> list[EmployeeRecord]:
    """Count the calls' outcomes into the run; return the records fetched. An outage stops the run here."""
    records: list[EmployeeRecord] = []
    for chunk, result, error in outcomes:
        if error is not None:
            if not error.permanent:
                raise error  # an outage: stop the run here; nothing is concluded from what we did not see
            run.failed += len(chunk)
            _add_error(run, employee_ids=chunk, error=str(error)[:300])
            continue
        run.details_fetched += len(result.records)
        records.extend(result.records)
        for employee_id in result.missing:
            run.failed += 1
            _add_error(run, employee_id=employee_id, error="listed, but its detail was not found")
    return records


def _detail_calls(
    client, external_id: str, chunks: list[list[str]]
) -> list[tuple[list[str], object, ProviderError | None]]:
    """``(chunk, DetailResult, None)`` or ``(chunk, None, ProviderError)`` per chunk, in order.

    Sequential with ``SYNC_DETAIL_CONCURRENCY`` 1 (tests: their database is one transaction no other thread
    sees); otherwise a thread pool, each call run in a copy of the caller's context (the call log's sync run)
    and closing any database connection its thread opened (a token refresh, a retry booked on its own).
    """

    def call(chunk: list[str]):
        try:
            return chunk, client.get_employees(external_id, chunk), None
        except ProviderError as exc:
            return chunk, None, exc

    workers = max(1, int(settings.SYNC_DETAIL_CONCURRENCY))
    if workers == 1 or len(chunks) <= 1:
        return [call(chunk) for chunk in chunks]

    def in_thread(chunk: list[str]):
        try:
            return call(chunk)
        finally:
            connections.close_all()  # this thread's connections only

    with ThreadPoolExecutor(max_workers=min(workers, len(chunks)), thread_name_prefix="sync-details") as pool:
        futures = [pool.submit(contextvars.copy_context().run, in_thread, chunk) for chunk in chunks]
        return [future.result() for future in futures]


# --- housekeeping -------------------------------------------------------------------------------------------


@transaction.atomic
def sync_runs_reap_stale(*, now: dt.datetime | None = None) -> int:
    """Fail running runs whose worker stopped sending heartbeats (killed, machine lost); return how many."""
    cutoff = (now or timezone.now()) - STALE_RUN_AFTER
    return SyncRun.objects.filter(state=SyncRun.State.RUNNING, heartbeat_at__lt=cutoff).update(
        state=SyncRun.State.FAILED,
        finished_at=timezone.now(),
        message="The worker running this sync stopped (no heartbeat); nothing was concluded from it.",
    )


def sync_runs_pending_lost(*, now: dt.datetime | None = None) -> list[int]:
    """IDs of pending runs whose task should have started by now (its broker message was lost)."""
    cutoff = (now or timezone.now()) - PENDING_LOST_AFTER
    return list(
        SyncRun.objects.filter(state=SyncRun.State.PENDING, created_at__lt=cutoff).values_list(
            "pk", flat=True
        )
    )


@transaction.atomic
def sync_run_cancel_pending(*, run: SyncRun, acting_user=None) -> SyncRun:
    """Fail a run that is still pending (its task was lost before it started)."""
    SyncRun.objects.filter(pk=run.pk, state=SyncRun.State.PENDING).update(
        state=SyncRun.State.FAILED, finished_at=timezone.now(), message="Cancelled before it started."
    )
    run.refresh_from_db()
    return run


def sync_runs_nightly(*, now: dt.datetime | None = None) -> list[SyncRun]:
    """Request the nightly employee sync of every live connection (skipping any already running).

    Routine on most nights (the list, and details only for new and changed employees); on Sunday nights
    (``FULL_SYNC_WEEKDAY``, local time) a full one, so every employee's details are refreshed weekly,
    including changes the list does not show (a name, an address).
    """
    full = timezone.localtime(now or timezone.now()).weekday() == FULL_SYNC_WEEKDAY
    runs = []
    for connection in Connection.objects.filter(state=Connection.State.LIVE):
        try:
            runs.append(
                sync_run_request(
                    connection=connection,
                    kind=SyncRun.Kind.EMPLOYEES,
                    full=full,
                    trigger=SyncRun.Trigger.SCHEDULE,
                )
            )
        except ApplicationError as exc:
            logger.info("nightly sync of %s skipped: %s", connection.pk, exc.message)
    return runs


__all__ = [
    "SyncConflict",
    "SyncContext",
    "needs_details",
    "register_sync_kind",
    "sync_employees",
    "sync_kinds",
    "sync_run_cancel_pending",
    "sync_run_execute",
    "sync_run_request",
    "sync_runs_nightly",
    "sync_runs_pending_lost",
    "sync_runs_reap_stale",
]
