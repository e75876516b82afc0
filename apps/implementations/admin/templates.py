"""Checklist templates: the deliverables every new project starts with, by phase."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.db.models import Count

from ..models import (
    ChecklistTemplate,
    ChecklistTemplateItem,
)


class ChecklistTemplateItemInline(admin.TabularInline):
    model = ChecklistTemplateItem
    extra = 0
    fields = (
        "order",
        "phase",
        "section",
        "owner_role",
        "owner_join",
        "co_owner_role",
        "responsibility",
        "evidence_kind",
    )
    formfield_overrides = {
        ChecklistTemplateItem._meta.get_field("responsibility").__class__: {
            "widget": forms.Textarea(attrs={"rows": 3, "cols": 60})
        }
    }


@admin.register(ChecklistTemplate)
class ChecklistTemplateAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "integration_method", "active", "item_count")
    list_filter = ("integration_method", "active")
    search_fields = ("name", "slug", "description")
    prepopulated_fields = {"slug": ("name",)}
    inlines = [ChecklistTemplateItemInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(item_total=Count("items"))

    @admin.display(description="lines", ordering="item_total")
    def item_count(self, obj):
        return obj.item_total


# --- Parties ----------------------------------------------------------------------------------------------
