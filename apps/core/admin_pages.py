"""Plumbing of the custom admin pages (a form, a result, a button's POST) that model admins add.

Every such page needs the same four things: a URL wrapped in ``admin_site.admin_view`` (staff login,
CSRF, no caching), a permission check that answers 403, the admin frame's context (header, sidebar, dark
mode, the model's ``opts`` for breadcrumbs) and a template. ``AdminPageMixin`` gives them once; a model
admin lists its pages in ``get_urls`` with ``page_path`` and renders with ``render_page``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import URLPattern, path


class AdminPageMixin:
    """For a ``ModelAdmin``: URLs, permission checks, context and rendering of its custom pages."""

    def page_path(self, route: str, view: Callable, name: str) -> URLPattern:
        """A URL of this admin (``admin:<app>_<model>_<name>``) behind the admin's login and checks."""
        opts = self.model._meta
        return path(
            route, self.admin_site.admin_view(view), name=f"{opts.app_label}_{opts.model_name}_{name}"
        )

    @staticmethod
    def require(allowed: bool, message: str = "") -> None:
        """403 unless ``allowed`` (the page's permission check, the same the button's display used)."""
        if not allowed:
            raise PermissionDenied(message)

    @staticmethod
    def require_post(request: HttpRequest) -> None:
        """A button's view acts on POST only (with the CSRF token the admin's view wrapper checks)."""
        if request.method != "POST":
            raise PermissionDenied("Use the button on the page (POST).")

    def page_context(self, request: HttpRequest, *, title: str, obj: Any = None, **extra: Any) -> dict:
        """The admin frame's context for a page about ``obj`` (or about the model when None)."""
        return {
            **self.admin_site.each_context(request),
            "title": title,
            "opts": self.model._meta,
            "obj": obj,
            "original": obj,
            **extra,
        }

    def render_page(
        self, request: HttpRequest, template: str, *, title: str, obj: Any = None, **extra: Any
    ) -> TemplateResponse:
        return TemplateResponse(request, template, self.page_context(request, title=title, obj=obj, **extra))
