"""Reconcile every person (of one customer, or of all): after an upgrade, or to check the ledger is in step."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from apps.companies.models import Customer
from apps.employees.models import CauseType
from apps.employees.services import Cause, customer_persons_recheck


class Command(BaseCommand):
    help = (
        "Reconcile every person of a customer (or of every customer) against their status timeline; print the "
        "actions written and withdrawn. Safe to run twice: a person already in step gets nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--customer", help="customer id or slug (default: every customer)")

    def handle(self, *args, customer: str | None = None, **options):
        customers = Customer.objects.order_by("pk")
        if customer:
            customers = (
                customers.filter(pk=int(customer)) if customer.isdigit() else customers.filter(slug=customer)
            )
            if not customers.exists():
                raise CommandError(f"No customer with id or slug {customer!r}.")
        for each in customers:
            result = customer_persons_recheck(
                customer=each, cause=Cause(CauseType.MANUAL, "reconcile_persons", "reconcile_persons command")
            )
            self.stdout.write(
                f"{each.slug}: {result.actions} action(s) written, {result.withdrawn} withdrawn as moot"
            )
