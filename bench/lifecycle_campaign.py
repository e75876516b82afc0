"""Run the randomized campaign of employee lives at scale: events/s and violations (target: 0 at 10,000 events).

The campaign (tests/employees/campaign.py) sends random lives over three companies of one set in random
splits and orders (files, sync pages, re-sends, late mappings, filters, approvals, days passing) and checks,
after every step, the engine against a day-by-day reference model written from seed 002. This runs it until
``--events`` facts have been sent and prints:

- events/s through the engine (wall time of the whole campaign, checks included) and the same campaign's
  time spent in the reference model's checks, so the figure is the engine's share;
- the bare baseline measured in the same run: inserting the same number of employee rows and status events
  with bulk_create (the ratio campaign / bare is printed);
- the violations found (each with the facts that produced it).

    .venv/bin/python bench/lifecycle_campaign.py [--events 10000] [--steps 40] [--seed 0]
"""

from __future__ import annotations

import argparse
import sys
import time

from _setup import ROOT, django_setup


def bare_insert(n: int) -> float:
    """Insert ``n`` employees and one status event each with bulk_create: the floor for ``n`` facts."""
    import datetime as dt

    from django.db import transaction
    from django.utils import timezone

    from apps.employees.models import Employee, StatusEvent
    from tests.companies.factories import CompanyFactory

    company = CompanyFactory()
    now = timezone.now()
    start = time.perf_counter()
    with transaction.atomic():
        employees = Employee.objects.bulk_create(
            [Employee(company=company, employee_id=f"B{i}", status_code="A") for i in range(n)],
            batch_size=1000,
        )
        StatusEvent.objects.bulk_create(
            [
                StatusEvent(
                    employee=e,
                    code="A",
                    status_type="active",
                    effective_date=dt.date(2026, 1, 1),
                    recorded_at=now,
                    source="sync",
                )
                for e in employees
            ],
            batch_size=1000,
        )
    return time.perf_counter() - start


def one_file(n: int, seed: int) -> tuple[float, int]:
    """The campaign's kind of facts (lives over three companies, several events per record, SEAS unmapped),
    ``n`` rows in one shuffled file applied by the engine: the throughput comparable with apply_records."""
    import datetime as dt
    import random

    from apps.employees.services import employee_file_import
    from tests.companies.factories import CompanyFactory, CompanySetFactory, CustomerFactory
    from tests.employees import campaign

    rnd = random.Random(seed)
    customer = CustomerFactory()
    company_set = CompanySetFactory(customer=customer)
    companies = {
        c: CompanyFactory(company_set=company_set, external_id=f"{customer.pk}-{c}")
        for c in campaign.COMPANIES
    }
    rows, human = [], 0
    while len(rows) < n:
        human += 1
        for record in range(rnd.randint(1, 3)):
            company = rnd.choice(campaign.COMPANIES)
            days = rnd.sample(range(-120, 6), rnd.randint(1, 4))
            for k, day in enumerate(days):
                code = "A" if k == 0 and rnd.random() < 0.8 else rnd.choice(campaign.CODES)
                rows.append(
                    f"{companies[company].external_id},H{human}-{record},Pat,Doe,,{human:09d},,RFT,FT,BW,{code},"
                    f"{campaign.BASE + dt.timedelta(days=day)},,,\n"
                )
    rnd.shuffle(rows)
    started = time.perf_counter()
    result = employee_file_import(
        customer=customer, data=campaign.HEADER + "".join(rows), filename="lives.csv", today=campaign.BASE
    )
    return time.perf_counter() - started, result.accepted


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--steps", type=int, default=40, help="rules per campaign (one customer each)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    django_setup("bench_campaign")
    sys.path.insert(0, str(ROOT))
    from hypothesis import HealthCheck, Phase, settings
    from hypothesis.stateful import run_state_machine_as_test

    from tests.employees import campaign

    campaign.STATS.__init__()
    checks = {"seconds": 0.0}
    for name in ("_check_actions", "downstream_converges", "_check_twin"):
        func = getattr(campaign.Campaign, name)

        def timed(self, _func=func):
            started = time.perf_counter()
            try:
                return _func(self)
            finally:
                checks["seconds"] += time.perf_counter() - started

        if name == "downstream_converges":
            timed = campaign.invariant()(timed)
        setattr(campaign.Campaign, name, timed)

    started = time.perf_counter()
    examples = 0
    failures = []
    while campaign.STATS.events < args.events:
        examples += 1
        try:
            run_state_machine_as_test(
                campaign.Campaign,
                settings=settings(
                    max_examples=5,
                    stateful_step_count=args.steps,
                    deadline=None,
                    database=None,
                    derandomize=False,
                    suppress_health_check=list(HealthCheck),
                    phases=(Phase.generate,),
                ),
            )
        except AssertionError as exc:  # a violation: keep going to count them all
            failures.append(str(exc)[:500])
    wall = time.perf_counter() - started
    engine = wall - checks["seconds"]
    stats = campaign.STATS
    bare = bare_insert(stats.events)
    print(
        f"campaign: {stats.events:,} events in {examples * 5} lives-runs; {stats.files:,} files, {stats.calls:,} sync calls"
    )
    print(f"          {stats.actions:,} actions written and checked")
    print(f"wall {wall:.1f}s, of which reference-model checks {checks['seconds']:.1f}s")
    print(
        f"engine events/s: {stats.events / engine:,.0f}  (bare insert of as many rows: {stats.events / bare:,.0f}/s)"
    )
    print(f"ratio engine time / bare insert: {engine / bare:.1f}x")
    file_seconds, accepted = one_file(stats.events, args.seed)
    bare_file = bare_insert(accepted)
    print(
        f"the same kind of lives, {accepted:,} rows in one file: {file_seconds:.1f}s, "
        f"{accepted / file_seconds:,.0f} rows/s; bare insert {bare_file:.1f}s; "
        f"ratio {file_seconds / bare_file:.1f}x (apply_records' target: at most 3x)"
    )
    print(f"violations: {len(stats.violations)} (target 0)")
    for line in stats.violations[:10]:
        print("  -", line)
    return 1 if stats.violations else 0


if __name__ == "__main__":
    raise SystemExit(main())
