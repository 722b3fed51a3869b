"""The steering measures and their limits, and the counting of the fairness units: pure."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from survey.reporting.fairness_units import (
    Cancellation,
    ContactFact,
    SurveyCounts,
    customer_ids,
    fairness_units,
    has_split_case,
)
from survey.reporting.steering import MEASURES, control_limits, flags, is_flagged, measure

T0 = datetime(2026, 3, 2, 8, tzinfo=UTC)


def test_limits_are_three_point_oh_nine_standard_errors_around_the_rest_clipped() -> None:
    low, high = control_limits(0.2, 100) or (None, None)
    assert low == pytest.approx(0.2 - 3.09 * 0.04) and high == pytest.approx(0.2 + 3.09 * 0.04)
    assert control_limits(0.01, 10) == [0.0, pytest.approx(0.01 + 3.09 * (0.0099 / 10) ** 0.5)]
    assert control_limits(0.0, 50) == [0.0, 0.0]
    assert control_limits(None, 50) is None


def test_a_zero_denominator_gives_null_rate_interval_and_limits_and_no_flag() -> None:
    empty = measure(0, 0, 5, 10)
    assert empty == {"num": 0, "den": 0, "rate": None, "ci95": None, "limits": None}
    assert flags({"decline_rate": empty}) == []


def test_without_a_rest_there_are_no_limits_to_cross() -> None:
    alone = measure(3, 10, 0, 0)
    assert alone["rate"] == 0.3 and alone["limits"] is None
    assert not is_flagged("do_not_survey_share", alone)


def test_only_the_response_rate_is_flagged_below_its_limits() -> None:
    low = measure(0, 200, 80, 200)  # 0 % against a rest at 40 %
    assert low["limits"][0] > 0
    for name in MEASURES:
        assert is_flagged(name, low) == (name == "response_rate")
    high = measure(80, 200, 2, 200)
    assert all(is_flagged(name, high) for name in MEASURES)
    assert flags({"split_case_share": high, "decline_rate": low}) == ["split_case_share"]


counts = st.integers(min_value=0, max_value=5000)


@given(counts, counts, counts, counts)
def test_a_measure_is_consistent_whatever_the_counts(a: int, b: int, c: int, d: int) -> None:
    num, den = min(a, b), max(a, b)
    rest_num, rest_den = min(c, d), max(c, d)
    figures = measure(num, den, rest_num, rest_den)
    if den == 0:
        assert figures["rate"] is None and figures["limits"] is None
        return
    rate = figures["rate"]
    assert figures["ci95"][0] <= rate <= figures["ci95"][1]
    if rest_den == 0:
        assert figures["limits"] is None
        return
    low, high = figures["limits"]
    p0 = rest_num / rest_den
    assert 0.0 <= low <= p0 <= high <= 1.0
    assert is_flagged("split_case_share", figures) == (rate > high)
    assert is_flagged("response_rate", figures) == (rate > high or rate < low)


@given(st.floats(min_value=0.0, max_value=1.0), st.integers(1, 10_000))
def test_the_funnel_narrows_as_the_denominator_grows(p0: float, den: int) -> None:
    wide, narrow = control_limits(p0, den), control_limits(p0, den * 4)
    assert wide is not None and narrow is not None
    assert wide[0] <= narrow[0] + 1e-12 and narrow[1] <= wide[1] + 1e-12


def test_customers_sharing_an_identifier_are_one_even_through_another() -> None:
    ids = customer_ids([("phone-a",), ("mail-b",), ("phone-a", "mail-b"), (), ("phone-c",)])
    assert ids[0] == ids[1] == ids[2] and ids[3] is None and ids[4] not in (ids[0], None)


@given(st.lists(st.lists(st.sampled_from("abcdefgh"), max_size=3, unique=True), max_size=12))
def test_customer_ids_are_the_connected_groups_of_identifiers(sets: list[list[str]]) -> None:
    ids = customer_ids([tuple(s) for s in sets])
    for i, first in enumerate(sets):
        for j, second in enumerate(sets):
            if set(first) & set(second):
                assert ids[i] == ids[j]
    # Two sets with no chain of shared identifiers between them are different customers.
    groups: list[set[str]] = []
    for s in map(set, sets):
        joined = [g for g in groups if g & s]
        for g in joined:
            groups.remove(g)
            s |= g
        groups.append(s)
    for i, first in enumerate(sets):
        for j, second in enumerate(sets):
            together = any(set(first) <= g and set(second) <= g for g in groups)
            if first and second and not together:
                assert ids[i] != ids[j]


def test_two_cases_of_a_customer_within_24_hours_are_a_split() -> None:
    assert has_split_case([(T0, "A"), (T0 + timedelta(hours=24), "B")])
    assert not has_split_case([(T0, "A"), (T0 + timedelta(hours=24, seconds=1), "B")])
    assert not has_split_case([(T0, "A"), (T0 + timedelta(hours=1), "A")])
    assert has_split_case(
        [
            (T0 + timedelta(hours=30), "C"),
            (T0, "A"),
            (T0 + timedelta(hours=2), "A"),
            (T0 + timedelta(hours=25), "A"),
        ]
    )


def _fact(actor: str, case_ref: str, phone: str, hours: float = 0, **kw: object) -> ContactFact:
    return ContactFact(
        actor=actor,
        agent=kw.pop("agent", "ag"),  # type: ignore[arg-type]
        case_ref=case_ref,
        closed_at=T0 + timedelta(hours=hours),
        do_not_survey=bool(kw.pop("do_not_survey", False)),
        hashes=(phone,),
        **kw,  # type: ignore[arg-type]
    )


def test_a_stop_by_the_customer_is_no_steering_and_other_causes_are() -> None:
    contacts = [_fact("x", f"c{i}", f"p{i}", decided_at=T0, drawn=True) for i in range(4)]
    stops = {
        "c0": Cancellation("opted_out", "link"),
        "c1": Cancellation("opted_out", "api:x"),
        "c2": Cancellation("do_not_survey", "actor:x"),
    }
    units, _ = fairness_units(
        contacts, staff_hashes=set(), cancellations=stops, surveys={}, agent_reporting=False
    )
    (unit,) = units
    assert unit["cancelled_after_draw"] == {"do_not_survey": 1, "opted_out": 2}
    assert unit["measures"]["post_draw_cancel_share"]["num"] == 2
    assert unit["measures"]["post_draw_cancel_share"]["den"] == 4


def test_a_contact_is_reused_only_more_than_seven_days_after_the_decision() -> None:
    decided = T0 - timedelta(days=7)
    contacts = [
        _fact("x", "c0", "p0", decided_at=decided),
        _fact("x", "c1", "p1", decided_at=decided - timedelta(seconds=1)),
        _fact("x", "c2", "p2"),
    ]
    units, _ = fairness_units(
        contacts, staff_hashes=set(), cancellations={}, surveys={}, agent_reporting=False
    )
    assert units[0]["measures"]["reused_case_share"]["num"] == 1


actors = st.sampled_from(["x", "y", "z"])
contact_rows = st.lists(
    st.tuples(
        actors,
        st.sampled_from(["a1", "a2", None]),
        st.integers(0, 5),
        st.integers(0, 6),
        st.integers(0, 60),
        st.booleans(),
    ),
    min_size=1,
    max_size=40,
)


@given(contact_rows, st.sets(st.sampled_from([f"p{i}" for i in range(7)])))
def test_each_units_limits_come_from_the_rest_of_the_organisation(
    rows: list[tuple[str, str | None, int, int, int, bool]], staff: set[str]
) -> None:
    contacts = [
        _fact(actor, f"{actor}-{case}", f"p{phone}", hours, agent=agent, do_not_survey=dns)
        for actor, agent, case, phone, hours, dns in rows
    ]
    surveys = {("x", "a1"): SurveyCounts(10, 2, 5), ("y", None): SurveyCounts(20, 1, 12)}
    units, _ = fairness_units(
        contacts, staff_hashes=staff, cancellations={}, surveys=surveys, agent_reporting=True
    )
    for unit in units:

        def mine(c: ContactFact, unit: dict = unit) -> bool:
            return c.actor == unit["actor"] and unit["agent"] in (None, c.agent)

        rest = [c for c in contacts if not mine(c)]
        own_customers = {c.hashes[0] for c in contacts if mine(c)}
        rest_customers = {c.hashes[0] for c in rest} - own_customers
        expected = {
            "do_not_survey_share": (sum(c.do_not_survey for c in rest), len(rest)),
            "staff_opt_out_share": (len(rest_customers & staff), len(rest_customers)),
            "split_case_share": (
                sum(
                    has_split_case(
                        (c.closed_at, c.case_ref) for c in contacts if c.hashes[0] == customer
                    )
                    for customer in rest_customers
                ),
                len(rest_customers),
            ),
        }
        for name, (rest_num, rest_den) in expected.items():
            figures = unit["measures"][name]
            p0 = rest_num / rest_den if rest_den else None
            want = control_limits(p0, figures["den"]) if figures["den"] else None
            assert figures["limits"] == want, (unit["actor"], unit["agent"], name)
