"""Benchmark the one write path: apply 50,000 records, re-apply them unchanged, apply 5,000 changes.

Prints records/s, queries per 1,000 records, and the ratio against a bare bulk_create of the same rows
(employees + one status event each) measured in the same run. Medians over --repeat runs (default 3).
Targets: first apply within 3x of the bare insert; an unchanged re-apply at least 3x faster than the first.

    .venv/bin/python bench/apply_records.py [--records 50000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import datetime as dt
import random

from _setup import counted, django_setup, median

STATUS_MIX = [("A", 0.78), ("T", 0.12), ("L", 0.05), ("XT", 0.02), ("R", 0.015), ("D", 0.005), ("S", 0.01)]


def make_records(companies, n: int, rng: random.Random):
    from apps.employees.records import EmployeeRecord

    codes, weights = zip(*STATUS_MIX, strict=True)
    per_company = {c.pk: [] for c in companies}
    for i in range(n):
        company = companies[i % len(companies)]
        code = rng.choices(codes, weights)[0]
        per_company[company.pk].append(
            EmployeeRecord(
                company_external_id=company.external_id,
                employee_id=f"E{i:06d}",
                status_code=code,
                status_effective_date=dt.date(2025, 1, 1) + dt.timedelta(days=rng.randrange(500)),
                first_name=f"First{i}",
                last_name=f"Last{i}",
                work_email=f"e{i}@example.com",
                national_id=f"{rng.randrange(10**9):09d}",
                employment_type=rng.choice(["RFT", "RPT", "SNL", "TFT", "TPT"]),
                benefit_class=rng.choice(["FT", "PT", "NONE"]),
                pay_group=rng.choice(["WEEKLY", "BIWEEKLY"]),
                hire_date=dt.date(2020, 1, 1),
            )
        )
    return per_company


def setup_companies(tag: str):
    from apps.companies.services import company_create, company_set_create, customer_create

    customer = customer_create(name=f"Bench {tag}", slug=f"bench-{tag}")
    sets = [company_set_create(customer=customer, name=f"Set {s}", provider="paylocity") for s in range(3)]
    return [
        company_create(company_set=sets[c % 3], external_id=f"{tag}-{c:02d}", name=f"C{c}") for c in range(20)
    ]


def bare_insert(companies, per_company) -> float:
    from django.db import transaction
    from django.utils import timezone

    from apps.employees.models import Employee, StatusEvent

    now = timezone.now()
    with counted() as c, transaction.atomic():
        for company in companies:
            rows = per_company[company.pk]
            # The same rows the apply writes: every employee field, and one full status event each.
            employees = Employee.objects.bulk_create(
                [
                    Employee(
                        company=company,
                        employee_id=r.employee_id,
                        first_name=r.first_name,
                        last_name=r.last_name,
                        work_email=r.work_email,
                        employment_type=r.employment_type,
                        benefit_class=r.benefit_class,
                        pay_group=r.pay_group,
                        hire_date=r.hire_date,
                        status_code=r.status_code,
                        status_type="active",
                        status_effective_date=r.status_effective_date,
                        decision_status_type="active",
                        decision_status_code=r.status_code,
                        identity_key="k" * 64,
                        national_id_last4=r.national_id[-4:],
                        snapshot_hash="h" * 64,
                        last_seen_at=now,
                        details_refreshed_at=now,
                    )
                    for r in rows
                ],
                batch_size=1000,
            )
            StatusEvent.objects.bulk_create(
                [
                    StatusEvent(
                        employee=e,
                        code=r.status_code,
                        status_type="active",
                        effective_date=r.status_effective_date,
                        recorded_at=now,
                        source="sync",
                        cause="bench",
                        transition="new_hire",
                    )
                    for e, r in zip(employees, rows, strict=True)
                ],
                batch_size=1000,
            )
    return c.seconds


def apply_all(companies, per_company, today):
    from apps.employees.services import employee_records_apply

    with counted() as c:
        for company in companies:
            employee_records_apply(
                company=company, records=per_company[company.pk], source="sync", today=today
            )
    return c.seconds, c.count


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    django_setup("bench_apply")
    from apps.mappings.models import StatusMapping

    n, today = args.records, dt.date(2026, 6, 1)
    figures = {"bare": [], "first": [], "again": [], "changes": []}
    queries = {}
    for run in range(args.repeat):
        rng = random.Random(run)
        bare_companies = setup_companies(f"bare{run}")
        figures["bare"].append(bare_insert(bare_companies, make_records(bare_companies, n, rng)))
        companies = setup_companies(f"run{run}")
        for company in companies[:3]:
            StatusMapping.objects.get_or_create(
                company_set=company.company_set,
                code="S",
                company=None,
                defaults={"status_type": "terminated"},
            )
        records = make_records(companies, n, random.Random(run))
        seconds, count = apply_all(companies, records, today)
        figures["first"].append(seconds)
        queries["first"] = count
        seconds, count = apply_all(companies, records, today)
        figures["again"].append(seconds)
        queries["again"] = count
        # 5,000 changes: terminations, leaves and returns, spread over the companies
        change_rng = random.Random(100 + run)
        changed = {c.pk: [] for c in companies}
        flat = [(cid, r) for cid, rows in records.items() for r in rows]
        for cid, r in change_rng.sample(flat, min(5000, len(flat))):
            new_code = {"A": "T", "T": "A", "L": "A", "XT": "A"}.get(r.status_code, "L")
            changed[cid].append(
                r.__class__(
                    **{
                        **{f: getattr(r, f) for f in r.__slots__ if f != "extra"},
                        "status_code": new_code,
                        "status_effective_date": dt.date(2026, 5, 1),
                    }
                )
            )
        with counted() as c:
            from apps.employees.services import employee_records_apply

            for company in companies:
                if changed[company.pk]:
                    employee_records_apply(
                        company=company, records=changed[company.pk], source="sync", today=today
                    )
        figures["changes"].append(c.seconds)
        queries["changes"] = c.count
    changes_n = min(5000, n)
    bare, first, again, changes = (median(figures[k]) for k in ("bare", "first", "again", "changes"))
    print(f"records: {n}, companies: 20, company sets: 3, runs: {args.repeat} (medians)")
    print(f"bare bulk_create (employees + events): {bare:.2f}s  {n / bare:,.0f} records/s")
    print(
        f"first apply:     {first:.2f}s  {n / first:,.0f} records/s  {1000 * queries['first'] / n:.1f} queries/1k records"
    )
    print(
        f"unchanged again: {again:.2f}s  {n / again:,.0f} records/s  {1000 * queries['again'] / n:.1f} queries/1k records"
    )
    print(
        f"5,000 changes:   {changes:.2f}s  {changes_n / changes:,.0f} records/s  "
        f"{1000 * queries['changes'] / changes_n:.1f} queries/1k records"
    )
    print(f"ratio first apply / bare insert: {first / bare:.2f}x (target <= 3x)")
    print(f"ratio first apply / unchanged re-apply: {first / again:.2f}x (target >= 3x)")


if __name__ == "__main__":
    main()
