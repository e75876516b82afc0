"""Sandbox payroll batches (advance, set status, delete, void) and their vouchers."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.html import format_html

from apps.core.admin_pages import AdminPageMixin
from apps.core.errors import ApplicationError

from .. import services
from ..models import (
    BatchStatus,
    SandboxBatch,
    SandboxVoucher,
)
from .common import run_on_each


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
class SandboxBatchAdmin(AdminPageMixin, admin.ModelAdmin):
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
        run_on_each(
            self,
            request,
            queryset,
            "Advanced",
            lambda b: services.batch_advance(batch=b, acting_user=request.user),
        )

    @admin.action(description="Delete in the provider (emits a DELETE event)", permissions=["change"])
    def delete_in_provider(self, request, queryset):
        run_on_each(
            self,
            request,
            queryset,
            "Deleted",
            lambda b: services.batch_delete(batch=b, acting_user=request.user),
        )

    @admin.action(description="Void (creates the void batch)", permissions=["change"])
    def void(self, request, queryset):
        run_on_each(
            self,
            request,
            queryset,
            "Voided",
            lambda b: services.batch_void(batch=b, acting_user=request.user),
        )

    def get_urls(self):
        return [
            self.page_path("<int:pk>/status/", self.status_view, "status"),
            *super().get_urls(),
        ]

    def status_view(self, request, pk: int):
        batch = get_object_or_404(SandboxBatch.objects.select_related("company"), pk=pk)
        self.require(self.has_change_permission(request, batch))
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
        return self.render_page(
            request, "admin/sandbox/control_form.html", title=f"Status of {batch}", obj=batch, form=form
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
