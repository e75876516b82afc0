"""Admin for status codes, mappings (map + preview + release) and filter rules (previewed before saving).

The models live in ``apps.mappings`` (a lower layer: codes, mappings and rules, nothing about people); these
pages live here because every change they make re-decides employees and persons through this app's services.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme

from apps.companies.models import Company
from apps.companies.scoping import ScopedListFiltersMixin
from apps.companies.selectors import company_sets_for
from apps.core.errors import ApplicationError
from apps.mappings.models import FilterRule, StatusCode, StatusMapping, StatusType

from .. import services
from ..models import StatusEvent


def _back_to(request, fallback: str) -> str:
    """Where to go after a save: a same-site ``?next=`` (e.g. the ticket that linked here), else ``fallback``."""
    target = request.GET.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse(fallback)


class ScopedToCompanySets(ScopedListFiltersMixin, admin.ModelAdmin):
    def get_queryset(self, request):
        return self.scoped_queryset(super().get_queryset(request), request.user)

    def scoped_queryset(self, qs, user):
        """Rows of company sets the user may see (standard status codes belong to everyone)."""
        visible = company_sets_for(user).values("pk")
        if self.model is StatusCode:
            return qs.filter(Q(standard=True) | Q(company_set__in=visible))
        return qs.filter(company_set__in=visible)


class MapForm(forms.Form):
    status_type = forms.ChoiceField(choices=StatusType.choices, label="Status type")
    company = forms.ModelChoiceField(
        queryset=Company.objects.none(),
        required=False,
        empty_label="All companies of the set",
        help_text="Only to override the set's mapping for one company.",
    )
    description = forms.CharField(required=False, max_length=200)

    def __init__(self, *args, company_set=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["company"].queryset = Company.objects.filter(company_set=company_set)


@admin.register(StatusCode)
class StatusCodeAdmin(ScopedToCompanySets):
    list_display = (
        "code",
        "description",
        "standard",
        "type_or_mapping",
        "company_set",
        "company",
        "held_events",
        "map_link",
    )
    list_filter = ("standard", "company_set__customer", "company_set")
    search_fields = ("code", "description", "company_set__name")
    list_select_related = ("company_set", "company")
    autocomplete_fields = ("company_set", "company")
    readonly_fields = ("standard", "standard_type")

    def get_queryset(self, request):
        held = (
            StatusEvent.objects.filter(
                held=True, code=OuterRef("code"), employee__company__company_set=OuterRef("company_set")
            )
            .values("code")
            .annotate(n=Count("pk"))
            .values("n")
        )
        mapped = StatusMapping.objects.filter(
            company_set=OuterRef("company_set"), company__isnull=True, code=OuterRef("code")
        ).values("status_type")[:1]
        return (
            super()
            .get_queryset(request)
            .annotate(held=Coalesce(Subquery(held), 0), mapped_type=Subquery(mapped))
        )

    @admin.display(description="Held events", ordering="held")
    def held_events(self, obj):
        return obj.held if not obj.standard else "-"

    @admin.display(description="Type")
    def type_or_mapping(self, obj):
        if obj.standard:
            return obj.get_standard_type_display()
        if obj.mapped_type:
            return StatusType(obj.mapped_type).label
        return format_html("<strong>{}</strong>", "unmapped")

    @admin.display(description="")
    def map_link(self, obj):
        if obj.standard:
            return ""
        url = reverse("admin:mappings_statuscode_map", args=[obj.pk])
        return format_html('<a class="button" href="{}">Map and release…</a>', url)

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.standard:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.standard:
            return False
        return super().has_delete_permission(request, obj)

    def get_urls(self):
        return [
            path("<int:pk>/map/", self.admin_site.admin_view(self.map_view), name="mappings_statuscode_map"),
            *super().get_urls(),
        ]

    def map_view(self, request, pk):
        """Choose a type for a custom code, preview its effect, then save and release its held events."""
        code = get_object_or_404(self.get_queryset(request), pk=pk, standard=False)
        if not request.user.has_perm("mappings.add_statusmapping"):
            messages.error(request, "You may not map status codes.")
            return redirect("admin:mappings_statuscode_changelist")
        form = MapForm(request.POST or None, company_set=code.company_set)
        preview = None
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            if "save" in request.POST:
                try:
                    outcome = services.status_mapping_set(
                        company_set=code.company_set,
                        code=code.code,
                        status_type=data["status_type"],
                        company=data["company"],
                        description=data["description"],
                        acting_user=request.user,
                    )
                except ApplicationError as exc:
                    messages.error(request, exc.message)
                else:
                    messages.success(
                        request,
                        f"{code.code} is mapped to {data['status_type']}: {outcome.released_events} held event(s) "
                        f"released, {outcome.result.actions} downstream action(s) written.",
                    )
                    return redirect(_back_to(request, "admin:mappings_statuscode_changelist"))
            else:
                preview = services.status_mapping_preview(
                    company_set=code.company_set,
                    code=code.code,
                    status_type=data["status_type"],
                    company=data["company"],
                )
        context = {
            **self.admin_site.each_context(request),
            "title": f"Map status code {code.code} ({code.company_set})",
            "opts": self.model._meta,
            "code": code,
            "form": form,
            "preview": preview,
        }
        return TemplateResponse(request, "admin/mappings/map_code.html", context)


@admin.register(StatusMapping)
class StatusMappingAdmin(ScopedToCompanySets):
    list_display = ("code", "status_type", "company_set", "company", "created_by", "created_at")
    list_filter = ("status_type", "company_set__customer", "company_set")
    search_fields = ("code", "description", "company_set__name", "company__external_id")
    list_select_related = ("company_set", "company", "created_by")
    autocomplete_fields = ("company_set", "company")
    readonly_fields = ("created_by",)

    def save_model(self, request, obj, form, change):
        # Through the service: saving a mapping releases held events and recomputes employees.
        outcome = services.status_mapping_set(
            company_set=obj.company_set,
            code=obj.code,
            status_type=obj.status_type,
            company=obj.company,
            description=obj.description,
            acting_user=request.user,
        )
        obj.pk = outcome.mapping.pk
        messages.info(request, f"{outcome.released_events} held event(s) released.")


class FilterRuleForm(forms.ModelForm):
    values = forms.CharField(help_text="Comma-separated values, e.g. RFT, RPT.")
    out_of_scope = forms.ChoiceField(
        choices=[
            ("leave", "Leave their access as it is (default)"),
            ("deprovision", "Deprovision them (through the mass-change safeguard)"),
        ],
        initial="leave",
        widget=forms.RadioSelect,
        label="People who leave scope",
        help_text="People the downstream still holds whose records all leave scope with this rule.",
    )

    class Meta:
        model = FilterRule
        fields = ("company_set", "field", "operator", "values", "include", "description", "active")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["values"] = ", ".join(self.instance.values)

    def clean_values(self):
        values = [v.strip() for v in self.cleaned_data["values"].split(",") if v.strip()]
        if not values:
            raise forms.ValidationError("Give at least one value.")
        return values

    def rule_fields(self) -> dict:
        """The cleaned fields both the preview and the save take."""
        names = ("company_set", "field", "operator", "values", "include", "active", "out_of_scope")
        return {name: self.cleaned_data[name] for name in names}


@admin.register(FilterRule)
class FilterRuleAdmin(ScopedToCompanySets):
    form = FilterRuleForm
    list_display = ("__str__", "company_set", "field", "operator", "include", "active", "effect")
    list_filter = ("field", "include", "active", "company_set__customer")
    search_fields = ("description", "company_set__name")
    list_select_related = ("company_set",)
    autocomplete_fields = ("company_set",)
    readonly_fields = ("effect",)

    @admin.display(description="Records in scope")
    def effect(self, obj):
        if not obj.pk:
            return "Press Preview below to see the effect before saving."
        effect = services.filter_rule_effect(rule=obj)
        records = effect["records"]
        return (
            f"{effect['in_scope_with']} of {records} with this rule, "
            f"{effect['in_scope_without']} of {records} without it"
            + ("" if obj.active else " (the rule is inactive)")
        )

    def get_urls(self):
        return [
            path(
                "preview/",
                self.admin_site.admin_view(self.preview_view),
                name="mappings_filterrule_preview",
            ),
            *super().get_urls(),
        ]

    def preview_view(self, request):
        """Render what saving the add/change form's rule would do (POSTed by its Preview button; saves nothing)."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        rule = None
        if request.GET.get("rule"):
            rule = get_object_or_404(self.get_queryset(request), pk=request.GET["rule"])
        if not self.has_view_permission(request, rule):
            raise PermissionDenied
        form = self.get_form(request, rule)(request.POST, instance=rule)
        preview = None
        if form.is_valid():
            data = form.cleaned_data
            if not company_sets_for(request.user).filter(pk=data["company_set"].pk).exists():
                raise PermissionDenied
            try:
                preview = services.filter_rule_preview(rule=rule, **form.rule_fields())
            except ApplicationError as exc:
                form.add_error(None, exc.message)
        context = {"form": form, "preview": preview, "rule": rule}
        return TemplateResponse(request, "admin/mappings/filterrule/preview.html", context)

    def save_model(self, request, obj, form, change):
        saved = services.filter_rule_save(
            rule=obj if change else None,
            acting_user=request.user,
            description=form.cleaned_data["description"],
            **form.rule_fields(),
        )
        obj.pk = saved.pk

    def delete_model(self, request, obj):
        services.filter_rule_delete(rule=obj, acting_user=request.user)

    def delete_queryset(self, request, queryset):
        # The admin's "Delete selected" lands here: each rule goes through the service, which re-scopes the
        # set's employees (a plain queryset delete left them out of scope with the deleted rule as reason).
        for rule in queryset.select_related("company_set__customer"):
            services.filter_rule_delete(rule=rule, acting_user=request.user)
