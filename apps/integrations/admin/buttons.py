"""A connection's buttons where the object is: Test, Sync now, Import payroll now, Watch live, a sandbox company.

Each button is a POST form of its own (CSRF token) on the change page's object tools; the view checks the same
permission the button's display did (who may sync: ``integrations.add_syncrun``, as the bulk action and the API).
"""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html

from apps.companies.models import Provider
from apps.core.admin_pages import AdminPageMixin
from apps.core.errors import ApplicationError

from .. import services
from ..models import Connection, SyncRun
from ..tasks import enqueue_sync_runs


def queued_message(connection: Connection, run: SyncRun):
    """The "queued" message of a requested run, linking its live page."""
    return format_html(
        '{}: {} sync run <a href="{}">#{}</a> queued: <a href="{}">watch it live</a>.',
        connection,
        run.get_kind_display().lower(),
        reverse("hub-sync-run", args=[run.pk]),
        run.pk,
        reverse("hub-sync-run", args=[run.pk]),
    )


class ConnectionButtonsMixin(AdminPageMixin):
    """For the connection admin: which buttons a user gets, their URLs and views."""

    def button_urls(self) -> list:
        return [
            self.page_path("<int:pk>/test/", self.test_view, "test"),
            self.page_path("<int:pk>/sync/", self.sync_view, "sync"),
            self.page_path("<int:pk>/import-payroll/", self.import_payroll_view, "import_payroll"),
        ]

    def has_sync_permission(self, request):
        """The API's twin (``POST connections/{id}/sync/``) asks for integrations.add_syncrun."""
        return request.user.has_perm("integrations.add_syncrun")

    def object_buttons(self, request, obj: Connection) -> dict:
        """What the signed-in user may do from this connection's page (the views check the same)."""
        latest = obj.sync_runs.order_by("-created_at", "-pk").first()
        may_sync = self.has_sync_permission(request)
        return {
            "test": self.has_change_permission(request, obj),
            "sync": may_sync,
            "import_payroll": may_sync and obj.provider == Provider.PRISMHR,
            "watch": reverse("hub-sync-run", args=[latest.pk]) if latest else "",
            "watch_label": f"Watch live (run #{latest.pk}, {latest.get_kind_display().lower()})"
            if latest
            else "",
            "sandbox": self._sandbox_url(request, obj),
        }

    def _posted_connection(self, request, pk: int, allowed) -> Connection:
        """The connection of a button's POST, if the user sees it and ``allowed(obj)``; else 405/404/403."""
        self.require_post(request)
        connection = get_object_or_404(self.get_queryset(request), pk=pk)
        self.require(allowed(connection))
        return connection

    def test_view(self, request, pk: int):
        """Test: authenticate now; the outcome is a message on the connection's page."""
        connection = self._posted_connection(request, pk, lambda c: self.has_change_permission(request, c))
        outcome = services.connection_test(connection=connection, acting_user=request.user)
        level = messages.SUCCESS if outcome["ok"] else messages.ERROR
        self.message_user(request, f"Test of {connection}: {outcome['message']}", level)
        return redirect("admin:integrations_connection_change", pk)

    def sync_view(self, request, pk: int):
        """Sync now: request an employee sync and land on its live page."""
        connection = self._posted_connection(request, pk, lambda c: self.has_sync_permission(request))
        runs = self._queue_runs(request, connection, [SyncRun.Kind.EMPLOYEES])
        if not runs:
            return redirect("admin:integrations_connection_change", pk)
        return redirect("hub-sync-run", runs[-1].pk)

    def import_payroll_view(self, request, pk: int):
        """Import payroll now (PrismHR): the Ongoing process, then the Sync, one after the other."""
        connection = self._posted_connection(
            request,
            pk,
            lambda c: self.has_sync_permission(request) and c.provider == Provider.PRISMHR,
        )
        runs = self._queue_runs(
            request, connection, [SyncRun.Kind.PAYROLL_ONGOING, SyncRun.Kind.PAYROLL_SYNC]
        )
        if not runs:
            return redirect("admin:integrations_connection_change", pk)
        return redirect("hub-sync-run", runs[-1].pk)

    def _queue_runs(self, request, connection: Connection, kinds: list[str]) -> list[SyncRun]:
        """Request one run per kind (all or none), queue them in order after the commit; say so with links."""
        try:
            with transaction.atomic():
                runs = [
                    services.sync_run_request(
                        connection=connection,
                        kind=kind,
                        trigger=SyncRun.Trigger.ADMIN,
                        acting_user=request.user,
                    )
                    for kind in kinds
                ]
        except ApplicationError as exc:
            self.message_user(request, f"{connection}: {exc.message}", messages.WARNING)
            return []
        for run in runs:
            self.message_user(request, queued_message(connection, run), messages.SUCCESS)
        transaction.on_commit(lambda ids=[r.pk for r in runs]: enqueue_sync_runs(ids))
        return runs

    @staticmethod
    def _sandbox_url(request, obj: Connection) -> str:
        """The sandbox's self-service page for this connection (sandbox connections, users who may use it)."""
        user = request.user
        allowed = (
            obj.environment == Connection.Environment.SANDBOX
            and user.has_perm("sandbox.add_sandboxcompany")
            and user.has_perm("integrations.change_connection")
            and user.has_perm("companies.add_company")
        )
        if not allowed:
            return ""
        try:  # by name: the sandbox app sits above integrations
            return f"{reverse('admin:sandbox_sandboxcompany_provision')}?connection={obj.pk}"
        except NoReverseMatch:
            return ""
