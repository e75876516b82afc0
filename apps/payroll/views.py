"""The in-app notifications page: the signed-in user's batch status notices, newest first."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.views.decorators.http import require_http_methods

from . import selectors, services

PAGE = 100


@login_required
@require_http_methods(["GET", "POST"])
def notifications(request):
    """List the user's notifications; POST marks every unread one read."""
    if request.method == "POST":
        services.notifications_mark_read(user=request.user)
        return redirect("payroll:notifications")
    rows = list(selectors.notifications_of(request.user)[:PAGE])
    return TemplateResponse(
        request,
        "payroll/notifications.html",
        {
            # The admin's frame: its header ("Payroll Integration Hub"), user links and logout, theme toggle.
            **admin.site.each_context(request),
            "title": "Payroll notifications",
            "notifications": rows,
            "unread": sum(1 for n in rows if n.read_at is None),
        },
    )
