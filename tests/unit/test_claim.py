"""How many due surveys a dispatch or reminder run claims per channel."""

from __future__ import annotations

import pytest

from survey.delivery.claim import claim_limit


@pytest.mark.parametrize(
    ("rate", "run_seconds", "batch_limit", "claimed"),
    [
        (1.0, 15.0, 1000, 15),  # what the rate sends in the run
        (10.0, 15.0, 100, 100),  # never more than a batch
        (0.01, 15.0, 1000, 1),  # a slow channel still gets one a run
        (0.5, 15.0, 1000, 7),  # part of a message is not claimed
    ],
)
def test_a_run_claims_what_its_rate_sends_at_least_one_at_most_a_batch(
    rate: float, run_seconds: float, batch_limit: int, claimed: int
) -> None:
    assert claim_limit(rate, run_seconds, batch_limit) == claimed
