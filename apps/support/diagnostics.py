""" "Check this employee now": ask the provider again and lay its answer beside ours.

Why: most Level 1 concerns come down to "who is right, the provider or us?" This gathers, in one place, the
provider's record fetched now, our record, the last webhook for the employee, the status chronology, the
scope decision, the person linkage and the recent API calls and downstream actions.

``provider_record_minimised`` and ``compare_records`` are pure; ``diagnose`` reads the database and calls the
provider (through the integrations client, so the call is recorded as an ``ApiCall``). The write (storing
the result, attaching it as evidence) is ``services.employee_diagnose``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Max, Q

from apps.core.errors import AuthenticationError, CircuitOpenError, ProviderError, RateLimited
from apps.employees.models import DownstreamAction
from apps.integrations.models import ApiCall, Connection, WebhookEvent
from apps.integrations.providers import client_for
from apps.integrations.services.health import WEB_MAX_RATE_WAIT

# The fields compared side by side, in display order.
COMPARED_FIELDS = (
    "status_code",
    "status_effective_date",
    "first_name",
    "last_name",
    "work_email",
    "employment_type",
    "benefit_class",
    "pay_group",
    "hire_date",
    "rehire_date",
    "termination_date",
)
_NEVER_STORED_WORDS = ("national", "ssn", "social", "birth", "dob", "tax_id", "taxid", "sin")

logger = logging.getLogger(__name__)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def provider_record_minimised(record: Any) -> dict[str, Any]:
    """Return an EmployeeRecord as JSON without what the hub never stores: no national ID, no birth date.

    The national ID is reduced to its last four characters (what Person keeps); any provider extra field
    whose name says national ID / SSN / birth is dropped.
    """
    data = dataclasses.asdict(record) if dataclasses.is_dataclass(record) else dict(record)
    national_id = str(data.pop("national_id", "") or "")
    data.pop("birth_date", None)
    extra = data.pop("extra", {}) or {}
    data = {k: _jsonable(v) for k, v in data.items()}
    data["national_id_last4"] = national_id[-4:] if national_id else ""
    data["extra"] = {
        str(k): _jsonable(v)
        for k, v in extra.items()
        if not any(word in str(k).lower() for word in _NEVER_STORED_WORDS)
    }
    return data


def compare_records(provider: dict[str, Any] | None, ours: dict[str, Any]) -> list[dict[str, Any]]:
    """Return one row per compared field: provider value, our value, and whether they differ."""
    rows = []
    for name in COMPARED_FIELDS:
        theirs = (provider or {}).get(name)
        mine = ours.get(name)
        differs = provider is not None and (theirs or "") != (mine or "")
        rows.append({"field": name, "provider": theirs, "ours": mine, "differs": differs})
    return rows


@dataclass
class Diagnosis:
    """What one diagnosis found; ``result`` is stored as JSON on the DiagnosticResult."""

    ok: bool
    error: str = ""
    result: dict[str, Any] = field(default_factory=dict)
    api_call_ids: list[int] = field(default_factory=list)

    @property
    def differing_fields(self) -> list[str]:
        return [row["field"] for row in self.result.get("comparison", []) if row["differs"]]


def connection_for_employee(employee):
    """The connection that serves the employee's company: a live one first, a paused one last."""
    serving = Connection.objects.filter(companies=employee.company_id).order_by("pk")
    return (
        serving.filter(state=Connection.State.LIVE).first()
        or serving.exclude(state=Connection.State.PAUSED).first()
        or serving.first()
    )


def our_record(employee) -> dict[str, Any]:
    return {
        "company_external_id": employee.company.external_id,
        "employee_id": employee.employee_id,
        "first_name": employee.first_name,
        "last_name": employee.last_name,
        "work_email": employee.work_email,
        "employment_type": employee.employment_type,
        "benefit_class": employee.benefit_class,
        "pay_group": employee.pay_group,
        "hire_date": _jsonable(employee.hire_date),
        "rehire_date": _jsonable(employee.rehire_date),
        "termination_date": _jsonable(employee.termination_date),
        "status_code": employee.status_code,
        "status_type": employee.status_type,
        "status_effective_date": _jsonable(employee.status_effective_date),
        "held": employee.held,
        "needs_review": employee.needs_review,
        "national_id_last4": employee.national_id_last4,
        "last_seen_at": _jsonable(employee.last_seen_at),
        "details_refreshed_at": _jsonable(employee.details_refreshed_at),
    }


def _last_webhook(employee, connection) -> dict[str, Any] | None:
    if connection is None:
        return None
    event = (
        WebhookEvent.objects.filter(
            connection=connection,
            company_external_id=employee.company.external_id,
            object_id=employee.employee_id,
        )
        .order_by("-created_at", "-pk")
        .first()
    )
    if event is None:
        return None
    return {
        "id": event.pk,
        "event_type": event.event_type,
        "received_at": _jsonable(event.created_at),
        "occurred_at": _jsonable(event.occurred_at),
        "state": event.state,
        "disagreement": event.disagreement,
        "last_error": event.last_error,
    }


def _chronology(employee) -> list[dict[str, Any]]:
    events = employee.status_events.order_by("effective_date", "recorded_at", "pk")
    return [
        {
            "code": e.code,
            "status_type": e.status_type,
            "effective_date": _jsonable(e.effective_date),
            "recorded_at": _jsonable(e.recorded_at),
            "source": e.source,
            "cause": e.cause,
            "change_reason": e.change_reason,
            "transition": e.transition,
            "retroactive": e.retroactive,
            "held": e.held,
        }
        for e in events
    ]


def _scope(employee) -> dict[str, Any]:
    reason = employee.scope_reason or (
        "No filter rule excludes it." if employee.in_scope else "Excluded by a filter rule."
    )
    return {"in_scope": employee.in_scope, "reason": reason}


def link_reasons(employee, other) -> list[str]:
    """Why two records belong to one person (the linking rules, in their order)."""
    reasons = []
    if (
        other.employee_id == employee.employee_id
        and other.company.company_set_id == employee.company.company_set_id
    ):
        reasons.append("same employee ID in the company set")
    if employee.identity_key and other.identity_key == employee.identity_key:
        reasons.append("same identity key (keyed hash of the national ID)")
    if employee.work_email and other.work_email.lower() == employee.work_email.lower():
        reasons.append("same work email")
    return reasons


def _person(employee) -> dict[str, Any] | None:
    person = employee.person
    if person is None:
        return None
    others = person.employees.exclude(pk=employee.pk).select_related("company")
    return {
        "id": person.pk,
        "display_name": person.display_name,
        "status_type": person.status_type,
        "records": [
            {
                "company_external_id": o.company.external_id,
                "employee_id": o.employee_id,
                "status_code": o.status_code,
                "status_type": o.status_type,
                "in_scope": o.in_scope,
                "linked_because": link_reasons(employee, o) or ["linked earlier by the same rules"],
            }
            for o in others
        ],
    }


def _api_calls(employee, connection, limit: int = 20) -> list[dict[str, Any]]:
    if connection is None:
        return []
    calls = (
        ApiCall.objects.filter(connection=connection)
        .filter(
            Q(uri__contains=f"/{employee.employee_id}")
            | Q(uri__contains=f"={employee.employee_id}")
            | Q(
                webhook_event__company_external_id=employee.company.external_id,
                webhook_event__object_id=employee.employee_id,
            )
        )
        .order_by("-created_at", "-pk")[:limit]
    )
    return [
        {
            "id": c.pk,
            "method": c.method,
            "uri": c.uri,
            "status_code": c.status_code,
            "error": c.error,
            "at": _jsonable(c.created_at),
        }
        for c in calls
    ]


def _downstream(employee, limit: int = 20) -> list[dict[str, Any]]:
    condition = Q(employee=employee)
    if employee.person_id:
        condition |= Q(person_id=employee.person_id)
    actions = DownstreamAction.objects.filter(condition).order_by("-created_at", "-pk")[:limit]
    return [
        {
            "id": a.pk,
            "action": a.action,
            "effective_date": _jsonable(a.effective_date),
            "state": a.state,
            "attempts": a.attempts,
            "last_error": a.last_error[:300],
            "at": _jsonable(a.created_at),
        }
        for a in actions
    ]


def provider_failure(exc) -> str:
    """Say why a provider call failed in our words; their text goes to the log only (README "Security")."""
    logger.warning("diagnostics: provider call failed: %s", exc)
    if isinstance(exc, RateLimited):
        return "the connection's rate limit is in use right now; try again shortly."
    if isinstance(exc, AuthenticationError):
        return "the provider refused the login; check the connection's credentials."
    if isinstance(exc, CircuitOpenError):
        return "calls to the provider are paused after repeated failures; try again after the cool-down."
    status = f" (HTTP {exc.status_code})" if exc.status_code else ""
    return f"no valid answer from the provider{status}; the API call log has the request."


def diagnose(employee, *, client_factory=None) -> Diagnosis:
    """Fetch the employee from the provider now and gather our side; never raises for a provider failure."""
    connection = connection_for_employee(employee)
    provider: dict[str, Any] | None = None
    ok, error = True, ""
    before = ApiCall.objects.aggregate(m=Max("pk"))["m"] or 0
    if connection is None:
        ok, error = False, "No connection serves this employee's company."
    else:
        if client_factory is None:
            # A web request: "try again" rather than wait for the connection's rate limiter.
            def client_factory(connection):
                return client_for(connection, max_rate_wait=WEB_MAX_RATE_WAIT)

        try:
            record = client_factory(connection).get_employee(
                employee.company.external_id, employee.employee_id
            )
        except ProviderError as exc:
            ok, error = False, f"The provider could not be asked: {provider_failure(exc)}"
        else:
            if record is None:
                error = "The provider says this employee does not exist (not found)."
            else:
                provider = provider_record_minimised(record)
    ours = our_record(employee)
    call_ids = (
        list(
            ApiCall.objects.filter(connection=connection, pk__gt=before)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        if connection is not None
        else []
    )
    result = {
        "connection": {"id": connection.pk, "slug": connection.slug, "provider": connection.provider}
        if connection is not None
        else None,
        "provider_record": provider,
        "our_record": ours,
        "last_webhook": _last_webhook(employee, connection),
        "comparison": compare_records(provider, ours),
        "status_chronology": _chronology(employee),
        "scope": _scope(employee),
        "person": _person(employee),
        "recent_api_calls": _api_calls(employee, connection),
        "downstream_actions": _downstream(employee),
    }
    return Diagnosis(ok=ok, error=error, result=result, api_call_ids=call_ids)


def verdict(result: dict[str, Any], *, ok: bool = True, error: str = "") -> str:
    """One line that says what a diagnosis means for the agent: who is right, and what to do next (pure)."""
    if not ok:
        return f"Could not compare with the provider: {error}"
    ours = result.get("our_record") or {}
    provider = result.get("provider_record")
    if provider is None:
        return (
            "The provider does not know this employee; the hub still has them "
            f"(status {ours.get('status_code') or 'none'}): check the employee ID and company."
        )
    if ours.get("held"):
        return (
            f"Held: status code {ours.get('status_code')} has no mapping yet; map it to release the employee."
        )
    differing = [row for row in result.get("comparison", []) if row.get("differs")]
    status_rows = [row for row in differing if row["field"] in ("status_code", "status_effective_date")]
    webhook = result.get("last_webhook") or {}
    if status_rows:
        theirs, mine = provider.get("status_code"), ours.get("status_code")
        hint = (
            f"the last webhook ({webhook.get('event_type')}) is {webhook.get('state')}"
            if webhook
            else "no webhook was received for this employee"
        )
        return (
            f"The hub is behind the provider on the status ({mine} here, {theirs} there): {hint}; "
            "sync the employee."
        )
    if differing:
        fields = ", ".join(row["field"] for row in differing)
        return f"The hub and the provider differ on {fields}: the next sync brings the provider's values."
    scope = result.get("scope") or {}
    if scope and not scope.get("in_scope", True):
        return f"The hub and the provider agree; the employee is out of scope: {scope.get('reason')}"
    if webhook.get("disagreement"):
        return f"The hub and the provider agree now; the last webhook disagreed: {webhook['disagreement']}"
    actions = result.get("downstream_actions") or []
    if actions:
        last = actions[0]
        return (
            "The hub and the provider agree; if the downstream app differs, look at its last action "
            f"({last.get('action')} {last.get('state')})."
        )
    return "The hub and the provider agree on every compared field."


def time_without_microseconds(value: Any) -> str:
    """An ISO timestamp (as diagnostics store them) shown to the second: ``2026-06-01 12:00:05 UTC``."""
    if not value:
        return ""
    try:
        moment = dt.datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC)
        return f"{moment:%Y-%m-%d %H:%M:%S} UTC"
    return f"{moment:%Y-%m-%d %H:%M:%S}"
