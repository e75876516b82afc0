"""Implementation projects: the checklist by phase, advancing with override, extracts."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Case, IntegerField, Value, When
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from apps.companies.scoping import CustomerScopedAdmin
from apps.companies.selectors import scope_to_user
from apps.core.admin import ReadOnlyInline
from apps.core.errors import ApplicationError

from .. import selectors, services
from ..api import extract_response
from ..models import (
    ChecklistTemplate,
    Deliverable,
    ExtractDownload,
    ImplementationProject,
    Party,
    PhaseChange,
)
from ..phases import PHASE_ORDER, Phase, next_phase
from .deliverables import PHASE_INLINES, _apply_deliverable_forms
from .parties import PartyInline

PHASE_RANK = Case(
    *(When(phase=phase, then=Value(index)) for index, phase in enumerate(PHASE_ORDER)),
    output_field=IntegerField(),
)


# --- Templates ---------------------------------------------------------------------------------------------


class PhaseChangeInline(ReadOnlyInline):
    model = PhaseChange
    fields = (
        "created_at",
        "from_phase",
        "to_phase",
        "from_state",
        "to_state",
        "actor",
        "overridden",
        "reason",
    )
    readonly_fields = fields
    show_change_link = False
    verbose_name_plural = "Phase and state history"


class ExtractDownloadInline(ReadOnlyInline):
    model = ExtractDownload
    fields = ("created_at", "actor", "row_count")
    readonly_fields = fields
    show_change_link = False
    verbose_name_plural = "Data-audit extract downloads"


class ProjectForm(forms.ModelForm):
    sections = forms.CharField(
        required=False,
        help_text="Optional: copy only these template sections, comma-separated (customer-engagement: "
        "'Existing customer' or 'New customer').",
    )

    class Meta:
        model = ImplementationProject
        fields = (
            "customer",
            "name",
            "template",
            "integration_method",
            "connections",
            "target_go_live",
            "notes",
        )

    def clean(self):
        data = super().clean()
        customer = data.get("customer") or getattr(self.instance, "customer", None)
        if customer is not None:
            foreign = [c for c in data.get("connections") or [] if c.customer_id != customer.pk]
            if foreign:
                self.add_error("connections", f"{foreign[0]} belongs to another customer.")
        return data

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "integration_method" in self.fields:
            self.fields["integration_method"].required = False
            self.fields["integration_method"].help_text = "Leave as is to use the template's method."
        if "template" in self.fields:
            self.fields["template"].queryset = ChecklistTemplate.objects.filter(active=True)


@admin.register(ImplementationProject)
class ImplementationProjectAdmin(CustomerScopedAdmin):
    form = ProjectForm
    list_display = ("name", "customer", "phase_display", "state", "progress", "target_go_live", "template")
    # RelatedOnly: the customer filter offers only customers of projects the user can see.
    list_filter = (
        "phase",
        "state",
        "integration_method",
        "template",
        ("customer", admin.RelatedOnlyFieldListFilter),
    )
    search_fields = ("name", "customer__name", "notes")
    list_select_related = ("customer", "template")
    autocomplete_fields = ("customer", "connections")
    actions = ["advance_selected", "refresh_evidence_selected"]

    def get_queryset(self, request):
        # Scope first, then annotate: the admin's default ordering would refer to the annotation too early.
        queryset = scope_to_user(ImplementationProject.objects.all(), request.user, self.customer_path)
        queryset = selectors.with_progress(queryset).annotate(phase_rank=PHASE_RANK)
        return queryset.order_by(*self.get_ordering(request))

    def get_ordering(self, request):
        # The list reads by phase: Discovery first, then by customer and name. An expression, not the
        # annotation's name: other admins order their project choices with this too (Party's add page).
        return [PHASE_RANK.asc(), "customer__name", "name"]

    def get_fields(self, request, obj=None):
        if obj is None:
            return (
                "customer",
                "name",
                "template",
                "sections",
                "integration_method",
                "connections",
                "target_go_live",
                "notes",
            )
        return (
            "customer",
            "name",
            "template",
            "phase",
            "state",
            "integration_method",
            "connections",
            "target_go_live",
            "notes",
            "tools",
        )

    def get_readonly_fields(self, request, obj=None):
        return ("customer", "template", "phase", "state", "tools") if obj else ()

    def get_inlines(self, request, obj):
        if obj is None:
            return []
        return [PartyInline, *PHASE_INLINES, PhaseChangeInline, ExtractDownloadInline]

    @admin.display(description="phase", ordering="phase_rank")
    def phase_display(self, obj):
        return obj.get_phase_display()

    @admin.display(description="progress per phase (done/total)")
    def progress(self, obj):
        cells = (
            (
                "font-weight:bold" if row["phase"] == obj.phase else "",
                row["label"],
                row["done"],
                row["total"],
            )
            for row in selectors.progress_of(obj)
        )
        return format_html_join(" · ", '<span style="{}">{} {}/{}</span>', cells)

    @admin.display(description="")
    def tools(self, obj):
        links = [
            (reverse("implementation-roles", args=[obj.pk]), "Roles and responsibilities page"),
            (
                reverse("admin:implementations_implementationproject_extract", args=[obj.pk]),
                "Download data-audit extract",
            ),
            (
                reverse("admin:implementations_implementationproject_advance") + f"?ids={obj.pk}",
                "Advance phase…",
            ),
        ]
        # "Check evidence now" writes, so it is a POST: a submit button of the change form (which carries the
        # CSRF token) aimed at the refresh view.
        return format_html(
            '{} <button type="submit" class="button" formaction="{}" formmethod="post" formnovalidate>'
            "Check evidence now</button>",
            format_html_join(" ", '<a class="button" href="{}">{}</a>', links),
            reverse("admin:implementations_implementationproject_refresh", args=[obj.pk]),
        )

    # Writes go through the services.

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if change:
            services.project_update(
                project=ImplementationProject.objects.get(pk=obj.pk),
                integration_method=data.get("integration_method") or obj.integration_method,
                connections=list(data.get("connections") or []),
                acting_user=request.user,
                **{name: data.get(name) for name in ("name", "target_go_live", "notes") if name in data},
            )
            return
        sections = [s.strip() for s in (data.get("sections") or "").split(",") if s.strip()] or None
        project = services.project_create(
            customer=data["customer"],
            name=data["name"],
            template=data["template"],
            integration_method=data.get("integration_method") or "",
            connections=list(data.get("connections") or []),
            target_go_live=data.get("target_go_live"),
            sections=sections,
            notes=data.get("notes") or "",
            acting_user=request.user,
        )
        obj.pk = project.pk
        obj.integration_method = project.integration_method

    def save_related(self, request, form, formsets, change):
        # Connections were set by the service; only the inlines remain.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def save_formset(self, request, form, formset, change):
        # save(commit=False) writes nothing; it lists what changed for the admin's log message.
        formset.save(commit=False)
        if formset.model is Deliverable:
            _apply_deliverable_forms(request, formset.forms)
        elif formset.model is Party:
            for party in formset.deleted_objects:
                services.party_delete(party=party, acting_user=request.user)
            for party in [*formset.new_objects, *(obj for obj, _ in formset.changed_objects)]:
                services.party_set(
                    project=form.instance,
                    role=party.role,
                    team_name=party.team_name,
                    organisation=party.organisation,
                    party=Party.objects.get(pk=party.pk) if party.pk else None,
                    acting_user=request.user,
                )

    def add_view(self, request, form_url="", extra_context=None):
        try:
            return super().add_view(request, form_url, extra_context)
        except ApplicationError as exc:
            messages.error(request, exc.message)
            return HttpResponseRedirect(request.get_full_path())

    # Extra pages: advance (with override), extract download, evidence refresh.

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("advance/", view(self.advance_view), name="implementations_implementationproject_advance"),
            path(
                "<int:pk>/extract/",
                view(self.extract_view),
                name="implementations_implementationproject_extract",
            ),
            path(
                "<int:pk>/refresh/",
                view(self.refresh_view),
                name="implementations_implementationproject_refresh",
            ),
            *super().get_urls(),
        ]

    @admin.action(description="Advance to the next phase…", permissions=["change"])
    def advance_selected(self, request, queryset):
        ids = ",".join(str(pk) for pk in queryset.values_list("pk", flat=True))
        return HttpResponseRedirect(
            reverse("admin:implementations_implementationproject_advance") + f"?ids={ids}"
        )

    def has_refresh_evidence_permission(self, request):
        """The API's twin (``refresh-evidence/``) asks for implementations.change_deliverable."""
        return request.user.has_perm("implementations.change_deliverable")

    @admin.action(description="Check evidence now", permissions=["refresh_evidence"])
    def refresh_evidence_selected(self, request, queryset):
        completed = 0
        for project in queryset:
            completed += len(services.deliverables_refresh_evidence(project=project))
        self.message_user(request, f"Evidence checked; {completed} deliverable(s) completed by the system.")

    def _projects_from(self, request):
        raw = request.POST.get("ids") or request.GET.get("ids") or ""
        ids = [int(part) for part in raw.split(",") if part.strip().isdigit()]
        return list(self.get_queryset(request).filter(pk__in=ids))

    def advance_view(self, request):
        if not self.has_change_permission(request):
            raise PermissionDenied
        projects = self._projects_from(request)
        if not projects:
            messages.warning(request, "Select at least one project.")
            return redirect("admin:implementations_implementationproject_changelist")
        may_override = services.user_may_override(request.user)
        if request.method == "POST":
            reason = request.POST.get("override_reason", "").strip() if may_override else ""
            for project in projects:
                try:
                    change = services.project_advance(
                        project=project, acting_user=request.user, override_reason=reason
                    )
                except ApplicationError as exc:
                    messages.error(request, exc.message)
                else:
                    note = " (override recorded)" if change.overridden else ""
                    messages.success(
                        request,
                        f"{project.name}: {change.get_from_phase_display()} → {change.get_to_phase_display()}{note}.",
                    )
            if len(projects) == 1:
                return redirect("admin:implementations_implementationproject_change", projects[0].pk)
            return redirect("admin:implementations_implementationproject_changelist")
        open_rows = {
            project.pk: list(project.deliverables.filter(phase=project.phase, done=False))
            for project in projects
        }
        rows = [
            {
                "project": project,
                "next": Phase(next_phase(project.phase)).label if next_phase(project.phase) else None,
                "open": open_rows[project.pk],
            }
            for project in projects
        ]
        context = {
            **self.admin_site.each_context(request),
            "title": "Advance to the next phase",
            "opts": self.model._meta,
            "rows": rows,
            "ids": ",".join(str(p.pk) for p in projects),
            "may_override": may_override,
            "any_open": any(open_rows.values()),
        }
        return TemplateResponse(request, "implementations/advance.html", context)

    def extract_view(self, request, pk):
        project = get_object_or_404(self.get_queryset(request), pk=pk)
        if not request.user.has_perms(
            ["implementations.change_implementationproject", "employees.view_employee"]
        ):
            raise PermissionDenied
        return extract_response(project, request.user)

    def refresh_view(self, request, pk):
        if request.method != "POST":
            return redirect("admin:implementations_implementationproject_change", pk)
        project = get_object_or_404(self.get_queryset(request), pk=pk)
        if not self.has_refresh_evidence_permission(request):
            raise PermissionDenied
        completed = services.deliverables_refresh_evidence(project=project)
        messages.info(request, f"Evidence checked; {len(completed)} deliverable(s) completed by the system.")
        return redirect("admin:implementations_implementationproject_change", pk)


@admin.register(ExtractDownload)
class ExtractDownloadAdmin(CustomerScopedAdmin):
    customer_path = "project__customer"
    list_display = ("created_at", "project", "actor", "row_count")
    list_filter = (("project__customer", admin.RelatedOnlyFieldListFilter),)
    search_fields = ("project__name", "project__customer__name", "actor")
    list_select_related = ("project__customer",)
    readonly_fields = ("project", "downloaded_by", "actor", "row_count", "created_at")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
