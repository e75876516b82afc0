"""What the configuration was when a decision was made: mappings, filters and policy as of a moment.

Read from the history tables (django-simple-history), so a later change of a mapping, a filter or the
customer's policy does not rewrite the explanation of an earlier downstream action.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from apps.companies.models import Company
from apps.employees.models import DownstreamTarget
from apps.mappings.models import FilterRule, StatusCode, StatusMapping

POLICY_FIELDS = (
    "leave_policy",
    "transfer_grace_days",
    "mass_change_percent",
    "mass_change_min_persons",
    "active",
    "url",
)


@dataclass
class Configuration:
    """The values in force at ``at``, each with who last set it and when."""

    at: dt.datetime
    company_set_ids: list[int]
    code: str
    standard_type: str | None = None
    mappings: list = field(default_factory=list)  # historical StatusMapping rows
    filters: list = field(default_factory=list)  # historical FilterRule rows
    policy: object | None = None  # historical DownstreamTarget row
    recorded: bool = False  # any history at all before ``at``


def _latest(history, at: dt.datetime, **filters) -> list:
    rows = history.filter(history_date__lte=at, **filters).latest_of_each()
    return [row for row in rows.order_by("pk") if row.history_type != "-"]


def configuration_as_of(*, customer_id: int, company_set_ids: list[int], code: str, at: dt.datetime):
    """The status mapping of ``code``, the filter rules and the downstream policy in force at ``at``."""

    config = Configuration(at=at, company_set_ids=company_set_ids, code=code)
    standard = StatusCode.objects.filter(standard=True, code=code).values_list("standard_type", flat=True)
    config.standard_type = standard.first()
    if code and not config.standard_type:
        config.mappings = _latest(StatusMapping.history, at, company_set_id__in=company_set_ids, code=code)
    config.filters = _latest(FilterRule.history, at, company_set_id__in=company_set_ids)
    policies = _latest(DownstreamTarget.history, at, customer_id=customer_id)
    config.policy = policies[0] if policies else None
    config.recorded = bool(config.mappings or config.filters or config.policy) or (
        StatusMapping.history.filter(history_date__lte=at).exists()
    )
    return config


def configuration_for_action(action) -> Configuration:
    """The configuration in force when ``action`` (a DownstreamAction) was decided (its created_at)."""

    company_ids = [action.company_id, action.prior_company_id]
    if action.employee_id:
        company_ids.append(action.employee.company_id)
    set_ids = sorted(
        set(
            Company.objects.filter(pk__in=[pk for pk in company_ids if pk]).values_list(
                "company_set_id", flat=True
            )
        )
    )
    return configuration_as_of(
        customer_id=action.customer_id, company_set_ids=set_ids, code=action.status_code, at=action.created_at
    )


def _who(row) -> str:
    return f"{row.history_actor or 'unknown'}, {row.history_date:%Y-%m-%d %H:%M}"


def render_configuration(config: Configuration):
    """HTML for an admin read-only field: three small tables, each value with who set it and when."""
    if config.standard_type:
        mapping = format_html(
            "<p>Mapping: <b>{}</b> is a standard code (type {}).</p>", config.code, config.standard_type
        )
    elif config.mappings:
        mapping = format_html(
            "<p>Mapping of <b>{}</b>:</p><ul>{}</ul>",
            config.code,
            format_html_join(
                "",
                "<li>{} &rarr; <b>{}</b> ({}; set by {})</li>",
                (
                    (
                        row.code,
                        row.status_type,
                        f"company #{row.company_id}" if row.company_id else "company set",
                        _who(row),
                    )
                    for row in config.mappings
                ),
            ),
        )
    else:
        mapping = format_html("<p>Mapping of <b>{}</b>: none recorded at that time.</p>", config.code or "—")
    if config.filters:
        filters = format_html(
            "<p>Filter rules:</p><ul>{}</ul>",
            format_html_join(
                "",
                "<li>{} {} {} {}{} (set by {})</li>",
                (
                    (
                        "include" if row.include else "exclude",
                        row.field,
                        row.operator,
                        ", ".join(map(str, row.values)),
                        "" if row.active else " [inactive]",
                        _who(row),
                    )
                    for row in config.filters
                ),
            ),
        )
    else:
        filters = mark_safe("<p>Filter rules: none (every record in scope).</p>")
    if config.policy is not None:
        policy = format_html(
            "<p>Policy (set by {}):</p><ul>{}</ul>",
            _who(config.policy),
            format_html_join(
                "", "<li>{}: <b>{}</b></li>", ((name, getattr(config.policy, name)) for name in POLICY_FIELDS)
            ),
        )
    else:
        policy = mark_safe("<p>Policy: none recorded (defaults applied).</p>")
    note = format_html(
        '<p class="help">As of {} (when the action was decided), from the audit trail.{}</p>',
        f"{config.at:%Y-%m-%d %H:%M:%S}",
        "" if config.recorded else " Nothing was recorded before then: the trail started later.",
    )
    return format_html('<div class="configuration-in-force">{}{}{}{}</div>', mapping, filters, policy, note)


def configuration_in_force(action):
    """The admin read-only field's value for one DownstreamAction."""
    if action is None or action.pk is None:
        return "—"
    return render_configuration(configuration_for_action(action))
