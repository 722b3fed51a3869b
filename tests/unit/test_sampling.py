"""The draw (SPEC section 3): exact integers, deterministic, monotone, fair and impartial."""

from __future__ import annotations

import hashlib
import hmac
import random
import unicodedata
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import chi2_contingency

from survey.identifiers import normalise_case_ref
from survey.sampling.draw import (
    draw_threshold,
    draw_value,
    drawer,
    is_drawn,
    key_fingerprint,
)

SECRET = "test-sampling-secret"
rates = st.decimals(min_value=0, max_value=1, places=6).map(str)
case_refs = st.text(min_size=1, max_size=40)
secrets_ = st.text(min_size=1, max_size=40)


def reference_draw(secret: str, case_ref: str, rate: str) -> bool:
    """The SPEC formula written out again, as an auditor would in another language."""
    ref = unicodedata.normalize("NFC", case_ref.strip()).encode()
    digest = hmac.new(secret.encode(), b"sample:" + ref, hashlib.sha256).digest()
    h = int.from_bytes(digest[:8], "big")
    return h < int(Fraction(rate) * 2**64)


@pytest.mark.parametrize(
    ("rate", "threshold"),
    [
        ("0", 0),
        ("1", 2**64),
        ("0.5", 2**63),
        ("0.2", 3689348814741910323),  # 2**64 / 5 = ...323.2, floored
        ("0.20", 3689348814741910323),
        ("0.000000000000000000001", 0),  # 2**64 * 1e-21 < 1
        ("0.9999999999999999999999999999999", 2**64 - 1),
    ],
)
def test_threshold_is_floor_of_exact_product(rate: str, threshold: int) -> None:
    assert draw_threshold(rate) == threshold


@pytest.mark.parametrize("rate", ["-0.1", "1.01", "NaN", "Infinity", "abc"])
def test_a_rate_outside_zero_to_one_is_refused(rate: str) -> None:
    with pytest.raises(ValueError):
        draw_threshold(rate)


def test_known_answer_vector() -> None:
    # A fixed vector an auditor can check by hand with any HMAC-SHA256 tool.
    digest = hmac.new(b"test-sampling-secret", b"sample:CASE-1", hashlib.sha256).digest()
    assert draw_value(SECRET, "CASE-1") == int.from_bytes(digest[:8], "big")
    assert draw_value(SECRET, "CASE-1") == 0xE5105D548ABD67B8
    assert draw_value(SECRET, "  CASE-1\t") == draw_value(SECRET, "CASE-1")
    assert drawer(SECRET)("CASE-1") == 0xE5105D548ABD67B8


@given(secret=secrets_, refs=st.lists(case_refs, max_size=5))
def test_the_drawer_of_a_secret_gives_its_draw_values(secret: str, refs: list[str]) -> None:
    draw = drawer(secret)
    assert [draw(ref) for ref in refs] == [draw_value(secret, ref) for ref in refs]


def test_case_ref_is_trimmed_and_nfc_normalised() -> None:
    decomposed = "A\u030a-1"  # A + combining ring
    composed = "\u00c5-1"  # Å
    assert normalise_case_ref(f" {decomposed} ") == composed
    assert draw_value(SECRET, decomposed) == draw_value(SECRET, composed)


def test_fingerprint_is_sha256_of_the_secret() -> None:
    assert key_fingerprint("abc") == hashlib.sha256(b"abc").hexdigest()


@given(secret=secrets_, case_ref=case_refs, rate=rates)
def test_draw_matches_the_spec_formula_and_is_deterministic(
    secret: str, case_ref: str, rate: str
) -> None:
    first = is_drawn(secret, case_ref, rate)
    assert first == is_drawn(secret, case_ref, rate)
    assert first == reference_draw(secret, case_ref, rate)


@given(case_ref=case_refs, low=rates, high=rates)
def test_raising_the_rate_keeps_every_drawn_case_drawn(case_ref: str, low: str, high: str) -> None:
    low, high = sorted([low, high], key=Fraction)
    if is_drawn(SECRET, case_ref, low):
        assert is_drawn(SECRET, case_ref, high)


@settings(max_examples=4, deadline=None, derandomize=True)
@given(secret=secrets_, rate=st.sampled_from(["0.01", "0.2", "0.5", "0.9"]))
def test_share_drawn_over_100000_refs_is_within_4_sd(secret: str, rate: str) -> None:
    rng = random.Random(secret)
    n = 100_000
    drawn = sum(is_drawn(secret, f"CASE-{rng.getrandbits(48):x}", rate) for _ in range(n))
    p = float(rate)
    sd = (n * p * (1 - p)) ** 0.5
    assert abs(drawn - n * p) <= 4 * sd


@pytest.mark.parametrize("attribute", ["agent", "team", "channel", "actor"])
@settings(max_examples=3, deadline=None, derandomize=True)
@given(secret=secrets_)
def test_draw_is_independent_of_who_handled_the_contact(attribute: str, secret: str) -> None:
    # Case refs that carry the attribute (as many organisations' refs do) must still be
    # drawn at the same rate for every value of it.
    rng = random.Random(attribute + secret)
    values = [f"{attribute}-{i}" for i in range(8)]
    table = []
    for value in values:
        refs = [f"{value}/{rng.getrandbits(40)}" for _ in range(5_000)]
        drawn = sum(is_drawn(secret, ref, "0.2") for ref in refs)
        table.append([drawn, len(refs) - drawn])
    result = chi2_contingency(table)
    assert result.pvalue > 0.001
