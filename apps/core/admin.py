"""Admin helpers shared by every app."""

from __future__ import annotations

from django.contrib import admin


class CustomerScopedAdmin(admin.ModelAdmin):
    """Show only rows of customers the signed-in user may see (``customer_path`` leads to the Customer)."""

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
