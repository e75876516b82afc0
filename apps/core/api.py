"""API helpers shared by every app: pagination, role permissions, customer scoping, error shape."""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, permissions, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response

from .errors import ApplicationError

logger = logging.getLogger(__name__)


class Pagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


class RoleModelPermissions(permissions.DjangoModelPermissions):
    """Model permissions from the role groups, including ``view`` on reads (DRF's default lets any GET by)."""

    perms_map = {
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "OPTIONS": ["%(app_label)s.view_%(model_name)s"],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
        "POST": ["%(app_label)s.add_%(model_name)s"],
        "PUT": ["%(app_label)s.change_%(model_name)s"],
        "PATCH": ["%(app_label)s.change_%(model_name)s"],
        "DELETE": ["%(app_label)s.delete_%(model_name)s"],
    }


class ActionPermission(permissions.BasePermission):
    """For a transition ``@action``: require the permissions named in the view's ``action_permissions``."""

    def has_permission(self, request, view):
        needed = getattr(view, "action_permissions", {}).get(view.action)
        if needed is None:
            return RoleModelPermissions().has_permission(request, view)
        return bool(request.user and request.user.is_authenticated and request.user.has_perms(needed))


class CustomerScopedMixin:
    """Limit a viewset's queryset to customers the user may see; ``customer_path`` leads to the Customer."""

    customer_path = "customer"

    def get_queryset(self):
        from apps.companies.selectors import scope_to_user

        return scope_to_user(super().get_queryset(), self.request.user, self.customer_path)


def _error(message: str, extra: dict | None, status_code: int) -> Response:
    return Response({"message": message, "extra": extra or {}}, status=status_code)


def exception_handler(exc, context):
    """Map every error to ``{"message", "extra"}``; field validation keeps DRF's field errors in ``extra``."""
    if isinstance(exc, ApplicationError):
        return _error(exc.message, exc.extra, exc.status_code)
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        exc = exceptions.ValidationError(detail=detail)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    try:
        from apps.integrations.errors import ProviderError
    except ImportError:  # pragma: no cover - the integrations app is always installed
        ProviderError = None
    if ProviderError is not None and isinstance(exc, ProviderError):
        return _error(str(exc), {"permanent": exc.permanent}, status.HTTP_502_BAD_GATEWAY)

    # Imported here: DRF imports this module while rest_framework.views is still loading.
    from rest_framework.views import exception_handler as drf_exception_handler

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        detail = response.data
        fields = ", ".join(detail.keys()) if isinstance(detail, dict) else ""
        message = f"Invalid input: {fields}." if fields else "Invalid input."
        response.data = {"message": message, "extra": {"fields": detail}}
    else:
        detail = (
            response.data.get("detail", response.data) if isinstance(response.data, dict) else response.data
        )
        response.data = {"message": str(detail), "extra": {}}
    return response
