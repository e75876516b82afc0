"""Assemble the dashboard: one section per area the user's roles may see, each with its data and charts.

A section is shown when the user may view its main model (so a support agent sees support first and no
implementation board they cannot open). Every section composes the apps' own ``selectors`` (scoped, flat queries).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from apps.employees import selectors as employees_selectors
from apps.implementations import selectors as implementations_selectors
from apps.integrations import selectors as integrations_selectors
from apps.support import selectors as support_selectors

from . import charts, payroll


@dataclass
class Section:
    """One block of the dashboard: its anchor, heading, template and data."""

    key: str
    title: str
    template: str
    data: dict[str, Any] = field(default_factory=dict)


def connections_section(user, now: dt.datetime) -> Section:
    rows = integrations_selectors.connection_health(user, now=now)
    for row in rows:
        name = row.connection.name
        row.chart = charts.bar_chart(
            [
                charts.Bar(
                    label=f"{start:%H}h",
                    value=calls,
                    title=f"{start:%Y-%m-%d %H}:00 to {start:%H}:59: {calls:,} call(s)",
                )
                for start, calls in zip(row.hour_starts, row.hourly_calls, strict=True)
            ],
            id_prefix=f"api-volume-{row.connection.pk}",
            title=f"API calls per hour over the last 24 hours: {name}",
            desc=(
                f"{row.calls_24h:,} calls in 24 hours; busiest hour {row.peak_hour:,} calls, "
                f"{row.peak_percent_of_threshold:.1f}% of the fair-use threshold of {row.per_hour:,} per hour."
            ),
            threshold=row.per_hour,
            threshold_label="fair-use threshold per hour",
        )
    return Section(
        key="connections",
        title="Connections",
        template="dashboard/sections/connections.html",
        data={
            "rows": rows,
            "problems": sum(1 for row in rows if row.problems),
            "webhook_backlog": sum(row.webhook_backlog for row in rows),
            "webhooks_dead": sum(row.webhooks_dead for row in rows),
            "calls_24h": sum(row.calls_24h for row in rows),
            "truncated": len(rows) >= integrations_selectors.CONNECTION_LIMIT,
        },
    )


def lifecycle_section(user) -> Section:
    actions = employees_selectors.action_counts(user)
    return Section(
        key="lifecycle",
        title="Employee lifecycle",
        template="dashboard/sections/lifecycle.html",
        data={
            "held_codes": employees_selectors.held_codes(user),
            "employees": employees_selectors.employee_counts(user),
            "review": employees_selectors.employees_needing_review(user),
            "actions": actions,
            "action_rows": [
                ("awaiting_approval", "Awaiting approval"),
                ("pending", "Pending"),
                ("failed", "Failed (will retry)"),
                ("dead", "Dead"),
            ],
            "batches": employees_selectors.batches_awaiting(user),
        },
    )


def support_section(user) -> Section:
    return Section(
        key="support",
        title="Support",
        template="dashboard/sections/support.html",
        data={
            "matrix": support_selectors.open_ticket_matrix(user),
            "oldest": support_selectors.oldest_open_tickets(user),
        },
    )


def implementations_section(user) -> Section:
    columns = implementations_selectors.implementation_board(user)
    return Section(
        key="implementations",
        title="Implementation projects",
        template="dashboard/sections/implementations.html",
        data={"columns": columns, "count": sum(len(c["cards"]) for c in columns)},
    )


def payroll_section(user, now: dt.datetime) -> Section | None:
    data = payroll.payroll_overview(user, today=now.date())
    if data is None:
        return None
    return Section(key="payroll", title="Payroll", template="dashboard/sections/payroll.html", data=data)


def dashboard_sections(user, *, now: dt.datetime) -> list[Section]:
    """The sections ``user`` may see, in the order a day starts: connections, lifecycle, support, projects."""
    sections: list[Section] = []
    if user.has_perm("integrations.view_connection"):
        sections.append(connections_section(user, now))
    if user.has_perm("employees.view_employee"):
        sections.append(lifecycle_section(user))
    if user.has_perm("support.view_ticket"):
        sections.append(support_section(user))
    if user.has_perm("implementations.view_implementationproject"):
        sections.append(implementations_section(user))
    if payroll.available() and user.has_perm("payroll.view_payrollbatch"):
        section = payroll_section(user, now)
        if section is not None:
            sections.append(section)
    return sections
