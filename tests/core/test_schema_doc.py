"""The OpenAPI schema says what the API answers: errors, tags, summaries, nullable and blank values."""

from __future__ import annotations

import pytest
from drf_spectacular.generators import SchemaGenerator

pytestmark = pytest.mark.django_db

METHODS = ("get", "post", "put", "patch", "delete")


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    with django_db_blocker.unblock():
        return SchemaGenerator().get_schema(request=None, public=True)


def _operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield path, method, operation


def test_every_operation_documents_its_error_statuses_with_the_error_shape(schema):
    ref = {"$ref": "#/components/schemas/Error"}
    for path, method, operation in _operations(schema):
        expected = {"400", "401", "403", "404", "429"} | ({"409", "502"} if method != "get" else set())
        assert expected <= set(operation["responses"]), (method, path)
        assert operation["responses"]["400"]["content"]["application/json"]["schema"] == ref
    assert schema["components"]["schemas"]["Error"]["required"] == ["message", "extra"]


def test_every_operation_has_a_summary_and_a_resource_tag(schema):
    tags = {}
    for path, method, operation in _operations(schema):
        assert operation.get("summary"), (method, path)
        tags[(method, path)] = operation["tags"]
    assert tags[("get", "/api/v1/tickets/")] == ["tickets"]
    assert tags[("post", "/api/v1/tickets/{id}/escalation/")] == ["tickets"]
    assert tags[("get", "/sandbox/api/companies/")] == ["sandbox companies"]
    assert len({t for ts in tags.values() for t in ts}) > 25


def test_null_and_blank_values_are_documented_as_answered(schema):
    components = schema["components"]["schemas"]
    assert components["PayrollBatch"]["properties"]["voids_batch_id"]["nullable"] is True
    assert components["SandboxBatch"]["properties"]["voids_batch_id"]["nullable"] is True
    email = components["Ticket"]["properties"]["reporter_email"]
    assert {"type": "string", "maxLength": 0} in email["oneOf"]


@pytest.mark.parametrize(
    ("path", "method"),
    [
        ("/api/v1/implementations/{id}/history/", "get"),
        ("/api/v1/implementations/{id}/refresh-evidence/", "post"),
    ],
)
def test_history_and_refresh_evidence_are_plain_lists(schema, path, method):
    body = schema["paths"][path][method]["responses"]["200"]["content"]["application/json"]["schema"]
    assert body["type"] == "array"
