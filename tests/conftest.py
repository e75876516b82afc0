"""Shared fixtures: personas (one per role, a user with no role, a user of another customer) and clients."""

from __future__ import annotations

import os

import pytest
from django.contrib.auth.models import Group
from hypothesis import settings as hypothesis_settings
from rest_framework.test import APIClient

from apps.users.models import User
from apps.users.roles import ADMINS, CONSULTANTS, SUPPORT
from tests.companies.factories import CompanyFactory, CompanySetFactory, CustomerFactory

# CI explores the same examples every run (a property that fails there fails again, and a green run means the
# same thing twice); on a developer's machine hypothesis keeps exploring new ones.
hypothesis_settings.register_profile("ci", derandomize=True, deadline=None)
if os.environ.get("CI"):
    hypothesis_settings.load_profile("ci")


@pytest.fixture
def customer(db):
    return CustomerFactory(name="Acme", slug="acme")


@pytest.fixture
def other_customer(db):
    return CustomerFactory(name="Globex", slug="globex")


@pytest.fixture
def company_set(customer):
    return CompanySetFactory(customer=customer, name="Acme set")


@pytest.fixture
def company(company_set):
    return CompanyFactory(company_set=company_set, external_id="123", name="Acme One")


def _persona(username: str, role: str | None, *, customers=(), all_customers: bool = False) -> User:
    user = User.objects.create_user(
        username=username, password="pw", is_staff=True, all_customers=all_customers
    )
    if role:
        user.groups.add(Group.objects.get(name=role))
    for c in customers:
        user.customers.add(c)
    return user


@pytest.fixture
def consultant(customer):
    return _persona("consultant", CONSULTANTS, customers=[customer])


@pytest.fixture
def support_agent(customer):
    return _persona("support", SUPPORT, customers=[customer])


@pytest.fixture
def admin_user(db):
    return _persona("hubadmin", ADMINS)


@pytest.fixture
def no_role_user(customer):
    return _persona("norole", None, customers=[customer])


@pytest.fixture
def outsider(other_customer):
    """A consultant of another customer: must see nothing of ``customer``."""
    return _persona("outsider", CONSULTANTS, customers=[other_customer])


@pytest.fixture
def api():
    def make(user=None) -> APIClient:
        client = APIClient()
        if user is not None:
            client.force_authenticate(user)
        return client

    return make


def pytest_collection_modifyitems(config, items):
    """Tests marked ``postgres`` need PostgreSQL features (row locks, concurrency): skip them on SQLite."""
    from django.conf import settings

    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        skip = pytest.mark.skip(reason="needs PostgreSQL (runs in the second CI leg)")
        for item in items:
            if "postgres" in item.keywords:
                item.add_marker(skip)


@pytest.fixture
def migration_data(transactional_db):
    """Restore what data migrations create (groups, standard codes, templates, articles) after another
    transactional test's flush emptied the tables. Each step runs only where its rows are missing."""
    import importlib

    from django.apps import apps as django_apps

    from apps.implementations.models import ChecklistTemplate
    from apps.mappings.models import StatusCode
    from apps.support.models import KnowledgeArticle
    from apps.users.roles import sync_role_permissions

    sync_role_permissions(django_apps)
    steps = [
        (
            StatusCode.objects.filter(standard=True),
            "apps.mappings.migrations.0002_standard_codes",
            "forwards",
        ),
        (
            ChecklistTemplate.objects.all(),
            "apps.implementations.migrations.0003_checklist_templates",
            "create_templates",
        ),
        (
            KnowledgeArticle.objects.all(),
            "apps.support.migrations.0003_knowledge_articles",
            "create_articles",
        ),
    ]
    for present, module, func in steps:
        if not present.exists():
            getattr(importlib.import_module(module), func)(django_apps, None)
