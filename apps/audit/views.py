"""The per-customer Activity page (an admin page): every change across the customer's configuration."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from apps.companies.selectors import customers_visible_to

from . import selectors


class ActivityFilterForm(forms.Form):
    user = forms.CharField(required=False, label="User", help_text="A username, or e.g. 'system: sync'.")
    model = forms.ChoiceField(required=False, label="Model")
    since = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["model"].choices = [("", "All models"), *[(t, t) for t in selectors.object_types()]]

    def clean(self):
        data = super().clean()
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            self.add_error("until", "Must not be before the start date.")
        return data


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _activity(request: HttpRequest, customer_id: int) -> HttpResponse:
    if not request.user.has_perm("audit.view_auditevent"):
        raise PermissionDenied
    customer = customers_visible_to(request.user).filter(pk=customer_id).first()
    if customer is None:
        raise Http404("No such customer.")
    form = ActivityFilterForm(request.GET or None)
    filters: dict = {}
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        filters = {
            "actor": data["user"].strip() or None,
            "object_type": data["model"] or None,
            "since": _day_start(data["since"]) if data["since"] else None,
            "until": _day_start(data["until"] + dt.timedelta(days=1)) if data["until"] else None,
        }
    events = selectors.audit_events_for(request.user, customer=customer.pk, **filters)
    page = Paginator(events, 100).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        **admin.site.each_context(request),
        "title": f"Activity: {customer.name}",
        "customer": customer,
        "form": form,
        "page": page,
        "query": query.urlencode(),
    }
    return render(request, "audit/activity.html", context)


def customer_activity(request: HttpRequest, customer_id: int) -> HttpResponse:
    return admin.site.admin_view(_activity)(request, customer_id)
