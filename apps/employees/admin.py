"""Admin for employees (timeline, person, siblings), persons, the outbox, held batches, targets and files."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from apps.companies.scoping import CustomerScopedAdmin
from apps.companies.selectors import customers_visible_to
from apps.core import panels
from apps.core.admin import ReadOnlyInline
from apps.core.errors import ApplicationError

from . import admin_mappings, delivery, services  # noqa: F401 - admin_mappings registers the mapping pages
from .models import (
    CauseType,
    ChangeBatch,
    Desired,
    DownstreamAction,
    DownstreamTarget,
    Employee,
    FileImport,
    Person,
    StatusEvent,
)

# Where each kind of cause can be opened in the admin; ``cause_id`` holds that object's pk (an approval's is the
# change batch, a policy change's the downstream target). A schedule's cause id is the schedule's name, and a
# manual cause has no page of its own.
CAUSE_ADMIN_URLS = {
    CauseType.SYNC_RUN: "admin:integrations_syncrun_change",
    CauseType.WEBHOOK_EVENT: "admin:integrations_webhookevent_change",
    CauseType.FILE_IMPORT: "admin:employees_fileimport_change",
    CauseType.APPROVAL: "admin:employees_changebatch_change",
    CauseType.MAPPING: "admin:mappings_statusmapping_change",
    CauseType.FILTER_RULE: "admin:mappings_filterrule_change",
    CauseType.POLICY: "admin:employees_downstreamtarget_change",
}


def cause_html(action: DownstreamAction):
    """The action's cause in words ("Sync run 12"), linked to the cause's admin page where it has one."""
    label = CauseType(action.cause_type).label if action.cause_type in CauseType.values else action.cause_type
    text = f"{label} {action.cause_id}".strip()
    url_name = CAUSE_ADMIN_URLS.get(action.cause_type)
    if url_name and action.cause_id.isdigit():
        try:
            return format_html('<a href="{}">{}</a>', reverse(url_name, args=[action.cause_id]), text)
        except NoReverseMatch:  # pragma: no cover - every target above has an admin
            pass
    return text


class StatusEventInline(ReadOnlyInline):
    """The status timeline: newest effective date first; retro-active and held events marked."""

    model = StatusEvent
    fields = (
        "effective_date",
        "code",
        "status_type",
        "transition",
        "marks",
        "source",
        "change_reason",
        "cause",
        "recorded_at",
    )
    readonly_fields = fields
    ordering = ("-effective_date", "-recorded_at", "-pk")
    show_change_link = False
    verbose_name_plural = "Status timeline (newest effective first)"

    @admin.display(description="Marks")
    def marks(self, obj):
        tags = []
        if obj.retroactive:
            tags.append("retro-active")
        if obj.held:
            tags.append("held: unmapped code")
        if obj.released_at:
            tags.append("released")
        if obj.transition == "fringe":
            tags.append("fringe: review")
        return ", ".join(tags) or "-"


class DownstreamActionInline(ReadOnlyInline):
    model = DownstreamAction
    fk_name = "employee"
    fields = ("action", "effective_date", "state", "attempts", "key")
    readonly_fields = fields


@admin.register(Employee)
class EmployeeAdmin(CustomerScopedAdmin):
    customer_path = "company__company_set__customer"
    list_display = (
        "employee_id",
        "name",
        "company",
        "status_code",
        "status_type",
        "status_effective_date",
        "held",
        "needs_review",
        "in_scope",
        "person_link",
    )
    list_filter = (
        "status_type",
        "held",
        "needs_review",
        "in_scope",
        "employment_type",
        "company__company_set__customer",
        "company",
    )
    search_fields = ("employee_id", "first_name", "last_name", "work_email", "company__external_id")
    list_select_related = ("company", "person")
    readonly_fields = [f.name for f in Employee._meta.fields if f.name not in ("id",)] + [
        "siblings",
        "timeline_link",
    ]
    exclude = ("identity_key", "snapshot_hash")
    inlines = [StatusEventInline, DownstreamActionInline]
    actions = ["mark_reviewed"]

    def has_add_permission(self, request):
        return False  # employees come from feeds and files, through the one write path

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="Name", ordering="last_name")
    def name(self, obj):
        return f"{obj.first_name} {obj.last_name}".strip()

    @admin.display(description="Person")
    def person_link(self, obj):
        if not obj.person_id:
            return "-"
        url = reverse("admin:employees_person_change", args=[obj.person_id])
        return format_html('<a href="{}">{}</a>', url, obj.person)

    @admin.display(description="Other records of this person")
    def siblings(self, obj):
        if not obj.person_id:
            return "-"
        others = obj.person.employees.exclude(pk=obj.pk).select_related("company")
        return (
            format_html_join(
                ", ",
                '<a href="{}">{}/{} ({})</a>',
                (
                    (
                        reverse("admin:employees_employee_change", args=[e.pk]),
                        e.company.external_id,
                        e.employee_id,
                        e.status_code or "-",
                    )
                    for e in others
                ),
            )
            or "none"
        )

    @admin.display(description="Timeline")
    def timeline_link(self, obj):
        url = reverse("hub-employee-timeline", args=[obj.pk])
        return format_html('<a href="{}">Open the person\'s timeline (all records on one axis)</a>', url)

    @admin.action(description="Mark the selected fringe changes as reviewed", permissions=["change"])
    def mark_reviewed(self, request, queryset):
        for employee in queryset.filter(needs_review=True):
            services.employee_review_clear(employee=employee, acting_user=request.user)
        messages.success(request, "Marked as reviewed.")


class PersonEmployeeInline(ReadOnlyInline):
    model = Employee
    fields = (
        "company",
        "employee_id",
        "status_code",
        "status_type",
        "status_effective_date",
        "in_scope",
        "held",
    )
    readonly_fields = fields


class PersonActionInline(ReadOnlyInline):
    """The person's actions, newest first (the ledger's order), with why each was written or withdrawn."""

    model = DownstreamAction
    fk_name = "person"
    fields = (
        "seq",
        "action",
        "effective_date",
        "company",
        "state",
        "cause_link",
        "withdrawn_reason",
        "created_at",
    )
    readonly_fields = fields
    ordering = ("-seq", "-pk")
    verbose_name_plural = "Downstream actions (newest first)"

    def get_queryset(self, request):
        # The person too: each row's title is the action's ``str``, which names the person.
        return super().get_queryset(request).select_related("company", "person")

    @admin.display(description="Cause")
    def cause_link(self, obj):
        return cause_html(obj)


@admin.register(Person)
class PersonAdmin(CustomerScopedAdmin):
    list_display = (
        "display_name",
        "customer",
        "status_type",
        "desired_access",
        "downstream_access",
        "transfer_until",
        "national_id_last4",
        "status_changed_at",
    )
    list_filter = ("status_type", "desired_access", "downstream_access", "customer")
    search_fields = ("display_name", "work_email", "national_id_last4", "employees__employee_id")
    list_select_related = ("customer",)
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "customer",
                    "display_name",
                    "status_type",
                    "status_changed_at",
                    "national_id_last4",
                    "work_email",
                )
            },
        ),
        (
            "Downstream: what the timeline asks for and what the downstream was last told",
            {
                "fields": (
                    "desired_state",
                    "last_told_state",
                    "in_step",
                    "transfer_window",
                    "reconciled_at",
                    "action_seq",
                )
            },
        ),
    )
    readonly_fields = (
        "customer",
        "display_name",
        "status_type",
        "status_changed_at",
        "national_id_last4",
        "work_email",
        "desired_state",
        "last_told_state",
        "in_step",
        "transfer_window",
        "reconciled_at",
        "action_seq",
    )
    inlines = [PersonEmployeeInline, PersonActionInline]

    def get_queryset(self, request):
        # A select_related here replaces list_select_related on the changelist: name the customer too.
        return super().get_queryset(request).select_related("customer", "downstream_company")

    def has_add_permission(self, request):
        return False

    @admin.display(description="Desired (from the status timeline, as of today)")
    def desired_state(self, obj):
        if not obj.desired_access:
            return "not reconciled yet"
        since = f" since {obj.desired_since}" if obj.desired_since else ""
        return f"{obj.get_desired_access_display()}{since}"

    @admin.display(description="Last told to the downstream")
    def last_told_state(self, obj):
        text = obj.get_downstream_access_display()
        if obj.downstream_company_id:
            text += f" in {obj.downstream_company.external_id}"
        if obj.downstream_since:
            text += f" since {obj.downstream_since}"
        return text

    @admin.display(description="In step")
    def in_step(self, obj):
        if not obj.desired_access:
            return "-"
        if obj.desired_access in (Desired.TRANSFERRING, Desired.UNMANAGED):
            return "waiting: the downstream keeps its state"
        return "yes" if obj.desired_access == obj.downstream_access else "no: actions are on their way"

    @admin.display(description="Transfer window")
    def transfer_window(self, obj):
        if not obj.transfer_until:
            return "none open"
        start = (
            f"opened {obj.desired_since}, "
            if obj.desired_access == Desired.TRANSFERRING and obj.desired_since
            else ""
        )
        days = (obj.transfer_until - timezone.localdate()).days
        if days >= 0:
            left = f"{days} day(s) left"
        else:
            left = f"passed {-days} day(s) ago: the hourly schedule closes it"
        return f"open: {start}deadline {obj.transfer_until} ({left})"


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
