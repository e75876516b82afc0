"""Status mappings (set, release, preview) and scope filters (save, preview, re-apply)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from apps.companies.models import Company, CompanySet
from apps.core.errors import ApplicationError
from apps.mappings.models import FilterRule, StatusCode, StatusMapping
from apps.mappings.rules import Rule, scope

from .. import hooks, lifecycle
from ..lifecycle import StatusType
from ..models import (
    Access,
    CauseType,
    ChangeBatch,
    DownstreamAction,
    Employee,
    Person,
    StatusEvent,
)
from ..records import ApplyResult, employment_type_code
from ._core import (
    _enqueue_drain,
    _filter_rules,
    change_batch,
)
from .recompute import _recompute_employees

# --- mappings: set, release, preview --------------------------------------------------------------------


@dataclass
class MappingOutcome:
    mapping: StatusMapping
    released_events: int
    employees: list[int]
    result: ApplyResult
    batch: ChangeBatch | None


@transaction.atomic
def status_mapping_set(
    *,
    company_set: CompanySet,
    code: str,
    status_type: str,
    company: Company | None = None,
    description: str = "",
    acting_user=None,
    today: dt.date | None = None,
) -> MappingOutcome:
    """Map a custom code to a status type (set-wide or for one company) and release its held events.

    Standard codes keep their seed-002 type and cannot be remapped. Releasing recomputes the affected
    employees under one change batch, so the mass-change safeguard covers mapping changes too.
    """
    code = code.strip().upper()
    if code in lifecycle.STANDARD_CODES:
        raise ApplicationError(f"{code} is a standard code; its type is fixed.", extra={"field": "code"})
    if company is not None and company.company_set_id != company_set.pk:
        raise ApplicationError("The company is not in this company set.", extra={"field": "company"})
    StatusType(status_type)
    mapping, _ = StatusMapping.objects.update_or_create(
        company_set=company_set,
        company=company,
        code=code,
        defaults={"status_type": status_type, "description": description, "created_by": acting_user},
    )
    mapping.full_clean()
    StatusCode.objects.get_or_create(
        company_set=company_set,
        company=None,
        code=code,
        standard=False,
        defaults={"description": description},
    )
    events = StatusEvent.objects.filter(code=code, employee__company__company_set=company_set)
    if company is not None:
        events = events.filter(employee__company=company)
    else:
        overridden = StatusMapping.objects.filter(company_set=company_set, code=code, company__isnull=False)
        events = events.exclude(employee__company__in=overridden.values("company"))
    employee_ids = sorted(set(events.values_list("employee_id", flat=True)))
    now = timezone.now()
    released = events.filter(held=True).update(held=False, status_type=status_type, released_at=now)
    events.exclude(status_type=status_type).update(status_type=status_type)
    hooks.mapping_set(company_set, code, str(status_type).capitalize(), company, acting_user)
    if not employee_ids:
        return MappingOutcome(mapping, released, [], ApplyResult(), None)
    with change_batch(
        customer=company_set.customer,
        cause=f"mapping {code} -> {status_type}",
        cause_type=CauseType.MAPPING,
        cause_id=str(mapping.pk),
    ) as batch:
        result = _recompute_employees(
            company_set=company_set, employee_ids=employee_ids, batch=batch, cause=batch.cause, today=today
        )
    transaction.on_commit(_enqueue_drain)
    return MappingOutcome(mapping, released, employee_ids, result, batch)


class _PreviewRollback(Exception):
    def __init__(self, payload):
        self.payload = payload


def status_mapping_preview(
    *, company_set: CompanySet, code: str, status_type: str, company: Company | None = None, today=None
) -> dict:
    """Show what saving a mapping would do, without saving it: the real service in a rolled-back transaction."""
    try:
        with transaction.atomic():
            before = {
                e.pk: (e.status_type, e.person_id)
                for e in Employee.objects.filter(
                    status_events__code=code.strip().upper(), company__company_set=company_set
                ).distinct()
            }
            outcome = status_mapping_set(
                company_set=company_set, code=code, status_type=status_type, company=company, today=today
            )
            employees = Employee.objects.filter(pk__in=outcome.employees).select_related("company", "person")
            actions = DownstreamAction.objects.filter(batch=outcome.batch).select_related(
                "person", "employee__company"
            )
            payload = {
                "code": outcome.mapping.code,
                "status_type": status_type,
                "released_events": outcome.released_events,
                "employees": [
                    {
                        "id": e.pk,
                        "company_external_id": e.company.external_id,
                        "employee_id": e.employee_id,
                        "name": f"{e.first_name} {e.last_name}".strip(),
                        "status_type_before": before.get(e.pk, (None,))[0],
                        "status_type_after": e.status_type,
                        "person": e.person_id,
                    }
                    for e in employees
                ],
                "persons": sorted({e.person_id for e in employees if e.person_id}),
                "actions": [
                    {
                        "person": a.person_id,
                        "person_name": a.person.display_name,
                        "action": a.action,
                        "effective_date": a.effective_date.isoformat(),
                        "state": a.state,
                        "employee": f"{a.employee.company.external_id}/{a.employee.employee_id}"
                        if a.employee
                        else "",
                    }
                    for a in actions
                ],
                "held_for_approval": bool(
                    outcome.batch and outcome.batch.state == ChangeBatch.State.AWAITING_APPROVAL
                ),
            }
            raise _PreviewRollback(payload)
    except _PreviewRollback as done:
        return done.payload


# --- filters --------------------------------------------------------------------------------------------


def _scope_counts(company_set: CompanySet, rules: list[Rule]) -> tuple[int, int]:
    companies = {c.pk: c.external_id for c in company_set.companies.all()}
    rows = Employee.objects.filter(company__company_set=company_set).values_list(
        "employment_type", "decision_status_type", "benefit_class", "company_id", "pay_group"
    )
    inside = total = 0
    for employment_type, status_type, benefit_class, company_id, pay_group in rows.iterator():
        total += 1
        values = {
            "employment_type": employment_type,
            "status_type": status_type,
            "benefit_class": benefit_class,
            "company": companies[company_id],
            "pay_group": pay_group,
        }
        inside += scope(values, rules)[0]
    return inside, total


class OutOfScope:
    """What happens to people the downstream still holds when all their records leave scope."""

    LEAVE = "leave"  # default: the engine stops managing them; their access stays as it is
    DEPROVISION = "deprovision"  # deprovision them, through the mass-change safeguard
    CHOICES = (LEAVE, DEPROVISION)


def _leaving_persons(company_set: CompanySet, rules: list[Rule]) -> list[Person]:
    """Persons of the set held by the downstream (provisioned or suspended) with no record in scope under
    ``rules``: every record of theirs, in any company set, would be out of scope (records of other sets keep
    their current scope)."""
    companies = {c.pk: c.external_id for c in company_set.companies.all()}
    held = Person.objects.filter(
        employees__company__company_set=company_set,
        downstream_access__in=[Access.PROVISIONED, Access.SUSPENDED],
    ).distinct()
    rows = Employee.objects.filter(person__in=held).values_list(
        "person_id",
        "company_id",
        "employment_type",
        "decision_status_type",
        "benefit_class",
        "pay_group",
        "in_scope",
    )
    any_in: dict[int, bool] = {}
    for person_id, company_id, employment_type, status_type, benefit_class, pay_group, in_scope in rows:
        if company_id in companies:
            values = {
                "employment_type": employment_type,
                "status_type": status_type,
                "benefit_class": benefit_class,
                "company": companies[company_id],
                "pay_group": pay_group,
            }
            in_scope = scope(values, rules)[0]
        any_in[person_id] = any_in.get(person_id, False) or in_scope
    leaving = [pk for pk, inside in any_in.items() if not inside]
    return list(Person.objects.filter(pk__in=leaving).order_by("display_name", "pk"))


def filter_rule_preview(
    *,
    company_set: CompanySet,
    field: str,
    operator: str,
    values: list,
    include: bool,
    rule: FilterRule | None = None,
    active: bool = True,
    out_of_scope: str = OutOfScope.LEAVE,
    today: dt.date | None = None,
) -> dict:
    """Show what saving the rule would do, without saving it: the real save in a rolled-back transaction.

    1. Count the set's records in scope now and with the rule (pure, from the current rules).
    2. In a transaction that is always rolled back: note each person's scope and unsent actions, save the rule
       through ``filter_rule_save`` (re-scoping and reconciling the set exactly as a save would), then read who
       entered or left scope and which actions were written or withdrawn.
    Callbacks registered after commit (enqueues, problem reports) are discarded with the rollback.
    """
    _check_out_of_scope(out_of_scope)
    values = _rule_values(field, values)
    current = _filter_rules(company_set)
    candidate = Rule(
        id=rule.pk if rule else 0,
        field=field,
        operator=operator,
        values=frozenset(values),
        include=include,
    )
    proposed = [r for r in current if not (rule and r.id == rule.pk)] + ([candidate] if active else [])
    now_in, total = _scope_counts(company_set, current)
    then_in, _ = _scope_counts(company_set, proposed)
    held_now = {p.pk for p in _leaving_persons(company_set, current)}
    leaving_held = [p for p in _leaving_persons(company_set, proposed) if p.pk not in held_now]
    payload = {
        "records": total,
        "in_scope_now": now_in,
        "in_scope_after": then_in,
        "change": then_in - now_in,
        # People the downstream still holds whose records would all leave scope: the consultant chooses
        # whether they keep their access (out_of_scope="leave", the default) or are deprovisioned.
        "persons_leaving_scope_held": len(leaving_held),
        "persons_leaving_scope": [
            {"id": p.pk, "name": p.display_name, "downstream_access": p.downstream_access}
            for p in leaving_held[:PREVIEW_LIST_LIMIT]
        ],
        "out_of_scope": out_of_scope,
    }
    try:
        with transaction.atomic():
            payload.update(
                _filter_rule_save_effect(
                    company_set=company_set,
                    field=field,
                    operator=operator,
                    values=values,
                    include=include,
                    active=active,
                    rule=FilterRule.objects.get(pk=rule.pk) if rule else None,
                    out_of_scope=out_of_scope,
                    today=today,
                )
            )
            raise _PreviewRollback(payload)
    except _PreviewRollback as done:
        return done.payload


def filter_rule_effect(*, rule: FilterRule) -> dict:
    """Count the set's records in scope with the saved rule and without it (reads only)."""
    current = _filter_rules(rule.company_set)
    with_in, total = _scope_counts(rule.company_set, current)
    without_in, _ = _scope_counts(rule.company_set, [r for r in current if r.id != rule.pk])
    return {"records": total, "in_scope_with": with_in, "in_scope_without": without_in}


# At most this many people and actions are listed by name in a preview (the counts are always whole).
PREVIEW_LIST_LIMIT = 200


def _managed_persons(company_set: CompanySet) -> dict[int, bool]:
    """Each person with a record in the set: whether any of their records (in any set) is in scope."""
    persons = Employee.objects.filter(company__company_set=company_set, person__isnull=False).values(
        "person_id"
    )
    managed: dict[int, bool] = {}
    for person_id, in_scope in Employee.objects.filter(person_id__in=persons).values_list(
        "person_id", "in_scope"
    ):
        managed[person_id] = managed.get(person_id, False) or in_scope
    return managed


def _filter_rule_save_effect(*, company_set: CompanySet, out_of_scope: str, today, **rule_fields) -> dict:
    """Save the rule and report who entered or left scope and the actions written or withdrawn (the caller
    rolls back)."""
    managed_before = _managed_persons(company_set)
    # Names and access as they are now (the save below changes the access of those it deprovisions).
    persons = Person.objects.filter(pk__in=list(managed_before)).values_list(
        "pk", "display_name", "downstream_access"
    )
    names = {pk: name for pk, name, _ in persons}
    access = {pk: held for pk, _, held in persons}
    last_action = DownstreamAction.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    withdrawable = dict(
        DownstreamAction.objects.filter(
            person_id__in=list(managed_before), state__in=DownstreamAction.WITHDRAWABLE
        ).values_list("pk", "state")
    )
    filter_rule_save(company_set=company_set, out_of_scope=out_of_scope, today=today, **rule_fields)
    managed_after = _managed_persons(company_set)
    entering = [pk for pk, inside in managed_after.items() if inside and not managed_before.get(pk, False)]
    leaving = [pk for pk, inside in managed_after.items() if not inside and managed_before.get(pk, False)]

    def people(pks: list[int]) -> list[dict]:
        ordered = sorted(pks, key=lambda pk: (names.get(pk, ""), pk))[:PREVIEW_LIST_LIMIT]
        return [
            {"id": pk, "name": names.get(pk, ""), "downstream_access": access.get(pk, "")} for pk in ordered
        ]

    written = (
        DownstreamAction.objects.filter(pk__gt=last_action)
        .select_related("person")
        .order_by("person__display_name", "pk")
    )
    withdrawn = (
        DownstreamAction.objects.filter(pk__in=list(withdrawable))
        .exclude(state__in=DownstreamAction.WITHDRAWABLE)
        .select_related("person")
        .order_by("person__display_name", "pk")
    )

    def actions(rows) -> list[dict]:
        return [
            {
                "person": a.person_id,
                "person_name": a.person.display_name,
                "action": a.action,
                "effective_date": a.effective_date.isoformat(),
                "state": a.state,
                "reason": a.withdrawn_reason,
            }
            for a in rows[:PREVIEW_LIST_LIMIT]
        ]

    return {
        "persons_entering": len(entering),
        "persons_entering_scope": people(entering),
        "persons_leaving": len(leaving),
        "persons_leaving_scope_all": people(leaving),
        "actions_written": written.count(),
        "actions": actions(written),
        "actions_withdrawn": withdrawn.count(),
        "withdrawn": actions(withdrawn),
        "held_for_approval": written.filter(state=DownstreamAction.State.AWAITING_APPROVAL).exists(),
    }


@transaction.atomic
def filter_rule_save(
    *,
    company_set: CompanySet,
    field: str,
    operator: str,
    values: list,
    include: bool,
    description: str = "",
    active: bool = True,
    rule: FilterRule | None = None,
    acting_user=None,
    today: dt.date | None = None,
    out_of_scope: str = OutOfScope.LEAVE,
) -> FilterRule:
    """Create or change a scope rule, then re-evaluate the set's records under one change batch.

    People whose records all leave scope are no longer managed: their unattempted actions are cancelled.
    With ``out_of_scope="deprovision"`` those the downstream still holds are deprovisioned (staged under the
    batch, so the mass-change safeguard applies); by default their access is left as it is.
    """
    _check_out_of_scope(out_of_scope)
    rule = rule or FilterRule(company_set=company_set)
    rule.field, rule.operator, rule.values, rule.include = (
        field,
        operator,
        _rule_values(field, values),
        include,
    )
    rule.description, rule.active = description, active
    rule.full_clean()
    rule.save()
    filter_rules_reapply(
        company_set=company_set,
        cause=f"filter rule {rule.pk} saved",
        cause_id=str(rule.pk),
        today=today,
        out_of_scope=out_of_scope,
    )
    return rule


@transaction.atomic
def filter_rule_delete(
    *, rule: FilterRule, acting_user=None, today: dt.date | None = None, out_of_scope: str = OutOfScope.LEAVE
) -> None:
    _check_out_of_scope(out_of_scope)
    company_set = rule.company_set
    pk = rule.pk
    rule.delete()
    filter_rules_reapply(
        company_set=company_set,
        cause=f"filter rule {pk} deleted",
        cause_id=str(pk),
        today=today,
        out_of_scope=out_of_scope,
    )


def _rule_values(field: str, values: list) -> list[str]:
    """A rule's values as text; employment types in the spelling records are kept in (FT, not FULL_TIME)."""
    if field == "employment_type":
        return list(dict.fromkeys(employment_type_code(str(v)) for v in values))
    return [str(v) for v in values]


def _check_out_of_scope(value: str) -> None:
    if value not in OutOfScope.CHOICES:
        raise ApplicationError(
            f"out_of_scope must be one of {', '.join(OutOfScope.CHOICES)}, not {value!r}.",
            extra={"field": "out_of_scope"},
        )


def filter_rules_reapply(
    *,
    company_set: CompanySet,
    cause: str,
    today: dt.date | None = None,
    cause_id: str = "",
    out_of_scope: str = OutOfScope.LEAVE,
) -> ApplyResult:
    """Re-scope every record of the set under the current rules and reconcile the persons."""
    ids = list(Employee.objects.filter(company__company_set=company_set).values_list("pk", flat=True))
    leaving = frozenset()
    if out_of_scope == OutOfScope.DEPROVISION:
        leaving = frozenset(p.pk for p in _leaving_persons(company_set, _filter_rules(company_set)))
    with change_batch(
        customer=company_set.customer, cause=cause, cause_type=CauseType.FILTER_RULE, cause_id=cause_id
    ) as batch:
        return _recompute_employees(
            company_set=company_set,
            employee_ids=ids,
            batch=batch,
            cause=cause,
            today=today,
            deprovision_unmanaged=leaving,
        )
