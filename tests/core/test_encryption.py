from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection as db

from apps.core import checks, crypto
from apps.integrations.models import Connection
from tests.integrations.factories import ConnectionFactory


def _raw(pk: int) -> str:
    with db.cursor() as cursor:
        cursor.execute("SELECT client_secret FROM integrations_connection WHERE id = %s", [pk])
        return cursor.fetchone()[0]


@pytest.mark.django_db
def test_rotate_encryption_keys_re_encrypts_under_the_new_key(settings, customer):
    old_key = settings.FIELD_ENCRYPTION_KEYS[0]
    conn = ConnectionFactory(customer=customer, client_secret="rotate-me")
    new_key = Fernet.generate_key().decode()
    # given a new key put in front of the old one
    settings.FIELD_ENCRYPTION_KEYS = [new_key, old_key]
    # when the command runs
    call_command("rotate_encryption_keys", stdout=open("/dev/null", "w"))  # noqa: SIM115
    # then the old key alone can no longer read it, the new key alone can
    settings.FIELD_ENCRYPTION_KEYS = [new_key]
    assert Connection.objects.get(pk=conn.pk).client_secret == "rotate-me"
    settings.FIELD_ENCRYPTION_KEYS = [old_key]
    with pytest.raises(crypto.DecryptionError):
        Connection.objects.get(pk=conn.pk)
    assert "rotate-me" not in _raw(conn.pk)


@pytest.mark.parametrize(
    ("keys", "fragment"),
    [([], "empty"), (["not base64!!"], "base64"), (["c2hvcnQ="], "32 bytes")],
)
def test_system_check_fails_on_missing_or_malformed_key(settings, keys, fragment):
    settings.FIELD_ENCRYPTION_KEYS = keys
    problems = checks.check_encryption_keys(None)
    assert problems and fragment in problems[0].msg
    assert problems[0].id == "core.E001"


def test_system_check_passes_with_valid_keys(settings):
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    assert checks.check_encryption_keys(None) == []
