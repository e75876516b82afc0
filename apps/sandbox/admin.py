"""The sandbox in the admin: companies with fault switches, employees with a controls page, batches, hooks.

Status fields are never edited raw: every change goes through a control (a service) that records the change
and sends the provider's webhook. Sandbox rows belong to no customer, so no customer scoping applies.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import AdminDateWidget
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.html import format_html

from apps.companies.models import Provider
from apps.core.admin import ReadOnlyInline
from apps.core.admin_pages import AdminPageMixin
from apps.core.errors import ApplicationError

from . import services
from .models import (
    BatchStatus,
    FaultMode,
    SandboxBatch,
    SandboxCompany,
    SandboxCredential,
    SandboxEmployee,
    SandboxEvent,
    SandboxStatusChange,
    SandboxStatusCode,
    SandboxToken,
    SandboxVoucher,
    SandboxWebhookDelivery,
    StatusType,
)
from .selectors import connections_visible_to, webhook_target_for
from .services.provision import MAX_EMPLOYEES

# Where each provider's emulation is served (a connection's base URL is the server's address + this).
SANDBOX_PATHS = {
    Provider.PAYLOCITY: "/sandbox/paylocity",
    Provider.PRISMHR: "/sandbox/prismhr/prismhr-api/services/rest",
    Provider.AFFINITY: "/sandbox/affinity",
}


def _run(modeladmin, request, queryset, label: str, call) -> None:
    """Run a control on each selected row; report successes and refusals (never a 500 for a refusal)."""
    done = 0
    for obj in queryset:
        try:
            call(obj)
            done += 1
        except ApplicationError as exc:
            modeladmin.message_user(request, f"{obj}: {exc.message}", messages.WARNING)
    if done:
        modeladmin.message_user(request, f"{label}: {done} done.", messages.SUCCESS)


# --- companies ------------------------------------------------------------------------------------------


class StatusCodeInline(admin.TabularInline):
    model = SandboxStatusCode
    extra = 0
    fields = ["code", "description", "status_type", "custom"]


def _fault_action(mode: str):
    def act(modeladmin, request, queryset):
        _run(
            modeladmin,
            request,
            queryset,
            f"Fault {mode}",
            lambda company: services.company_fault_set(company=company, mode=mode, acting_user=request.user),
        )

    act.__name__ = f"fault_{mode}"
    act.short_description = f"Fault mode: {FaultMode(mode).label}"
    return act


class HireForm(forms.Form):
    first_name = forms.CharField(max_length=100)
    last_name = forms.CharField(max_length=100)
    employee_id = forms.CharField(max_length=64, required=False, help_text="Empty: the next free ID.")
    national_id = forms.CharField(max_length=20, required=False)
    birth_date = forms.DateField(required=False, widget=AdminDateWidget)
    work_email = forms.EmailField(required=False)
    employment_type = forms.CharField(
        max_length=20, initial="RFT", help_text="Paylocity: RFT, RPT, SNL, TFT, TPT."
    )
    benefit_class = forms.CharField(max_length=60, required=False)
    pay_group = forms.CharField(max_length=60, required=False)
    effective_date = forms.DateField(required=False, widget=AdminDateWidget, help_text="Empty: today.")


class ProvisionForm(forms.Form):
    """A self-service sandbox company: which provider, its name, how many employees, an optional ID."""

    provider = forms.ChoiceField(choices=Provider.choices)
    name = forms.CharField(max_length=200, initial="Training Company")
    employees = forms.IntegerField(
        min_value=1, max_value=MAX_EMPLOYEES, initial=10, help_text="Generated employees (B00001, ...)."
    )
    external_id = forms.CharField(
        label="Company ID",
        max_length=64,
        required=False,
        help_text="Leave empty: the first ID free in the sandbox and in the hub is chosen.",
    )


@admin.register(SandboxCompany)
class SandboxCompanyAdmin(AdminPageMixin, admin.ModelAdmin):
    list_display = [
        "external_id",
        "name",
        "provider",
        "company_set",
        "fault_mode",
        "fault_remaining",
        "rate_limit",
        "request_count",
        "rate_limited_count",
        "webhook_destination",
        "hire_link",
    ]
    list_filter = ["provider", "fault_mode", "company_set"]
    search_fields = ["external_id", "name"]
    readonly_fields = ["request_count", "rate_limited_count", "webhook_target"]
    inlines = [StatusCodeInline]
    fieldsets = [
        (None, {"fields": ["provider", "external_id", "name", "company_set"]}),
        ("Faults", {"fields": ["fault_mode", "fault_remaining", "fault_delay_seconds", "fault_retry_after"]}),
        (
            "Rate limit",
            {"fields": ["rate_limit", "rate_window_seconds", "request_count", "rate_limited_count"]},
        ),
        (
            "Webhooks",
            {
                "fields": [
                    "webhooks_enabled",
                    "webhook_target",
                    "webhook_url",
                    "webhook_auth",
                    "webhook_username",
                    "webhook_password",
                    "webhook_secret",
                    "webhook_signature_header",
                    "webhook_signature_scheme",
                    "webhook_signature_encoding",
                ],
                "description": "Leave the URL empty to send to the hub connection of this company.",
            },
        ),
    ]
    actions = [
        *(_fault_action(mode) for mode in FaultMode.values),
        "reset_counters",
        "validate_webhook",
    ]

    @admin.display(description="webhook target")
    def webhook_target(self, obj: SandboxCompany) -> str:
        target = webhook_target_for(obj)
        return f"{target.url} ({target.source}, {target.auth})" if target else "none"

    @admin.display(description="webhooks to")
    def webhook_destination(self, obj: SandboxCompany) -> str:
        # The list stays one query: the resolved target (a connection lookup) is on the change page.
        return obj.webhook_url or "the hub connection"

    @admin.display(description="controls")
    def hire_link(self, obj: SandboxCompany) -> str:
        return format_html(
            '<a href="{}">Hire…</a>', reverse("admin:sandbox_sandboxcompany_hire", args=[obj.pk])
        )

    @admin.action(description="Reset request counters", permissions=["change"])
    def reset_counters(self, request, queryset):
        _run(self, request, queryset, "Counters reset", lambda c: services.company_counters_reset(company=c))

    @admin.action(
        description="Check the webhook target (PrismHR validationToken echo)", permissions=["change"]
    )
    def validate_webhook(self, request, queryset):
        for company in queryset:
            delivery = services.company_webhook_validate(company=company, acting_user=request.user)
            level = (
                messages.SUCCESS
                if delivery.state == SandboxWebhookDelivery.State.DELIVERED
                else messages.WARNING
            )
            self.message_user(request, f"{company}: {delivery.state} {delivery.error}".strip(), level)

    def get_urls(self):
        return [
            self.page_path("<int:pk>/hire/", self.hire_view, "hire"),
            self.page_path("provision/", self.provision_view, "provision"),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "may_provision": self.has_add_permission(request)}
        return super().changelist_view(request, extra_context)

    def provision_view(self, request):
        """Create a sandbox company with employees and credentials; from a connection, link it there too."""
        self.require(self.has_add_permission(request))
        connection = self._provision_connection(request)
        initial = {"provider": connection.provider} if connection else {}
        form = ProvisionForm(request.POST or None, initial=initial)
        if request.method == "POST" and form.is_valid():
            try:
                made = services.sandbox_company_provision(
                    connection=connection, acting_user=request.user, **form.cleaned_data
                )
            except ApplicationError as exc:
                form.add_error(
                    exc.extra.get("field") if exc.extra.get("field") in form.fields else None, exc.message
                )
            else:
                return self.render_page(
                    request,
                    "admin/sandbox/provisioned.html",
                    title=f"Sandbox company {made.company.external_id} is ready",
                    obj=made.company,
                    made=made,
                    connection=connection,
                    base_url=request.build_absolute_uri(SANDBOX_PATHS[made.company.provider]),
                )
        return self.render_page(
            request,
            "admin/sandbox/provision.html",
            title="Create a sandbox company",
            form=form,
            connection=connection,
        )

    def _provision_connection(self, request):
        """The hub connection to link (``?connection=<id>``): one the user sees and may change, else 403/404."""
        raw = request.GET.get("connection") or request.POST.get("connection")
        if not raw:
            return None
        connection = get_object_or_404(
            connections_visible_to(request.user), pk=raw if str(raw).isdigit() else 0
        )
        self.require(
            request.user.has_perm("integrations.change_connection")
            and request.user.has_perm("companies.add_company"),
            "Linking a sandbox company to a connection needs the right to change it and to add companies.",
        )
        return connection

    def hire_view(self, request, pk: int):
        company = get_object_or_404(SandboxCompany, pk=pk)
        self.require(request.user.has_perm("sandbox.add_sandboxemployee"))
        form = HireForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                employee = services.employee_hire(
                    company=company, acting_user=request.user, **form.cleaned_data
                )
            except ApplicationError as exc:
                form.add_error(None, exc.message)
            else:
                self.message_user(request, f"Hired {employee}; the provider's webhook is on its way.")
                return redirect("admin:sandbox_sandboxemployee_change", employee.pk)
        return self.render_page(
            request, "admin/sandbox/control_form.html", title=f"Hire into {company}", obj=company, form=form
        )


@admin.register(SandboxCredential)
class SandboxCredentialAdmin(admin.ModelAdmin):
    list_display = ["label", "provider", "client_id", "username", "peo_id", "token_ttl_seconds", "active"]
    list_filter = ["provider", "active"]
    search_fields = ["label", "client_id", "username"]
    filter_horizontal = ["companies"]
    actions = ["expire_tokens"]

    @admin.action(description="Expire every token / session of these credentials now", permissions=["change"])
    def expire_tokens(self, request, queryset):
        count = sum(services.token_expire_all(credential=c) for c in queryset)
        self.message_user(request, f"{count} token(s) expired.")


@admin.register(SandboxToken)
class SandboxTokenAdmin(admin.ModelAdmin):
    list_display = ["credential", "created_at", "expires_at"]
    list_filter = ["credential__provider"]
    search_fields = ["credential__label"]
    list_select_related = ["credential"]
    readonly_fields = ["credential", "token", "created_at", "expires_at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


# --- employees ------------------------------------------------------------------------------------------


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
        _run(
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
class SandboxEmployeeAdmin(admin.ModelAdmin):
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
            path(
                "<int:pk>/controls/",
                self.admin_site.admin_view(self.controls_view),
                name="sandbox_sandboxemployee_controls",
            ),
            *super().get_urls(),
        ]

    def controls_view(self, request, pk: int):
        employee = get_object_or_404(SandboxEmployee.objects.select_related("company"), pk=pk)
        if not self.has_change_permission(request, employee):
            raise PermissionDenied
        form = EmployeeControlForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                result = employee_control(employee, form.cleaned_data, request.user)
            except ApplicationError as exc:
                form.add_error(None, exc.message)
            else:
                self.message_user(request, f"{result}: now {result.status_code}; webhook sent.")
                return redirect("admin:sandbox_sandboxemployee_change", result.pk)
        return render(
            request,
            "admin/sandbox/control_form.html",
            {
                **self.admin_site.each_context(request),
                "title": f"Controls for {employee}",
                "form": form,
                "obj": employee,
            },
        )


# --- hooks and events -----------------------------------------------------------------------------------


@admin.register(SandboxWebhookDelivery)
class SandboxWebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "company",
        "employee",
        "batch",
        "event_type",
        "url",
        "state",
        "status_code",
        "error",
    ]
    list_filter = ["state", "company", "event_type"]
    search_fields = ["event_type", "url", "employee__employee_id", "batch__batch_id"]
    list_select_related = ["company", "employee", "batch"]
    readonly_fields = [f.name for f in SandboxWebhookDelivery._meta.fields]
    actions = ["resend"]

    def has_add_permission(self, request):
        return False

    @admin.action(description="Send again (fresh signature)", permissions=["change"])
    def resend(self, request, queryset):
        _run(
            self,
            request,
            queryset,
            "Resent",
            lambda d: services.webhook_delivery_resend(delivery=d, acting_user=request.user),
        )


@admin.register(SandboxEvent)
class SandboxEventAdmin(admin.ModelAdmin):
    list_display = ["occurred_at", "company", "schema_name", "class_name", "object_id", "action"]
    list_filter = ["company", "class_name", "action"]
    search_fields = ["object_id", "event_id"]
    list_select_related = ["company"]
    readonly_fields = [
        "company",
        "event_id",
        "schema_name",
        "class_name",
        "object_id",
        "action",
        "occurred_at",
    ]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


# --- payroll --------------------------------------------------------------------------------------------


class BatchStatusForm(forms.Form):
    status = forms.ChoiceField(choices=[("", "other (type it below)"), *BatchStatus.choices], required=False)
    other = forms.CharField(
        max_length=20, required=False, help_text="Any code, kept verbatim (e.g. an unknown one)."
    )

    def clean(self):
        data = super().clean()
        data["code"] = data.get("other") or data.get("status")
        if not data["code"]:
            raise forms.ValidationError("Choose a status or type one.")
        return data


@admin.register(SandboxBatch)
class SandboxBatchAdmin(admin.ModelAdmin):
    list_display = [
        "batch_id",
        "company",
        "batch_type",
        "status",
        "pay_date",
        "scenario",
        "deleted",
        "status_link",
    ]
    list_filter = ["company", "batch_type", "status", "deleted", "scenario"]
    search_fields = ["batch_id", "description"]
    list_select_related = ["company"]
    autocomplete_fields = ["company"]
    readonly_fields = ["status", "deleted", "voids", "billing_totals", "voucher_count", "status_link"]
    actions = ["advance", "delete_in_provider", "void"]

    def has_add_permission(self, request):
        return False  # batches come from the seed or the API, which emit their CREATE event

    @admin.display(description="vouchers")
    def voucher_count(self, obj: SandboxBatch) -> int:
        return obj.vouchers.count()

    @admin.display(description="controls")
    def status_link(self, obj: SandboxBatch) -> str:
        return format_html(
            '<a href="{}">Set status…</a>', reverse("admin:sandbox_sandboxbatch_status", args=[obj.pk])
        )

    @admin.action(description="Advance one status (emits a PrismHR UPDATE event)", permissions=["change"])
    def advance(self, request, queryset):
        _run(
            self,
            request,
            queryset,
            "Advanced",
            lambda b: services.batch_advance(batch=b, acting_user=request.user),
        )

    @admin.action(description="Delete in the provider (emits a DELETE event)", permissions=["change"])
    def delete_in_provider(self, request, queryset):
        _run(
            self,
            request,
            queryset,
            "Deleted",
            lambda b: services.batch_delete(batch=b, acting_user=request.user),
        )

    @admin.action(description="Void (creates the void batch)", permissions=["change"])
    def void(self, request, queryset):
        _run(
            self,
            request,
            queryset,
            "Voided",
            lambda b: services.batch_void(batch=b, acting_user=request.user),
        )

    def get_urls(self):
        return [
            path(
                "<int:pk>/status/",
                self.admin_site.admin_view(self.status_view),
                name="sandbox_sandboxbatch_status",
            ),
            *super().get_urls(),
        ]

    def status_view(self, request, pk: int):
        batch = get_object_or_404(SandboxBatch.objects.select_related("company"), pk=pk)
        if not self.has_change_permission(request, batch):
            raise PermissionDenied
        form = BatchStatusForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                services.batch_status_set(
                    batch=batch, status=form.cleaned_data["code"], acting_user=request.user
                )
            except ApplicationError as exc:
                form.add_error(None, exc.message)
            else:
                self.message_user(request, f"{batch}: status set; PrismHR event sent.")
                return redirect("admin:sandbox_sandboxbatch_change", batch.pk)
        return render(
            request,
            "admin/sandbox/control_form.html",
            {
                **self.admin_site.each_context(request),
                "title": f"Status of {batch}",
                "form": form,
                "obj": batch,
            },
        )


@admin.register(SandboxVoucher)
class SandboxVoucherAdmin(admin.ModelAdmin):
    list_display = [
        "voucher_id",
        "batch",
        "employee_id",
        "pay_group",
        "voucher_type",
        "total_earnings",
        "void_date",
    ]
    list_filter = ["voucher_type"]
    search_fields = ["voucher_id", "employee_id", "batch__batch_id"]
    list_select_related = ["batch__company"]
    raw_id_fields = ["batch"]
    readonly_fields = [f.name for f in SandboxVoucher._meta.fields]

    def has_add_permission(self, request):
        return False
