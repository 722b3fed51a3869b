"""Recompute every sampling decision of a period from the secrets (`survey audit verify`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time

from sqlalchemy import select
from sqlmodel import Session, col

from survey.config import Settings
from survey.identifiers import case_ref_version, normalise_case_ref
from survey.matrix import MatrixDesign, asked_problem, chooser, design_for
from survey.models import Case, DecisionReason, SamplingDecision, Survey
from survey.privacy.pseudonyms import is_pseudonym
from survey.sampling.draw import STOCKHOLM, is_drawn, key_fingerprint
from survey.sampling.keys import recorded_fingerprints
from survey.sampling.policy import policy_timeline


@dataclass(frozen=True)
class Mismatch:
    case_ref: str
    problem: str


@dataclass
class Verification:
    checked: int = 0
    # Decisions whose case reference was pseudonymised after retention: their draw cannot be
    # recomputed (the facts are gone); reason and survey are still checked.
    pseudonymised: int = 0
    mismatches: list[Mismatch] = field(default_factory=list)
    warnings: list[Mismatch] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.mismatches


def period_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """Local dates in Europe/Stockholm, `end` exclusive, as UTC-aware instants."""
    return (
        datetime.combine(start, time(), tzinfo=STOCKHOLM),
        datetime.combine(end, time(), tzinfo=STOCKHOLM),
    )


def known_secrets(settings: Settings) -> dict[str, str]:
    """The current and previous sampling secrets by fingerprint."""
    secrets = [settings.sampling_secret, *settings.previous_sampling_secrets]
    return {key_fingerprint(secret): secret for secret in secrets if secret}


def verify_decisions(
    session: Session, settings: Settings, *, start: datetime, end: datetime
) -> Verification:
    """Recompute each decision whose case closed in [start, end) and check its survey."""
    result = Verification()
    secrets = known_secrets(settings)
    recorded = recorded_fingerprints(session)
    timeline = policy_timeline(session)
    design = design_for(settings.instance_path, settings.items_per_survey)
    for decision, survey_id, questionnaire, asked_items in _decisions(session, start, end):
        result.checked += 1
        ref = decision.case_ref
        if decision.key_fingerprint not in recorded:
            result.mismatches.append(
                Mismatch(ref, f"key fingerprint {decision.key_fingerprint} was never in force")
            )
        secret = secrets.get(decision.key_fingerprint)
        if secret is None:
            result.mismatches.append(
                Mismatch(ref, f"no known secret has fingerprint {decision.key_fingerprint}")
            )
            continue
        drawn = decision.drawn if is_pseudonym(ref) else is_drawn(secret, ref, decision.rate)
        result.pseudonymised += is_pseudonym(ref)
        if drawn != decision.drawn:
            result.mismatches.append(
                Mismatch(ref, f"recorded drawn={decision.drawn}, recomputed drawn={drawn}")
            )
        if decision.drawn == (decision.reason == DecisionReason.not_drawn):
            result.mismatches.append(
                Mismatch(ref, f"reason {decision.reason} contradicts drawn={decision.drawn}")
            )
        # Every contact of a case was received after it closed and, to share its reference,
        # under the same normalisation: the version in force at its last closure is theirs.
        version = case_ref_version(decision.last_closed_at)
        if normalise_case_ref(ref, version) != ref:
            result.mismatches.append(
                Mismatch(ref, f"the case reference is not in the form of normalisation {version}")
            )
        selected = decision.reason == DecisionReason.selected
        if selected != (survey_id is not None):
            problem = "selected without a survey" if selected else "a survey without selection"
            result.mismatches.append(Mismatch(ref, problem))
        # Only the default questionnaire rotates its items; any other asks them all.
        rotated = questionnaire == "default" and asked_items is not None
        if rotated and not is_pseudonym(ref):
            _check_asked(result, design, chooser(secret, design), ref, str(asked_items))
        policy_rate = timeline.at(decision.last_closed_at).rate
        if policy_rate != decision.rate:
            result.warnings.append(
                Mismatch(ref, f"rate {decision.rate} differs from the policy's {policy_rate}")
            )
    for case_ref in _decided_without_decision(session, start, end):
        result.mismatches.append(Mismatch(case_ref, "decided but no decision is recorded"))
    return result


def _check_asked(
    result: Verification,
    design: MatrixDesign,
    choose: Callable[[str], str],
    ref: str,
    asked_items: str,
) -> None:
    """A survey's stored items cover A1.2 b and c (else a mismatch) and are the keyed choice
    under the current SURVEY_ITEMS_PER_SURVEY (else a warning: the setting may have changed)."""
    problem = asked_problem(design, asked_items)
    if problem is not None:
        result.mismatches.append(Mismatch(ref, problem))
    elif choose(ref) != asked_items:
        result.warnings.append(
            Mismatch(
                ref,
                f"asks {asked_items}, the design in force now would ask {choose(ref)} "
                "(SURVEY_ITEMS_PER_SURVEY or the questionnaire changed since?)",
            )
        )


def _decided_without_decision(session: Session, start: datetime, end: datetime) -> list[str]:
    query = (
        select(col(Case.case_ref))
        .outerjoin(SamplingDecision, col(SamplingDecision.case_ref) == col(Case.case_ref))
        .where(col(Case.decided_at).is_not(None))
        .where(col(SamplingDecision.id).is_(None))
        .where(col(Case.last_closed_at) >= start)
        .where(col(Case.last_closed_at) < end)
    )
    return list(session.scalars(query))


def _decisions(
    session: Session, start: datetime, end: datetime
) -> Iterator[tuple[SamplingDecision, int | None, str | None, str | None]]:
    query = (
        select(SamplingDecision, col(Survey.id), col(Survey.questionnaire), col(Survey.asked_items))
        .outerjoin(Survey, col(Survey.decision_id) == col(SamplingDecision.id))
        .where(col(SamplingDecision.last_closed_at) >= start)
        .where(col(SamplingDecision.last_closed_at) < end)
        .order_by(col(SamplingDecision.last_closed_at), col(SamplingDecision.case_ref))
        .execution_options(yield_per=5000)
    )
    for row in session.execute(query):
        yield row[0], row[1], row[2], row[3]
