"""The webhook inbox: store verified events (idempotently), process them (GET first), retry, die, replay.

Why rows and not just tasks: the row is written before the provider gets its 2xx, and a sweeper
re-enqueues every row that is due or whose worker died, so no broker (Redis included) can lose an event.
Processing is claimed with a conditional update and the apply is idempotent, so a second delivery of the
same task does nothing.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import queue
import threading
from collections.abc import Callable

from django.conf import settings
from django.db import IntegrityError, close_old_connections, transaction
from django.db.models import F, Q
from django.utils import timezone
from django_q.tasks import async_task

from apps.companies.models import Company
from apps.core.errors import ProviderError
from apps.core.fields import EncryptedTextField
from apps.core.problems import Fixed, Problem, report, report_fixed
from apps.employees.models import Employee
from apps.employees.records import Source
from apps.employees.services import employee_records_apply

from ..models import Connection, WebhookEvent
from ..providers import client_for, webhooks_for
from ..providers.base import HookEvent
from ..providers.prismhr import webhooks as prism_webhooks
from ..transport import call_context
from .syncs import sync_kinds

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 6  # then the event is dead and waits for a replay
RETRY_BASE = dt.timedelta(seconds=30)  # 30 s, 1 min, 2 min, 4 min, 8 min between attempts
RETRY_CAP = dt.timedelta(hours=1)
SWEEP_GRACE = dt.timedelta(seconds=60)  # an event not processed this long after arrival is swept again
SWEEP_BATCH = 500

Handler = Callable[[WebhookEvent], None]
_HANDLERS: dict[str, Handler] = {}


def register_webhook_handler(object_kind: str) -> Callable[[Handler], Handler]:
    """Register the processor of one kind of event object ("employee", "payroll", ...)."""

    def decorator(func: Handler) -> Handler:
        _HANDLERS[object_kind] = func
        return func

    return decorator


def _handlers() -> dict[str, Handler]:
    sync_kinds()  # imports every app's tasks module, where handlers register too
    return _HANDLERS


class Ignore(Exception):
    """The event is valid but not ours to act on (unknown company, not digested); ``reason`` says why."""


def lease_seconds() -> float:
    """How long a worker holds an event: a little past the task timeout, and before the broker's retry.

    django-q2 stops a task after ``timeout`` and offers it again after ``retry``; the lease ends between the
    two, so the re-offered task can claim the row of a worker that died. (The sweeper is the fallback.)
    """
    timeout = float(settings.Q_CLUSTER.get("timeout", 600))
    retry = float(settings.Q_CLUSTER.get("retry", timeout + 10))
    return timeout + max(0.0, min(5.0, (retry - timeout) / 2))


def retry_delay(attempts: int) -> dt.timedelta:
    return min(RETRY_CAP, RETRY_BASE * (2 ** max(0, attempts - 1)))


# --- store --------------------------------------------------------------------------------------------------


def webhook_events_enqueue(event_ids: list[int]) -> None:
    """Queue processing of stored events (used by the webhook view once its response is out).

    With ``WEBHOOK_ENQUEUE_IN_BACKGROUND`` (the default) the IDs go to this process's enqueuer thread, so
    the broker write is neither part of the provider's wait nor of the web thread's time; without it (tests,
    whose tasks run synchronously) they are queued here and now.
    """
    if settings.WEBHOOK_ENQUEUE_IN_BACKGROUND:
        background_enqueuer.submit(event_ids)
    else:
        _enqueue(event_ids)


def _enqueue(event_ids: list[int]) -> None:
    for event_id in event_ids:
        async_task("apps.integrations.tasks.webhook_event_task", event_id, group="webhooks")


def webhook_events_enqueue_each(event_ids: list[int]) -> None:
    """One task per event (a worker fanning out a batch the web process queued as one message)."""
    _enqueue(event_ids)


def _enqueue_batch(event_ids: list[int]) -> None:
    """One broker message for many events: the worker that takes it fans them out, one task each."""
    if len(event_ids) == 1:
        async_task("apps.integrations.tasks.webhook_event_task", event_ids[0], group="webhooks")
    else:
        async_task("apps.integrations.tasks.fan_out_webhook_events", list(event_ids), group="webhooks")


class BackgroundEnqueuer:
    """One thread per process that queues the processing of the events the web threads have stored.

    The web thread hands over the IDs and is free for the next delivery. The thread takes the first waiting
    ID and every other one already waiting (up to ``max_batch``) and queues them as one broker message, so
    under load one broker write carries many events, and when idle an event is queued at once (no timer).
    Nothing is lost if the process dies with IDs still waiting: the rows are stored, and the sweeper
    enqueues every pending row within ``SWEEP_GRACE`` of its arrival. The thread starts on first use in each
    process (after a fork, a new one).
    """

    def __init__(self, *, send: Callable[[list[int]], None] | None = None, max_batch: int = 200):
        self._send = send or _enqueue_batch
        self._max_batch = max_batch
        self._waiting: queue.SimpleQueue[int] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._pid = 0

    def submit(self, event_ids: list[int]) -> None:
        for event_id in event_ids:
            self._waiting.put(event_id)
        if self._thread is None or self._pid != os.getpid() or not self._thread.is_alive():
            self._start()

    def _start(self) -> None:
        with self._lock:
            if self._thread is not None and self._pid == os.getpid() and self._thread.is_alive():
                return
            self._pid = os.getpid()
            self._thread = threading.Thread(target=self._run, name="webhook-enqueuer", daemon=True)
            self._thread.start()

    def _take(self) -> list[int]:
        ids = [self._waiting.get()]
        while len(ids) < self._max_batch:
            try:
                ids.append(self._waiting.get_nowait())
            except queue.Empty:
                break
        return ids

    def _run(self) -> None:
        while True:
            self.flush(self._take())

    def flush(self, event_ids: list[int]) -> None:
        """Queue these IDs now; a broker failure is logged (the sweeper queues the rows later)."""
        try:
            close_old_connections()  # this thread's own database connection: drop it if it went stale
            self._send(event_ids)
        except Exception:
            logger.exception("could not enqueue webhook events %s; the sweeper will", event_ids)


background_enqueuer = BackgroundEnqueuer()


def digested(connection: Connection, event: HookEvent) -> bool:
    """Whether the connection digests this event type (an empty list digests every event)."""
    types = [t.strip().lower() for t in (connection.webhook_digest_types or []) if str(t).strip()]
    return not types or event.event_type.lower() in types or event.event_type.split(".")[-1].lower() in types


def _insert_once(row: WebhookEvent) -> bool:
    """Insert an inbox row; False if its delivery key is already stored (nothing written).

    Outside a transaction (the webhook view) this is the single INSERT, committed on its own: no BEGIN,
    savepoint or COMMIT round trips. Inside one (a caller's ``atomic``), a savepoint keeps a duplicate from
    breaking the caller's transaction.
    """
    try:
        if transaction.get_connection().in_atomic_block:
            with transaction.atomic():
                row.save(force_insert=True)
        else:
            row.save(force_insert=True)
    except IntegrityError:
        return False
    return True


def webhook_events_store(
    *,
    connection: Connection,
    events: list[HookEvent],
    now: dt.datetime | None = None,
    defer_enqueue: list[int] | None = None,
) -> list[tuple[WebhookEvent, bool]]:
    """Store verified events; a duplicate delivery key is a no-op. Return ``(event, created)`` pairs.

    Each event is one INSERT committed on its own (no transaction around the delivery): the rows are
    independent, and a delivery cut short after some of them is sent again by the provider, when the stored
    ones are duplicates and the rest are stored. New digested events are enqueued once stored (at once, or
    after the connection's coalescing window through the sweeper); events of types the connection does not
    digest are stored as ignored, for the record. A caller that passes ``defer_enqueue`` gets the IDs to
    enqueue in that list instead (the webhook view enqueues after its response is sent; the sweeper covers
    a crash in between).
    """
    now = now or timezone.now()
    stored: list[tuple[WebhookEvent, bool]] = []
    enqueue: list[int] = []
    for hook in events:
        row, take = _inbox_row(connection, hook, now)
        if not _insert_once(row):
            existing = WebhookEvent.objects.get(connection=connection, delivery_key=row.delivery_key)
            stored.append((existing, False))
            continue
        stored.append((row, True))
        if _enqueue_at_once(connection, take):
            enqueue.append(row.pk)
    if defer_enqueue is not None:
        defer_enqueue.extend(enqueue)
    elif enqueue:
        transaction.on_commit(lambda: _enqueue(enqueue))
    return stored


def _inbox_row(connection: Connection, hook: HookEvent, now: dt.datetime) -> tuple[WebhookEvent, bool]:
    """The inbox row of one verified event, and whether the connection digests it."""
    take = digested(connection, hook)
    window = dt.timedelta(seconds=connection.webhook_coalesce_seconds)
    row = WebhookEvent(
        connection=connection,
        delivery_key=hook.delivery_key[:200],
        event_type=hook.event_type[:100],
        object_kind=hook.object_kind[:40],
        company_external_id=hook.company_external_id[:64],
        object_id=hook.object_id[:64],
        occurred_at=hook.occurred_at,
        payload=hook.payload,
        state=WebhookEvent.State.PENDING if take else WebhookEvent.State.IGNORED,
        next_attempt_at=(now + (window or SWEEP_GRACE)) if take else None,
        last_error="" if take else "Event type not digested by this connection.",
    )
    return row, take


def _enqueue_at_once(connection: Connection, take: bool) -> bool:
    """A new digested event is queued at once unless a coalescing window or a pause holds it for the sweeper."""
    return take and not connection.webhook_coalesce_seconds and connection.state != Connection.State.PAUSED


def webhook_event_store_if_current(
    *, connection: Connection, hook: HookEvent, current: dict[str, object], now: dt.datetime | None = None
) -> tuple[int, bool] | None:
    """Store one new event in one statement, only while the connection's row still holds ``current``.

    ``current`` maps Connection fields to the values the caller verified the delivery with (every field
    the check reads, ``updated_at``, and the secrets as stored: ciphertext). The INSERT selects from the
    connection's row with those values in its WHERE, so a delivery checked against a secret or a check that
    has just been changed is never stored, in whatever process the change was made. Returns ``(event id, enqueue now?)``, or None when
    nothing was written: the delivery key is already stored, or the connection changed; the caller then
    takes the ordinary path (read the connection again, check again, ``webhook_events_store``).
    """
    now = now or timezone.now()
    row, take = _inbox_row(connection, hook, now)
    db = transaction.get_connection()
    qn = db.ops.quote_name
    fields = [f for f in WebhookEvent._meta.concrete_fields if not f.primary_key]
    values = [f.get_db_prep_save(f.pre_save(row, add=True), connection=db) for f in fields]
    conditions, params = [], []
    for column, value in current.items():
        field = Connection._meta.get_field(column)
        if value is None:
            conditions.append(f"{qn(field.column)} IS NULL")
            continue
        conditions.append(f"{qn(field.column)} = %s")
        # Ciphertext is compared as stored; anything else is adapted as the ORM would (datetimes, JSON).
        params.append(value if isinstance(field, EncryptedTextField) else field.get_db_prep_value(value, db))
    sql = (
        f"INSERT INTO {qn(WebhookEvent._meta.db_table)} ({', '.join(qn(f.column) for f in fields)}) "  # noqa: S608
        f"SELECT {', '.join(['%s'] * len(fields))} FROM {qn(Connection._meta.db_table)} "
        f"WHERE {qn('id')} = %s AND {' AND '.join(conditions)} "
        f"ON CONFLICT DO NOTHING RETURNING {qn(WebhookEvent._meta.pk.column)}"
    )
    with db.cursor() as cursor:
        cursor.execute(sql, [*values, connection.pk, *params])
        inserted = cursor.fetchone()
    if inserted is None:
        return None
    return inserted[0], _enqueue_at_once(connection, take)


# --- process ------------------------------------------------------------------------------------------------


def _claim(event_id: int, now: dt.datetime) -> bool:
    claimable = Q(state__in=[WebhookEvent.State.PENDING, WebhookEvent.State.FAILED]) | Q(
        state=WebhookEvent.State.PROCESSING, locked_until__lt=now
    )
    return bool(
        WebhookEvent.objects.filter(claimable, pk=event_id).update(
            state=WebhookEvent.State.PROCESSING,
            locked_until=now + dt.timedelta(seconds=lease_seconds()),
            attempts=F("attempts") + 1,
        )
    )


def webhook_event_process(*, event_id: int) -> WebhookEvent | None:
    """Process one event if it can be claimed; return it (None: gone, done, or another worker has it).

    Not one transaction: the provider GET happens between the claim and the apply.
    """
    now = timezone.now()
    if not _claim(event_id, now):
        return None
    event = WebhookEvent.objects.select_related("connection__customer").get(pk=event_id)
    handler = _handlers().get(event.object_kind)
    try:
        if handler is None:
            raise Ignore(f"No processor for {event.object_kind or 'unknown'} events.")
        with call_context(webhook_event=event):
            handler(event)
    except Ignore as verdict:
        _finish(event, WebhookEvent.State.IGNORED, error=str(verdict))
    except ProviderError as exc:
        _failed(event, str(exc), permanent=exc.permanent)
    except Exception as exc:
        logger.exception("webhook event %s failed", event.pk)
        _failed(event, f"{type(exc).__name__}: {exc}", permanent=False)
    else:
        _finish(event, WebhookEvent.State.PROCESSED)
    return event


@transaction.atomic
def _finish(event: WebhookEvent, state: str, *, error: str = "") -> None:
    event.state = state
    event.processed_at = timezone.now()
    event.locked_until = None
    event.next_attempt_at = None
    event.last_error = (error or "")[:500]
    event.save(
        update_fields=[
            "state",
            "processed_at",
            "locked_until",
            "next_attempt_at",
            "last_error",
            "disagreement",
            "updated_at",
        ]
    )


@transaction.atomic
def _failed(event: WebhookEvent, message: str, *, permanent: bool) -> None:
    dead = permanent or event.attempts >= MAX_ATTEMPTS
    event.state = WebhookEvent.State.DEAD if dead else WebhookEvent.State.FAILED
    event.last_error = message[:500]
    event.locked_until = None
    event.next_attempt_at = None if dead else timezone.now() + retry_delay(event.attempts)
    event.save(update_fields=["state", "last_error", "locked_until", "next_attempt_at", "updated_at"])
    if dead:
        connection = event.connection
        report(
            Problem(
                kind="webhook-dead",
                key=f"webhook-dead:{connection.pk}",
                customer=connection.customer,
                facts={"connection_id": connection.pk, "slug": connection.slug},
                detail=f"Event {event.pk} ({event.event_type}) is dead after {event.attempts} attempt(s): {message}",
                companies=tuple(connection.companies.filter(external_id=event.company_external_id)),
                evidence=(event,),
                connection=connection,
            )
        )


def _coalesce(event: WebhookEvent) -> int:
    """Fold the other waiting events of the same employee into this one: its GET answers them all."""
    return (
        WebhookEvent.objects.filter(
            connection_id=event.connection_id,
            company_external_id=event.company_external_id,
            object_id=event.object_id,
            object_kind=event.object_kind,
            state__in=[WebhookEvent.State.PENDING, WebhookEvent.State.FAILED],
        )
        .exclude(pk=event.pk)
        .update(
            state=WebhookEvent.State.COALESCED,
            coalesced_into=event,
            processed_at=timezone.now(),
            next_attempt_at=None,
        )
    )


@register_webhook_handler("employee")
def process_employee_event(event: WebhookEvent) -> None:
    """GET the employee named by the hook, apply what the provider says, record any disagreement (seed 000)."""
    connection = event.connection
    company = Company.objects.filter(connections=connection, external_id=event.company_external_id).first()
    if company is None:
        raise Ignore(f"Company {event.company_external_id} is not one of {connection.name}'s companies.")
    _coalesce(event)
    record = client_for(connection).get_employee(company.external_id, event.object_id)
    if record is None:
        event.disagreement = f"The hook named employee {event.object_id}; the provider's GET does not find it. Nothing changed."
        _raise_mismatch(event, company, None)
        return
    result = employee_records_apply(
        company=company, records=[record], source=Source.WEBHOOK, webhook_event=event
    )
    if result.rejected:
        raise ProviderError(f"The provider's record was refused: {result.rejected[0].reason}", permanent=True)
    claimed = _implied(event)
    if claimed:
        employee = Employee.objects.filter(company=company, employee_id=record.employee_id).first()
        actual = (employee.status_type if employee else "") or record.provider_status_type
        if actual and actual != claimed:
            event.disagreement = (
                f"The hook ({event.event_type}) implies {claimed}; the provider's GET shows "
                f"{record.status_code} ({actual})."
            )
            _raise_mismatch(event, company, employee)


def _raise_mismatch(event: WebhookEvent, company: Company, employee) -> None:
    """Report a hook the confirming GET contradicted (support opens or re-opens its ticket after commit)."""
    report(
        Problem(
            kind="webhook-mismatch",
            key=f"webhook-mismatch:{company.pk}:{event.object_id}",
            customer=event.connection.customer,
            facts={
                "company_id": company.pk,
                "employee_id": event.object_id,
                "company_external_id": company.external_id,
            },
            detail=event.disagreement,
            companies=(company,),
            employees=(employee,) if employee is not None else (),
            evidence=(event,),
            connection=event.connection,
        )
    )


def _implied(event: WebhookEvent) -> str:
    """What the event's type claims of the employee's status (the provider's ``HOOK_IMPLIED_STATUS``), or ""."""
    return webhooks_for(event.connection.provider).HOOK_IMPLIED_STATUS.get(event.event_type, "")


# --- sweep / replay -----------------------------------------------------------------------------------------


def webhook_events_due(*, now: dt.datetime | None = None, limit: int = SWEEP_BATCH) -> list[int]:
    """IDs of events the sweeper should enqueue: due (retry time or coalescing window passed) or abandoned."""
    now = now or timezone.now()
    due = Q(state__in=[WebhookEvent.State.PENDING, WebhookEvent.State.FAILED], next_attempt_at__lte=now) | Q(
        state=WebhookEvent.State.PROCESSING, locked_until__lt=now
    )
    return list(
        WebhookEvent.objects.filter(due)
        .exclude(connection__state=Connection.State.PAUSED)
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )


def webhook_events_sweep(*, now: dt.datetime | None = None) -> int:
    """Enqueue every due or abandoned event; return how many."""
    ids = webhook_events_due(now=now)
    _enqueue(ids)
    return len(ids)


@transaction.atomic
def webhook_event_replay(*, event: WebhookEvent, acting_user=None) -> WebhookEvent:
    """Process an event again from the start (dead, ignored, or already processed ones alike)."""
    was_dead = WebhookEvent.objects.filter(pk=event.pk, state=WebhookEvent.State.DEAD).exists()
    WebhookEvent.objects.filter(pk=event.pk).exclude(state=WebhookEvent.State.PROCESSING).update(
        state=WebhookEvent.State.PENDING,
        attempts=0,
        next_attempt_at=timezone.now() + SWEEP_GRACE,
        locked_until=None,
        last_error="",
        disagreement="",
        coalesced_into=None,
    )
    event.refresh_from_db()
    if event.state == WebhookEvent.State.PENDING:
        transaction.on_commit(lambda: _enqueue([event.pk]))
        if was_dead:  # the dead-webhook ticket logs who replayed what; it resolves when no event is dead
            report_fixed(
                Fixed(
                    key=f"webhook-dead:{event.connection_id}",
                    what=f"dead webhook event {event.pk} ({event.event_type}) replayed.",
                    acting_user=acting_user,
                )
            )
    return event


# --- PrismHR: events polled instead of (or besides) pushed --------------------------------------------------

POLL_PAGE = 200
POLL_MAX_PAGES = 50  # at most 10,000 events a run; the rest come on the next run


def prismhr_events_poll(*, connection: Connection) -> int:
    """Take the subscription's new events with ``getNewEvents`` into the inbox; return how many were new.

    The events go through the same parser and inbox as PrismHR's webhooks, so an event that arrives both as a
    hook and by polling (same event ID, same delivery key) is stored and processed once, and every one is
    confirmed by a GET before anything changes.
    """
    if connection.provider != "prismhr" or not connection.prismhr_subscription_id:
        return 0
    client = client_for(connection)
    new = 0
    with call_context():
        for _ in range(POLL_MAX_PAGES):
            events = client.new_events(connection.prismhr_subscription_id, count=POLL_PAGE)
            if not events:
                break
            hooks = prism_webhooks.parse(json.dumps({"events": events}).encode(), {}, {})
            with transaction.atomic():
                stored = webhook_events_store(connection=connection, events=hooks)
            new += sum(1 for _, created in stored if created)
            if len(events) < POLL_PAGE:
                break
    return new


def prismhr_events_poll_all() -> int:
    """Poll every active PrismHR connection that names a subscription."""
    total = 0
    connections = Connection.objects.filter(provider="prismhr").exclude(prismhr_subscription_id="")
    for connection in connections.exclude(state=Connection.State.PAUSED):
        try:
            total += prismhr_events_poll(connection=connection)
        except ProviderError as exc:
            logger.warning("polling PrismHR events of %s failed: %s", connection.slug, exc)
    return total
