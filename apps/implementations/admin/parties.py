"""Parties of a project (customer, provider, us) and their contacts."""

from __future__ import annotations

from django.contrib import admin
from django.utils.html import format_html_join

from apps.companies.scoping import CustomerScopedAdmin

from .. import services
from ..models import (
    Party,
    PartyContact,
)


class PartyContactInline(admin.TabularInline):
    model = PartyContact
    extra = 1
    fields = ("name", "title", "email", "phone", "primary")


@admin.register(Party)
class PartyAdmin(CustomerScopedAdmin):
    customer_path = "project__customer"
    list_display = ("team_name", "role", "organisation", "project")
    list_filter = ("role",)
    search_fields = (
        "team_name",
        "organisation",
        "project__name",
        "project__customer__name",
        "contacts__name",
    )
    list_select_related = ("project__customer",)
    autocomplete_fields = ("project",)
    inlines = [PartyContactInline]

    def save_model(self, request, obj, form, change):
        party = services.party_set(
            project=obj.project,
            role=obj.role,
            team_name=obj.team_name,
            organisation=obj.organisation,
            party=Party.objects.get(pk=obj.pk) if change else None,
            acting_user=request.user,
        )
        obj.pk = party.pk

    def delete_model(self, request, obj):
        services.party_delete(party=obj, acting_user=request.user)

    def save_formset(self, request, form, formset, change):
        _save_contacts(request, formset, form.instance)


def _save_contacts(request, formset, party: Party) -> None:
    formset.save(commit=False)
    for contact in formset.deleted_objects:
        services.party_contact_delete(contact=contact, acting_user=request.user)
    for contact in [*formset.new_objects, *(obj for obj, _ in formset.changed_objects)]:
        services.party_contact_set(
            party=party,
            name=contact.name,
            email=contact.email,
            phone=contact.phone,
            title=contact.title,
            primary=contact.primary,
            contact=contact if contact.pk else None,
            acting_user=request.user,
        )


class PartyInline(admin.TabularInline):
    model = Party
    extra = 0
    fields = ("role", "team_name", "organisation", "contact_list")
    readonly_fields = ("contact_list",)
    show_change_link = True
    verbose_name_plural = "Parties (who fills each owner role; open one to edit its contacts)"

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("contacts")

    @admin.display(description="contacts")
    def contact_list(self, obj):
        if not obj.pk:
            return "-"
        return (
            format_html_join(", ", "{} {} {}", ((c.name, c.email, c.phone) for c in obj.contacts.all()))
            or "Add contacts on the party's page."
        )


# --- Deliverables -----------------------------------------------------------------------------------------
