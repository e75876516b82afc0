"""Deliverables: the checklist rows, ticked through the services, with their evidence and history."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.utils import timezone
from django.utils.html import format_html

from apps.companies.scoping import CustomerScopedAdmin
from apps.core.admin import ReadOnlyInline

from .. import services
from ..models import (
    Deliverable,
    DeliverableChange,
)
from ..phases import PHASE_ORDER, Phase, owner_label


class DeliverableChangeInline(ReadOnlyInline):
    model = DeliverableChange
    fields = ("created_at", "action", "actor", "note")
    readonly_fields = fields
    show_change_link = False


class DeliverableForm(forms.ModelForm):
    class Meta:
        model = Deliverable
        fields = ("done", "notes")
        widgets = {"notes": forms.Textarea(attrs={"rows": 2, "cols": 40})}


def _apply_deliverable_forms(request, forms_) -> int:
    """Send each changed tick or note to the services; return how many lines changed."""
    changed = 0
    for form in forms_:
        if not form.has_changed() or not form.instance.pk:
            continue
        data = form.cleaned_data
        deliverable = Deliverable.objects.get(pk=form.instance.pk)
        services.deliverable_update(
            deliverable=deliverable,
            done=data["done"] if "done" in form.changed_data else None,
            notes=data["notes"] if "notes" in form.changed_data else None,
            acting_user=request.user,
        )
        changed += 1
    return changed


class _PhaseDeliverableInline(admin.TabularInline):
    """The checklist lines of one phase; tick "done" to complete a line through the service."""

    model = Deliverable
    form = DeliverableForm
    phase: str = ""
    extra = 0
    can_delete = False
    show_change_link = True
    fields = ("section", "owners", "responsibility_text", "evidence", "done", "done_info", "notes")
    readonly_fields = ("section", "owners", "responsibility_text", "evidence", "done_info")
    template = "admin/edit_inline/tabular.html"

    def has_add_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).filter(phase=self.phase).select_related("done_by")

    def get_formset(self, request, obj=None, **kwargs):
        self._names = dict(obj.parties.values_list("role", "team_name")) if obj else {}
        return super().get_formset(request, obj, **kwargs)

    @admin.display(description="owner")
    def owners(self, obj):
        return owner_label(obj.owner_roles, obj.owner_join, names=getattr(self, "_names", {}))

    @admin.display(description="responsibility")
    def responsibility_text(self, obj):
        return obj.responsibility

    @admin.display(description="evidence")
    def evidence(self, obj):
        return _evidence_html(obj)

    @admin.display(description="done by")
    def done_info(self, obj):
        if not obj.done:
            return "-"
        who = obj.done_by.get_username() if obj.done_by else services.SYSTEM
        return f"{who}, {timezone.localtime(obj.done_at):%Y-%m-%d %H:%M}"


def _evidence_html(obj: Deliverable):
    if not obj.evidence_kind:
        return "-"
    if not obj.evidence_checked_at:
        return format_html("<em>{}</em> (not checked yet)", obj.get_evidence_kind_display())
    mark = "✔" if obj.evidence_satisfied else "✘"
    if obj.evidence_link:
        return format_html('{} <a href="{}">{}</a>', mark, obj.evidence_link, obj.evidence_summary)
    return format_html("{} {}", mark, obj.evidence_summary)


def _phase_inline(phase: str) -> type[_PhaseDeliverableInline]:
    return type(
        f"{phase.title().replace('_', '')}DeliverableInline",
        (_PhaseDeliverableInline,),
        {
            "phase": phase,
            "verbose_name": f"{Phase(phase).label} deliverable",
            "verbose_name_plural": f"{Phase(phase).label} deliverables",
        },
    )


PHASE_INLINES = [_phase_inline(phase) for phase in PHASE_ORDER]


@admin.register(Deliverable)
class DeliverableAdmin(CustomerScopedAdmin):
    customer_path = "project__customer"
    form = DeliverableForm
    list_display = (
        "responsibility_short",
        "project",
        "phase",
        "owner_key",
        "done",
        "done_at",
        "evidence_kind",
    )
    list_filter = ("phase", "done", "owner_role", "evidence_kind")
    search_fields = ("responsibility", "project__name", "project__customer__name")
    list_select_related = ("project__customer",)
    readonly_fields = (
        "project",
        "phase",
        "section",
        "owner_key",
        "responsibility",
        "evidence_kind",
        "evidence_display",
        "done_by",
        "done_at",
    )
    fields = (*readonly_fields[:6], "evidence_display", "done", "done_by", "done_at", "notes")
    inlines = [DeliverableChangeInline]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="responsibility")
    def responsibility_short(self, obj):
        return obj.responsibility[:90]

    @admin.display(description="owner")
    def owner_key(self, obj):
        return obj.owner_key

    @admin.display(description="evidence")
    def evidence_display(self, obj):
        return _evidence_html(obj)

    def save_model(self, request, obj, form, change):
        _apply_deliverable_forms(request, [form])


# --- Projects ---------------------------------------------------------------------------------------------
