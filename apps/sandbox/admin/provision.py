"""Self-service: a sandbox company with generated employees and credentials, from a connection too."""

from __future__ import annotations

from django import forms
from django.shortcuts import get_object_or_404

from apps.companies.models import Provider
from apps.core.admin_pages import AdminPageMixin
from apps.core.errors import ApplicationError

from .. import services
from ..selectors import connections_visible_to
from ..services.provision import MAX_EMPLOYEES

# Where each provider's emulation is served (a connection's base URL is the server's address + this).
SANDBOX_PATHS = {
    Provider.PAYLOCITY: "/sandbox/paylocity",
    Provider.PRISMHR: "/sandbox/prismhr/prismhr-api/services/rest",
    Provider.AFFINITY: "/sandbox/affinity",
}


class ProvisionForm(forms.Form):
    """A self-service sandbox company: which provider, its name, how many employees, an optional ID."""

    provider = forms.ChoiceField(choices=Provider.choices)
    name = forms.CharField(max_length=200, initial="Training Company")
    employees = forms.IntegerField(
        min_value=1, max_value=MAX_EMPLOYEES, initial=10, help_text="Generated employees (B00001, ...)."
    )
    external_id = forms.CharField(
        label="Company ID",
        max_length=64,
        required=False,
        help_text="Leave empty: the first ID free in the sandbox and in the hub is chosen.",
    )


class ProvisionPagesMixin(AdminPageMixin):
    """For the sandbox company admin: the "Create a sandbox company…" page and its link on the list."""

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "may_provision": self.has_add_permission(request)}
        return super().changelist_view(request, extra_context)

    def provision_view(self, request):
        """Create a sandbox company with employees and credentials; from a connection, link it there too."""
        self.require(self.has_add_permission(request))
        connection = self._provision_connection(request)
        initial = {"provider": connection.provider} if connection else {}
        form = ProvisionForm(request.POST or None, initial=initial)
        if request.method == "POST" and form.is_valid():
            try:
                made = services.sandbox_company_provision(
                    connection=connection, acting_user=request.user, **form.cleaned_data
                )
            except ApplicationError as exc:
                form.add_error(
                    exc.extra.get("field") if exc.extra.get("field") in form.fields else None, exc.message
                )
            else:
                return self.render_page(
                    request,
                    "admin/sandbox/provisioned.html",
                    title=f"Sandbox company {made.company.external_id} is ready",
                    obj=made.company,
                    made=made,
                    connection=connection,
                    base_url=request.build_absolute_uri(SANDBOX_PATHS[made.company.provider]),
                )
        return self.render_page(
            request,
            "admin/sandbox/provision.html",
            title="Create a sandbox company",
            form=form,
            connection=connection,
        )

    def _provision_connection(self, request):
        """The hub connection to link (``?connection=<id>``): one the user sees and may change, else 403/404."""
        raw = request.GET.get("connection") or request.POST.get("connection")
        if not raw:
            return None
        connection = get_object_or_404(
            connections_visible_to(request.user), pk=raw if str(raw).isdigit() else 0
        )
        self.require(
            request.user.has_perm("integrations.change_connection")
            and request.user.has_perm("companies.add_company"),
            "Linking a sandbox company to a connection needs the right to change it and to add companies.",
        )
        return connection
