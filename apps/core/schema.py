"""The OpenAPI schema's house rules: tags per resource, a summary per operation, every error documented.

``AutoSchema`` is drf-spectacular's, with tags from the resource's path segment (``/api/v1/tickets/...`` ->
``tickets``; the sandbox's under ``sandbox ...``), a summary made from the method and the resource when a
view gives none, and an ``Email``/``URL`` field that may be blank documented as such. ``add_error_responses``
(a postprocessing hook) documents the error shape ``{"message", "extra"}`` for the statuses any operation
can answer: 400 (validation, unknown fields or parameters), 401, 403, 404, 429 (throttled), and for writes
409 (a conflict with the current state) and 502 (a provider's failure).
"""

from __future__ import annotations

import re

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from rest_framework import serializers

ERROR_COMPONENT = "Error"
ERROR_SCHEMA = {
    "type": "object",
    "properties": {
        "message": {"type": "string", "description": "What went wrong, in words."},
        "extra": {
            "type": "object",
            "additionalProperties": {},
            "description": "Details: the field errors of a 400 under `fields`, or the field concerned.",
        },
    },
    "required": ["message", "extra"],
}
ERRORS_ALL = {
    "400": "Invalid input: a field or query parameter is wrong or unknown (named in the message).",
    "401": "No valid credentials.",
    "403": "The user's role does not allow this.",
    "404": "No such object (or not one of the user's customers).",
    "429": "Too many requests: wait as the Retry-After header says.",
}
ERRORS_WRITE = {
    "409": "The object's current state does not allow this.",
    "502": "The provider refused or failed; the message says whether retrying can help.",
}
_PREFIXES = ((re.compile(r"^/api/v1/"), ""), (re.compile(r"^/sandbox/api/"), "sandbox "))
_VERBS = {
    "list": "List",
    "retrieve": "Retrieve",
    "create": "Create",
    "update": "Replace",
    "partial_update": "Update",
    "destroy": "Delete",
}


class AutoSchema(SpectacularAutoSchema):
    def _resource(self) -> tuple[str, str]:
        for pattern, label in _PREFIXES:
            if pattern.match(self.path):
                segments = [s for s in pattern.sub("", self.path).split("/") if s and not s.startswith("{")]
                if segments:
                    return label, segments[0]
        return "", (self._tokenize_path() or ["api"])[0]

    def get_tags(self) -> list[str]:
        label, resource = self._resource()
        return [f"{label}{resource}"]

    def get_summary(self) -> str | None:
        summary = super().get_summary()
        if summary:
            return summary
        label, resource = self._resource()
        words = resource.replace("-", " ")
        action = getattr(self.view, "action", None) or ""
        if action in _VERBS:
            return f"{_VERBS[action]} {label}{words}" + ("" if action in ("list", "create") else " (one)")
        doc = (getattr(getattr(self.view, action, None), "__doc__", None) or "").strip()
        if doc:
            return doc.splitlines()[0].rstrip(".")[:120]
        return f"{action.replace('_', ' ').capitalize()} ({label}{words})"

    def _insert_field_validators(self, field, schema):
        super()._insert_field_validators(field, schema)
        # drf-spectacular documents "" for an email or URL field with allow_blank; a read-only field built
        # from a model field with blank=True has lost allow_blank on the way, yet answers "" all the same.
        if (
            isinstance(field, serializers.EmailField | serializers.URLField)
            and not getattr(field, "allow_blank", False)
            and "format" in schema
            and _model_field_is_blank(field)
        ):
            outer = {"readOnly", "writeOnly", "nullable", "deprecated", "description", "title"}
            inner = {k: schema.pop(k) for k in list(schema) if k not in outer}
            schema["oneOf"] = [inner, {"type": "string", "maxLength": 0}]


def _model_field_is_blank(field) -> bool:
    """Whether a ModelSerializer field comes from a model field that may be blank (read-only fields lose
    ``allow_blank`` on the way)."""
    model = getattr(getattr(getattr(field, "parent", None), "Meta", None), "model", None)
    if model is None or not field.source or "." in field.source:
        return False
    try:
        return bool(model._meta.get_field(field.source).blank)
    except Exception:
        return False


def add_error_responses(result, generator, request, public):
    """Postprocessing hook: document the error shape and statuses on every operation."""
    result.setdefault("components", {}).setdefault("schemas", {})[ERROR_COMPONENT] = ERROR_SCHEMA
    ref = {"$ref": f"#/components/schemas/{ERROR_COMPONENT}"}
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            errors = dict(ERRORS_ALL)
            if method != "get":
                errors.update(ERRORS_WRITE)
            if method == "get" and "{" not in path and "404" in errors:
                # A list answers 404 only for a page past the end.
                errors["404"] = "No such page."
            responses = operation.setdefault("responses", {})
            for code, description in errors.items():
                responses.setdefault(
                    code, {"description": description, "content": {"application/json": {"schema": ref}}}
                )
    return result
