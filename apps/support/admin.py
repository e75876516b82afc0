"""Support desk admin: the triage queue, the ticket page (log, evidence, checklist), escalation and diagnostics."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib import admin, messages
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode

from apps.companies.scoping import CustomerScopedAdmin
from apps.core.admin import ReadOnlyInline
from apps.core.errors import ApplicationError

from . import selectors, services
from .diagnostics import verdict
from .models import (
    OPEN_STATES,
    DiagnosticResult,
    Escalation,
    KnowledgeArticle,
    State,
    SupportSettings,
    Ticket,
    TicketChecklistItem,
    TicketEvidence,
    TicketLogEntry,
)


def admin_link(obj, label: str | None = None) -> str:
    """Link to the admin change page of any record (plain text when it has none)."""
    if obj is None:
        return label or "(gone)"
    try:
        url = reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])
    except NoReverseMatch:
        return label or str(obj)
    return format_html('<a href="{}">{}</a>', url, label or str(obj))


# --- filters -------------------------------------------------------------------------------------------


class QueueStateFilter(admin.SimpleListFilter):
    """State, defaulting to the open tickets (the triage queue)."""

    title = "state"
    parameter_name = "queue"

    def lookups(self, request, model_admin):
        return [("open", "Open (triage queue)"), *State.choices, ("all", "All")]

    def queryset(self, request, queryset):
        value = self.value() or "open"
        if value == "open":
            return queryset.filter(state__in=OPEN_STATES)
        if value == "all":
            return queryset
        return queryset.filter(state=value)

    def choices(self, changelist):
        current = self.value() or "open"
        for lookup, title in self.lookup_choices:
            yield {
                "selected": current == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }


AGE_BUCKETS = {
    "1d": ("Under a day", 0, 1),
    "3d": ("1 to 3 days", 1, 3),
    "7d": ("3 to 7 days", 3, 7),
    "old": ("Over 7 days", 7, None),
}


class AgeFilter(admin.SimpleListFilter):
    title = "age"
    parameter_name = "age"

    def lookups(self, request, model_admin):
        return [(key, label) for key, (label, _, _) in AGE_BUCKETS.items()]

    def queryset(self, request, queryset):
        if self.value() not in AGE_BUCKETS:
            return queryset
        _, younger, older = AGE_BUCKETS[self.value()]
        now = timezone.now()
        queryset = queryset.filter(opened_at__lte=now - dt.timedelta(days=younger))
        if older is not None:
            queryset = queryset.filter(opened_at__gt=now - dt.timedelta(days=older))
        return queryset


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


# --- tickets -------------------------------------------------------------------------------------------


@admin.register(Ticket)
class TicketAdmin(CustomerScopedAdmin):
    list_display = (
        "id",
        "title",
        "customer",
        "category",
        "state",
        "level",
        "priority",
        "assignee",
        "origin",
        "age_display",
        "recurrences",
        "opened_at",
    )
    list_display_links = ("id", "title")
    list_filter = (
        QueueStateFilter,
        "category",
        "level",
        "priority",
        ("assignee", admin.RelatedOnlyFieldListFilter),
        AgeFilter,
        "customer",
        "origin",
    )
    search_fields = (
        "title",
        "automatic_key",
        "customer__name",
        "companies__external_id",
        "employees__employee_id",
    )
    list_select_related = ("customer", "assignee")
    ordering = ("opened_at", "id")
    autocomplete_fields = ("customer", "companies", "connection", "assignee", "employees")
    readonly_fields = (
        "state",
        "level",
        "origin",
        "automatic_key",
        "recurrences",
        "opened_at",
        "last_recurrence_at",
        "resolved_at",
        "age_display",
        "tools",
        "employee_panels",
    )
    fieldsets = (
        (None, {"fields": ("title", "customer", "category", "priority", "assignee", "tools")}),
        ("Employees", {"fields": ("employee_panels",), "classes": ("hub-ticket-employees",)}),
        ("State", {"fields": ("state", "level", "origin", "automatic_key", "recurrences")}),
        (
            "Concern",
            {"fields": ("expected_result", "actual_result", "companies", "employees", "connection")},
        ),
        (
            "Reported by (internal contact; never sent to the provider)",
            {"fields": ("reporter_name", "reporter_email")},
        ),
        ("Time", {"fields": ("opened_at", "last_recurrence_at", "resolved_at", "age_display")}),
    )
    actions = ["assign_to_me", "start_triage", "wait_on_customer", "resolve", "close"]

    def get_inlines(self, request, obj):
        if obj is None:
            return []
        return [
            ChecklistInline,
            LogEntryInline,
            LogEntryAddInline,
            EvidenceInline,
            EvidenceAddInline,
            DiagnosticInline,
            EscalationInline,
        ]

    @admin.display(description="age", ordering="opened_at")
    def age_display(self, obj: Ticket) -> str:
        seconds = int(obj.age.total_seconds())
        days, rest = divmod(seconds, 86400)
        return f"{days}d {rest // 3600}h" if days else f"{rest // 3600}h {rest % 3600 // 60}m"

    @admin.display(description="tools")
    def tools(self, obj: Ticket):
        if obj is None or obj.pk is None:
            return "Save the ticket first."
        articles = selectors.articles_for_ticket(obj)
        article_links = format_html_join(
            ", ",
            '<a href="{}">{}</a>',
            ((reverse("admin:support_knowledgearticle_change", args=[a.pk]), a.title) for a in articles),
        )
        kb_url = (
            reverse("admin:support_knowledgearticle_changelist") + "?" + urlencode({"category": obj.category})
        )
        return format_html(
            '{}Knowledge base: {} (<a href="{}">all of this category</a>)<br>'
            '<a class="button" href="{}">Preview / edit / send the Level 2 escalation</a> '
            '<a class="button" href="{}">Check an employee now</a>',
            self._map_link(obj),
            article_links or "none yet",
            kb_url,
            reverse("admin:support_ticket_escalation", args=[obj.pk]),
            reverse("admin:support_ticket_diagnose", args=[obj.pk]),
        )

    def _map_link(self, obj: Ticket) -> str:
        """A "mapping needed" ticket links to the map page of its code, coming back to the ticket after."""
        target = selectors.mapping_needed_target(obj)
        if target is None:
            return ""
        row, code, company_set_id = target
        back = reverse("admin:support_ticket_change", args=[obj.pk])
        if row is not None:
            url = reverse("admin:mappings_statuscode_map", args=[row]) + "?" + urlencode({"next": back})
        else:  # the code row is gone: the mapping form, filled in
            url = (
                reverse("admin:mappings_statusmapping_add")
                + "?"
                + urlencode({"company_set": company_set_id, "code": code})
            )
        return format_html('<a class="button hub-map-code" href="{}">Map status code {}</a><br>', url, code)

    @admin.display(description="employees: timeline and diagnostics")
    def employee_panels(self, obj: Ticket):
        if obj is None or obj.pk is None:
            return ""
        return render_to_string(
            "support/admin/ticket_employees.html",
            {
                "panels": selectors.ticket_employee_panels(obj),
                "more": obj.employees.count() - selectors.PANEL_EMPLOYEES,
                "diagnose_url": reverse("admin:support_ticket_diagnose", args=[obj.pk]),
            },
        )

    # Writes go through the services.

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if not change:
            created = services.ticket_create(
                customer=data["customer"],
                title=data["title"],
                category=data["category"],
                priority=data["priority"],
                companies=data.get("companies") or [],
                employees=data.get("employees") or [],
                connection=data.get("connection"),
                reporter_name=data.get("reporter_name", ""),
                reporter_email=data.get("reporter_email", ""),
                expected_result=data.get("expected_result", ""),
                actual_result=data.get("actual_result", ""),
                assignee=data.get("assignee"),
                acting_user=request.user,
            )
            obj.pk = created.pk
            obj.refresh_from_db()
            return
        stored = Ticket.objects.get(pk=obj.pk)
        if data.get("assignee") != stored.assignee:
            services.ticket_assign(ticket=stored, assignee=data.get("assignee"), acting_user=request.user)
        services.ticket_update(
            ticket=stored,
            companies=data.get("companies"),
            employees=data.get("employees"),
            acting_user=request.user,
            **{name: data[name] for name in services.TICKET_EDITABLE_FIELDS if name in data},
        )

    def save_related(self, request, form, formsets, change):
        # Many-to-many fields were saved by the service; only the inlines remain.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def save_formset(self, request, form, formset, change):
        # The services write; the change message (admin history) only needs these to exist.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        ticket = Ticket.objects.get(pk=form.instance.pk)
        if formset.model is TicketLogEntry:
            for f in formset.forms:
                if f.has_changed() and f.cleaned_data.get("text"):
                    services.ticket_log_add(
                        ticket=ticket,
                        text=f.cleaned_data["text"],
                        customer_troubleshooting=f.cleaned_data.get("customer_troubleshooting", False),
                        acting_user=request.user,
                    )
        elif formset.model is TicketChecklistItem:
            for f in formset.forms:
                if f.instance.pk and "done" in f.changed_data:
                    services.ticket_checklist_tick(
                        item=f.instance, done=f.cleaned_data["done"], acting_user=request.user
                    )
        elif formset.model is TicketEvidence:
            for f in formset.forms:
                if not f.has_changed() or not f.cleaned_data.get("record"):
                    continue
                item = f.picked()
                if item is None:
                    messages.error(request, "That record no longer exists.")
                    continue
                try:
                    services.ticket_evidence_attach(
                        ticket=ticket,
                        item=item,
                        note=f.cleaned_data.get("note", ""),
                        acting_user=request.user,
                    )
                except ApplicationError as exc:
                    messages.error(request, exc.message)

    # Actions: each one calls a service per ticket.

    def _transition(self, request, queryset, state: str):
        done = 0
        for ticket in queryset:
            try:
                services.ticket_state_set(ticket=ticket, state=state, acting_user=request.user)
                done += 1
            except ApplicationError as exc:
                messages.error(request, f"#{ticket.pk}: {exc.message}")
        if done:
            messages.success(request, f"{done} ticket(s) now {State(state).label.lower()}.")

    @admin.action(description="Assign to me", permissions=["change"])
    def assign_to_me(self, request, queryset):
        for ticket in queryset:
            try:
                services.ticket_assign(ticket=ticket, assignee=request.user, acting_user=request.user)
            except ApplicationError as exc:
                messages.error(request, exc.message)
                return

    @admin.action(description="Start triage", permissions=["change"])
    def start_triage(self, request, queryset):
        self._transition(request, queryset, State.TRIAGING)

    @admin.action(description="Waiting on customer", permissions=["change"])
    def wait_on_customer(self, request, queryset):
        self._transition(request, queryset, State.WAITING_ON_CUSTOMER)

    @admin.action(description="Resolve", permissions=["change"])
    def resolve(self, request, queryset):
        self._transition(request, queryset, State.RESOLVED)

    @admin.action(description="Close", permissions=["change"])
    def close(self, request, queryset):
        self._transition(request, queryset, State.CLOSED)

    # Custom pages: escalation preview/edit/send, diagnostics.

    def get_urls(self):
        own = [
            path(
                "<int:pk>/escalation/",
                self.admin_site.admin_view(self.escalation_view),
                name="support_ticket_escalation",
            ),
            path(
                "<int:pk>/diagnose/",
                self.admin_site.admin_view(self.diagnose_view),
                name="support_ticket_diagnose",
            ),
        ]
        return own + super().get_urls()

    def _ticket_or_404(self, request, pk: int) -> Ticket:
        return get_object_or_404(self.get_queryset(request), pk=pk)

    def escalation_view(self, request, pk: int):
        # The API's twin (``escalation/``, ``escalation/send/``) asks for both.
        if not request.user.has_perms(["support.view_ticket", "support.add_escalation"]):
            raise PermissionDenied
        ticket = self._ticket_or_404(request, pk)
        draft = selectors.escalation_draft_for(ticket)
        body = draft.body
        if request.method == "POST":
            body = request.POST.get("body", draft.body)
            try:
                services.escalation_send(ticket=ticket, acting_user=request.user, body=body)
            except ApplicationError as exc:
                messages.error(request, exc.message)
                for finding in exc.extra.get("findings", []):
                    messages.warning(request, f"{finding['kind']}: {finding['text']}")
            else:
                messages.success(
                    request, f"Escalation sent to {draft.to}; the ticket is now Level 2 / escalated."
                )
                return redirect("admin:support_ticket_change", ticket.pk)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Level 2 escalation for ticket #{ticket.pk}",
            "opts": self.model._meta,
            "ticket": ticket,
            "draft": draft,
            "body": body,
            "previous": ticket.escalations.select_related("sent_by"),
        }
        return TemplateResponse(request, "support/admin/escalation.html", context)

    def diagnose_view(self, request, pk: int):
        if not request.user.has_perm("support.add_diagnosticresult"):
            raise PermissionDenied
        ticket = self._ticket_or_404(request, pk)
        from apps.employees.models import Employee

        candidates = Employee.objects.filter(company__company_set__customer=ticket.customer).select_related(
            "company"
        )
        if request.method == "POST":
            employee = get_object_or_404(candidates, pk=request.POST.get("employee"))
            result = services.employee_diagnose(employee=employee, ticket=ticket, acting_user=request.user)
            if result.ok:
                messages.success(request, "Checked with the provider; the result is attached to the ticket.")
            else:
                messages.warning(request, result.error)
            return redirect("admin:support_diagnosticresult_change", result.pk)
        query = request.GET.get("q", "").strip()
        linked = list(ticket.employees.select_related("company"))
        found = []
        if query:
            found = list(
                candidates.filter(
                    Q(employee_id__iexact=query)
                    | Q(last_name__icontains=query)
                    | Q(first_name__icontains=query)
                )[:20]
            )
        context = {
            **self.admin_site.each_context(request),
            "title": f"Check an employee now (ticket #{ticket.pk})",
            "opts": self.model._meta,
            "ticket": ticket,
            "linked": linked,
            "found": found,
            "query": query,
        }
        return TemplateResponse(request, "support/admin/diagnose.html", context)


# --- knowledge base ------------------------------------------------------------------------------------


class ChecklistField(forms.CharField):
    """A list of steps edited as a textarea, one step per line."""

    widget = forms.Textarea(attrs={"rows": 8, "cols": 90})

    def prepare_value(self, value):
        if isinstance(value, list):
            return "\n".join(str(v) for v in value)
        return value

    def to_python(self, value):
        if isinstance(value, list):
            return value
        return [line.strip() for line in (value or "").splitlines() if line.strip()]


class KnowledgeArticleForm(forms.ModelForm):
    checklist = ChecklistField(required=False, help_text="One troubleshooting step per line.")

    class Meta:
        model = KnowledgeArticle
        fields = ("category", "title", "body", "checklist", "primary", "published")
        widgets = {"body": forms.Textarea(attrs={"rows": 18, "cols": 90})}


@admin.register(KnowledgeArticle)
class KnowledgeArticleAdmin(admin.ModelAdmin):
    form = KnowledgeArticleForm
    list_display = ("title", "category", "primary", "published", "steps", "updated_at")
    list_filter = ("category", "primary", "published")
    search_fields = ("title", "body")
    ordering = ("category", "-primary", "title")

    @admin.display(description="steps")
    def steps(self, obj: KnowledgeArticle) -> int:
        return len(obj.checklist or [])

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # An article opens to be read; the edit form is one button away (``?edit=1``) for those who may.
        if request.method == "GET" and "edit" not in request.GET:
            return self.read_view(request, object_id)
        return super().change_view(request, object_id, form_url, extra_context)

    def read_view(self, request, object_id):
        article = self.get_object(request, object_id)
        if article is None or not self.has_view_permission(request, article):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "title": article.title,
            "subtitle": article.get_category_display(),
            "opts": self.model._meta,
            "original": article,
            "article": article,
            "can_edit": self.has_change_permission(request, article),
            "edit_url": reverse("admin:support_knowledgearticle_change", args=[article.pk]) + "?edit=1",
        }
        return TemplateResponse(request, "support/admin/article.html", context)

    def save_model(self, request, obj, form, change):
        data = {name: form.cleaned_data[name] for name in KnowledgeArticleForm.Meta.fields}
        if change:
            stored = KnowledgeArticle.objects.get(pk=obj.pk)
            services.knowledge_article_update(article=stored, acting_user=request.user, **data)
        else:
            created = services.knowledge_article_create(acting_user=request.user, **data)
            obj.pk = created.pk


# --- escalations, diagnostics, settings ----------------------------------------------------------------


@admin.register(Escalation)
class EscalationAdmin(CustomerScopedAdmin):
    customer_path = "ticket__customer"
    list_display = ("subject", "ticket", "to_address", "sent_by", "sent_at", "edited")
    list_filter = ("edited", "ticket__customer")
    search_fields = ("subject", "to_address", "ticket__title")
    list_select_related = ("ticket", "sent_by")
    readonly_fields = (
        "ticket",
        "to_address",
        "subject",
        "draft_body",
        "body",
        "edited",
        "sent_by",
        "sent_at",
    )
    fields = readonly_fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(DiagnosticResult)
class DiagnosticResultAdmin(CustomerScopedAdmin):
    customer_path = "company__company_set__customer"
    list_display = ("__str__", "ticket", "ok", "run_by", "created_at")
    list_filter = ("ok",)
    search_fields = ("employee_external_id", "company__external_id")
    list_select_related = ("company", "ticket", "run_by")
    readonly_fields = ("ticket_link", "employee_link", "ok", "error", "run_by", "created_at", "side_by_side")
    fields = readonly_fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="ticket")
    def ticket_link(self, obj):
        return admin_link(obj.ticket)

    @admin.display(description="employee")
    def employee_link(self, obj):
        return admin_link(obj.employee, f"{obj.company.external_id}/{obj.employee_external_id}")

    @admin.display(description="result")
    def side_by_side(self, obj):
        return render_to_string(
            "support/admin/diagnostic_result.html",
            {
                "result": obj.result,
                "obj": obj,
                "verdict": verdict(obj.result or {}, ok=obj.ok, error=obj.error),
            },
        )


@admin.register(SupportSettings)
class SupportSettingsAdmin(admin.ModelAdmin):
    list_display = (
        "our_company_name",
        "client_id_fragment_end",
        "paylocity_short_name",
        "paylocity_support_email",
    )
    search_fields = ("our_company_name",)

    def has_add_permission(self, request):
        return not SupportSettings.objects.exists() and super().has_add_permission(request)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        services.support_settings_update(acting_user=request.user, **form.cleaned_data)

    def changelist_view(self, request, extra_context=None):
        # One row: go straight to it (created from the environment defaults the first time).
        row = services.support_settings_load()
        return redirect("admin:support_supportsettings_change", row.pk)
