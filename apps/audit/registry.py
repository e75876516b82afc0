"""Which models have an audit trail, which of their fields, and how each change is recorded.

``register_all`` runs when ``apps.audit.models`` is imported: it registers every covered model with
django-simple-history (``app="audit"``: the historical tables live in this app) through
``AuditedHistoricalRecords``, which

1. skips a save that changed no tracked field (a re-saved row is not an event);
2. computes the diff against the row as it was in the database before the save (``pre_save`` snapshot), so
   the first change after the trail was installed is exact too;
3. records secrets (``EncryptedTextField`` columns, excluded from the history table) only as ``"changed"``;
4. writes one ``AuditEvent`` per historical row with actor, channel, customer and the diff.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.apps import apps as django_apps
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import signals as model_signals
from simple_history import register
from simple_history.models import HistoricalRecords
from simple_history.signals import post_create_historical_record, pre_create_historical_record

from apps.core.fields import EncryptedTextField
from apps.core.logs import log_event

from . import context

logger = logging.getLogger(__name__)

# Never part of a diff: they change on every save.
NOT_DIFFED = {"created_at", "updated_at"}


@dataclass(frozen=True)
class Tracked:
    """One covered model: how to find its customer and which fields stay out of the history."""

    model: type
    customer: Callable[[object], int | None]
    excluded: tuple[str, ...] = ()  # operational noise and personal data (secrets are found automatically)
    m2m: tuple[str, ...] = ()
    describe: Callable[[object], str] = str  # the event's object_repr: never personal data

    @property
    def secrets(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.model._meta.fields if isinstance(f, EncryptedTextField))


SPECS: dict[type, Tracked] = {}


def _via_company_set(obj) -> int | None:
    company_set = getattr(obj, "company_set", None)
    return company_set.customer_id if company_set is not None else None


def covered() -> list[Tracked]:
    from apps.companies.models import (  # every covered app's models, read when the registry is built (after all apps load)
        Company,
        CompanySet,
        Customer,
    )
    from apps.employees.models import (  # every covered app's models, read when the registry is built (after all apps load)
        ChangeBatch,
        DownstreamTarget,
    )
    from apps.implementations.models import (  # every covered app's models, read when the registry is built (after all apps load)
        ChecklistTemplate,
        ChecklistTemplateItem,
        Deliverable,
    )
    from apps.integrations.models import (  # every covered app's models, read after all apps load
        Connection,  # every covered app's models, read when the registry is built (after all apps load)
    )
    from apps.mappings.models import (  # every covered app's models, read when the registry is built (after all apps load)
        FilterRule,
        StatusCode,
        StatusMapping,
    )
    from apps.support.models import (  # every covered app's models, read after all apps load
        Ticket,  # every covered app's models, read when the registry is built (after all apps load)
    )
    from apps.users.models import (  # every covered app's models, read after all apps load
        User,  # every covered app's models, read when the registry is built (after all apps load)
    )

    ticket_tracked = {"customer", "connection", "category", "level", "state", "priority", "assignee"}
    ticket_tracked |= {"origin", "resolved_at", "id", "created_at", "updated_at"}
    return [
        Tracked(Customer, lambda o: o.pk),
        Tracked(CompanySet, lambda o: o.customer_id),
        Tracked(Company, _via_company_set),
        Tracked(
            Connection,
            lambda o: o.customer_id,
            excluded=(
                "circuit_state",
                "circuit_failures",
                "circuit_opened_at",
                "last_authenticated_at",
                "last_auth_error",
            ),
            m2m=("companies",),
        ),
        Tracked(StatusCode, _via_company_set),
        Tracked(StatusMapping, _via_company_set),
        Tracked(FilterRule, _via_company_set),
        Tracked(DownstreamTarget, lambda o: o.customer_id),
        Tracked(ChangeBatch, lambda o: o.customer_id),
        # Staff accounts: their role groups and customer scopes; not their names, e-mail or password hash.
        Tracked(
            User,
            lambda o: None,
            excluded=("password", "last_login", "first_name", "last_name", "email", "phone", "date_joined"),
            m2m=("groups", "customers"),
            describe=lambda o: o.get_username(),
        ),
        Tracked(ChecklistTemplate, lambda o: None),
        Tracked(ChecklistTemplateItem, lambda o: None),
        Tracked(Deliverable, lambda o: o.project.customer_id, excluded=("evidence_checked_at",)),
        # Ticket state only: titles, reporters and results may carry personal data.
        Tracked(
            Ticket,
            lambda o: o.customer_id,
            excluded=tuple(f.name for f in Ticket._meta.fields if f.name not in ticket_tracked),
            describe=lambda o: f"Ticket #{o.pk}",
        ),
    ]


def _plain(value):
    """A JSON-safe copy of a field value (dates as ISO strings, decimals as strings)."""
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def _tracked_attnames(spec: Tracked) -> list[str]:
    skip = set(spec.excluded) | set(spec.secrets)
    return [f.attname for f in spec.model._meta.concrete_fields if f.name not in skip]


def _m2m_pks(instance, name: str) -> list:
    return sorted(getattr(instance, name).values_list("pk", flat=True))


class AuditedHistoricalRecords(HistoricalRecords):
    """simple-history's recorder, which skips no-op saves and leaves the diff for the audit event."""

    def get_history_user(self, instance):
        try:
            return instance._history_user
        except AttributeError:
            return context.acting_user()

    def create_historical_record(self, instance, history_type, using=None):
        spec = SPECS[self.cls]
        before = instance.__dict__.pop("_audit_before", None)
        m2m_before = instance.__dict__.pop("_audit_m2m_before", None)
        changes = _diff(spec, instance, history_type, before, m2m_before)
        if history_type == "~" and not changes:
            return
        instance._audit_changes = changes
        try:
            super().create_historical_record(instance, history_type, using=using)
        finally:
            instance.__dict__.pop("_audit_changes", None)


def _diff(spec: Tracked, instance, history_type: str, before: dict | None, m2m_before: dict | None) -> dict:
    """``{field: [old, new]}`` for tracked fields, ``{secret: "changed"}`` for secrets."""
    if history_type == "-":
        return {}
    changes: dict = {}
    if m2m_before is not None:
        for name, old in m2m_before.items():
            new = _m2m_pks(instance, name)
            if old != new:
                changes[name] = [old, new]
        return changes
    for attname in _tracked_attnames(spec):
        if attname in NOT_DIFFED or attname == spec.model._meta.pk.attname:
            continue
        new = _plain(getattr(instance, attname))
        if history_type == "+" or before is None:
            if new not in (None, "", [], {}):
                changes[attname] = [None, new]
        elif attname in before:  # a save with update_fields snapshots (and may change) only those
            old = _plain(before[attname])
            if old != new:
                changes[attname] = [old, new]
    if history_type == "+":
        for name in spec.m2m:
            pks = _m2m_pks(instance, name)
            if pks:
                changes[name] = [[], pks]
    for name in spec.secrets:
        if history_type == "+":
            if getattr(instance, name):
                changes[name] = "changed"
        elif before is not None and name in before and before[name] != getattr(instance, name):
            changes[name] = "changed"
    return changes


# --- signal receivers --------------------------------------------------------------------------------------


def _snapshot_before_save(sender, instance, raw=False, update_fields=None, **kwargs):
    """Read the row as it is in the database, to diff against after the save (one query per save)."""
    spec = SPECS.get(sender)
    if spec is None or raw or instance._state.adding or instance.pk is None:
        return
    if getattr(instance, "skip_history_when_saving", False):
        return
    wanted = _tracked_attnames(spec) + list(spec.secrets)
    if update_fields is not None:
        by_name = {f.name: f.attname for f in sender._meta.concrete_fields}
        listed = {by_name.get(name, name) for name in update_fields}
        wanted = [name for name in wanted if name in listed]
        if not [name for name in wanted if name not in NOT_DIFFED]:
            # Only untracked columns change (e.g. a heartbeat): no history row at all.
            instance._audit_skip = True
            instance.skip_history_when_saving = True
            return
    row = sender._base_manager.using(kwargs.get("using")).filter(pk=instance.pk).values(*wanted).first()
    instance._audit_before = row


def _clear_skip(sender, instance, **kwargs):
    if instance.__dict__.pop("_audit_skip", False):
        instance.__dict__.pop("skip_history_when_saving", None)


def _snapshot_before_m2m(sender, instance, action, reverse, **kwargs):
    if reverse or action not in ("pre_add", "pre_remove", "pre_clear"):
        return
    spec = SPECS.get(type(instance))
    if spec is None:
        return
    for name in spec.m2m:
        if getattr(type(instance), name).through is sender:
            instance._audit_m2m_before = {name: _m2m_pks(instance, name)}


def _stamp_history(sender, instance, history_instance, **kwargs):
    if type(instance) not in SPECS:
        return
    ctx = context.current()
    history_instance.history_channel = ctx.channel
    history_instance.history_actor = context.actor_label(ctx)[:150]


def _write_event(sender, instance, history_instance, **kwargs):
    spec = SPECS.get(type(instance))
    if spec is None:
        return
    # By name: models.py imports this module to register the histories, so importing it back would be a cycle.
    AuditEvent = django_apps.get_model("audit", "AuditEvent")
    action = {"+": AuditEvent.Action.CREATED, "~": AuditEvent.Action.CHANGED, "-": AuditEvent.Action.DELETED}
    try:
        customer_id = spec.customer(instance)
    except Exception:  # a half-deleted parent: the event stays, without its customer
        customer_id = None
    AuditEvent.objects.create(
        time=history_instance.history_date,
        actor=history_instance.history_actor,
        user_id=history_instance.history_user_id,
        channel=history_instance.history_channel,
        customer_id=customer_id,
        object_type=instance._meta.label_lower,
        object_id=str(instance.pk),
        object_repr=spec.describe(instance)[:200],
        action=action[history_instance.history_type],
        changes=getattr(instance, "_audit_changes", {}),
        history_id=history_instance.pk,
    )
    _log_decision(instance, history_instance, customer_id)


# Safeguard decisions are significant events for the structured log (who decided: a user id, no name).
_DECISION_STATES = {
    "awaiting_approval": "batch.held",
    "approved": "batch.approved",
    "rejected": "batch.rejected",
}


def _log_decision(instance, history_instance, customer_id) -> None:
    change = getattr(instance, "_audit_changes", {}).get("state")
    if instance._meta.label_lower != "employees.changebatch" or not isinstance(change, list):
        return
    event = _DECISION_STATES.get(change[1])
    if event:
        log_event(
            logger,
            event,
            batch_id=instance.pk,
            customer_id=customer_id,
            removals=getattr(instance, "removals", None),
            decided_by_id=getattr(instance, "decided_by_id", None) or history_instance.history_user_id,
            channel=history_instance.history_channel,
        )


def register_all(base) -> None:
    """Register every covered model (idempotent) and connect the receivers."""
    for spec in covered():
        if spec.model in SPECS:
            continue
        SPECS[spec.model] = spec
        register(
            spec.model,
            app="apps.audit",  # module apps.audit.models: the tables belong to this app
            records_class=AuditedHistoricalRecords,
            bases=[base],
            excluded_fields=[*spec.excluded, *spec.secrets],
            m2m_fields=list(spec.m2m),
            user_related_name="+",
            history_change_reason_field=None,
        )
    for model in SPECS:
        model_signals.pre_save.connect(_snapshot_before_save, sender=model, dispatch_uid=f"audit-pre-{model}")
        model_signals.post_save.connect(_clear_skip, sender=model, dispatch_uid=f"audit-post-{model}")
    model_signals.m2m_changed.connect(_snapshot_before_m2m, dispatch_uid="audit-m2m")
    pre_create_historical_record.connect(_stamp_history, dispatch_uid="audit-stamp")
    post_create_historical_record.connect(_write_event, dispatch_uid="audit-event")
