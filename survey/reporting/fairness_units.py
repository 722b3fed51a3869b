"""The fairness report's units from the period's facts: counts per actor and agent, and the
steering measures (survey.reporting.steering) of each against the rest of the organisation.

A customer is the set of keyed identifier hashes seen together on contacts (phone, e-mail,
ref: two contacts that share any hash are the same customer, as the frequency cap matches
customers). Contacts without identifiers (purged, or never given) belong to no customer.
The rest of a unit is everything not of the unit: its contacts and surveys by subtraction
from the organisation's, its customers and cases as those with no contact of the unit (a
customer's or case's fact, such as a staff opt-out, is the same whichever unit looks at it).

Plain functions over the facts that survey.reporting.fairness_reads loads: no database.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from survey.reporting.steering import flags, measure

SPLIT_WINDOW = timedelta(hours=24)
REUSE_AFTER = timedelta(days=7)
# Opt-out sources of the customer's own making; every other source is staff (api:, admin:).
CUSTOMER_SOURCES = frozenset(("link", "one-click", "sms-stop"))

Unit = tuple[str, str | None]  # (actor, agent); agent None for the actor's own row


@dataclass(frozen=True)
class ContactFact:
    actor: str
    agent: str | None
    case_ref: str
    closed_at: datetime
    do_not_survey: bool
    hashes: tuple[str, ...]
    # The case's sampling decision, if it was made: when, and whether the case was drawn.
    decided_at: datetime | None = None
    drawn: bool = False


@dataclass(frozen=True)
class Cancellation:
    """A drawn case's survey stopped before sending: the stored cause and who stopped it."""

    cause: str
    who: str

    @property
    def by_customer(self) -> bool:
        """The customer's own opt-out (the only stop a unit cannot have caused)."""
        return self.cause == "opted_out" and self.who in CUSTOMER_SOURCES


@dataclass
class SurveyCounts:
    sent: int = 0
    declined: int = 0
    responses: int = 0

    def add(self, other: SurveyCounts) -> None:
        self.sent += other.sent
        self.declined += other.declined
        self.responses += other.responses


@dataclass
class Tally:
    """What a unit (or the whole organisation) did in the period."""

    contacts: int = 0
    do_not_survey: int = 0
    reused: int = 0
    cases: set[str] = field(default_factory=set)
    drawn: set[str] = field(default_factory=set)
    visits: dict[int, list[tuple[datetime, str]]] = field(default_factory=dict)
    surveys: SurveyCounts = field(default_factory=SurveyCounts)

    def add(self, contact: ContactFact, customer: int | None) -> None:
        self.contacts += 1
        self.do_not_survey += contact.do_not_survey
        decided = contact.decided_at
        self.reused += decided is not None and contact.closed_at - decided > REUSE_AFTER
        self.cases.add(contact.case_ref)
        if contact.drawn:
            self.drawn.add(contact.case_ref)
        if customer is not None:
            self.visits.setdefault(customer, []).append((contact.closed_at, contact.case_ref))

    @property
    def customers(self) -> set[int]:
        return set(self.visits)

    def split_customers(self) -> set[int]:
        return {c for c, visits in self.visits.items() if has_split_case(visits)}


def has_split_case(visits: Iterable[tuple[datetime, str]]) -> bool:
    """Whether two different cases closed within 24 hours of each other."""
    ordered = sorted(visits)
    for i, (moment, case_ref) in enumerate(ordered):
        for later, other in ordered[i + 1 :]:
            if later - moment > SPLIT_WINDOW:
                break
            if other != case_ref:
                return True
    return False


def customer_ids(hash_sets: Sequence[tuple[str, ...]]) -> list[int | None]:
    """A customer number per hash set: sets that share a hash, directly or through others,
    are one customer; an empty set is none."""
    parent: dict[str, str] = {}

    def root(digest: str) -> str:
        while parent[digest] != digest:
            parent[digest] = parent[parent[digest]]
            digest = parent[digest]
        return digest

    for hashes in hash_sets:
        for digest in hashes:
            parent.setdefault(digest, digest)
            parent[root(digest)] = root(hashes[0])
    numbers: dict[str, int] = {}
    return [numbers.setdefault(root(h[0]), len(numbers)) if h else None for h in hash_sets]


def units_of(actor: str, agent: str | None, agent_reporting: bool) -> list[Unit]:
    if agent and agent_reporting:
        return [(actor, None), (actor, agent)]
    return [(actor, None)]


@dataclass
class Organisation:
    """The whole organisation's tallies and the per-customer and per-case facts."""

    whole: Tally
    staff_opted_out: set[int]
    split: set[int]
    cancellations: dict[str, Cancellation]
    all_steered: int = 0

    def __post_init__(self) -> None:
        self.all_steered = self.steered(self.whole.drawn)

    def steered(self, cases: Iterable[str]) -> int:
        """Drawn cases stopped for a cause other than the customer's own opt-out."""
        found = (self.cancellations.get(c) for c in cases)
        return sum(1 for stop in found if stop is not None and not stop.by_customer)


def fairness_units(
    contacts: Sequence[ContactFact],
    *,
    staff_hashes: set[str],
    cancellations: dict[str, Cancellation],
    surveys: dict[Unit, SurveyCounts],
    agent_reporting: bool,
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The units (actor rows, then their agents) and the organisation's own rates."""
    customers = customer_ids([c.hashes for c in contacts])
    whole = Tally()
    tallies: defaultdict[Unit, Tally] = defaultdict(Tally)
    for contact, customer in zip(contacts, customers, strict=True):
        whole.add(contact, customer)
        for unit in units_of(contact.actor, contact.agent, agent_reporting):
            tallies[unit].add(contact, customer)
    for (actor, agent), counts in surveys.items():
        whole.surveys.add(counts)
        for unit in units_of(actor, agent, agent_reporting):
            tallies[unit].surveys.add(counts)
    staff = {
        customer
        for contact, customer in zip(contacts, customers, strict=True)
        if customer is not None and staff_hashes.intersection(contact.hashes)
    }
    org = Organisation(whole, staff, whole.split_customers(), cancellations)
    units = [
        _unit(actor, agent, tallies[(actor, agent)], org)
        for actor, agent in sorted(tallies, key=lambda u: (u[0], u[1] is not None, u[1] or ""))
    ]
    return units, {"measures": _measures(whole, org, Tally())}


def _unit(actor: str, agent: str | None, tally: Tally, org: Organisation) -> dict[str, Any]:
    causes = Counter(
        org.cancellations[case].cause for case in tally.drawn if case in org.cancellations
    )
    measures = _measures(tally, org, tally)
    return {
        "actor": actor,
        "agent": agent,
        "contacts": tally.contacts,
        "cases": len(tally.cases),
        "customers": len(tally.visits),
        "cancelled_after_draw": dict(sorted(causes.items())),
        "measures": measures,
        "flags": flags(measures),
    }


def _measures(tally: Tally, org: Organisation, excluded: Tally) -> dict[str, dict[str, Any]]:
    """A tally's measures against the organisation without `excluded` (the unit itself; for
    the whole organisation nothing, so that its limits are those of its own rate)."""
    whole = org.whole
    customers = tally.customers
    steered = org.steered(tally.drawn)
    staff = len(customers & org.staff_opted_out)
    split = len(tally.split_customers())
    own = excluded.customers
    rest_customers = len(whole.visits) - len(own)
    s, all_s = tally.surveys, whole.surveys
    rest_s = excluded.surveys
    return {
        "do_not_survey_share": measure(
            tally.do_not_survey,
            tally.contacts,
            whole.do_not_survey - excluded.do_not_survey,
            whole.contacts - excluded.contacts,
        ),
        "staff_opt_out_share": measure(
            staff,
            len(customers),
            len(org.staff_opted_out) - len(own & org.staff_opted_out),
            rest_customers,
        ),
        "post_draw_cancel_share": measure(
            steered,
            len(tally.drawn),
            org.all_steered - org.steered(excluded.drawn),
            len(whole.drawn) - len(excluded.drawn),
        ),
        "split_case_share": measure(
            split, len(customers), len(org.split) - len(own & org.split), rest_customers
        ),
        "reused_case_share": measure(
            tally.reused,
            tally.contacts,
            whole.reused - excluded.reused,
            whole.contacts - excluded.contacts,
        ),
        "decline_rate": measure(
            s.declined, s.sent, all_s.declined - rest_s.declined, all_s.sent - rest_s.sent
        ),
        "response_rate": measure(
            s.responses, s.sent, all_s.responses - rest_s.responses, all_s.sent - rest_s.sent
        ),
    }
