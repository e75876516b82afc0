"""Customer scoping: who may see which customer's rows, for the admin and the API.

Every customer-owned row is reached from ``Customer`` by a forward foreign-key path; a user sees the rows of
the customers they belong to (admins and unscoped roles see all: ``user_sees_all_customers``). The admin's
changelists and sidebar filters and the API's querysets and filter choices all scope through here.
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.utils import get_fields_from_path
from django.db.models import Q
from django_filters import ModelChoiceFilter, ModelMultipleChoiceFilter
from django_filters.rest_framework import DjangoFilterBackend

from apps.core.admin import SaveOnlyWhatCanChangeMixin

from .models import Customer
from .selectors import customers_visible_to, scope_to_user, user_sees_all_customers


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

        related_admin = self.admin_site._registry.get(model)
        return (
            model is Customer
            or isinstance(related_admin, CustomerScopedAdmin)
            or hasattr(related_admin, "scoped_queryset")
        )


class CustomerScopedAdmin(SaveOnlyWhatCanChangeMixin, ScopedListFiltersMixin, admin.ModelAdmin):
    """Show only rows of customers the signed-in user may see (``customer_path`` leads to the Customer).

    Its related-field list filters are scoped the same way (ScopedRelatedFieldListFilter).
    """

    customer_path = "customer"

    def get_queryset(self, request):

        return scope_to_user(super().get_queryset(request), request.user, self.customer_path)


class CustomerScopedMixin:
    """Limit a viewset's queryset to customers the user may see; ``customer_path`` leads to the Customer."""

    customer_path = "customer"

    def get_queryset(self):

        return scope_to_user(super().get_queryset(), self.request.user, self.customer_path)


_CUSTOMER_PATHS: dict[type, tuple[str, str | None] | None] = {}


def customer_path_of(model) -> tuple[str, str | None] | None:
    """The shortest forward-FK path from ``model`` to Customer, and its first field when that is nullable.

    ``("", None)`` for Customer itself; None when the model belongs to no customer (users, templates).
    A nullable first step (a standard status code has no company set) means "shared" when empty.
    """

    if model in _CUSTOMER_PATHS:
        return _CUSTOMER_PATHS[model]
    found = ("", None) if model is Customer else None
    frontier = [(model, "", None)]
    for _depth in range(4):
        if found is not None:
            break
        next_frontier = []
        for current, path, nullable in frontier:
            for field in current._meta.get_fields():
                if not (field.many_to_one or field.one_to_one) or not field.concrete:
                    continue
                step = f"{path}__{field.name}" if path else field.name
                first_nullable = nullable if path else (field.name if field.null else None)
                if field.related_model is Customer:
                    found = (step, first_nullable)
                    break
                next_frontier.append((field.related_model, step, first_nullable))
            if found is not None:
                break
        frontier = next_frontier
    _CUSTOMER_PATHS[model] = found
    return found


def scope_choices(queryset, user):
    """Limit a filter's choices to rows of the user's customers (shared rows stay); others unchanged."""

    found = customer_path_of(queryset.model)
    if found is None or user_sees_all_customers(user):
        return queryset
    path, nullable = found
    if not user or not user.is_authenticated:
        return queryset.none()
    mine = Q(**{f"{path}__users" if path else "users": user})
    if nullable:
        mine |= Q(**{f"{nullable}__isnull": True})
    return queryset.filter(mine)


class ScopedFilterBackend(DjangoFilterBackend):
    """django-filter with every model-choice filter limited to the user's customers' objects.

    Why: the choices are validated against the queryset, so with Django's default (every row) a filter
    naming another customer's object answered an empty 200 while an absent one answered 400 "Select a valid
    choice": an existence oracle. Scoped, both get the same 400.
    """

    def get_filterset(self, request, queryset, view):
        filterset = super().get_filterset(request, queryset, view)
        if filterset is None:
            return None
        for name, flt in filterset.filters.items():
            # Only filters in use: scoping costs a query (the user's role) that an unfiltered list need not pay.
            if name in request.query_params and isinstance(
                flt, ModelChoiceFilter | ModelMultipleChoiceFilter
            ):
                choices = flt.get_queryset(request)
                filterset.filters[name].queryset = scope_choices(choices, request.user)
        return filterset
