"""The soak's customers, cases and opt-outs: seeded, so that a run can be repeated.

Each case has several contacts handled by two actors; about one case in ten shares its customer
with the case before it (the frequency cap then has a say); about one customer in ten opts out
through the API, before its case arrives, just after it, or a few batches later.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

ACTORS = ("soak-a", "soak-b")
OPT_OUT_MOMENTS = ("before", "with", "later")


@dataclass(frozen=True)
class Customer:
    index: int
    phone: str | None
    email: str | None
    language: str

    @property
    def ref(self) -> str:
        return f"R{self.index}"


@dataclass(frozen=True)
class OptOutPlan:
    customer: Customer
    moment: str  # one of OPT_OUT_MOMENTS
    identifier: dict[str, str]  # the one identifier the API is given


@dataclass
class CasePlan:
    case_ref: str
    customer: Customer
    contacts: int
    channels: list[str]
    opt_out: OptOutPlan | None = None

    def contacts_of(self, actor: str, now: datetime) -> list[dict[str, Any]]:
        """This actor's contacts of the case (every other one), closed in the last minutes."""
        found = []
        for n in range(self.contacts):
            if ACTORS[n % len(ACTORS)] != actor:
                continue
            closed = now - timedelta(seconds=30 * (self.contacts - n))
            customer: dict[str, Any] = {
                "language": self.customer.language,
                "ref": self.customer.ref,
            }
            if self.customer.phone:
                customer["phone"] = self.customer.phone
            if self.customer.email:
                customer["email"] = self.customer.email
            found.append(
                {
                    "external_id": f"{self.case_ref}-{n}",
                    "case_ref": self.case_ref,
                    "channel": self.channels[n],
                    "opened_at": (closed - timedelta(minutes=4)).isoformat(),
                    "closed_at": closed.isoformat(),
                    "agent": f"{actor}-agent-{n % 7}",
                    "team": f"{actor}-team-{n % 3}",
                    "case_type": "billing" if n % 2 else "technical",
                    "customer": customer,
                }
            )
        return found


@dataclass
class Population:
    cases: list[CasePlan]
    customers: dict[int, Customer] = field(default_factory=dict)

    def by_ref(self) -> dict[str, CasePlan]:
        return {case.case_ref: case for case in self.cases}


def _customer(index: int, rng: random.Random) -> Customer:
    kind = rng.random()
    phone = f"+46739{index:06d}" if kind < 0.8 else None
    email = f"kund{index}@example.se" if kind > 0.5 else None
    return Customer(index, phone, email, rng.choice(["sv", "sv-SE", "en"]))


def _channels(customer: Customer, count: int, rng: random.Random) -> list[str]:
    usable = (["phone", "sms"] if customer.phone else []) + (
        ["email", "chat"] if customer.email else []
    )
    return [rng.choice(usable) for _ in range(count)]


def _opt_out(customer: Customer, rng: random.Random) -> OptOutPlan:
    given = {"ref": customer.ref}
    if customer.phone:
        given["phone"] = customer.phone
    if customer.email:
        given["email"] = customer.email
    name = rng.choice(sorted(given))
    return OptOutPlan(customer, rng.choice(OPT_OUT_MOMENTS), {name: given[name]})


def make_population(
    cases: int, contacts: int, *, seed: int = 11, opt_out_share: float = 0.15
) -> Population:
    rng = random.Random(seed)
    per_case, extra = divmod(contacts, cases)
    population = Population([])
    customer: Customer | None = None
    for n in range(cases):
        if customer is None or rng.random() >= 0.1:
            customer = _customer(n, rng)
            population.customers[customer.index] = customer
            opt_out = _opt_out(customer, rng) if rng.random() < opt_out_share else None
        else:
            opt_out = None  # the customer's first case carries its opt-out
        count = per_case + (1 if n < extra else 0)
        case = CasePlan(f"SOAK-{n:06d}", customer, count, _channels(customer, count, rng))
        case.opt_out = opt_out
        population.cases.append(case)
    return population


def now() -> datetime:
    return datetime.now(UTC)
