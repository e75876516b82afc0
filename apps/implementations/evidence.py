"""Evidence the system already holds that a deliverable is done: one read-only check per evidence kind.

Each check takes the project and "now" and returns ``Evidence(satisfied, summary, link)``: whether the
records prove the line, a sentence saying what was seen (or what is missing), and an admin link to the record
that proves it. Checks only read; ``services.deliverables_refresh_evidence`` stores the result and ticks the
line. Every check needs at least one connection on the project and holds only when it holds for each of them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Q
from django.db.models.functions import Coalesce
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from apps.employees.models import FileImport
from apps.integrations.models import ApiCall, Connection, FairUseCrossing, SyncRun, WebhookEvent
from apps.support.models import OPEN_STATES, Origin, Ticket

from .models import EvidenceKind, ExtractDownload, ImplementationProject

MONITORING_WINDOW = timedelta(days=7)
FAIR_USE_WINDOW = timedelta(hours=24)
FAIR_USE_CROSSING_WINDOW = timedelta(days=7)


@dataclass(frozen=True)
class Evidence:
    satisfied: bool
    summary: str
    link: str = ""


Check = Callable[[ImplementationProject, datetime], Evidence]
REGISTRY: dict[str, Check] = {}


def register(kind: str) -> Callable[[Check], Check]:
    def decorate(check: Check) -> Check:
        REGISTRY[kind] = check
        return check

    return decorate


def evidence_for(project: ImplementationProject, kind: str, *, now: datetime) -> Evidence:
    """Return what the records say about one evidence kind for the project."""
    try:
        check = REGISTRY[kind]
    except KeyError as exc:
        raise ValueError(f"Unknown evidence kind {kind!r}.") from exc
    return check(project, now)


def _admin_link(obj, action: str = "change") -> str:
    try:
        if action == "change":
            return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])
        return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_changelist")
    except NoReverseMatch:
        return ""


def _connections(project: ImplementationProject) -> list:
    return list(project.connections.order_by("name"))


NO_CONNECTION = Evidence(False, "No connection is linked to the project yet.")


def _per_connection(project: ImplementationProject, one: Callable[[object], Evidence]) -> Evidence:
    """Hold when ``one`` holds for every connection; the summary names each connection's result."""
    connections = _connections(project)
    if not connections:
        return NO_CONNECTION
    results = [one(connection) for connection in connections]
    satisfied = all(result.satisfied for result in results)
    summary = " ".join(f"{c.name}: {r.summary}" for c, r in zip(connections, results, strict=True))
    # Point at what is missing first; when everything holds, at the first proof.
    failing = [r.link for r in results if not r.satisfied and r.link]
    link = failing[0] if failing else next((r.link for r in results if r.link), "")
    return Evidence(satisfied, summary, link)


def _both(first: Evidence, second: Evidence) -> Evidence:
    return Evidence(
        first.satisfied and second.satisfied,
        f"{first.summary} {second.summary}",
        (first.link if not first.satisfied else second.link) or first.link or second.link,
    )


def _when(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M %Z")


@register(EvidenceKind.CREDENTIALS_RECEIVED)
def credentials_received(project: ImplementationProject, now: datetime) -> Evidence:
    """The connection authenticated against the provider with the credentials it was given."""

    def one(connection) -> Evidence:
        if connection.last_authenticated_at:
            return Evidence(
                True,
                f"authenticated at {_when(connection.last_authenticated_at)}.",
                _admin_link(connection),
            )
        error = f" Last error: {connection.last_auth_error}" if connection.last_auth_error else ""
        return Evidence(False, f"has not authenticated yet.{error}", _admin_link(connection))

    return _per_connection(project, one)


@register(EvidenceKind.WEBHOOKS_CONFIGURED)
def webhooks_configured(project: ImplementationProject, now: datetime) -> Evidence:
    """A webhook arrived and passed the connection's check (a failed check stores no event)."""

    def one(connection) -> Evidence:
        event = WebhookEvent.objects.filter(connection=connection).order_by("-created_at", "-id").first()
        if event is None:
            return Evidence(False, "no verified webhook has arrived yet.", _admin_link(connection))
        return Evidence(
            True,
            f"verified webhook {event.event_type or 'event'} received at {_when(event.created_at)}.",
            _admin_link(event),
        )

    return _per_connection(project, one)


@register(EvidenceKind.DATA_AUDIT_EXTRACT)
def data_audit_extract(project: ImplementationProject, now: datetime) -> Evidence:
    """Someone downloaded the project's data-audit extract of the customer's employees."""
    download = ExtractDownload.objects.filter(project=project).order_by("-created_at", "-id").first()
    if download is None:
        return Evidence(False, "The data-audit extract has not been downloaded yet.")
    return Evidence(
        True,
        f"Data-audit extract of {download.row_count} employees downloaded by {download.actor} "
        f"at {_when(download.created_at)}.",
        _admin_link(download),
    )


@register(EvidenceKind.CLEAN_TEST_SYNC)
def clean_test_sync(project: ImplementationProject, now: datetime) -> Evidence:
    """A full employee sync succeeded with no failed record while the connection was in testing state.

    The run records the connection's state when it was requested, so the proof still holds once the
    connection has gone live.
    """

    def one(connection) -> Evidence:
        run = (
            SyncRun.objects.filter(
                connection=connection,
                kind=SyncRun.Kind.EMPLOYEES,
                full=True,
                state=SyncRun.State.SUCCEEDED,
                failed=0,
                connection_state=Connection.State.TESTING,
            )
            .order_by("-created_at", "-id")
            .first()
        )
        if run is None:
            return Evidence(
                False,
                "no full employee sync has succeeded without failures while the connection was in testing.",
                _admin_link(connection),
            )
        return Evidence(
            True,
            f"full sync #{run.pk} in testing finished at {_when(run.finished_at or run.created_at)}: "
            f"{run.fetched} employees, no failures.",
            _admin_link(run),
        )

    return _per_connection(project, one)


@register(EvidenceKind.CLEAN_TEST_FILE)
def clean_test_file(project: ImplementationProject, now: datetime) -> Evidence:
    """A standard employee file of the customer was applied whole: rows read, none rejected, not refused.

    Files belong to the customer rather than to a connection, so this check needs no connection.
    """
    attempt = (
        FileImport.objects.filter(customer_id=project.customer_id, created_at__lte=now)
        .order_by("-created_at", "-id")
        .first()
    )
    if attempt is None:
        return Evidence(False, "No employee file has been applied for the customer yet.")
    clean = (
        FileImport.objects.filter(
            customer_id=project.customer_id, created_at__lte=now, rows__gt=0, rejected=0, refused=""
        )
        .order_by("-created_at", "-id")
        .first()
    )
    if clean is None:
        why = attempt.refused or f"{attempt.rejected} of {attempt.rows} rows rejected"
        return Evidence(
            False, f"The last file, {attempt.filename}, was not clean: {why}.", _admin_link(attempt)
        )
    return Evidence(
        True,
        f"File {clean.filename} applied at {_when(clean.created_at)}: {clean.accepted} of {clean.rows} rows, "
        "none rejected.",
        _admin_link(clean),
    )


@register(EvidenceKind.TESTING_VALIDATED)
def testing_validated(project: ImplementationProject, now: datetime) -> Evidence:
    """Testing and data validation: a clean full sync in testing and a downloaded data-audit extract."""
    return _both(clean_test_sync(project, now), data_audit_extract(project, now))


@register(EvidenceKind.CONNECTION_LIVE)
def connection_live(project: ImplementationProject, now: datetime) -> Evidence:
    """The connection is live."""

    def one(connection) -> Evidence:
        live = connection.state == Connection.State.LIVE
        return Evidence(
            live,
            "is live." if live else f"is {connection.get_state_display().lower()}.",
            _admin_link(connection),
        )

    return _per_connection(project, one)


@register(EvidenceKind.PRODUCTION_MONITORED)
def production_monitored(project: ImplementationProject, now: datetime) -> Evidence:
    """The connection is live and no ticket the system opened for it was open during the last 7 days."""
    since = now - MONITORING_WINDOW

    def one(connection) -> Evidence:
        if connection.state != Connection.State.LIVE:
            return Evidence(
                False, f"is {connection.get_state_display().lower()}, not live.", _admin_link(connection)
            )
        ticket = (
            Ticket.objects.filter(connection=connection, origin=Origin.AUTOMATIC, opened_at__lte=now)
            .annotate(closed_at=Coalesce("resolved_at", "updated_at"))
            .filter(Q(state__in=OPEN_STATES) | Q(closed_at__gte=since))
            .order_by("-opened_at", "-id")
            .first()
        )
        if ticket is not None:
            still = "is open" if ticket.state in OPEN_STATES else "was open"
            return Evidence(
                False,
                f"automatic ticket #{ticket.pk} ({ticket.title}) {still} in the last 7 days.",
                _admin_link(ticket),
            )
        return Evidence(
            True, "live, with no automatic ticket open in the last 7 days.", _admin_link(connection)
        )

    return _per_connection(project, one)


@register(EvidenceKind.FAIR_USE)
def fair_use(project: ImplementationProject, now: datetime) -> Evidence:
    """The live connection's API calls of the last 24 hours stay under its daily fair-use threshold.

    There must be traffic to judge (at least one call), and no fair-use crossing recorded in the last 7 days.
    """

    def one(connection) -> Evidence:
        if connection.state != Connection.State.LIVE:
            return Evidence(
                False, f"is {connection.get_state_display().lower()}, not live.", _admin_link(connection)
            )
        _, per_day = connection.effective_fair_use
        calls = ApiCall.objects.filter(connection=connection, created_at__gt=now - FAIR_USE_WINDOW).count()
        crossing = (
            FairUseCrossing.objects.filter(
                connection=connection, period_start__gte=now - FAIR_USE_CROSSING_WINDOW
            )
            .order_by("-period_start")
            .first()
        )
        if crossing is not None:
            return Evidence(
                False,
                f"{crossing.calls} calls per {crossing.window} from {_when(crossing.period_start)} crossed the "
                f"fair-use threshold of {crossing.threshold}.",
                _admin_link(crossing),
            )
        if calls == 0:
            return Evidence(
                False,
                "made no API calls in the last 24 hours: no volume to judge yet.",
                _admin_link(connection),
            )
        if calls > per_day:
            return Evidence(
                False,
                f"{calls} API calls in the last 24 hours, over the threshold of {per_day}.",
                _admin_link(connection),
            )
        return Evidence(
            True,
            f"{calls} API calls in the last 24 hours, under the threshold of {per_day}.",
            _admin_link(connection),
        )

    return _per_connection(project, one)


missing = set(EvidenceKind.values) - set(REGISTRY)
if missing:  # pragma: no cover - a new kind without its check is a programming error caught at import
    raise RuntimeError(f"Evidence kinds without a check: {sorted(missing)}")
