from __future__ import annotations

import datetime as dt
from decimal import Decimal

import factory

from apps.companies.models import Provider
from apps.payroll.models import BillingVoucher, ImportQueueRecord, NotificationRule, PayGroup, PayrollBatch
from tests.companies.factories import CompanyFactory, CompanySetFactory
from tests.integrations.factories import ConnectionFactory

PRISM = "http://127.0.0.1:9/sandbox/prismhr/prismhr-api/services/rest"


class PrismCompanyFactory(CompanyFactory):
    company_set = factory.SubFactory(CompanySetFactory, provider=Provider.PRISMHR)
    external_id = factory.Sequence(lambda n: f"{100100 + n}")


class PrismConnectionFactory(ConnectionFactory):
    provider = Provider.PRISMHR
    base_url = PRISM
    client_id = ""
    client_secret = ""
    username = "prism-user"
    password = "prism-password"
    peo_id = "PEO1"
    state = "live"


class PayrollBatchFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PayrollBatch

    company = factory.SubFactory(PrismCompanyFactory)
    batch_id = factory.Sequence(lambda n: f"{42000 + n}")
    batch_type = "R"
    pay_date = dt.date(2025, 1, 10)
    status_code = "INITOK"
    status = "Payroll reports are ready for review"


class PayGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PayGroup

    batch = factory.SubFactory(PayrollBatchFactory)
    pay_group_id = factory.Sequence(lambda n: f"PG{n}")


class BillingVoucherFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BillingVoucher

    batch = factory.SubFactory(PayrollBatchFactory)
    voucher_id = factory.Sequence(lambda n: f"V{n:06d}")
    employee_number = "P0001"
    bill_code = "GROSS"
    pay_group_code = "BW1"
    amount = Decimal("100.00")


class ImportQueueRecordFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ImportQueueRecord

    connection = factory.SubFactory(PrismConnectionFactory)
    client_number = "100100"
    batch_number = factory.Sequence(lambda n: f"{43000 + n}")
    source = ImportQueueRecord.Source.IMPORT
    event = ImportQueueRecord.Event.UPDATE


class NotificationRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = NotificationRule
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Rule {n}")

    @factory.post_generation
    def groups(self, create, extracted, **kwargs):
        if create and extracted:
            self.groups.add(*extracted)
