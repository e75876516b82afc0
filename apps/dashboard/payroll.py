"""The dashboard's payroll section: active vs paid employees per client over recent pay dates (seed 004's
executive dashboard comparison), batches by status and by import state, imports that failed or completed with
a message (counted apart: the payroll app's ``ImportOutcome``).

Three queries whatever the number of batches: the employee counts of a bounded window of pay dates, the
batches grouped by status, and the latest queue records that failed or completed with a message.
"""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict, defaultdict
from typing import Any

from django.apps import apps
from django.db.models import Count, F, Sum
from django.urls import NoReverseMatch, reverse

from apps.companies.selectors import scope_to_user

from . import charts

PAY_DATE_WINDOW_DAYS = 120
PAY_DATES_PER_CLIENT = 6
CLIENT_LIMIT = 12
FAILED_LIMIT = 10
ACTIVE_SERIES = charts.Series(name="Active", css_class="hub-series-active", fill="#417690")
PAID_SERIES = charts.Series(name="Paid", css_class="hub-series-paid", fill="#b26a00")


def gap_label(active: int, paid: int) -> str:
    """Say how active and paid employees differ on a pay date, in words that need no sign ("" when equal)."""
    if active > paid:
        return f"{active - paid} active not paid"
    if paid > active:
        return f"{paid - active} paid but not active"
    return ""


def _model(name: str):
    try:
        return apps.get_model("payroll", name)
    except LookupError:
        return None


def available() -> bool:
    """Whether the payroll app has the models this section reads."""
    return all(_model(name) is not None for name in ("PayrollBatch", "EmployeeCount", "ImportQueueRecord"))


def active_vs_paid(user, *, today: dt.date) -> list[dict[str, Any]]:
    """Per client (company): its last pay dates with active and paid employees, most recent client first."""
    EmployeeCount = _model("EmployeeCount")
    since = today - dt.timedelta(days=PAY_DATE_WINDOW_DAYS)
    rows = (
        scope_to_user(
            EmployeeCount.objects.filter(batch__active=True, as_of__gte=since, as_of__lte=today),
            user,
            "batch__company__company_set__customer",
        )
        .values("batch__company_id", "batch__company__external_id", "batch__company__name", "as_of")
        .annotate(
            active=Sum(F("full_time_active") + F("part_time_active")),
            paid=Sum("paid_employees"),
        )
        .order_by("batch__company__external_id", "as_of")
    )
    clients: dict[int, dict[str, Any]] = OrderedDict()
    for row in rows:
        client = clients.setdefault(
            row["batch__company_id"],
            {
                "company_id": row["batch__company_id"],
                "external_id": row["batch__company__external_id"],
                "name": row["batch__company__name"],
                "points": [],
            },
        )
        client["points"].append(
            {"pay_date": row["as_of"], "active": row["active"] or 0, "paid": row["paid"] or 0}
        )
    result = []
    for client in clients.values():
        client["points"] = client["points"][-PAY_DATES_PER_CLIENT:]
        last = client["points"][-1]
        client["last"] = last
        client["gap"] = gap_label(last["active"], last["paid"])
        result.append(client)
    result.sort(key=lambda c: (c["last"]["pay_date"], c["external_id"]), reverse=True)
    result = result[:CLIENT_LIMIT]
    for client in result:
        client["chart"] = charts.grouped_bar_chart(
            [(f"{p['pay_date']:%m-%d}", [p["active"], p["paid"]]) for p in client["points"]],
            [ACTIVE_SERIES, PAID_SERIES],
            id_prefix=f"active-paid-{client['company_id']}",
            title=f"Active vs paid employees of client {client['external_id']} {client['name']}",
            desc=(
                f"Last pay date {client['last']['pay_date']:%Y-%m-%d}: {client['last']['active']} active, "
                f"{client['last']['paid']} paid."
            ),
            width=360,
            height=150,
        )
    return result


def batches_by_status(user) -> dict[str, Any]:
    """Active batches counted by the provider's status and by import state (one query)."""
    PayrollBatch = _model("PayrollBatch")
    rows = (
        scope_to_user(PayrollBatch.objects.filter(active=True), user, "company__company_set__customer")
        .values("status_code", "status", "import_state")
        .annotate(n=Count("pk"))
        .order_by("status_code")
    )
    by_status: dict[str, dict[str, Any]] = {}
    by_import: dict[str, int] = defaultdict(int)
    for row in rows:
        entry = by_status.setdefault(
            row["status_code"], {"code": row["status_code"], "words": row["status"], "count": 0}
        )
        entry["count"] += row["n"]
        entry["words"] = entry["words"] or row["status"]
        by_import[row["import_state"]] += row["n"]
    import_states = PayrollBatch._meta.get_field("import_state").choices
    return {
        "statuses": sorted(by_status.values(), key=lambda e: (-e["count"], e["code"])),
        "imports": [(value, label, by_import.get(value, 0)) for value, label in import_states],
        "total": sum(by_import.values()),
    }


# The queue record states a person has to look at: the payroll app's outcomes that ticket.
LOOK_AT_STATES = ("failed", "completed_with_message")


def imports_to_look_at(user, *, limit: int = FAILED_LIMIT) -> list:
    """The latest queue records that failed or completed with a message (nothing imported), and why."""
    ImportQueueRecord = _model("ImportQueueRecord")
    return list(
        scope_to_user(
            ImportQueueRecord.objects.filter(state__in=LOOK_AT_STATES).select_related(
                "company", "connection"
            ),
            user,
            "connection__customer",
        ).order_by("-created_at", "-pk")[:limit]
    )


def _admin_url(name: str, *args) -> str:
    """The admin URL, or "" when the payroll admin does not register that page."""
    try:
        return reverse(f"admin:payroll_{name}", args=args)
    except NoReverseMatch:
        return ""


def payroll_overview(user, *, today: dt.date) -> dict[str, Any] | None:
    """The section's data, or None while the payroll models do not exist."""
    if not available():
        return None
    failed = imports_to_look_at(user)
    for record in failed:
        record.admin_url = _admin_url("importqueuerecord_change", record.pk)
    return {
        "clients": active_vs_paid(user, today=today),
        "batches": batches_by_status(user),
        "batches_url": _admin_url("payrollbatch_changelist"),
        "failed": failed,
        "legend": charts.legend(
            [
                (
                    ACTIVE_SERIES.css_class,
                    ACTIVE_SERIES.fill,
                    "Active employees (full and part time) on the pay date",
                ),
                (PAID_SERIES.css_class, PAID_SERIES.fill, "Employees paid in the batch"),
            ]
        ),
    }
