"""The admin's sign-in form, saying plainly when a right password meets an account without staff status."""

from __future__ import annotations

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm

STAFF_HELP = (
    "Required to sign in at all: the hub's pages are the admin's, and without this box the sign-in page "
    "answers as if the password were wrong. What the user may then see and do comes from the role groups below."
)


class HubAuthenticationForm(AdminAuthenticationForm):
    """Sign-in for the hub: an active account with the right password but no staff status is told why."""

    error_messages = {
        **AdminAuthenticationForm.error_messages,
        "not_staff": (
            "This account may not sign in here yet: it has no \u201cstaff status\u201d. Ask an admin to tick "
            "Staff status on your user (Users \u203a your user \u203a Permissions)."
        ),
    }

    def confirm_login_allowed(self, user):
        # Reached only with the right password, so saying why tells nothing to someone guessing passwords.
        if user.is_active and not user.is_staff:
            raise forms.ValidationError(self.error_messages["not_staff"], code="not_staff")
        super().confirm_login_allowed(user)
