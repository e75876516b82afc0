"""API helpers shared by every app: pagination, role permissions, customer scoping, error shape."""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import exceptions, permissions, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response

from .errors import ApplicationError, ProviderError

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


NUL_MESSAGE = "Contains a NUL character (\\u0000), which cannot be stored."


def has_nul(value) -> bool:
    """Whether a parsed JSON value holds a NUL character anywhere (PostgreSQL stores none, in text or JSON)."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(has_nul(k) or has_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(has_nul(v) for v in value)
    return False


# Query parameters every API view understands: pagination and DRF's format suffix.
COMMON_QUERY_PARAMS = frozenset({"page", "page_size", "format"})


class StrictInputMixin:
    """Refuse what the API would otherwise ignore: unknown query parameters and unknown body fields (400).

    The base of every API view (tests/core/test_strict_input.py checks that each routed view has it).
    Query parameters: the view's filters, pagination, ``format``, ``search`` / ``ordering`` where the view
    has them, and ``extra_query_params``. Body fields: the input serializer's writable fields; a read-only
    field is refused as read-only, with ``read_only_hints[field]`` saying what to do instead. Views build
    input serializers with ``get_serializer(data=...)`` or ``input_serializer(cls, data=...)``, which check.
    """

    extra_query_params: tuple[str, ...] = ()
    read_only_hints: dict[str, str] = {}

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        with_nul = sorted(k for k, v in request.query_params.lists() if has_nul(k) or has_nul(v))
        if with_nul:
            raise exceptions.ValidationError({name: [NUL_MESSAGE] for name in with_nul})
        unknown = sorted(set(request.query_params) - self.allowed_query_params())
        if unknown:
            allowed = ", ".join(sorted(self.allowed_query_params()))
            raise exceptions.ValidationError(
                {name: [f"Unknown query parameter. Accepted here: {allowed}."] for name in unknown}
            )
        if request.method in ("POST", "PUT", "PATCH") and self._takes_no_body():
            self.check_body_keys(request.data, writable=set())

    def _takes_no_body(self) -> bool:
        """Whether the current action is documented with ``extend_schema(request=None)``: it reads no body,
        so any field sent is unknown. (The schema's own declaration, read back: one source of truth.)"""
        handler = getattr(type(self), getattr(self, "action", None) or "", None)
        schema_class = (getattr(handler, "kwargs", None) or {}).get("schema")
        getter = getattr(schema_class, "get_request_serializer", None)
        closure = getattr(getter, "__closure__", None)
        if not closure:
            return False
        cells = dict(zip(getter.__code__.co_freevars, closure, strict=True))
        return "request" in cells and cells["request"].cell_contents is None

    def allowed_query_params(self) -> set[str]:
        allowed = set(COMMON_QUERY_PARAMS) | set(self.extra_query_params)
        if getattr(self, "search_fields", None):
            allowed.add("search")
        if getattr(self, "ordering_fields", None):
            allowed.add("ordering")
        filterset_class = self._filterset_class()
        if filterset_class is not None:
            for name, declared in filterset_class.base_filters.items():
                widget = getattr(declared.field_class, "widget", None)
                suffixes = getattr(widget, "suffixes", None)
                if suffixes:
                    allowed.update(f"{name}_{suffix}" for suffix in suffixes)
                else:
                    allowed.add(name)
        return allowed

    def _filterset_class(self):
        if getattr(self, "filterset_class", None) is not None:
            return self.filterset_class
        if not getattr(self, "filterset_fields", None):
            return None

        return DjangoFilterBackend().get_filterset_class(self, self.queryset)

    def get_serializer(self, *args, **kwargs):
        serializer = super().get_serializer(*args, **kwargs)
        if "data" in kwargs:
            self.check_body_fields(serializer)
        return serializer

    def input_serializer(self, serializer_class, *, data, **kwargs):
        """Build ``serializer_class(data=data, ...)`` for a request body, refusing fields it does not take."""
        serializer = serializer_class(data=data, **kwargs)
        self.check_body_fields(serializer)
        return serializer

    def check_body_fields(self, serializer) -> None:
        fields = getattr(serializer, "fields", None)
        if fields is None:  # a list serializer: its child's fields are checked per item by DRF
            return
        self.check_body_keys(
            serializer.initial_data,
            writable={name for name, f in fields.items() if not f.read_only},
            read_only={name for name, f in fields.items() if f.read_only},
        )

    def check_body_keys(self, data, *, writable, read_only=frozenset()) -> None:
        """Raise a 400 naming each body key that is not in ``writable``."""
        if not hasattr(data, "keys"):
            return  # not an object: the serializer itself answers "expected a dictionary"
        errors = {}
        for key in data:
            try:
                nul = has_nul(key) or has_nul(data[key])
            except RecursionError:
                errors[key] = ["Nested too deeply."]
                continue
            if nul:
                errors[key] = [NUL_MESSAGE]
                continue
            if key in writable:
                continue
            if key in read_only or key in self.read_only_hints:
                hint = self.read_only_hints.get(key, "")
                errors[key] = [f"{key} is read-only.{' ' + hint if hint else ''}"]
            else:
                accepted = ", ".join(sorted(writable)) or "none"
                errors[key] = [f"Unknown field. Accepted here: {accepted}."]
        if errors:
            raise exceptions.ValidationError(errors)


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
    if isinstance(exc, ProviderError):
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
