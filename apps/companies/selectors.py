"""Reads for customers and companies, scoped to what a user may see."""

from __future__ import annotations

from django.db.models import QuerySet

from apps.users.roles import ADMINS

from .models import Company, CompanySet, Customer


def user_sees_all_customers(user) -> bool:
    if not user or not user.is_authenticated:
        return False
    if user.is_superuser or user.all_customers:
        return True
    return user.groups.filter(name=ADMINS).exists()


def customers_visible_to(user) -> QuerySet[Customer]:
    """Customers the user may see: all for admins and internal staff, else only the ones assigned."""
    if user_sees_all_customers(user):
        return Customer.objects.all()
    if not user or not user.is_authenticated:
        return Customer.objects.none()
    return Customer.objects.filter(users=user)


def scope_to_user(queryset: QuerySet, user, customer_path: str = "customer") -> QuerySet:
    """Limit any queryset to rows of customers the user may see (``customer_path`` leads to the Customer)."""
    if user_sees_all_customers(user):
        return queryset
    if not user or not user.is_authenticated:
        return queryset.none()
    return queryset.filter(**{f"{customer_path}__users": user})


def company_sets_for(user) -> QuerySet[CompanySet]:
    return scope_to_user(CompanySet.objects.select_related("customer"), user)


def companies_for(user) -> QuerySet[Company]:
    return scope_to_user(
        Company.objects.select_related("company_set__customer"), user, "company_set__customer"
    )
