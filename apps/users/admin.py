from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

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
