"""The problem bus delivers after commit, never on rollback, and a failing subscriber never fails the producer."""

import pytest
from django.db import transaction

from apps.core import problems
from apps.core.problems import Fixed, Problem


@pytest.fixture
def inbox(monkeypatch):
    monkeypatch.setattr(problems, "_problem_handlers", [])
    monkeypatch.setattr(problems, "_fixed_handlers", [])
    got = []
    problems.subscribe(on_problem=got.append, on_fixed=got.append)
    return got


def _problem(key="k:1"):
    return Problem(kind="k", key=key, customer=None, facts={"code": "S"})


@pytest.mark.django_db(transaction=True)
def test_a_problem_is_delivered_after_commit(inbox):
    # Given a subscriber; when a problem is reported inside a transaction
    with transaction.atomic():
        problems.report(_problem())
        # then nothing is delivered before the commit
        assert inbox == []
    assert [p.key for p in inbox] == ["k:1"]


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_problem_is_never_delivered(inbox):
    with pytest.raises(RuntimeError), transaction.atomic():
        problems.report(_problem())
        raise RuntimeError("rollback")
    assert inbox == []


@pytest.mark.django_db(transaction=True)
def test_a_failing_subscriber_is_logged_and_the_others_still_get_it(inbox, caplog):
    def broken(problem):
        raise ValueError("boom")

    problems._problem_handlers.insert(0, broken)
    problems.report(_problem("k:2"))
    assert [p.key for p in inbox] == ["k:2"]
    assert "could not handle k:2" in caplog.text


@pytest.mark.django_db(transaction=True)
def test_fixes_travel_the_same_way_and_subscribing_twice_delivers_once(inbox):
    problems.subscribe(on_fixed=inbox.append)
    problems.report_fixed(Fixed(key="k:1", what="Code S mapped"))
    assert [f.what for f in inbox] == ["Code S mapped"]


def test_a_problem_without_a_key_is_refused():
    with pytest.raises(ValueError, match="kind and a key"):
        problems.report(Problem(kind="k", key="", customer=None))
