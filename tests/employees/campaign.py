"""A randomized campaign of employee lives against a reference model (shared by the test and the benchmark).

The reference model is written from seed 002 and docs/lifecycle.md, not from the engine: it walks the
calendar day by day (the engine works on change points), and keeps its own notion of each human's records
and facts. Rules send facts the way customers do: files split and shuffled, sync-like calls per company,
re-sent rows, a custom code mapped late, a company filtered out and back in, approvals, days passing with the
daily and hourly schedules.

Invariants, checked after every step:
1. No deprovision or suspend is written for a person who is active on the action's date.
2. The downstream converges: what the ledger says matches the reference model's desired state.
3. Re-sending facts already sent writes nothing and withdraws nothing.
At the end (teardown): the same facts sent to a twin customer in one shuffled file give the same access per
person (and the same company where the person is in one company).
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from django.db import transaction
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

BASE = dt.date(2026, 6, 1)
COMPANIES = ("C0", "C1", "C2")
CODES = (
    "A",
    "A",
    "A",
    "T",
    "T",
    "L",
    "L",
    "XT",
    "XT",
    "D",
    "R",
    "SEAS",
)  # SEAS: a custom code, unmapped until a rule maps it
TYPES = {
    "A": "active",
    "T": "terminated",
    "D": "terminated",
    "R": "terminated",
    "L": "leave",
    "XT": "terminated",
}
RANK = {"active": 3, "leave": 2, "terminated": 1}
GRACE = 7
HEADER = (
    "company_id,employee_id,first_name,last_name,work_email,national_id,birth_date,employment_type,"
    "benefit_class,pay_group,status_code,status_effective_date,change_reason,hire_date,termination_date\n"
)


@dataclass
class Stats:
    """What a campaign did (the benchmark prints it)."""

    events: int = 0
    files: int = 0
    calls: int = 0
    actions: int = 0
    violations: list[str] = field(default_factory=list)


STATS = Stats()


# --- the reference model --------------------------------------------------------------------------------


class Reference:
    """Seed 002 by the calendar: which status each record, and so each human, has on every day."""

    def __init__(self):
        self.facts: dict[tuple[str, str], dict[dt.date, str]] = {}  # (company, employee id) -> date -> code
        self.human_of: dict[tuple[str, str], int] = {}
        self.seas_type: str | None = None
        self.excluded: set[str] = set()

    def type_of(self, code: str) -> str | None:
        return self.seas_type if code == "SEAS" else TYPES[code]

    def record_timeline(self, key, today: dt.date) -> list[tuple[dt.date, str, str]]:
        """The record's deciding statuses (date, type, code): mapped, effective, fringe changes left out."""
        kept: list[tuple[dt.date, str, str]] = []
        for day in sorted(self.facts[key]):
            code = self.facts[key][day]
            kind = self.type_of(code)
            if kind is None or day > today:
                continue
            # seed 002: T->L and T->XT are fringe (admin error or correction): never acted on
            if kept and kept[-1][1] == "terminated" and (kind == "leave" or code == "XT"):
                continue
            kept.append((day, kind, code))
        return kept

    def records(self, human: int) -> list:
        return [
            k
            for k, h in self.human_of.items()
            if h == human and k[0] not in self.excluded and k in self.facts
        ]

    def status_on(self, human: int, day: dt.date, today: dt.date) -> tuple[str | None, set, bool]:
        """The human's status on ``day`` (best record), the companies holding it, and whether an XT fell
        on that very day."""
        best, holders, xt = None, set(), False
        for key in self.records(human):
            current = None
            for when, kind, code in self.record_timeline(key, today):
                if when <= day:
                    current = (when, kind, code)
            if current is None:
                continue
            xt = xt or (current[2] == "XT" and current[0] == day)
            if best is None or RANK[current[1]] > RANK[best]:
                best, holders = current[1], {key[0]}
            elif current[1] == best:
                holders.add(key[0])
        return best, holders, xt

    def desired(self, human: int, today: dt.date) -> tuple[str, set]:
        """provisioned / suspended / deprovisioned / transferring / unmanaged, and the holding companies."""
        status, holders, _ = self.status_on(human, today, today)
        if status is None:
            return "unmanaged", set()
        if status == "active":
            return "provisioned", holders
        if status == "leave":
            return "suspended", holders
        # Terminated: walk back to the first day of this terminated stretch
        day = today
        first = min((d for k in self.records(human) for d in self.facts[k]), default=today)
        while day > first and self.status_on(human, day - dt.timedelta(days=1), today)[0] == "terminated":
            day -= dt.timedelta(days=1)
        _, _, xt = self.status_on(human, day, today)
        if xt and (today - day).days <= GRACE:
            return "transferring", holders
        return "deprovisioned", holders

    def active_on(self, human: int, day: dt.date, today: dt.date) -> bool:
        return self.status_on(human, day, today)[0] == "active"


# --- the campaign ---------------------------------------------------------------------------------------


class Campaign(RuleBasedStateMachine):
    """Random lives over three companies of one set, sent in random splits and orders."""

    def __init__(self):
        super().__init__()
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        self.model = Reference()
        self.today = BASE
        self.buffer: list[tuple[tuple[str, str], str, dt.date]] = []
        self.planned: dict[tuple[str, str], dict[dt.date, str]] = {}
        self.sent: list[tuple[tuple[str, str], str, dt.date]] = []
        self.humans = 0
        self.next_employee = 0
        self.last_action = 0
        self.mapped = False
        self.violations: list[str] = []

    def _violation(self, text: str) -> None:
        self.violations.append(text)
        STATS.violations.append(text)

    @initialize(pushed=st.booleans())
    def setup_customer(self, pushed):
        """A customer with three companies in one set; its actions are pushed to a URL or exported."""
        from apps.employees.services import downstream_target_set
        from tests.companies.factories import CompanyFactory, CompanySetFactory, CustomerFactory

        self.customer = CustomerFactory()
        if pushed:  # unsent pending actions can then be withdrawn (nothing drains them in the campaign)
            downstream_target_set(
                customer=self.customer, url="https://downstream.example.com/hooks", signing_secret="whsec_x"
            )
        self.company_set = CompanySetFactory(customer=self.customer)
        self.companies = {
            name: CompanyFactory(company_set=self.company_set, external_id=f"{self.customer.pk}-{name}")
            for name in COMPANIES
        }

    def teardown(self):
        try:
            if self.sent and not self.violations:
                self._check_twin()
        finally:
            transaction.set_rollback(True)
            self._atomic.__exit__(None, None, None)

    # -- facts ------------------------------------------------------------------------------------------

    def _new_date(self, key, rnd: random.Random) -> dt.date | None:
        used = self.planned.setdefault(key, {})
        for _ in range(20):
            # half of the changes fall close to today, where transfer windows and future dates matter
            offset = rnd.randint(-12, 6) if rnd.random() < 0.5 else rnd.randint(-90, 6)
            day = self.today + dt.timedelta(days=offset)
            if day not in used:
                return day
        return None

    def _add(self, key, code: str, day: dt.date) -> None:
        """A fact happens at the provider; the hub (and the model) learn it when it is sent."""
        self.planned.setdefault(key, {})[day] = code
        self.buffer.append((key, code, day))
        STATS.events += 1

    def _mark_sent(self) -> None:
        for key, code, day in self.buffer:
            self.model.facts.setdefault(key, {})[day] = code
        self.sent += self.buffer
        self.buffer = []

    def _life(self, rnd: random.Random, human: int, records: int) -> None:
        """A random life of one human: a few records (transfers, second jobs, rehires), each a few events."""
        for _ in range(records):
            company = rnd.choice(COMPANIES)
            known = [k for k, h in self.model.human_of.items() if h == human]
            if known and rnd.random() < 0.4:
                key = (company, known[0][1])  # a transfer keeping the employee ID
            else:
                self.next_employee += 1
                key = (company, f"E{self.next_employee}")
            if key in self.model.human_of:
                continue
            self.model.human_of[key] = human
            self.planned[key] = {}
            for n in range(rnd.randint(1, 4)):
                code = "A" if n == 0 and rnd.random() < 0.8 else rnd.choice(CODES)
                day = self._new_date(key, rnd)
                if day is not None:
                    self._add(key, code, day)

    @rule(rnd=st.randoms(use_true_random=False), humans=st.integers(1, 4))
    def new_lives(self, rnd, humans):
        """New humans, each with a random life over one to three records."""
        for _ in range(humans):
            self.humans += 1
            self._life(rnd, self.humans, rnd.randint(1, 3))

    @precondition(lambda self: self.model.human_of or self.planned)
    @rule(rnd=st.randoms(use_true_random=False), changes=st.integers(1, 6))
    def status_changes(self, rnd, changes):
        """Status changes of existing records (any date: late, retro-dated or future-dated)."""
        keys = sorted(self.planned)
        for _ in range(changes):
            key = rnd.choice(keys)
            day = self._new_date(key, rnd)
            if day is not None:
                self._add(key, rnd.choice(CODES), day)

    @precondition(lambda self: self.planned)
    @rule(rnd=st.randoms(use_true_random=False))
    def another_record(self, rnd):
        """Another record of an existing human: a transfer or a second job, same or new employee ID."""
        human = self.model.human_of[rnd.choice(sorted(self.planned))]
        self._life(rnd, human, 1)

    # -- sending ----------------------------------------------------------------------------------------

    def _national_id(self, key) -> str:
        return f"{self.customer.pk:03d}{self.model.human_of[key]:06d}"

    def _rows_csv(self, rows, companies) -> str:
        return HEADER + "".join(
            f"{companies[key[0]].external_id},{key[1]},Pat,Doe{self.model.human_of[key]},,"
            f"{self._national_id(key)},,RFT,FT,BW,{code},{day.isoformat()},,,\n"
            for key, code, day in rows
        )

    @precondition(lambda self: self.buffer)
    @rule(rnd=st.randoms(use_true_random=False), parts=st.integers(1, 3))
    def send_files(self, rnd, parts):
        """Send what is buffered as files: shuffled, split into up to three files."""
        from apps.employees.services import employee_file_import

        rows = list(self.buffer)
        rnd.shuffle(rows)
        cuts = sorted(rnd.sample(range(1, len(rows)), min(parts - 1, len(rows) - 1))) if len(rows) > 1 else []
        for chunk in [rows[a:b] for a, b in zip([0, *cuts], [*cuts, len(rows)], strict=True)]:
            employee_file_import(
                customer=self.customer,
                data=self._rows_csv(chunk, self.companies),
                filename="f.csv",
                today=self.today,
            )
            STATS.files += 1
            # Each file is its own cause: what it wrote is judged by the facts sent so far, not by later files.
            for key, code, day in chunk:
                self.model.facts.setdefault(key, {})[day] = code
            self._check_actions()
        self._mark_sent()
        self._check_actions()

    @precondition(lambda self: self.buffer)
    @rule(rnd=st.randoms(use_true_random=False))
    def send_sync_pages(self, rnd):
        """Send what is buffered as a sync would: one call per company and page, companies in any order."""
        from apps.employees.records import EmployeeRecord
        from apps.employees.services import change_batch, employee_records_apply

        by_company: dict[str, list] = {}
        for key, code, day in self.buffer:
            by_company.setdefault(key[0], []).append((key, code, day))
        order = sorted(by_company)
        rnd.shuffle(order)
        with change_batch(customer=self.customer, cause="campaign sync") as batch:
            for company in order:
                rows = by_company[company]
                rnd.shuffle(rows)
                for start in range(0, len(rows), 3):  # pages of three
                    employee_records_apply(
                        company=self.companies[company],
                        records=[
                            EmployeeRecord(
                                company_external_id=self.companies[company].external_id,
                                employee_id=key[1],
                                status_code=code,
                                status_effective_date=day,
                                first_name="Pat",
                                last_name=f"Doe{self.model.human_of[key]}",
                                national_id=self._national_id(key),
                                employment_type="RFT",
                                benefit_class="FT",
                                pay_group="BW",
                            )
                            for key, code, day in rows[start : start + 3]
                        ],
                        source="sync",
                        today=self.today,
                        batch=batch,
                    )
                    STATS.calls += 1
        self._mark_sent()
        self._check_actions()

    @precondition(lambda self: self.sent)
    @rule(rnd=st.randoms(use_true_random=False))
    def resend(self, rnd):
        """Re-send facts already sent (a duplicated or re-delivered file): nothing may change."""
        from apps.employees.models import DownstreamAction
        from apps.employees.services import employee_file_import

        rows = rnd.sample(self.sent, min(len(self.sent), rnd.randint(1, 6)))
        before = list(DownstreamAction.objects.order_by("pk").values_list("pk", "state"))
        employee_file_import(
            customer=self.customer,
            data=self._rows_csv(rows, self.companies),
            filename="again.csv",
            today=self.today,
        )
        after = list(DownstreamAction.objects.order_by("pk").values_list("pk", "state"))
        if before != after:
            self._violation(f"re-sending {rows} changed the actions")

    # -- configuration, approvals, time -----------------------------------------------------------------

    @precondition(lambda self: not self.mapped)
    @rule(kind=st.sampled_from(["active", "leave", "terminated"]))
    def map_custom_code(self, kind):
        """The consultant maps the custom code late: its held events are released."""
        from apps.employees.services import status_mapping_set

        status_mapping_set(company_set=self.company_set, code="SEAS", status_type=kind, today=self.today)
        self.model.seas_type = kind
        self.mapped = True
        self._check_actions()

    @rule()
    def toggle_filter(self):
        """C2 leaves scope (its people keep their access) or comes back into it."""
        from apps.employees.services import filter_rule_delete, filter_rule_save
        from apps.mappings.models import FilterRule

        rule = FilterRule.objects.filter(company_set=self.company_set).first()
        if rule is None:
            filter_rule_save(
                company_set=self.company_set,
                field="company",
                operator="in",
                values=[self.companies["C2"].external_id],
                include=False,
                today=self.today,
            )
            self.model.excluded = {"C2"}
        else:
            filter_rule_delete(rule=rule, today=self.today)
            self.model.excluded = set()
        self._check_actions()

    @rule()
    def approve_held(self):
        from apps.employees.models import ChangeBatch
        from apps.employees.services import change_batch_decide

        for batch in ChangeBatch.objects.filter(customer=self.customer, state="awaiting_approval"):
            change_batch_decide(batch=batch, approve=True, acting_user=None, reason="ok", today=self.today)
        self._check_actions()

    @rule(days=st.integers(1, 12))
    def days_pass(self, days):
        """Time passes; the daily activation and the hourly transfer-window job run."""
        from apps.employees.services import status_events_activate, transfer_watches_expire

        self.today += dt.timedelta(days=days)
        status_events_activate(today=self.today)
        transfer_watches_expire(today=self.today)
        self._check_actions()

    # -- invariants ---------------------------------------------------------------------------------------

    def _check_actions(self):
        """Invariant 1 on the actions written since the last check (withdrawn ones were never sent), and no
        standing action repeats the access its predecessor left (a transfer changes the company)."""
        from apps.employees.models import DownstreamAction, Employee

        after = {"provision": "p", "restore": "p", "transfer": "p", "suspend": "s", "deprovision": "d"}
        previous: dict[int, tuple[str, int | None]] = {}
        for person_id, action, company in (
            DownstreamAction.objects.filter(customer=self.customer)
            .exclude(state__in=["superseded", "cancelled"])
            .order_by("person_id", "seq")
            .values_list("person_id", "action", "company_id")
        ):
            before = previous.get(person_id)
            if before and before[0] == after[action] and not (action == "transfer" and company != before[1]):
                self._violation(f"person {person_id}: a redundant {action} after {before}")
            previous[person_id] = (after[action], company)

        humans = {}
        for company, employee_id, person_id in Employee.objects.filter(
            company__company_set=self.company_set
        ).values_list("company__external_id", "employee_id", "person_id"):
            name = company.split("-", 1)[1]
            if (name, employee_id) in self.model.human_of:
                humans[person_id] = self.model.human_of[(name, employee_id)]
        new = DownstreamAction.objects.filter(customer=self.customer, pk__gt=self.last_action).exclude(
            state__in=["superseded", "cancelled"]
        )
        for action_pk, person_id, action, effective in new.values_list(
            "pk", "person_id", "action", "effective_date"
        ):
            self.last_action = max(self.last_action, action_pk)
            STATS.actions += 1
            if action in ("deprovision", "suspend") and person_id in humans:
                human = humans[person_id]
                if self.model.active_on(human, effective, self.today):
                    self._violation(
                        f"{action} on {effective} for human {human} who is active then (today {self.today}, "
                        f"excluded {sorted(self.model.excluded)}, SEAS {self.model.seas_type}, "
                        f"facts {self._facts_of(human)})"
                    )

    @invariant()
    def downstream_converges(self):
        """Invariant 2: the ledger of every managed person says what the reference model wants."""
        if not self.model.human_of or not hasattr(self, "customer"):
            return
        from apps.employees.models import Employee

        ledgers = {}
        for company, employee_id, access, desired in Employee.objects.filter(
            company__company_set=self.company_set
        ).values_list(
            "company__external_id", "employee_id", "person__downstream_access", "person__desired_access"
        ):
            key = (company.split("-", 1)[1], employee_id)
            if key in self.model.human_of:
                ledgers[self.model.human_of[key]] = (access, desired)
        allowed = {
            "provisioned": {"provisioned"},
            "suspended": {"suspended", "none", "deprovisioned"},
            "deprovisioned": {"deprovisioned", "none"},
        }
        for human, (access, desired) in ledgers.items():
            want, _ = self.model.desired(human, self.today)
            if want != desired:
                self._violation(
                    f"human {human}: the model wants {want}, the engine desires {desired} "
                    f"(today {self.today}, excluded {sorted(self.model.excluded)}, SEAS {self.model.seas_type}, "
                    f"facts {self._facts_of(human)})"
                )
            if want in allowed and access not in allowed[want]:
                self._violation(f"human {human}: the model wants {want}, the ledger says {access}")
        assert not self.violations, self.violations[:3]

    def _facts_of(self, human: int) -> dict:
        return {
            f"{k[0]}/{k[1]}": sorted((d.isoformat(), c) for d, c in self.model.facts.get(k, {}).items())
            for k, h in self.model.human_of.items()
            if h == human
        }

    def _check_twin(self):
        """Invariant 4: the same facts, in one shuffled file to a twin customer, give the same access."""
        from apps.employees.models import Employee
        from apps.employees.services import employee_file_import, filter_rule_save, status_mapping_set
        from tests.companies.factories import CompanyFactory, CompanySetFactory, CustomerFactory

        twin = CustomerFactory()
        twin_set = CompanySetFactory(customer=twin)
        companies = {
            name: CompanyFactory(company_set=twin_set, external_id=f"{twin.pk}-{name}") for name in COMPANIES
        }
        if self.mapped:
            status_mapping_set(
                company_set=twin_set, code="SEAS", status_type=self.model.seas_type, today=self.today
            )
        if self.model.excluded:
            filter_rule_save(
                company_set=twin_set,
                field="company",
                operator="in",
                values=[companies["C2"].external_id],
                include=False,
                today=self.today,
            )
        rows = list(self.sent)
        random.Random(len(rows)).shuffle(rows)
        saved = self.customer
        self.customer = twin  # national IDs are per customer
        employee_file_import(
            customer=twin, data=self._rows_csv(rows, companies), filename="twin.csv", today=self.today
        )
        self.customer = saved

        def access(company_set):
            found = {}
            for company, employee_id, value, where in Employee.objects.filter(
                company__company_set=company_set
            ).values_list(
                "company__external_id",
                "employee_id",
                "person__downstream_access",
                "person__downstream_company__external_id",
            ):
                key = (company.split("-", 1)[1], employee_id)
                found[self.model.human_of[key]] = (value == "provisioned", (where or "-").split("-", 1)[-1])
            return found

        mine, theirs = access(self.company_set), access(twin_set)
        for human in mine:
            want, holders = self.model.desired(human, self.today)
            if want in ("transferring", "unmanaged"):
                continue
            has, company = mine[human]
            twin_has, twin_company = theirs[human]
            if has != twin_has:
                self._violation(f"human {human}: access {has} here, {twin_has} from one file")
            elif has and len(holders) == 1 and company != twin_company:
                self._violation(f"human {human}: company {company} here, {twin_company} from one file")
        assert not self.violations, self.violations[:3]
