"""The custom user model: a Django user that may be limited to some customers."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models


class User(AbstractUser):
    """A person who signs in: a consultant, a support agent or an admin (their role is their group).

    What a user may *do* comes from the role groups; which customers they may *see* comes from
    ``all_customers`` / ``customers``. A user with neither sees no customer's data at all.
    """

    all_customers = models.BooleanField(
        default=False, help_text="Sees every customer (internal staff). Otherwise only the customers listed."
    )
    customers = models.ManyToManyField(
        "companies.Customer", blank=True, related_name="users", help_text="Customers this user works with."
    )
    phone = models.CharField(max_length=40, blank=True)

    class Meta:
        ordering = ["username"]

    def __str__(self) -> str:
        return self.get_full_name() or self.username
