"""The custom admin page plumbing: URL names behind the admin's checks, 403s, the admin frame's context."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.test import RequestFactory

from apps.core.admin_pages import AdminPageMixin
from apps.sandbox.models import SandboxCompany


class PageAdmin(AdminPageMixin, admin.ModelAdmin):
    pass


@pytest.fixture
def page_admin():
    return PageAdmin(SandboxCompany, admin.site)


def test_a_page_url_is_named_after_the_model_and_goes_through_the_admin_view(page_admin):
    pattern = page_admin.page_path("<int:pk>/demo/", lambda request, pk: None, "demo")
    assert pattern.name == "sandbox_sandboxcompany_demo"
    # admin_view wraps it: an anonymous request is sent to the admin's login, never reaching the view
    request = RequestFactory().get("/x/")
    request.user = AnonymousUser()
    response = pattern.callback(request, pk=1)
    assert response.status_code == 302 and "/admin/login/" in response.url


def test_require_and_require_post_answer_403(page_admin):
    page_admin.require(True)
    with pytest.raises(PermissionDenied):
        page_admin.require(False)
    with pytest.raises(PermissionDenied):
        page_admin.require_post(RequestFactory().get("/x/"))
    page_admin.require_post(RequestFactory().post("/x/"))


def test_the_page_context_is_the_admin_frames(page_admin, admin_user):
    request = RequestFactory().get("/x/")
    request.user = admin_user
    context = page_admin.page_context(request, title="A page", obj="it", extra=1)
    assert (context["title"], context["obj"], context["original"], context["extra"]) == (
        "A page",
        "it",
        "it",
        1,
    )
    assert (
        context["opts"] is SandboxCompany._meta and "site_header" in context and "available_apps" in context
    )
