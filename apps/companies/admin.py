from __future__ import annotations

from django import forms
from django.contrib import admin

from . import services
from .models import Company, CompanySet, Customer
from .scoping import CustomerScopedAdmin
from .selectors import customers_visible_to


class CompanySetInline(admin.TabularInline):
    model = CompanySet
    extra = 0
    fields = ("name", "provider")
    show_change_link = True


@admin.register(Customer)
class CustomerAdmin(CustomerScopedAdmin):
    list_display = ("name", "slug", "active", "created_at")
    list_filter = ("active",)
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    inlines = [CompanySetInline]
    customer_path = "pk"

    def get_queryset(self, request):
        return customers_visible_to(request.user)


class CompanyInline(admin.TabularInline):
    model = Company
    extra = 0
    fields = ("external_id", "name", "active")
    show_change_link = True


@admin.register(CompanySet)
class CompanySetAdmin(CustomerScopedAdmin):
    list_display = ("name", "customer", "provider", "created_at")
    list_filter = ("provider", "customer")
    search_fields = ("name", "customer__name")
    list_select_related = ("customer",)
    autocomplete_fields = ("customer",)
    inlines = [CompanyInline]

    def save_formset(self, request, form, formset, change):
        # New companies inherit the set's provider; uniqueness per provider is the service's check.
        for obj in formset.save(commit=False):
            if obj.pk is None:
                services.company_create(
                    company_set=form.instance,
                    external_id=obj.external_id,
                    name=obj.name,
                    acting_user=request.user,
                )
            else:
                services.company_update(
                    company=obj, name=obj.name, active=obj.active, acting_user=request.user
                )
        formset.save_m2m()


class CompanyForm(forms.ModelForm):
    class Meta:
        model = Company
        fields = ("company_set", "external_id", "name", "active")

    def clean(self):
        data = super().clean()
        company_set, external_id = data.get("company_set"), (data.get("external_id") or "").strip()
        if company_set and external_id:
            clash = Company.objects.filter(provider=company_set.provider, external_id=external_id)
            if self.instance.pk:
                clash = clash.exclude(pk=self.instance.pk)
            if clash.exists():
                self.add_error(
                    "external_id",
                    f"Company ID {external_id} is already used for {company_set.get_provider_display()}.",
                )
        return data


@admin.register(Company)
class CompanyAdmin(CustomerScopedAdmin):
    form = CompanyForm
    list_display = ("external_id", "name", "company_set", "provider", "active")
    list_filter = ("provider", "active", "company_set__customer")
    search_fields = ("external_id", "name", "company_set__name", "company_set__customer__name")
    list_select_related = ("company_set__customer",)
    autocomplete_fields = ("company_set",)
    customer_path = "company_set__customer"

    def save_model(self, request, obj, form, change):
        if change:
            services.company_update(company=obj, name=obj.name, active=obj.active, acting_user=request.user)
        else:
            created = services.company_create(
                company_set=obj.company_set,
                external_id=obj.external_id,
                name=obj.name,
                acting_user=request.user,
            )
            obj.pk = created.pk
            obj.provider = created.provider
