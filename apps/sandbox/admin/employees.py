"""Sandbox employees: the controls page (terminate, leave, transfer, ...), quick actions, history."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import AdminDateWidget
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.html import format_html

from apps.core.admin import ReadOnlyInline
from apps.core.admin_pages import AdminPageMixin
from apps.core.errors import ApplicationError

from .. import services
from ..models import (
    SandboxCompany,
    SandboxEmployee,
    SandboxStatusChange,
    SandboxWebhookDelivery,
    StatusType,
)
from .common import run_on_each


class StatusChangeInline(ReadOnlyInline):
    model = SandboxStatusChange
    fields = [
        "recorded_at",
        "previous_code",
        "status_code",
        "status_type",
        "effective_date",
        "change_reason",
        "control",
    ]
    readonly_fields = fields
    show_change_link = False


class EmployeeDeliveryInline(ReadOnlyInline):
    model = SandboxWebhookDelivery
    fk_name = "employee"
    fields = ["created_at", "event_type", "url", "state", "status_code", "error"]
    readonly_fields = fields


CONTROLS = [
    ("terminate", "Terminate (T, D, R or a custom terminated code)"),
    ("leave", "Leave (L or a custom leave code such as FML)"),
    ("return", "Return from leave (L -> A)"),
    ("rehire", "Rehire (T / XT -> A)"),
    ("status", "Set any status code: custom codes, fringe cases, back- or future-dated"),
    ("transfer", "Transfer to another company of the set (XT here, A there)"),
]


class EmployeeControlForm(forms.Form):
    control = forms.ChoiceField(choices=CONTROLS)
    code = forms.CharField(max_length=20, required=False, help_text="Terminate / leave / status: the code.")
    status_type = forms.ChoiceField(
        choices=[("", "—"), *StatusType.choices], required=False, help_text="Only for a new custom code."
    )
    effective_date = forms.DateField(
        required=False,
        widget=AdminDateWidget,
        help_text="Empty: today. Past = back-dated, future = future-dated.",
    )
    reason = forms.CharField(max_length=200, required=False)
    to_company = forms.ModelChoiceField(queryset=SandboxCompany.objects.all(), required=False)
    new_employee_id = forms.CharField(
        max_length=64, required=False, help_text="Transfer: empty keeps the ID."
    )


def employee_control(employee: SandboxEmployee, data: dict, user) -> SandboxEmployee:
    """Dispatch the admin controls form to its service (only the fields that control takes)."""
    control = data["control"]
    dated = {"effective_date": data.get("effective_date"), "acting_user": user}
    if data.get("reason"):
        dated["reason"] = data["reason"]
    code = {"code": data["code"]} if data.get("code") else {}
    if control == "terminate":
        return services.employee_terminate(employee=employee, **code, **dated)
    if control == "leave":
        return services.employee_leave(employee=employee, **code, **dated)
    if control == "return":
        return services.employee_return(employee=employee, **dated)
    if control == "rehire":
        return services.employee_rehire(employee=employee, **dated)
    if control == "status":
        if not code:
            raise ApplicationError("A status change needs a code.")
        return services.employee_status_set(
            employee=employee, status_type=data.get("status_type") or None, **code, **dated
        )
    if not data.get("to_company"):
        raise ApplicationError("A transfer needs the target company.")
    return services.employee_transfer(
        employee=employee,
        to_company=data["to_company"],
        new_employee_id=data.get("new_employee_id", ""),
        **dated,
    )


def _quick(control: str, label: str):
    def act(modeladmin, request, queryset):
        run_on_each(
            modeladmin,
            request,
            queryset.select_related("company"),
            label,
            lambda e: employee_control(e, {"control": control}, request.user),
        )

    act.__name__ = f"quick_{control}"
    act.short_description = f"{label} today"
    return act


@admin.register(SandboxEmployee)
class SandboxEmployeeAdmin(AdminPageMixin, admin.ModelAdmin):
    list_display = [
        "employee_id",
        "first_name",
        "last_name",
        "company",
        "status_code",
        "status_type",
        "status_effective_date",
        "employment_type",
        "controls_link",
    ]
    list_filter = ["company", "status_type", "status_code", "employment_type"]
    search_fields = ["employee_id", "first_name", "last_name", "work_email"]
    list_select_related = ["company"]
    autocomplete_fields = ["company"]
    readonly_fields = [
        "status_code",
        "status_type",
        "status_effective_date",
        "change_reason",
        "hire_date",
        "rehire_date",
        "termination_date",
        "controls_link",
    ]
    inlines = [StatusChangeInline, EmployeeDeliveryInline]
    actions = [
        _quick("terminate", "Terminate"),
        _quick("leave", "Put on leave"),
        _quick("return", "Return from leave"),
        _quick("rehire", "Rehire"),
    ]

    def has_add_permission(self, request):
        return False  # hire through the company's "Hire…" page, which sends the new-hire webhook

    def get_readonly_fields(self, request, obj=None):
        return [*self.readonly_fields, "company", "employee_id"] if obj else self.readonly_fields

    @admin.display(description="controls")
    def controls_link(self, obj: SandboxEmployee) -> str:
        if not obj.pk:
            return "—"
        url = reverse("admin:sandbox_sandboxemployee_controls", args=[obj.pk])
        return format_html('<a href="{}">Controls…</a>', url)

    def get_urls(self):
        return [
            self.page_path("<int:pk>/controls/", self.controls_view, "controls"),
            *super().get_urls(),
        ]

    def controls_view(self, request, pk: int):
        employee = get_object_or_404(SandboxEmployee.objects.select_related("company"), pk=pk)
        self.require(self.has_change_permission(request, employee))
        form = EmployeeControlForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                result = employee_control(employee, form.cleaned_data, request.user)
            except ApplicationError as exc:
                form.add_error(None, exc.message)
            else:
                self.message_user(request, f"{result}: now {result.status_code}; webhook sent.")
                return redirect("admin:sandbox_sandboxemployee_change", result.pk)
        return self.render_page(
            request,
            "admin/sandbox/control_form.html",
            title=f"Controls for {employee}",
            obj=employee,
            form=form,
        )
