"""The ticket page's inlines: log (read and add), checklist, evidence (read and pick), escalations, diagnostics."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html

from apps.core.admin import ReadOnlyInline

from .. import selectors
from ..models import (
    DiagnosticResult,
    Escalation,
    TicketChecklistItem,
    TicketEvidence,
    TicketLogEntry,
)

# --- inlines -------------------------------------------------------------------------------------------


class LogEntryInline(ReadOnlyInline):
    model = TicketLogEntry
    fields = ("at", "kind", "author", "customer_troubleshooting", "text")
    readonly_fields = fields
    show_change_link = False
    verbose_name_plural = "troubleshooting log"


class LogEntryAddForm(forms.ModelForm):
    class Meta:
        model = TicketLogEntry
        fields = ("text", "customer_troubleshooting")
        widgets = {"text": forms.Textarea(attrs={"rows": 2, "cols": 80})}


class LogEntryAddInline(admin.TabularInline):
    """An empty row to add a note (saved through the service, with who and when)."""

    model = TicketLogEntry
    form = LogEntryAddForm
    extra = 1
    can_delete = False
    verbose_name = "new troubleshooting note"
    verbose_name_plural = "add to the log"

    def get_queryset(self, request):
        return super().get_queryset(request).none()

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request, obj=None):
        return obj is not None and request.user.has_perm("support.add_ticketlogentry")


class ChecklistInline(admin.TabularInline):
    model = TicketChecklistItem
    fields = ("position", "text", "done", "done_by", "done_at")
    readonly_fields = ("position", "text", "done_by", "done_at")
    extra = 0
    can_delete = False
    verbose_name_plural = "checklist (from the category's knowledge article)"

    def has_add_permission(self, request, obj=None):
        return False


class EvidenceInline(ReadOnlyInline):
    model = TicketEvidence
    fields = ("record", "note", "added_by", "created_at")
    readonly_fields = fields
    show_change_link = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("content_type", "added_by")

    @admin.display(description="record")
    def record(self, obj: TicketEvidence):
        try:
            url = reverse(
                f"admin:{obj.content_type.app_label}_{obj.content_type.model}_change", args=[obj.object_id]
            )
        except NoReverseMatch:
            return obj.label
        return format_html('<a href="{}">{}</a>', url, obj.label)


class EvidencePickForm(forms.ModelForm):
    """Pick a record of the ticket's customer (grouped by kind, latest first) instead of typing an id."""

    record = forms.ChoiceField(required=False, label="record")
    record_choices: list = []

    class Meta:
        model = TicketEvidence
        fields = ("note",)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["record"].choices = [("", "---------"), *self.record_choices]

    def picked(self):
        """The chosen record (None when nothing was chosen or it is gone)."""
        value = self.cleaned_data.get("record") or ""
        type_id, _, pk = value.partition(":")
        if not type_id.isdigit():
            return None
        model = ContentType.objects.get_for_id(int(type_id)).model_class()
        return model._default_manager.filter(pk=pk).first() if model is not None else None


class EvidenceAddInline(admin.TabularInline):
    model = TicketEvidence
    form = EvidencePickForm
    fields = ("record", "note")
    extra = 1
    can_delete = False
    verbose_name = "evidence to attach"
    verbose_name_plural = (
        "attach evidence (a record of this customer: employee, sync run, webhook event, ...)"
    )

    def get_formset(self, request, obj=None, **kwargs):
        choices = selectors.evidence_choices(obj) if obj is not None else []
        kwargs["form"] = type("EvidencePickForm", (EvidencePickForm,), {"record_choices": choices})
        return super().get_formset(request, obj, **kwargs)

    def get_queryset(self, request):
        return super().get_queryset(request).none()

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request, obj=None):
        return obj is not None and request.user.has_perm("support.add_ticketevidence")


class EscalationInline(ReadOnlyInline):
    model = Escalation
    fields = ("sent_at", "sent_by", "to_address", "subject", "edited")
    readonly_fields = fields


class DiagnosticInline(ReadOnlyInline):
    model = DiagnosticResult
    fields = ("created_at", "employee_external_id", "ok", "error", "run_by")
    readonly_fields = fields
    verbose_name_plural = "diagnostics (check this employee now)"
