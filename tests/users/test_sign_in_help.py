"""A user without staff status: the user form says the box is needed, the sign-in page says why it refuses."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from apps.users.forms import STAFF_HELP
from apps.users.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser():
    """Whoever manages users (the Admins role has no user permissions: `make run`'s first admin does)."""
    return User.objects.create_superuser(username="root", password="pw", email="root@localhost")


def test_the_user_forms_explain_that_staff_status_is_needed_to_sign_in(client, superuser):
    client.force_login(superuser)
    add = client.get("/admin/users/user/add/").content.decode()
    assert 'name="is_staff"' in add
    assert "Required to sign in at all" in add
    change = client.get(f"/admin/users/user/{superuser.pk}/change/").content.decode()
    assert STAFF_HELP.split(":")[0] in change


def test_an_admin_creates_a_user_who_can_sign_in_from_the_add_form(client, superuser):
    client.force_login(superuser)
    role = Group.objects.first()
    response = client.post(
        "/admin/users/user/add/",
        {
            "username": "newcomer",
            "usable_password": "true",
            "password1": "a-long-Passphrase-42",
            "password2": "a-long-Passphrase-42",
            "is_staff": "on",
            "groups": [role.pk],
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    user = User.objects.get(username="newcomer")
    assert user.is_staff
    assert list(user.groups.all()) == [role]


def test_a_right_password_without_staff_status_is_told_why(client):
    User.objects.create_user(username="nostaff", password="pw", is_staff=False)
    page = client.post("/admin/login/", {"username": "nostaff", "password": "pw"}).content.decode()
    assert "it has no \u201cstaff status\u201d" in page
    assert "Ask an admin to tick Staff status" in page


def test_a_wrong_password_says_nothing_about_staff_status(client):
    User.objects.create_user(username="nostaff", password="pw", is_staff=False)
    page = client.post("/admin/login/", {"username": "nostaff", "password": "wrong"}).content.decode()
    assert "staff status" not in page.replace("staff account", "")
    assert "Please enter the correct username and password" in page
