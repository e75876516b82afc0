"""Create the first admin user if there is none; print its password (or take ADMIN_PASSWORD) and note it for
run_all's ready banner (apps/core/first_run.py)."""

from __future__ import annotations

import os
import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand

from apps.core import first_run
from apps.users.roles import ADMINS


class Command(BaseCommand):
    help = "Create the admin superuser (idempotent). Username from ADMIN_USERNAME (default admin)."

    def handle(self, *args, **options):
        user_model = get_user_model()
        username = os.environ.get("ADMIN_USERNAME", "admin")
        if user_model.objects.filter(username=username).exists():
            self.stdout.write(
                f"Admin user '{username}' exists (its password was printed when it was created; "
                f"reset it with: .venv/bin/python manage.py changepassword {username})."
            )
            return
        password = os.environ.get("ADMIN_PASSWORD") or secrets.token_urlsafe(12)
        user = user_model.objects.create_superuser(
            username=username, email=f"{username}@localhost", password=password, all_customers=True
        )
        group = Group.objects.filter(name=ADMINS).first()
        if group:
            user.groups.add(group)
        shown = "(from ADMIN_PASSWORD)" if os.environ.get("ADMIN_PASSWORD") else password
        first_run.remember(username=username, role="admin", password=shown)
        self.stdout.write(self.style.SUCCESS(f"Created admin user '{username}' with password: {shown}"))
        self.stdout.write(
            "`make run` shows it again when the server is ready; `manage.py changepassword` resets it."
        )
