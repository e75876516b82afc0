"""Providers of one shape: every provider package offers the same public names with the same signatures.

The recipe for adding a provider (docs/providers.md) lists exactly what this test checks; a new package in
``PROVIDER_PACKAGES`` is checked by every test here without touching this file.
"""

from __future__ import annotations

import importlib
import inspect

import pytest

from apps.employees.records import EmployeeRecord
from apps.integrations.providers import PROVIDER_PACKAGES, webhooks_for
from apps.integrations.providers.base import ListedEmployee, ProviderClient
from apps.mappings.codes import StatusType

PROVIDERS = sorted(PROVIDER_PACKAGES)

# The public names every provider module offers, each with one signature for all providers.
CONTRACT = {
    "client": ("Client",),
    "webhooks": ("parse", "validation_echo", "HOOK_IMPLIED_STATUS"),
    "records": ("employee_page", "listed_employee", "employee_record", "error_message"),
}
CLIENT_METHODS = ("authenticate", "list_employees", "get_employees", "get_employee")


def module(provider: str, name: str):
    return importlib.import_module(f"{PROVIDER_PACKAGES[provider]}.{name}")


def signature(obj) -> str:
    return str(inspect.signature(obj))


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize(("name", "public"), sorted(CONTRACT.items()))
def test_every_provider_module_offers_the_contract_names(provider, name, public):
    mod = module(provider, name)
    assert [n for n in public if not hasattr(mod, n)] == []


@pytest.mark.parametrize(("name", "public"), sorted(CONTRACT.items()))
def test_a_contract_name_has_one_signature_across_providers(name, public):
    for attribute in public:
        values = {p: getattr(module(p, name), attribute) for p in PROVIDERS}
        if not callable(values[PROVIDERS[0]]) or inspect.isclass(values[PROVIDERS[0]]):
            continue
        signatures = {p: signature(v) for p, v in values.items()}
        assert len(set(signatures.values())) == 1, f"{name}.{attribute}: {signatures}"


def test_the_first_provider_sets_the_signatures_the_others_must_match():
    # given the documented shapes (docs/providers.md), pinned so a change of all three at once is seen too
    first = PROVIDERS[0]
    assert signature(module(first, "records").listed_employee) == (
        "(company_external_id: 'str', item: 'Any') -> 'ListedEmployee'"
    )
    assert signature(module(first, "records").employee_record) == (
        "(company_external_id: 'str', body: 'dict') -> 'EmployeeRecord'"
    )
    assert signature(module(first, "records").employee_page) == (
        "(body: 'Any', headers: 'Mapping[str, str]') -> 'tuple[list, int | None]'"
    )
    assert signature(module(first, "webhooks").parse) == (
        "(body: 'bytes', headers, query, *, fallback_timestamp: 'str' = '') -> 'list[HookEvent]'"
    )


@pytest.mark.parametrize("provider", PROVIDERS)
def test_the_client_is_a_provider_client_named_for_its_package(provider):
    client = module(provider, "client").Client
    assert issubclass(client, ProviderClient) and client.provider == provider
    assert not inspect.isabstract(client)
    for method in CLIENT_METHODS:
        assert signature(getattr(client, method)) == signature(getattr(ProviderClient, method)), method


@pytest.mark.parametrize("provider", PROVIDERS)
def test_the_implied_status_map_names_status_types(provider):
    implied = webhooks_for(provider).HOOK_IMPLIED_STATUS
    assert isinstance(implied, dict)
    assert {type(k) for k in implied} <= {str}
    assert set(implied.values()) <= {t.value for t in StatusType}


@pytest.mark.parametrize("provider", PROVIDERS)
def test_the_records_functions_answer_with_the_neutral_types(provider):
    records = module(provider, "records")
    listed = records.listed_employee("C1", {"employeeId": "7", "employee_id": "7", "id": "7"})
    assert isinstance(listed, ListedEmployee) and listed.employee_id == "7"
    assert isinstance(records.employee_record("C1", {}), EmployeeRecord)
    assert isinstance(records.error_message({"message": "m"}), str)
    with pytest.raises(ValueError):
        records.employee_page("not a page", {})
