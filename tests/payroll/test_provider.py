"""The PrismHR payroll methods (``providers/prismhr/payroll.py``) against recorded answers (``responses``)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import responses

from apps.core.errors import ProviderError
from apps.integrations.providers.prismhr.payroll import PayrollClient, batch_summary, billing_voucher, money
from tests.payroll.factories import PRISM

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(prism_connection):
    return PayrollClient.for_connection(prism_connection)


def login():
    responses.post(f"{PRISM}/login/v1/createPeoSession", json={"errorCode": "0", "sessionId": "s-1"})


@responses.activate
def test_an_empty_batch_list_answers_404_and_means_no_batches(client):
    # given a PrismHR that answers the batch list with a 404
    login()
    responses.get(f"{PRISM}/payroll/v1/getBatchListByDate", status=404, json={"errorCode": "404"})
    # when the batches of a month are listed
    # then there are none, and the call carried the session and asked by pay date
    assert client.batch_list("100100", dt.date(2025, 1, 1), dt.date(2025, 1, 31)) == []
    assert responses.calls[-1].request.headers["sessionId"] == "s-1"
    assert "dateType=PAY" in responses.calls[-1].request.url


@responses.activate
# given a PrismHR that knows one of the batches
def test_batch_statuses_ask_in_comma_separated_chunks(client):
    login()
    responses.get(
        f"{PRISM}/payroll/v1/getBatchStatus",
        json={"errorCode": "0", "batchStatuses": [{"batchId": "1", "status": "COMP"}]},
    )
    # when the statuses of 120 batches are asked for
    found = client.batch_statuses("100100", [str(n) for n in range(1, 121)])
    # then the known status comes back from three calls of at most fifty comma-separated ids
    assert found == {"1": "COMP"}
    assert len(responses.calls) == 1 + 3  # login + 50 + 50 + 20
    assert "batchIds=1%2C2%2C3" in responses.calls[1].request.url


@responses.activate
# given a PrismHR that answers with an error envelope
def test_an_error_envelope_is_a_permanent_provider_error(client):
    login()
    responses.get(
        f"{PRISM}/payroll/v1/getBatchInfo", json={"errorCode": "12", "errorMessage": "Invalid batch"}
    )
    # when a batch's info is asked for, then it is a permanent provider error naming the message
    with pytest.raises(ProviderError, match="Invalid batch") as caught:
        client.batch_info("100100", "x")
    assert caught.value.permanent


@responses.activate
# given a PrismHR that answers a batch's billing totals and the employees paid
def test_totals_parse_amounts_as_decimals_and_the_employee_list(client):
    login()
    responses.get(
        f"{PRISM}/payroll/v1/getBillingCodeTotalsForBatch",
        json={
            "errorCode": "0",
            "billCodeTotals": {"batchTotals": [{"billCode": "GROSS", "totBillAmt": "1234.56"}]},
            "employeeIdList": {"employeeId": ["P1", "P2"], "employeeCount": 2},
        },
    )
    # when the totals are read
    totals = client.billing_totals("100100", "41001")
    # then the amounts are decimals and the employees are counted
    assert totals.totals == (("GROSS", Decimal("1234.56")),) and totals.employee_count == 2
    assert not totals.empty


def test_summaries_and_vouchers_read_the_providers_field_names():
    summary = batch_summary(
        {
            "batchId": "41006",
            "batchStatus": "COMP",
            "payDate": "2025-01-10",
            "batchType": "V",
            "voidBatchId": "41001",
            "payGroup": [
                {"payGroupId": "BW1", "payPeriodStartDate": "2024-12-16", "payPeriodEndDate": "2024-12-29"}
            ],
        }
    )
    assert (summary.voids_batch_id, summary.pay_groups[0].period_end) == ("41001", dt.date(2024, 12, 29))
    voucher = billing_voucher(
        {"voucherId": "V1", "employeeId": "P1", "sumBilling": {"billCode": "ADMIN", "billAmt": 25}}
    )
    assert voucher.lines[0].amount == Decimal("25") and voucher.pay_group == ""


def test_an_amount_that_is_not_a_number_is_refused():
    with pytest.raises(ProviderError):
        money("12,50 EUR")
