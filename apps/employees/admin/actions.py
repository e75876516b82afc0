"""The outbox: downstream actions (explained, replayed), held mass changes, downstream targets."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from apps.companies.scoping import CustomerScopedAdmin
from apps.core import panels
from apps.core.admin import ReadOnlyInline
from apps.core.errors import ApplicationError

from .. import delivery, services
from ..models import (
    ChangeBatch,
    DownstreamAction,
    DownstreamTarget,
)
from .common import cause_html


@admin.register(DownstreamAction)
class DownstreamActionAdmin(CustomerScopedAdmin):
    list_display = (
        "key",
        "action",
        "person",
        "employee",
        "effective_date",
        "state",
        "cause_link",
        "attempts",
        "last_status_code",
        "delivered_at",
    )
    list_filter = ("state", "cause_type", "action", "customer")
    search_fields = ("key", "person__display_name", "employee__employee_id", "cause_id", "cause")
    list_select_related = ("person", "employee__company")
    # Every field is read-only; the cause and the driving events follow the cause id.
    readonly_fields = [
        name
        for field in DownstreamAction._meta.fields
        for name in (
            (field.name, "cause_link", "driving_events", "configuration_in_force")
            if field.name == "cause_id"
            else (field.name,)
        )
    ]
    exclude = ("events",)  # shown read-only as ``driving_events``, never as a picker of every event
    actions = ["replay"]

    def has_add_permission(self, request):
        return False

    @admin.display(description="Cause", ordering="cause_type")
    def cause_link(self, obj):
        return cause_html(obj)

    @admin.display(description="Driving events")
    def driving_events(self, obj):
        events = obj.events.select_related("employee__company").order_by(
            "effective_date", "recorded_at", "pk"
        )
        items = format_html_join(
            "",
            '<li><a href="{}">{}/{}</a>: {} ({}) effective {}, recorded {} from {}</li>',
            (
                (
                    reverse("admin:employees_employee_change", args=[e.employee_id]),
                    e.employee.company.external_id,
                    e.employee.employee_id,
                    e.code,
                    e.get_status_type_display() if e.status_type else "unmapped",
                    e.effective_date,
                    e.recorded_at.strftime("%Y-%m-%d %H:%M"),
                    e.get_source_display(),
                )
                for e in events
            ),
        )
        return format_html("<ul>{}</ul>", items) if items else "none recorded"

    @admin.display(description="Configuration in force when decided")
    def configuration_in_force(self, obj):
        # Rendered by the audit app (a higher layer, which keeps the history): see apps/core/panels.py.
        return panels.panel_render("configuration-in-force", obj, missing="no audit history installed")

    @admin.action(description="Replay: deliver again with the same key", permissions=["change"])
    def replay(self, request, queryset):
        done = 0
        for action in queryset:
            try:
                delivery.action_replay(action=action, acting_user=request.user)
                done += 1
            except ApplicationError as exc:
                messages.warning(request, f"{action.key}: {exc.message}")
        messages.success(request, f"{done} action(s) queued for delivery.")


class HeldActionInline(ReadOnlyInline):
    model = DownstreamAction
    fields = ("person", "employee", "action", "effective_date", "state")
    readonly_fields = fields
    verbose_name_plural = "Actions in this batch (the exact list)"


class DecisionForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), required=False, help_text="Required to reject."
    )


@admin.register(ChangeBatch)
class ChangeBatchAdmin(CustomerScopedAdmin):
    list_display = (
        "cause",
        "customer",
        "state",
        "removals",
        "active_persons_before",
        "decided_by",
        "created_at",
    )
    list_filter = ("state", "cause_type", "customer")
    search_fields = ("cause", "cause_id")
    list_select_related = ("customer", "decided_by")
    readonly_fields = [f.name for f in ChangeBatch._meta.fields] + ["decide"]
    inlines = [HeldActionInline]

    def has_add_permission(self, request):
        return False

    @admin.display(description="Decision")
    def decide(self, obj):
        if obj.state != ChangeBatch.State.AWAITING_APPROVAL:
            return "-"
        url = reverse("admin:employees_changebatch_decide", args=[obj.pk])
        return format_html('<a class="button" href="{}">Approve or reject…</a>', url)

    def get_urls(self):
        return [
            path(
                "<int:pk>/decide/",
                self.admin_site.admin_view(self.decide_view),
                name="employees_changebatch_decide",
            ),
            *super().get_urls(),
        ]

    def decide_view(self, request, pk):
        batch = get_object_or_404(self.get_queryset(request), pk=pk)
        if not self.has_change_permission(request, batch):
            messages.error(request, "Only admins approve or reject mass changes.")
            return redirect("admin:employees_changebatch_change", pk)
        form = DecisionForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                services.change_batch_decide(
                    batch=batch,
                    approve="approve" in request.POST,
                    acting_user=request.user,
                    reason=form.cleaned_data["reason"],
                )
            except ApplicationError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(
                    request, f"Batch {batch.pk} {'approved' if 'approve' in request.POST else 'rejected'}."
                )
                return redirect("admin:employees_changebatch_change", pk)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Mass change held for approval: {batch.cause}",
            "opts": self.model._meta,
            "batch": batch,
            "actions": batch.actions.select_related("person", "employee__company").order_by(
                "person__display_name"
            ),
            "form": form,
        }
        return TemplateResponse(request, "admin/employees/decide_batch.html", context)


@admin.register(DownstreamTarget)
class DownstreamTargetAdmin(CustomerScopedAdmin):
    list_display = (
        "customer",
        "url",
        "active",
        "leave_policy",
        "transfer_grace_days",
        "mass_change_percent",
        "mass_change_min_persons",
    )
    list_filter = ("active", "leave_policy")
    search_fields = ("customer__name", "url")
    list_select_related = ("customer",)
    autocomplete_fields = ("customer",)

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        form.base_fields["signing_secret"].widget = forms.PasswordInput(render_value=False)
        form.base_fields["signing_secret"].required = False
        form.base_fields["signing_secret"].help_text = (
            "Set. " if obj and obj.signing_secret else "Not set. "
        ) + "Leave blank to keep it."
        return form

    def save_model(self, request, obj, form, change):
        data = {k: v for k, v in form.cleaned_data.items() if k != "customer"}
        saved = services.downstream_target_set(
            customer=form.cleaned_data["customer"], acting_user=request.user, **data
        )
        obj.pk = saved.pk
