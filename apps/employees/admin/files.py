"""Employee file imports: upload, progress, the report by line."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path

from apps.companies.scoping import CustomerScopedAdmin
from apps.companies.selectors import customers_visible_to

from .. import services
from ..models import (
    FileImport,
)


class UploadForm(forms.Form):
    customer = forms.ModelChoiceField(queryset=None)
    file = forms.FileField(help_text="Standard employee file: UTF-8 CSV with a header row.")

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["customer"].queryset = customers_visible_to(user)


@admin.register(FileImport)
class FileImportAdmin(CustomerScopedAdmin):
    list_display = (
        "filename",
        "customer",
        "rows",
        "accepted",
        "rejected",
        "refused",
        "uploaded_by",
        "created_at",
    )
    list_filter = ("customer",)
    search_fields = ("filename",)
    list_select_related = ("customer", "uploaded_by")
    readonly_fields = [f.name for f in FileImport._meta.fields]
    change_list_template = "admin/employees/fileimport/change_list.html"

    def has_add_permission(self, request):
        return False  # files arrive through the upload view below

    def get_urls(self):
        return [
            path("upload/", self.admin_site.admin_view(self.upload_view), name="employees_fileimport_upload"),
            path(
                "upload/<str:upload_id>/",
                self.admin_site.admin_view(self.upload_status_view),
                name="employees_fileimport_upload_status",
            ),
            *super().get_urls(),
        ]

    def upload_view(self, request):
        if not request.user.has_perm("employees.add_fileimport"):
            messages.error(request, "You may not upload employee files.")
            return redirect("admin:employees_fileimport_changelist")
        form = UploadForm(request.POST or None, request.FILES or None, user=request.user)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            # Stored and applied by a worker: a large file takes longer than a web request may.
            upload_id = services.employee_file_upload_enqueue(
                customer=form.cleaned_data["customer"],
                data=upload.read(),
                filename=upload.name,
                acting_user=request.user,
            )
            return redirect("admin:employees_fileimport_upload_status", upload_id)
        context = {
            **self.admin_site.each_context(request),
            "title": "Upload an employee file",
            "opts": self.model._meta,
            "form": form,
        }
        return TemplateResponse(request, "admin/employees/upload.html", context)

    def upload_status_view(self, request, upload_id):
        """The upload's progress (queued, being applied) and then its result, line by line."""
        state = services.employee_file_upload_state(upload_id)
        if state is None or not customers_visible_to(request.user).filter(pk=state["customer_id"]).exists():
            raise Http404("No such upload (or its page has expired: see File imports).")
        result = None
        if state.get("file_import_id"):
            result = FileImport.objects.filter(pk=state["file_import_id"]).first()
        context = {
            **self.admin_site.each_context(request),
            "title": f"Employee file {state['filename']}",
            "opts": self.model._meta,
            "state": state,
            "result": result,
            "refresh": state["state"] in ("queued", "running"),
        }
        return TemplateResponse(request, "admin/employees/upload_status.html", context)
