"""Pure payroll rules: the seed's status words, unknown codes, completion messages, headcount classes."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from apps.payroll import rules
from apps.payroll.models import ImportQueueRecord, ImportState

# Every status seed 004 lists, with the code PrismHR sends for it.
SEED_STATUSES = [
    ("AP.FAIL", "Payroll calculation results rejected by client"),
    ("INITWARN", "Payroll calculation completed with warning"),
    ("PRINTFAIL", "Payroll printed with errors"),
    ("AP.PEND", "Payroll calculation results pending client approval"),
    ("PAY.PEND", "Payment pending"),
    ("TS.ENTRY", "Time sheet entry in progress"),
    ("TS.READY", "Payroll is ready for time sheet entry"),
    ("COMP", "Payroll is complete"),
    ("POSTCOMP", "Payroll is ready to print"),
    ("TSOKCOMP", "Payroll is ready to calculate"),
    ("POST", "Payroll finalization in progress"),
    ("POST.FAIL", "Payroll finalization complete with errors"),
    ("WT.PEND", "Wire transfer pending"),
    ("INITFAIL", "Payroll calculation completed with errors"),
    ("POST.PEND", "Finalization pending approval"),
    ("INITOK", "Payroll reports are ready for review"),
    ("PRINTCOMP", "Payroll is ready to ship"),
]


@pytest.mark.parametrize(("code", "words"), SEED_STATUSES)
def test_every_seed_status_has_the_seeds_words(code, words):
    assert rules.status_words(code) == words
    assert rules.is_known_status(code)


@pytest.mark.parametrize(
    ("code", "words"),
    [
        ("INITIAL", "Payroll calculation in progress"),
        ("AP.READY", "Payroll calculation results approved by client"),
        ("INITCOMP", "Payroll is ready to finalize"),
        ("PRINT", "Payroll printing in progress"),
        ("DELETED", "Deleted"),
    ],
)
def test_the_issues_further_codes_have_words_too(code, words):
    assert rules.status_words(code) == words


@given(
    st.text(min_size=1, max_size=20).filter(
        lambda c: c.strip() and c.strip().upper() not in rules.STATUS_WORDS
    )
)
def test_an_unknown_status_code_is_kept_verbatim_as_its_own_words(code):
    assert rules.status_words(code) == code.strip()
    assert not rules.is_known_status(code)
    assert not rules.is_complete(code)


def test_only_comp_counts_as_complete():
    assert rules.is_complete("COMP") and rules.is_complete(" comp ")
    assert not any(rules.is_complete(c) for c, _ in SEED_STATUSES if c != "COMP")


def test_the_completion_messages_are_the_seeds():
    assert rules.message_no_pay_date() == "Pay date is required to import payroll batches"
    assert rules.message_no_billing_totals("41004") == (
        "Batch '41004' Unable to include Queue Record in Import file, no getBillingCodeTotalsForBatch response "
        "info, this event will not be processed"
    )
    assert rules.message_no_vouchers("100100", "41005") == (
        'No billing vouchers found for client ID "100100" and batch ID "41005"'
    )
    assert "100900" in rules.message_unknown_client("100900")
    assert "ClientSpace" not in rules.message_no_pay_date() + rules.message_no_billing_totals("1")


@pytest.mark.parametrize(
    ("employment_type", "expected"),
    [
        ("RFT", "full"),
        ("TFT", "full"),
        ("RPT", "part"),
        ("TPT", "part"),
        ("SNL", "part"),
        ("FT", "full"),
        ("PT", "part"),
        ("F", "full"),
        ("P", "part"),
        ("", "full"),
        (None, "full"),
        ("rpt", "part"),
    ],
)
def test_employment_types_fall_into_full_or_part_time(employment_type, expected):
    assert rules.time_class(employment_type) == expected


def test_headcount_counts_six_classes_and_skips_employees_without_a_status():
    counts = rules.headcount(
        [
            ("RFT", "active"),
            ("RPT", "active"),
            ("SNL", "active"),
            ("TFT", "terminated"),
            ("TPT", "terminated"),
            ("RFT", "leave"),
            ("RPT", "leave"),
            ("RFT", None),
        ],
        paid_employees=4,
    )
    assert counts == rules.Headcount(1, 2, 1, 1, 1, 1, 4)
    assert counts.active == 3


def test_the_date_window_spans_back_and_ahead_of_today():
    assert rules.date_window(dt.date(2025, 3, 15), days_back=14, days_ahead=7) == (
        dt.date(2025, 3, 1),
        dt.date(2025, 3, 22),
    )


@pytest.mark.parametrize(
    ("text", "days"),
    [("sat,sun", [5, 6]), ("Sunday, saturday", [5, 6]), ("mon", [0]), ("", []), ("fri,fri", [4])],
)
def test_sync_weekdays_parse_from_day_names(text, days):
    assert rules.parse_weekdays(text) == days


def test_an_unknown_day_name_is_refused():
    with pytest.raises(ValueError, match="Unknown day"):
        rules.parse_weekdays("sat,funday")


# --- one meaning of an import's end (the batch, its queue records, tickets, dashboard counts) ---------------

OUT = rules.ImportOutcome
TOT = rules.Totals
NO_TOTALS = rules.message_no_billing_totals("41004")
NOTHING = rules.message_no_vouchers("100100", "41004")
FOUND = {"batch_found": True, "batch_active": True, "has_pay_date": True}


@pytest.mark.parametrize(
    ("known", "outcome", "state", "tickets", "message"),
    [
        # not decided yet: ask the provider more
        ({}, None, None, None, None),
        ({**FOUND}, None, None, None, None),
        ({**FOUND, "totals": TOT.PRESENT}, None, None, None, None),
        # seed 004's "completed with a message" cases: completed, not imported, a person looks (ticket)
        ({"client_known": False}, OUT.COMPLETED_WITH_MESSAGE, "completed_with_message", True, "100100"),
        ({"batch_found": False}, OUT.COMPLETED_WITH_MESSAGE, "completed_with_message", True, NO_TOTALS),
        (
            {**FOUND, "totals": TOT.MISSING},
            OUT.COMPLETED_WITH_MESSAGE,
            "completed_with_message",
            True,
            NO_TOTALS,
        ),
        (
            {**FOUND, "has_pay_date": False},
            OUT.COMPLETED_WITH_MESSAGE,
            "completed_with_message",
            True,
            "Pay date is required",
        ),
        # nothing to bill: completed, with the "No billing vouchers" line; not a problem
        ({**FOUND, "totals": TOT.EMPTY}, OUT.NOTHING_TO_BILL, "completed", False, NOTHING),
        ({**FOUND, "totals": TOT.PRESENT, "vouchers": 0}, OUT.NOTHING_TO_BILL, "completed", False, NOTHING),
        ({**FOUND, "totals": TOT.PRESENT, "vouchers": 3}, OUT.IMPORTED, "completed", False, ""),
        # deleted in the provider, or a DELETE event
        ({**FOUND, "batch_active": False}, OUT.DELETED, "completed", False, "was deleted"),
        ({"delete_event": True, "delete_found": True}, OUT.DELETED, "completed", False, "was deleted"),
        (
            {"delete_event": True, "delete_found": False},
            OUT.DELETED,
            "completed",
            False,
            "nothing to deactivate",
        ),
        # provider errors: a permanent one is the only failure; an outage is retried, the batch waits
        ({**FOUND, "error": "HTTP 400", "error_permanent": True}, OUT.FAILED, "failed", True, "HTTP 400"),
        ({**FOUND, "error": "HTTP 503"}, OUT.RETRYING, "pending", False, "Will be retried: HTTP 503"),
        # the client check comes first, an error before anything
        (
            {"client_known": False, "batch_found": False},
            OUT.COMPLETED_WITH_MESSAGE,
            "completed_with_message",
            True,
            "100100",
        ),
        ({"client_known": False, "error": "x", "error_permanent": True}, OUT.FAILED, "failed", True, "x"),
        # a missing answer about the batch wins over the pay date it could not tell
        (
            {"batch_found": False, "has_pay_date": False},
            OUT.COMPLETED_WITH_MESSAGE,
            "completed_with_message",
            True,
            NO_TOTALS,
        ),
    ],
)
def test_import_verdict_table(known, outcome, state, tickets, message):
    verdict = rules.import_verdict(rules.ImportFacts(client_id="100100", batch_id="41004", **known))
    if outcome is None:
        assert verdict is None
        return
    assert (verdict.outcome, verdict.state, verdict.tickets) == (outcome, state, tickets)
    assert message in verdict.message


def test_every_outcome_has_a_state_the_models_know():
    for outcome in rules.ImportOutcome:
        state = rules.ImportVerdict(outcome).state
        assert state in ImportState.values and state in ImportQueueRecord.State.values
