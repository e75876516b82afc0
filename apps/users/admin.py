from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from .forms import STAFF_HELP
from .models import User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "email", "first_name", "last_name", "is_staff", "all_customers", "is_active")
    list_filter = ("is_staff", "is_superuser", "is_active", "all_customers", "groups")
    search_fields = ("username", "first_name", "last_name", "email")
    filter_horizontal = ("groups", "user_permissions", "customers")
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        ("Customer scope", {"fields": ("all_customers", "customers", "phone")}),
    )
    # The add form asks for staff status and roles too: a user created without them cannot sign in.
    add_fieldsets = (
        *BaseUserAdmin.add_fieldsets,
        ("Sign-in and roles", {"fields": ("is_staff", "groups")}),
    )

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "is_staff":
            field.help_text = STAFF_HELP
        return field
