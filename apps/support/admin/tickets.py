"""The ticket admin: the triage queue, the ticket page (tools, employees beside diagnostics), actions, escalation and diagnose pages."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode

from apps.companies.scoping import CustomerScopedAdmin
from apps.core.admin_pages import AdminPageMixin
from apps.core.errors import ApplicationError
from apps.employees.models import Employee

from .. import selectors, services
from ..escalation import ADDED_PII_MESSAGE
from ..models import (
    State,
    Ticket,
    TicketChecklistItem,
    TicketEvidence,
    TicketLogEntry,
)
from .filters import AgeFilter, QueueStateFilter
from .inlines import (
    ChecklistInline,
    DiagnosticInline,
    EscalationInline,
    EvidenceAddInline,
    EvidenceInline,
    LogEntryAddInline,
    LogEntryInline,
)

# --- tickets -------------------------------------------------------------------------------------------


@admin.register(Ticket)
class TicketAdmin(AdminPageMixin, CustomerScopedAdmin):
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
            '<a class="button" href="{}">{}</a> '
            '<a class="button" href="{}">Check an employee now</a>',
            self._map_link(obj),
            article_links or "none yet",
            kb_url,
            reverse("admin:support_ticket_escalation", args=[obj.pk]),
            "Why this ticket is not escalated"
            if selectors.escalation_refusal_for(obj)
            else "Preview / edit / send the Level 2 escalation",
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
            self.page_path("<int:pk>/escalation/", self.escalation_view, "escalation"),
            self.page_path("<int:pk>/diagnose/", self.diagnose_view, "diagnose"),
        ]
        return own + super().get_urls()

    def _ticket_or_404(self, request, pk: int) -> Ticket:
        return get_object_or_404(self.get_queryset(request), pk=pk)

    def escalation_view(self, request, pk: int):
        # The API's twin (``escalation/``, ``escalation/send/``) asks for both.
        self.require(request.user.has_perms(["support.view_ticket", "support.add_escalation"]))
        ticket = self._ticket_or_404(request, pk)
        # A ticket about our own configuration gets the reason instead of a draft and a send button.
        refusal = selectors.escalation_refusal_for(ticket)
        draft = None if refusal else selectors.escalation_draft_for(ticket)
        body = draft.body if draft else ""
        findings: list[dict] = []
        if request.method == "POST" and draft is not None:
            body = request.POST.get("body", draft.body)
            try:
                services.escalation_send(ticket=ticket, acting_user=request.user, body=body)
            except ApplicationError as exc:
                findings = exc.extra.get("findings", [])
                messages.error(request, ADDED_PII_MESSAGE if findings else exc.message)
            else:
                messages.success(
                    request, f"Escalation sent to {draft.to}; the ticket is now Level 2 / escalated."
                )
                return redirect("admin:support_ticket_change", ticket.pk)
        return self.render_page(
            request,
            "support/admin/escalation.html",
            title=f"Level 2 escalation for ticket #{ticket.pk}",
            ticket=ticket,
            draft=draft,
            refusal=refusal,
            findings=findings,
            body=body,
            previous=ticket.escalations.select_related("sent_by"),
        )

    def diagnose_view(self, request, pk: int):
        self.require(request.user.has_perm("support.add_diagnosticresult"))
        ticket = self._ticket_or_404(request, pk)

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
        return self.render_page(
            request,
            "support/admin/diagnose.html",
            title=f"Check an employee now (ticket #{ticket.pk})",
            ticket=ticket,
            linked=linked,
            found=found,
            query=query,
        )
