"""The report against an independent computation over the same rows (plain Python and scipy)."""

from __future__ import annotations

from datetime import date
from statistics import fmean
from typing import Any

import pytest
from scipy import stats as sp
from sqlmodel import select

from survey.context import Context
from survey.models import Actor, PolicyVersion, Response, Survey
from survey.reporting.distribution import score_distribution
from survey.reporting.report import (
    GROUP_KEYS,
    InvalidReportRequest,
    ReportRequest,
    satisfaction_report,
)
from tests.factories import make_response, make_survey, seed_report_data, utc
from tests.protection_lp import Slice, pinned_groups

# What the report discloses of each policy version (SPEC section 7), independently listed.
DISCLOSED = ("rate", "frequency_cap_days", "max_contact_age_hours", "quiet_hours")

ITEMS_CE = ("response_time", "manner", "clarity", "knowledge", "engagement", "proactivity")
ITEMS_CH = ("efficiency", "follow_up", "time_taken")
DEFINITIONS = object()  # the rates' definitions: a text naming RR1


def _records(ctx: Context) -> list[dict[str, Any]]:
    with ctx.session() as session:
        actors = {a.id: a.name for a in session.exec(select(Actor))}
        responses = {r.survey_id: r for r in session.exec(select(Response))}
        out = []
        for s in session.exec(select(Survey)):
            r = responses.get(s.id)
            out.append(
                {
                    "date": s.closed_local_date,
                    "keys": {
                        "day": s.closed_local_date.isoformat(),
                        "week": s.closed_week,
                        "month": s.closed_month,
                        "channel": s.channel,
                        "actor": actors[s.actor_id],
                        "team": s.team,
                        "agent": s.agent,
                        "case_type": s.case_type,
                        "language": s.language,
                    },
                    "delivery": s.delivery_status,
                    "status": s.response_status,
                    "opened_at": s.opened_at,
                    "cancel_cause": s.cancel_cause,
                    "answer": r if r is not None and r.overall is not None else None,
                    "asked": None if s.asked_items is None else s.asked_items.split(","),
                }
            )
    return out


def _mean(values: list[int]) -> float | None:
    return fmean(values) if values else None


FAMILIES = ("overall", "fcr", "resolution", *ITEMS_CE, *ITEMS_CH)


def _expected_group(records: list[dict[str, Any]], hidden: bool | set[str]) -> dict[str, Any]:
    answers = [r["answer"] for r in records if r["answer"] is not None]
    sent = sum(
        1
        for r in records
        if r["delivery"] in ("sent", "delivered")
        or r["status"] in ("opened", "answered", "declined")
    )
    overall = [a.overall for a in answers]
    n = len(overall)

    hidden_figures = set(FAMILIES) if hidden is True else hidden or set()

    def hide(value: Any, family: str = "overall") -> Any:
        return None if family in hidden_figures else value

    mean_ci = None
    if n >= 2:
        sem = sp.sem(overall)
        mean_ci = (
            [fmean(overall)] * 2
            if sem == 0
            else list(sp.t.interval(0.95, n - 1, loc=fmean(overall), scale=sem))
        )
    csat_yes = sum(1 for v in overall if v >= 4)
    csat_ci = None
    if n:
        ci = sp.binomtest(csat_yes, n).proportion_ci(method="wilson")
        csat_ci = [ci.low, ci.high]

    answered = [r for r in records if r["answer"] is not None]

    def asked(item: str) -> int:
        """Answered surveys that asked the item (no stored subset: every item)."""
        return sum(1 for r in answered if r["asked"] is None or item in r["asked"])

    def rate(item: str, n: int) -> dict[str, Any]:
        return {"asked": asked(item), "response_rate": n / asked(item) if asked(item) else None}

    def part(items: tuple[str, ...]) -> dict[str, Any]:
        scores = {i: [getattr(a, i) for a in answers if getattr(a, i) is not None] for i in items}
        # SPEC section 7: the part's mean is the mean of its item means.
        item_means = [fmean(v) for v in scores.values() if v]
        return {
            "mean": None
            if hidden_figures & set(items)
            else (fmean(item_means) if item_means else None),
            "items": {
                i: {
                    "n": len(scores[i]),
                    "mean": hide(_mean(scores[i]), i),
                    **rate(i, len(scores[i])),
                }
                for i in items
            },
        }

    resolutions = [a.resolution for a in answers if a.resolution is not None]
    fcr = [a.fcr for a in answers if a.fcr is not None]
    return {
        "sent": sent,
        "responses": n,
        "response_rate": n / sent if sent else None,
        "declined": sum(1 for r in records if r["status"] == "declined"),
        "opted_out": sum(
            1
            for r in records
            if r["status"] == "opted_out" and r["delivery"] in ("sent", "delivered")
        ),
        "overall": {
            "n": n,
            "mean": hide(_mean(overall)),
            "mean_ci95": hide(mean_ci),
            "csat": hide(csat_yes / n if n else None),
            "csat_ci95": hide(csat_ci),
        },
        "contact_experience": part(ITEMS_CE),
        "case_handling": part(ITEMS_CH),
        "resolution": {
            "n": len(resolutions),
            **{
                k: hide(
                    resolutions.count(k) / len(resolutions) if resolutions else None, "resolution"
                )
                for k in ("yes", "partly", "no")
            },
            **rate("resolution", len(resolutions)),
        },
        "fcr": {
            "n": len(fcr),
            "share": hide(fcr.count("yes") / len(fcr) if fcr else None, "fcr"),
            **rate("fcr", len(fcr)),
        },
        **_expected_design(records, n, mean_ci, csat_yes, csat_ci, hide),
    }


def _expected_design(
    records: list[dict[str, Any]], n: int, mean_ci: Any, csat_yes: int, csat_ci: Any, hide: Any
) -> dict[str, Any]:
    """Funnel and rates counted survey by survey; every case of the seed was decided at rate
    1, so the weighted figures are the unweighted ones with n_eff = n."""
    reached = ("opened", "answered", "declined")

    def count(test: Any) -> int:
        return sum(1 for r in records if test(r))

    def is_sent(r: dict[str, Any]) -> bool:
        return r["delivery"] in ("sent", "delivered") or r["status"] in reached

    def opened(r: dict[str, Any]) -> bool:
        return r["opened_at"] is not None or r["status"] in reached

    answered = count(lambda r: r["status"] == "answered")
    refused = count(lambda r: r["status"] == "declined") + count(
        lambda r: r["status"] == "opted_out" and is_sent(r)
    )
    unknown = count(lambda r: r["delivery"] == "unknown" and not opened(r))
    sent = count(is_sent)
    eligible = sent + unknown
    funnel = {
        "closed_cases": len(records),
        "drawn": len(records),
        "suppressed": {
            reason: 0
            for reason in (
                "do_not_survey",
                "opted_out",
                "case_already_surveyed",
                "customer_surveyed_recently",
                "too_old",
                "no_reachable_address",
            )
        },
        "scheduled": len(records),
        "sent": sent,
        "delivered": count(lambda r: r["delivery"] == "delivered" or opened(r)),
        "failed": count(lambda r: r["delivery"] == "failed"),
        "unknown": unknown,
        "opened": count(opened),
        "answered": answered,
        "declined": count(lambda r: r["status"] == "declined"),
        "expired": count(lambda r: r["status"] == "expired"),
        "opted_out_after_send": count(lambda r: r["status"] == "opted_out" and is_sent(r)),
        "cancelled_before_send": {
            cause: count(
                lambda r, c=cause: (
                    r["delivery"] == "cancelled" and (r["cancel_cause"] or "other") == c
                )
            )
            for cause in ("do_not_survey", "opted_out", "erasure", "other")
        },
    }
    mean = fmean([r["answer"].overall for r in records if r["answer"] is not None]) if n else None
    return {
        "funnel": funnel,
        "rates": {
            "response": answered / eligible if eligible else None,
            "cooperation": answered / (answered + refused) if answered + refused else None,
            "refusal": refused / eligible if eligible else None,
            "definitions": DEFINITIONS,
        },
        "weighted": {
            "overall": {
                "mean": hide(mean),
                "mean_ci95": hide(mean_ci),
                "csat": hide(csat_yes / n if n else None),
                "csat_ci95": hide(csat_ci),
                "effective_n": hide(float(n) if n else None),
            }
        },
    }


def _grouped(
    records: list[dict[str, Any]], start: date, end: date, group_by: list[str]
) -> dict[tuple[Any, ...], list[dict[str, Any]]]:
    """The period's records by group, in the report's order."""
    groups: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    for r in records:
        if start <= r["date"] < end:
            groups.setdefault(tuple(r["keys"][k] for k in group_by), []).append(r)
    order = sorted(groups, key=lambda t: tuple((v is None, str(v)) for v in t))
    return {k: groups[k] for k in order}


def _expected(
    records: list[dict[str, Any]],
    start: date,
    end: date,
    group_by: list[str],
    min_size: int,
    complements: dict[tuple[Any, ...], set[str]],
    policies: list[dict[str, Any]],
) -> dict[str, Any]:
    """The report computed directly; which figures of visible groups are hidden to protect the
    small ones (`complements`) is checked on its own (test_suppression_protects_and_no_more)."""
    inside = [r for r in records if start <= r["date"] < end]
    groups = _grouped(records, start, end, group_by)
    order = list(groups)
    sizes = {k: sum(1 for r in groups[k] if r["answer"] is not None) for k in order}
    hidden: dict[tuple[Any, ...], bool | set[str]] = {
        k: sizes[k] < min_size or complements.get(k, set()) for k in order
    }
    return {
        "from": start.isoformat(),
        "to": end.isoformat(),
        "group_by": group_by,
        "groups": [
            {"key": dict(zip(group_by, k, strict=True)), **_expected_group(groups[k], hidden[k])}
            for k in order
        ],
        "total": _expected_group(
            inside, sum(1 for r in inside if r["answer"] is not None) < min_size
        ),
        "disclosures": {
            "policies": policies,
            "too_old_by_actor": {
                actor: {
                    "drawn": sum(1 for r in inside if r["keys"]["actor"] == actor),
                    "too_old": 0,
                    "warning": False,
                }
                for actor in sorted({r["keys"]["actor"] for r in inside})
            },
        },
    }


def _assert_same(got: Any, want: Any, path: str = "") -> None:
    if isinstance(want, dict):
        assert isinstance(got, dict) and set(got) == set(want), path
        for key in want:
            _assert_same(got[key], want[key], f"{path}.{key}")
    elif isinstance(want, list | tuple) and not isinstance(want, str):
        assert isinstance(got, list | tuple) and len(got) == len(want), path
        for i, (g, w) in enumerate(zip(got, want, strict=True)):
            _assert_same(g, w, f"{path}[{i}]")
    elif want is DEFINITIONS:
        assert isinstance(got, str) and "RR1" in got, path
    elif isinstance(want, float):
        assert got == pytest.approx(want, rel=1e-9, abs=1e-12), path
    else:
        assert got == want, path


GROUPINGS = [
    [],
    ["day"],
    ["week"],
    ["month"],
    ["channel"],
    ["actor"],
    ["team"],
    ["agent"],
    ["case_type"],
    ["language"],
    ["team", "week"],
    ["actor", "channel", "month"],
]


def test_report_matches_an_independent_computation_for_every_grouping(ctx: Context) -> None:
    with ctx.session() as session:
        seed_report_data(ctx, session, surveys=120)
    records = _records(ctx)
    start, end = date(2026, 3, 20), date(2026, 4, 12)
    assert any(r["date"] < start for r in records), "the data must reach outside the period"
    # The one policy version, recorded when the test began (after the period): the period
    # follows it, so the report discloses it.
    with ctx.session() as session:
        (initial,) = session.scalars(select(PolicyVersion)).all()
    policies = [
        {
            "effective_from": initial.effective_from.isoformat(),
            **{k: initial.values[k] for k in DISCLOSED},
        }
    ]
    for group_by in GROUPINGS:
        with ctx.session() as session:
            got = satisfaction_report(
                session, ReportRequest(start, end, tuple(group_by)), min_group_size=5
            )
        complements = _complements(got, 5)
        want = _expected(records, start, end, group_by, 5, complements, policies)
        _assert_same(got, want, str(group_by))
        _assert_protected(_grouped(records, start, end, group_by), complements, 5)
    assert set(GROUP_KEYS) == {k for g in GROUPINGS for k in g}


def _complements(report: dict[str, Any], min_size: int) -> dict[tuple[Any, ...], set[str]]:
    """The figures a report hides in groups of at least the minimum size (with answers)."""
    found: dict[tuple[Any, ...], set[str]] = {}
    for group in report["groups"]:
        if group["responses"] < min_size:
            continue
        hidden = set()
        if group["overall"]["mean"] is None:
            hidden.add("overall")
        if group["fcr"]["n"] and group["fcr"]["share"] is None:
            hidden.add("fcr")
        if group["resolution"]["n"] and group["resolution"]["yes"] is None:
            hidden.add("resolution")
        for part in ("contact_experience", "case_handling"):
            for item, figures in group[part]["items"].items():
                if figures["n"] and figures["mean"] is None:
                    hidden.add(item)
        if hidden:
            found[tuple(group["key"].values())] = hidden
    return found


def _slices(records: list[dict[str, Any]], figure: str) -> dict[str, Slice]:
    """What the report lets anyone know of a group's figure (one sampling rate in the seed)."""
    answers = [r["answer"] for r in records if r["answer"] is not None]
    if figure in ("overall", "csat"):
        y = [a.overall for a in answers]
        csat = sum(1 for v in y if v >= 4)
        return {"1": Slice(len(y), sum(y), squares=sum(v * v for v in y), csat=csat)}
    if figure == "fcr":
        fcr = [a.fcr for a in answers if a.fcr is not None]
        return {"1": Slice(len(fcr), fcr.count("yes"), 0, 1)}
    if figure.startswith("resolution:"):
        resolutions = [a.resolution for a in answers if a.resolution is not None]
        return {"1": Slice(len(resolutions), resolutions.count(figure.split(":")[1]), 0, 1)}
    values = [getattr(a, figure) for a in answers if getattr(a, figure) is not None]
    return {"1": Slice(len(values), sum(values))}


def _assert_protected(
    groups: dict[tuple[Any, ...], list[dict[str, Any]]],
    complements: dict[tuple[Any, ...], set[str]],
    min_size: int,
) -> None:
    """Solving every published sum together (and the scale's bounds, and the CSAT count's tie
    to the overall sum) works out no hidden figure that hiding more groups could have
    protected; and every complement is needed: shown, it would give some hidden figure away."""
    keys = list(groups)
    families = {
        "overall": ["overall", "csat"],
        "fcr": ["fcr"],
        "resolution": [f"resolution:{a}" for a in ("yes", "partly", "no")],
        **{item: [item] for item in (*ITEMS_CE, *ITEMS_CH)},
    }
    for family, figures in families.items():
        slices = {f: {k: _slices(groups[k], f) for k in keys} for f in figures}
        answered = {k for k in keys if slices[figures[0]][k]["1"].n}
        primary = {
            k for k in answered if sum(r["answer"] is not None for r in groups[k]) < min_size
        }
        chosen = {k for k in keys if family in complements.get(k, set())}

        def attack(hidden: set[Any], figures: list[str] = figures, slices: Any = slices) -> set:
            order = sorted(hidden, key=keys.index)
            found: set[int] = set()
            for f in figures:
                found |= pinned_groups([slices[f][k] for k in order], of_csat=f == "csat")
            return {order[i] for i in found}

        inherent = attack(answered)
        assert attack(primary | chosen) <= inherent, (family, primary, chosen)
        for k in chosen:
            assert attack((primary | chosen) - {k}) - inherent, ("not needed", family, k)


def _team_report(ctx: Context, teams: dict[str, list[int]]) -> dict[str, dict[str, Any]]:
    with ctx.session() as session:
        for team, scores in teams.items():
            for score in scores:
                survey = make_survey(
                    ctx, session, contact={"team": team, "closed_at": utc(2026, 5, 5, 10)}
                )
                make_response(session, survey, overall=score)
        report = satisfaction_report(
            session,
            ReportRequest(date(2026, 5, 1), date(2026, 6, 1), ("team",)),
            min_group_size=5,
        )
    return {"total": report["total"], **{g["key"]["team"]: g for g in report["groups"]}}


def test_a_lone_small_group_hides_the_overall_score_of_the_next_smallest_too(
    ctx: Context,
) -> None:
    got = _team_report(
        ctx, {"big": [5, 4, 3, 2, 1, 5, 4, 3, 2], "middle": [1, 2, 3, 4, 5, 5], "tiny": [2, 5]}
    )
    assert got["tiny"]["responses"] == 2 and got["tiny"]["overall"]["mean"] is None
    assert got["middle"]["responses"] == 6 and got["middle"]["overall"]["mean"] is None
    assert got["middle"]["weighted"]["overall"]["mean"] is None
    assert got["big"]["overall"]["mean"] == pytest.approx(29 / 9)
    assert got["total"]["responses"] == 17 and got["total"]["overall"]["mean"] is not None


def test_nothing_is_hidden_in_vain_when_the_total_tells_every_answer(ctx: Context) -> None:
    got = _team_report(ctx, {"big": [5] * 9, "middle": [5] * 6, "tiny": [5, 5]})
    # A total of 5.0 says every answer was 5: hiding another group would protect nothing.
    assert got["tiny"]["overall"]["mean"] is None
    assert got["middle"]["overall"]["mean"] == 5.0 and got["big"]["overall"]["mean"] == 5.0
    assert got["total"]["overall"]["mean"] == 5.0


def test_the_period_uses_the_stockholm_closure_date_and_excludes_to(ctx: Context) -> None:
    with ctx.session() as session:
        # 23:30 UTC on 31 May is 1 June in Stockholm (summer time).
        late = make_survey(ctx, session, contact={"closed_at": utc(2026, 5, 31, 23, 30)})
        make_response(session, late, overall=5)
        report = satisfaction_report(
            session, ReportRequest(date(2026, 5, 1), date(2026, 6, 1), ()), min_group_size=1
        )
        june = satisfaction_report(
            session, ReportRequest(date(2026, 6, 1), date(2026, 6, 2), ("day",)), min_group_size=1
        )
    assert report["total"]["responses"] == 0
    assert june["groups"][0]["key"] == {"day": "2026-06-01"}
    assert june["groups"][0]["overall"]["mean"] == 5.0


def test_score_distribution_counts_each_overall_score(ctx: Context) -> None:
    with ctx.session() as session:
        for score in (1, 5, 5, 4, 3, 5):
            survey = make_survey(ctx, session, contact={"closed_at": utc(2026, 5, 5, 10)})
            make_response(session, survey, overall=score)
        request = ReportRequest(date(2026, 5, 1), date(2026, 6, 1), ())
        assert score_distribution(session, request, min_group_size=5) == {
            1: 1,
            2: 0,
            3: 1,
            4: 1,
            5: 3,
        }
        assert score_distribution(session, request, min_group_size=7) is None


@pytest.mark.parametrize(
    ("start", "end", "group_by"),
    [
        (None, "2026-01-02", []),
        ("2026-01-02", "2026-01-01", []),
        ("2026-01-01", "tomorrow", []),
        ("2026-01-01", "2026-02-01", ["customer_phone"]),
    ],
)
def test_bad_report_requests_are_refused_with_a_reason(
    start: str | None, end: str, group_by: list[str]
) -> None:
    with pytest.raises(InvalidReportRequest):
        ReportRequest.parse(start, end, group_by)


def test_group_by_accepts_repeats_and_comma_lists() -> None:
    request = ReportRequest.parse("2026-01-01", "2026-02-01", ["team,week", "team"])
    assert request.group_by == ("team", "week")
