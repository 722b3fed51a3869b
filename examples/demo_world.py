"""The made-up organisation of the demo: its actors, teams and agents, how each unit's
customers tend to feel, and what they write. Every name, number and address is invented."""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class Team:
    name: str
    agents: tuple[str, ...]
    level: float  # the mean overall score its customers would give (1-5)
    case_types: tuple[str, ...]
    channels: tuple[tuple[str, float], ...] = (
        ("phone", 0.45),
        ("email", 0.25),
        ("chat", 0.2),
        ("sms", 0.1),
    )
    complaint_share: float = 0.05
    daily: int = 20  # contacts on a weekday


@dataclass(frozen=True)
class Actor:
    name: str
    teams: tuple[Team, ...]
    via: str  # "api" or "csv": how its contacts reach the engine
    steers: bool = False  # marks unhappy customers do_not_survey and opts some out itself


ACTORS = (
    Actor(
        "Kundservice Stockholm",
        via="api",
        teams=(
            Team(
                "Fakturor",
                ("anna.l", "johan.b", "sara.k", "mikael.n", "elin.h"),
                4.45,
                ("faktura", "betalning", "avtal"),
                daily=26,
            ),
            Team(
                "Support",
                ("erik.s", "maria.j", "ahmed.r", "lena.w", "oskar.p", "fatima.a"),
                4.5,
                ("teknisk support", "leverans", "avtal"),
                channels=(("phone", 0.35), ("email", 0.2), ("chat", 0.35), ("sms", 0.1)),
                daily=30,
            ),
            Team(
                "Flytt",
                ("karin.o", "david.e", "nils.m", "ida.f"),
                3.6,
                ("flytt", "avtal"),
                daily=14,
            ),
        ),
    ),
    Actor(
        "Kundservice Luleå",
        via="api",
        teams=(
            Team(
                "Support",
                ("tove.n", "jonas.l", "hanna.s", "peter.g", "amir.k"),
                4.4,
                ("teknisk support", "leverans"),
                daily=20,
            ),
            Team(
                "Reklamation",
                ("linnea.b", "markus.h", "sofia.v", "olof.d"),
                3.5,
                ("reklamation", "leverans"),
                complaint_share=0.6,
                daily=14,
            ),
        ),
    ),
    Actor(
        "Kontaktia AB",  # an outsourced contact centre
        via="csv",
        steers=True,
        teams=(
            Team(
                "Kvällssupport",
                ("robin.t", "emma.c", "viktor.a", "julia.r", "leo.m"),
                3.95,
                ("teknisk support", "faktura"),
                channels=(("phone", 0.4), ("email", 0.1), ("chat", 0.4), ("sms", 0.1)),
                daily=22,
            ),
            Team(
                "Fakturor",
                ("maja.s", "alexander.w", "noah.j", "wilma.e"),
                4.15,
                ("faktura", "betalning"),
                daily=18,
            ),
        ),
    ),
)

PRAISE = (
    "Snabbt och trevligt bemötande, tack!",
    "Fick hjälp direkt och allt löste sig på en gång.",
    "Mycket kunnig handläggare som förklarade tydligt.",
    "Bra service, jag är nöjd.",
    "Smidigt och enkelt, precis som det ska vara.",
    "Trevlig personal som verkligen lyssnade.",
    "Ni ringde tillbaka som utlovat, det uppskattar jag.",
    "Tydlig information om vad som händer härnäst.",
    "Jättebra att chatten var öppen även på kvällen.",
    "Äntligen någon som tog tag i mitt ärende ordentligt.",
    "Kort väntetid och ett vänligt bemötande.",
    "Hon tog sig tid och förklarade fakturan steg för steg.",
    "Allt fungerade och jag fick en bekräftelse på mejlen direkt.",
    "Proffsigt från början till slut.",
    "Han var lugn och hjälpsam trots att jag var irriterad.",
    "Bättre än förväntat, tack för hjälpen!",
)
NEUTRAL = (
    "Det löste sig till slut, men det tog lite tid.",
    "Okej hjälp, men jag fick förklara samma sak två gånger.",
    "Svaret kom, men det var lite krångligt formulerat.",
    "Helt okej, inget särskilt att anmärka på.",
    "Bra bemötande, men väntetiden i telefon var lång.",
    "Jag fick svar men är osäker på om felet är åtgärdat.",
    "Lite rörigt med vem som skulle återkomma.",
    "Trevligt, men jag hade velat få en tid för när det blir klart.",
    "Det fungerar nu, men det borde inte ha behövts ett samtal.",
    "Mejlsvaret kom först efter tre dagar.",
)
COMPLAINT = (
    "Väntade över 40 minuter i telefonkön.",
    "Ingen återkoppling trots att det utlovades.",
    "Jag fick olika besked av olika personer.",
    "Ärendet är fortfarande inte löst efter två veckor.",
    "Kändes som att ingen brydde sig om mitt problem.",
    "Fakturan är fortfarande fel och ingen kan förklara varför.",
    "Jag blev kopplad runt mellan tre avdelningar.",
    "Otrevligt bemötande, jag kände mig inte lyssnad på.",
    "Flytten registrerades på fel datum och nu får jag betala dubbelt.",
    "Chatten stängdes mitt i samtalet.",
    "Reklamationen avslogs utan någon motivering.",
    "Svårt att förstå vad jag skulle göra härnäst.",
    "Lovade att ringa upp samma dag, ingen hörde av sig.",
    "Dålig kunskap om produkten, fick leta svaret själv.",
)
ENGLISH = (
    "Quick and friendly help, thank you!",
    "The agent explained everything clearly in English.",
    "Good service, problem solved on the first call.",
    "Took a while, but it was sorted out in the end.",
    "I had to repeat my case twice to different people.",
    "Nobody called me back as promised.",
    "Long wait on the phone, but the person was very helpful.",
    "Still waiting for the refund I was promised.",
)
DO_NOT_SURVEY_REASONS = ("skyddad identitet", "minderårig", "kunden vill inte kontaktas")


def pick_channel(rng: random.Random, team: Team) -> str:
    names, weights = zip(*team.channels, strict=True)
    return rng.choices(names, weights)[0]


def overall_score(rng: random.Random, level: float) -> int:
    """A customer's overall score around the unit's level (an agent adds to it)."""
    return max(1, min(5, round(rng.gauss(level, 0.95))))


def comment_for(rng: random.Random, overall: int, language: str) -> str | None:
    """What a customer writes, if anything (unhappy customers write more often)."""
    if rng.random() > (0.7 if overall <= 2 else 0.5):
        return None
    if language == "en":
        return rng.choice(ENGLISH[:3] if overall >= 4 else ENGLISH[3:])
    if overall >= 4:
        return rng.choice(PRAISE)
    return rng.choice(NEUTRAL if overall == 3 else COMPLAINT)


def answers_for(rng: random.Random, overall: int, language: str) -> dict[str, str]:
    """A filled-in default questionnaire: the items follow the overall score, some "don't
    know"; resolution and first-contact resolution follow it too."""
    form: dict[str, str] = {"overall": str(overall)}
    for item in (
        "response_time",
        "manner",
        "clarity",
        "knowledge",
        "engagement",
        "proactivity",
        "efficiency",
        "follow_up",
        "time_taken",
    ):
        dont_know = rng.random() < 0.08
        form[item] = "" if dont_know else str(max(1, min(5, round(rng.gauss(overall, 0.75)))))
    resolved = {5: (0.85, 0.12), 4: (0.7, 0.22), 3: (0.4, 0.4), 2: (0.15, 0.35), 1: (0.05, 0.2)}
    yes, partly = resolved[overall]
    draw = rng.random()
    form["resolution"] = "yes" if draw < yes else "partly" if draw < yes + partly else "no"
    form["fcr"] = "yes" if rng.random() < (0.8 if overall >= 4 else 0.35) else "no"
    comment = comment_for(rng, overall, language)
    if comment:
        form["comment"] = comment
    return form
