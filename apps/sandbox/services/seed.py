"""Deterministic sandbox data: the demo companies, their people and batches, and bulk data for benchmarks.

Idempotent: a second run creates nothing and changes nothing (rows are found by their natural keys, and
rows a control has changed since are left as they are). ``reset`` deletes every sandbox row first, for a
clean demo. Dates of people are fixed; batch dates follow ``today`` so that a date window around today finds
them. The credentials are fixed and public (README "Sandbox provider"): this is fake data on purpose.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from apps.companies.models import Provider

from ..models import (
    BatchStatus,
    SandboxBatch,
    SandboxCompany,
    SandboxCredential,
    SandboxEmployee,
    SandboxStatusChange,
    SandboxStatusCode,
    StatusType,
)
from .employees import PART_TIME_TYPES, STANDARD_CODES
from .payroll import batch_create, batch_delete, batch_void, batch_vouchers_generate

D = dt.date

# (provider, external id, name, company set)
COMPANIES = [
    (Provider.PAYLOCITY, "6700", "Acme Manufacturing", "acme"),
    (Provider.PAYLOCITY, "6701", "Acme Logistics", "acme"),
    (Provider.PRISMHR, "100100", "Summit Staffing", "summit"),
    (Provider.PRISMHR, "100900", "Unlisted Client Co", "summit"),
    (Provider.AFFINITY, "AFF100", "Affinity Demo Co", "affinity"),
]

CUSTOM_CODES = {
    Provider.PAYLOCITY: [("S", "Seasonal layoff", StatusType.LEAVE), ("FML", "FMLA leave", StatusType.LEAVE)],
    Provider.PRISMHR: [("SEAS", "Seasonal", StatusType.LEAVE)],
    Provider.AFFINITY: [("SUS", "Suspended", StatusType.LEAVE)],
}

# (provider, label, client id / username, secret / password, PEO ID, company external IDs)
CREDENTIALS = [
    (
        Provider.PAYLOCITY,
        "acme",
        "sandbox-paylocity-client",
        "sandbox-paylocity-secret",
        "",
        ["6700", "6701"],
    ),
    (
        Provider.PRISMHR,
        "summit",
        "sandbox-prism-user",
        "sandbox-prism-password",
        "SANDBOXPEO",
        ["100100", "100900"],
    ),
    (Provider.AFFINITY, "affinity", "sandbox-affinity-client", "sandbox-affinity-secret", "", ["AFF100"]),
]


@dataclass(frozen=True)
class Person:
    first: str
    last: str
    national_id: str
    birth: dt.date
    domain: str = "acme.example"

    @property
    def email(self) -> str:
        return f"{self.first}.{self.last}".lower().replace(" ", "").replace("-", "") + f"@{self.domain}"


@dataclass(frozen=True)
class Row:
    """One seeded record: who, where, what job, and its status history (code, date, reason) in order."""

    company: str
    employee_id: str
    person: Person
    history: list[tuple[str, dt.date, str]]
    employment_type: str = "RFT"
    benefit_class: str = "FT-BEN"
    pay_group: str = "BW"


def _p(n: int, first: str, last: str, birth: dt.date, domain: str = "acme.example") -> Person:
    # 9xx area numbers are never issued as real SSNs: safe fake national IDs.
    return Person(first, last, f"9{n:08d}", birth, domain)


ADA = _p(1001, "Ada", "Lovelace", D(1985, 12, 10))
KNUTH = _p(1006, "Donald", "Knuth", D(1978, 1, 10))
RADIA = _p(1013, "Radia", "Perlman", D(1981, 12, 18))
LAMPORT = _p(1015, "Leslie", "Lamport", D(1971, 2, 7))
HIRE = "New hire"

PAYLOCITY_ROWS = [
    Row("6700", "1001", ADA, [("A", D(2019, 3, 4), HIRE)]),
    Row(
        "6700",
        "1002",
        _p(1002, "Grace", "Hopper", D(1976, 12, 9)),
        [("A", D(2018, 6, 1), HIRE), ("T", D(2024, 11, 15), "Resigned")],
    ),
    Row(
        "6700",
        "1003",
        _p(1003, "Alan", "Turing", D(1972, 6, 23)),
        [("A", D(2017, 1, 9), HIRE), ("D", D(2024, 6, 7), "Deceased")],
    ),
    Row(
        "6700",
        "1004",
        _p(1004, "Edsger", "Dijkstra", D(1960, 5, 11)),
        [("A", D(2010, 5, 3), HIRE), ("R", D(2024, 12, 31), "Retirement")],
    ),
    Row(
        "6700",
        "1005",
        _p(1005, "Barbara", "Liskov", D(1979, 11, 7)),
        [("A", D(2020, 2, 17), HIRE), ("L", D(2025, 1, 6), "Medical leave")],
    ),
    Row("6700", "1006", KNUTH, [("A", D(2016, 8, 22), HIRE), ("XT", D(2025, 2, 1), "Transfer to 6701")]),
    Row(
        "6700",
        "1007",
        _p(1007, "Margaret", "Hamilton", D(1986, 8, 17)),
        [("A", D(2021, 4, 12), HIRE), ("S", D(2024, 12, 20), "Seasonal layoff")],
        "SNL",
        "SEASONAL",
    ),
    Row(
        "6700",
        "1008",
        _p(1008, "Katherine", "Johnson", D(1988, 8, 26)),
        [("A", D(2019, 9, 30), HIRE), ("FML", D(2025, 3, 3), "Eligible for FMLA")],
    ),
    Row(
        "6700",
        "1009",
        _p(1009, "John", "Backus", D(1990, 12, 3)),
        [("A", D(2022, 1, 10), HIRE)],
        "RPT",
        "PT-BEN",
    ),
    Row(
        "6700",
        "1010",
        _p(1010, "Frances", "Allen", D(1992, 8, 4)),
        [("A", D(2023, 5, 1), HIRE)],
        "SNL",
        "SEASONAL",
    ),
    Row(
        "6700",
        "1011",
        _p(1011, "Ken", "Thompson", D(1983, 2, 4)),
        [("A", D(2024, 6, 3), HIRE)],
        "TFT",
        "TEMP",
    ),
    Row(
        "6700",
        "1012",
        _p(1012, "Dennis", "Ritchie", D(1984, 9, 9)),
        [("A", D(2024, 6, 3), HIRE)],
        "TPT",
        "TEMP",
    ),
    Row("6700", "1013", RADIA, [("A", D(2018, 2, 5), HIRE)]),
    Row(
        "6700",
        "1014",
        _p(1014, "Tim", "Berners-Lee", D(1975, 6, 8)),
        [("A", D(2015, 1, 5), HIRE), ("T", D(2022, 3, 31), "Resigned"), ("A", D(2023, 5, 1), "Rehire")],
    ),
    Row("6700", "1015", LAMPORT, [("A", D(2018, 9, 17), HIRE), ("XT", D(2025, 1, 15), "Transfer to 6701")]),
    Row(
        "6700",
        "1016",
        _p(1016, "Shafi", "Goldwasser", D(1982, 11, 14)),
        [
            ("A", D(2020, 7, 6), HIRE),
            ("L", D(2024, 9, 2), "Family leave"),
            ("A", D(2024, 12, 2), "Return from leave"),
        ],
    ),
    # 6701: the other side of both transfers, a duplicate of 1013, and one of each common status.
    Row("6701", "1006", KNUTH, [("A", D(2025, 2, 1), "Transfer from 6700")]),
    Row("6701", "2015", LAMPORT, [("A", D(2025, 1, 15), "Transfer from 6700")]),
    Row("6701", "2013", RADIA, [("A", D(2021, 10, 4), HIRE)], "RPT", "PT-BEN"),
    Row("6701", "2001", _p(2001, "Hedy", "Lamarr", D(1987, 11, 9)), [("A", D(2020, 11, 2), HIRE)]),
    Row(
        "6701",
        "2002",
        _p(2002, "Annie", "Easley", D(1989, 4, 23)),
        [("A", D(2021, 3, 1), HIRE), ("L", D(2025, 2, 10), "Military leave")],
    ),
    Row(
        "6701",
        "2003",
        _p(2003, "Claude", "Shannon", D(1974, 4, 30)),
        [("A", D(2016, 4, 4), HIRE), ("T", D(2024, 10, 31), "Position eliminated")],
    ),
]


def _prism(n: int, first: str, last: str, history, employment_type="FT", pay_group="BW1", company="100100"):
    person = _p(3000 + n, first, last, D(1980 + n, (n % 12) + 1, 10 + n), "summit.example")
    return Row(company, f"P{n:04d}", person, history, employment_type, "STD", pay_group)


PRISM_ROWS = [
    _prism(1, "Mary", "Jackson", [("A", D(2020, 1, 6), HIRE)]),
    _prism(2, "Dorothy", "Vaughan", [("A", D(2020, 1, 6), HIRE)], "PT", "BW2"),
    _prism(3, "Jean", "Bartik", [("A", D(2019, 5, 6), HIRE), ("T", D(2024, 12, 13), "Resigned")]),
    _prism(
        4,
        "Betty",
        "Holberton",
        [("A", D(2021, 2, 1), HIRE), ("L", D(2025, 1, 20), "Medical leave")],
        "FT",
        "BW2",
    ),
    _prism(5, "Kathleen", "Booth", [("A", D(2022, 4, 4), HIRE), ("SEAS", D(2024, 12, 1), "Seasonal")], "PT"),
    _prism(6, "Evelyn", "Berezin", [("A", D(2023, 8, 14), HIRE)], "FT", "BW2"),
    _prism(
        7,
        "Sophie",
        "Wilson",
        [("A", D(2018, 3, 5), HIRE), ("T", D(2023, 6, 30), "Laid off"), ("A", D(2024, 2, 5), "Rehire")],
    ),
    _prism(
        8,
        "Lynn",
        "Conway",
        [
            ("A", D(2017, 7, 3), HIRE),
            ("L", D(2024, 8, 5), "Leave"),
            ("A", D(2024, 11, 4), "Return from leave"),
        ],
        "PT",
        "BW2",
    ),
    _prism(9, "Carol", "Shaw", [("A", D(2021, 9, 13), HIRE)], company="100900"),
]


def _affinity(n: int, first: str, last: str, history, employment_type="full_time"):
    person = _p(5000 + n, first, last, D(1985, n, 1 + n), "affinity.example")
    return Row("AFF100", f"E{1000 + n}", person, history, employment_type, "STANDARD", "MONTHLY")


AFFINITY_ROWS = [
    _affinity(1, "Joan", "Clarke", [("A", D(2021, 1, 4), HIRE)]),
    _affinity(2, "Mavis", "Batey", [("A", D(2019, 2, 4), HIRE), ("T", D(2024, 9, 30), "Resigned")]),
    _affinity(3, "Margaret", "Rock", [("A", D(2020, 3, 2), HIRE), ("L", D(2025, 2, 3), "Parental leave")]),
    _affinity(4, "Ruth", "Briggs", [("A", D(2022, 4, 4), HIRE)], "part_time"),
    _affinity(5, "Jane", "Fawcett", [("A", D(2020, 5, 4), HIRE), ("SUS", D(2025, 1, 13), "Suspended")]),
    _affinity(6, "Dilly", "Knox", [("A", D(2005, 6, 6), HIRE), ("R", D(2024, 12, 31), "Retirement")]),
]


@dataclass
class SeedReport:
    companies: int = 0
    credentials: int = 0
    employees: int = 0
    bulk_employees: int = 0
    batches: int = 0
    vouchers: int = 0
    notes: list[str] = field(default_factory=list)


def _type_of(codes: dict[str, str], code: str) -> str:
    return codes.get(code) or STANDARD_CODES[code][1]


def _employee_from(row: Row, company: SandboxCompany, codes: dict[str, str]) -> SandboxEmployee:
    """An unsaved employee whose fields follow its history (dates of hire, rehire, termination)."""
    code, effective, reason = row.history[-1]
    hire = row.history[0][1]
    rehire = next((d for c, d, _ in reversed(row.history[1:]) if c == "A"), None)
    termination = next(
        (d for c, d, _ in reversed(row.history) if _type_of(codes, c) == StatusType.TERMINATED), None
    )
    return SandboxEmployee(
        company=company,
        employee_id=row.employee_id,
        first_name=row.person.first,
        last_name=row.person.last,
        work_email=row.person.email,
        national_id=row.person.national_id,
        birth_date=row.person.birth,
        status_code=code,
        status_type=_type_of(codes, code),
        status_effective_date=effective,
        change_reason=reason,
        hire_date=hire,
        rehire_date=rehire,
        termination_date=termination,
        employment_type=row.employment_type,
        full_time=row.employment_type not in PART_TIME_TYPES,
        benefit_class=row.benefit_class,
        pay_group=row.pay_group,
        department="Operations",
        job_title="Associate",
    )


def _changes_for(employee: SandboxEmployee, history, codes: dict[str, str], control: str = "seed"):
    previous = ""
    for code, effective, reason in history:
        yield SandboxStatusChange(
            employee=employee,
            status_code=code,
            status_type=_type_of(codes, code),
            effective_date=effective,
            change_reason=reason,
            previous_code=previous,
            control=control,
        )
        previous = code


def _seed_companies(report: SeedReport) -> dict[str, SandboxCompany]:
    companies = {}
    for provider, external_id, name, company_set in COMPANIES:
        company, created = SandboxCompany.objects.get_or_create(
            provider=provider, external_id=external_id, defaults={"name": name, "company_set": company_set}
        )
        report.companies += created
        companies[external_id] = company
        for code, (words, status_type) in STANDARD_CODES.items():
            SandboxStatusCode.objects.get_or_create(
                company=company, code=code, defaults={"description": words, "status_type": status_type}
            )
        for code, words, status_type in CUSTOM_CODES[provider]:
            SandboxStatusCode.objects.get_or_create(
                company=company,
                code=code,
                defaults={"description": words, "status_type": status_type, "custom": True},
            )
    return companies


def _seed_credentials(report: SeedReport, companies: dict[str, SandboxCompany]) -> None:
    for provider, label, ident, secret, peo_id, external_ids in CREDENTIALS:
        prism = provider == Provider.PRISMHR
        credential = SandboxCredential.objects.filter(provider=provider, label=label).first()
        if credential is None:
            credential = SandboxCredential(provider=provider, label=label, peo_id=peo_id)
            if prism:
                credential.username, credential.password = ident, secret
            else:
                credential.client_id, credential.client_secret = ident, secret
            credential.full_clean()
            credential.save()
            report.credentials += 1
        credential.companies.add(*(companies[e] for e in external_ids))


def _seed_rows(report: SeedReport, companies: dict[str, SandboxCompany], rows: list[Row]) -> None:
    codes_by_company = {
        c.pk: dict(c.status_codes.values_list("code", "status_type")) for c in companies.values()
    }
    existing = set(
        SandboxEmployee.objects.filter(company__in=companies.values()).values_list(
            "company__external_id", "employee_id"
        )
    )
    new = [row for row in rows if (row.company, row.employee_id) not in existing]
    employees = [
        _employee_from(row, companies[row.company], codes_by_company[companies[row.company].pk])
        for row in new
    ]
    SandboxEmployee.objects.bulk_create(employees)
    changes = []
    for row, employee in zip(new, employees, strict=True):
        changes.extend(_changes_for(employee, row.history, codes_by_company[employee.company_id]))
    SandboxStatusChange.objects.bulk_create(changes)
    report.employees += len(employees)


def seed_bulk_employees(*, company: SandboxCompany, count: int, report: SeedReport | None = None) -> int:
    """Make ``company`` hold ``count`` generated employees ``B00001``... (bulk; only the missing ones).

    Every 20th is terminated and every 33rd on leave, the rest active; employment types cycle through
    RFT/RPT/SNL/TFT/TPT. Fast enough for 20,000 (two bulk inserts in chunks).
    """
    width = max(5, len(str(count)))
    wanted = {f"B{n:0{width}d}": n for n in range(1, count + 1)}
    have = set(company.employees.filter(employee_id__in=list(wanted)).values_list("employee_id", flat=True))
    types = ["RFT", "RPT", "SNL", "TFT", "TPT"]
    codes = dict(company.status_codes.values_list("code", "status_type"))
    rows = []
    for employee_id, n in wanted.items():
        if employee_id in have:
            continue
        hire = D(2015, 1, 1) + timedelta(days=n % 3000)
        history = [("A", hire, HIRE)]
        if n % 20 == 0:
            history.append(("T", hire + timedelta(days=400), "Resigned"))
        elif n % 33 == 0:
            history.append(("L", hire + timedelta(days=200), "Leave"))
        person = _p(700_000 + n, f"Bench{n}", f"Worker{n % 997}", D(1970 + n % 30, n % 12 + 1, n % 28 + 1))
        rows.append(
            (Row(company.external_id, employee_id, person, history, types[n % 5], "FT-BEN", "BW"), history)
        )
    employees = [_employee_from(row, company, codes) for row, _ in rows]
    SandboxEmployee.objects.bulk_create(employees, batch_size=2000)
    changes = [
        c for (_, history), e in zip(rows, employees, strict=True) for c in _changes_for(e, history, codes)
    ]
    SandboxStatusChange.objects.bulk_create(changes, batch_size=4000)
    if report is not None:
        report.bulk_employees += len(employees)
    return len(employees)


def _seed_batches(report: SeedReport, companies: dict[str, SandboxCompany], today: dt.date) -> None:
    """One batch per seed 004 rule (see each ``scenario``); created once, events recorded but not sent."""
    client = companies["100100"]
    if client.batches.exists():
        return
    t = today

    def make(batch_id, scenario, status=BatchStatus.COMP, pay=None, vouchers=0, **kwargs):
        batch = batch_create(
            company=kwargs.pop("company", client),
            batch_id=batch_id,
            status=status,
            pay_date=pay,
            period_start=kwargs.pop("period_start", t - timedelta(days=28)),
            period_end=kwargs.pop("period_end", t - timedelta(days=15)),
            post_date=pay,
            pay_groups=kwargs.pop("pay_groups", ["BW1", "BW2"]),
            scenario=scenario,
            send=False,
            **kwargs,
        )
        if vouchers:
            report.vouchers += batch_vouchers_generate(batch=batch, count=vouchers, employee_count=8)
        report.batches += 1
        return batch

    complete = make(
        "41001", "complete", pay=t - timedelta(days=14), vouchers=8, description="Regular payroll"
    )
    make(
        "41002",
        "pending",
        status=BatchStatus.INITOK,
        pay=t,
        vouchers=8,
        description="Regular payroll (in review)",
    )
    make("41003", "no_pay_date", pay=None, vouchers=4, description="Payroll without a pay date")
    make(
        "41004",
        "no_billing_totals",
        pay=t - timedelta(days=7),
        vouchers=4,
        has_billing_totals=False,
        description="Payroll without billing code totals",
    )
    no_vouchers = make(
        "41005", "no_vouchers", pay=t - timedelta(days=7), description="Payroll without vouchers"
    )
    no_vouchers.billing_totals = [{"billCode": "ADMIN", "totBillAmt": "25.00"}]
    no_vouchers.save(update_fields=["billing_totals", "updated_at"])
    void = batch_void(batch=complete, batch_id="41006", pay_date=t - timedelta(days=10), send=False)
    report.batches += 1
    report.vouchers += void.vouchers.count()
    deleted = make(
        "41007",
        "deleted",
        status=BatchStatus.TS_ENTRY,
        pay=t + timedelta(days=7),
        description="Payroll deleted in the provider",
    )
    batch_delete(batch=deleted, send=False)
    make(
        "49001",
        "unknown_client",
        pay=t - timedelta(days=14),
        vouchers=2,
        company=companies["100900"],
        description="Payroll of a client the hub does not know",
    )


def seed_large_batch(
    *,
    company: SandboxCompany,
    vouchers: int,
    employees: int = 5000,
    batch_id: str = "41999",
    today: dt.date | None = None,
) -> SandboxBatch:
    """A complete batch of ``vouchers`` vouchers over ``employees`` employees (seed 004's large payrolls)."""
    existing = company.batches.filter(batch_id=batch_id).first()
    if existing is not None:
        missing = vouchers - existing.vouchers.count()
        if missing > 0:
            batch_vouchers_generate(batch=existing, count=missing, employee_count=employees)
        return existing
    t = today or timezone.localdate()
    batch = batch_create(
        company=company,
        batch_id=batch_id,
        status=BatchStatus.COMP,
        pay_date=t - timedelta(days=3),
        period_start=t - timedelta(days=17),
        period_end=t - timedelta(days=4),
        post_date=t - timedelta(days=3),
        pay_groups=["BW1", "BW2", "WK1"],
        description=f"Large payroll ({vouchers} vouchers)",
        scenario="large",
        send=False,
    )
    batch_vouchers_generate(batch=batch, count=vouchers, employee_count=employees)
    return batch


@transaction.atomic
def sandbox_seed(
    *,
    bulk_employees: int = 0,
    bulk_company: str = "6700",
    large_batch_vouchers: int = 0,
    reset: bool = False,
    today: dt.date | None = None,
) -> SeedReport:
    """Create the sandbox's demo data (idempotent); optionally bulk employees and a large batch for benchmarks."""
    report = SeedReport()
    if reset:
        SandboxCredential.objects.all().delete()
        SandboxCompany.objects.all().delete()
        report.notes.append("Deleted every sandbox row first.")
    today = today or timezone.localdate()
    companies = _seed_companies(report)
    _seed_credentials(report, companies)
    _seed_rows(report, companies, PAYLOCITY_ROWS + PRISM_ROWS + AFFINITY_ROWS)
    _seed_batches(report, companies, today)
    if bulk_employees:
        target = SandboxCompany.objects.filter(external_id=bulk_company).first()
        if target is None:
            raise ValueError(f"No sandbox company {bulk_company!r} for the bulk employees.")
        seed_bulk_employees(company=target, count=bulk_employees, report=report)
    if large_batch_vouchers:
        batch = seed_large_batch(company=companies["100100"], vouchers=large_batch_vouchers, today=today)
        report.notes.append(f"Large batch {batch.batch_id}: {batch.vouchers.count()} vouchers.")
    return report
