"""Admin helpers shared by every app."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.utils import get_fields_from_path


class ScopedRelatedFieldListFilter(admin.RelatedFieldListFilter):
    """A related-field filter that offers only objects of customers the signed-in user may see.

    Django's own filter lists every row of the related table: a user limited to one customer would read the
    names of every other customer, company set and company in the sidebar. The choices are scoped like the
    related model's own changelist: customers the user may see, or rows of a customer-scoped admin (its
    ``customer_path``, or its ``scoped_queryset``).
    """

    def field_choices(self, field, request, model_admin):
        related = field.related_model
        ordering = self.field_admin_ordering(field, request, model_admin) or related._meta.ordering or ()
        choices = scope_related(related, related._default_manager.all(), request.user, model_admin.admin_site)
        return [(obj.pk, str(obj)) for obj in choices.order_by(*ordering)]


def scope_related(model, queryset, user, site):
    """Limit rows of a customer-owned model to the user's customers; None when the model is not customer-owned."""
    from apps.companies.models import (
        Customer,  # upward (core -> companies), at call time until issue 12 moves the scoping helpers to companies
    )
    from apps.companies.selectors import (  # upward (core -> companies), at call time until issue 12 moves the scoping helpers to companies
        customers_visible_to,
        scope_to_user,
    )

    if model is Customer:
        return queryset.filter(pk__in=customers_visible_to(user).values("pk"))
    model_admin = site._registry.get(model)
    if isinstance(model_admin, CustomerScopedAdmin):
        return scope_to_user(queryset, user, model_admin.customer_path)
    if model_admin is not None and hasattr(model_admin, "scoped_queryset"):
        return model_admin.scoped_queryset(queryset, user)
    return None


class ScopedListFiltersMixin:
    """Sidebar filters on related fields list only the user's customers' objects (see the filter class).

    Plain related-field entries of ``list_filter`` whose model belongs to customers get the scoped filter;
    shared lookups (checklist templates, users) keep Django's.
    """

    def get_list_filter(self, request):

        scoped = []
        for entry in super().get_list_filter(request):
            if isinstance(entry, str):
                field = get_fields_from_path(self.model, entry)[-1]
                if field.is_relation and self._customer_owned(field.related_model):
                    entry = (entry, ScopedRelatedFieldListFilter)
            scoped.append(entry)
        return tuple(scoped)

    def _customer_owned(self, model) -> bool:
        from apps.companies.models import (
            Customer,  # upward (core -> companies), at call time until issue 12 moves the scoping helpers to companies
        )

        related_admin = self.admin_site._registry.get(model)
        return (
            model is Customer
            or isinstance(related_admin, CustomerScopedAdmin)
            or hasattr(related_admin, "scoped_queryset")
        )


class CustomerScopedAdmin(ScopedListFiltersMixin, admin.ModelAdmin):
    """Show only rows of customers the signed-in user may see (``customer_path`` leads to the Customer).

    Its related-field list filters are scoped the same way (ScopedRelatedFieldListFilter).
    """

    customer_path = "customer"

    def get_queryset(self, request):
        from apps.companies.selectors import scope_to_user

        return scope_to_user(super().get_queryset(request), request.user, self.customer_path)


class ReadOnlyInline(admin.TabularInline):
    """A history inline: shown, never edited."""

    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False
