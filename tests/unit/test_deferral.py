"""A drawn case waits for an earlier undecided drawn case of the same customer (SPEC section 3)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from survey.sampling.attribution import CaseView
from survey.sampling.batch import _blocked


def test_a_case_waits_only_for_an_earlier_undecided_case_of_its_customer() -> None:
    at = datetime(2026, 11, 2, 12, tzinfo=UTC)
    view = CaseView("C2", at, hashes={"phone-a": "phone", "email-b": "email"})
    earlier, later = (at - timedelta(minutes=1), "C9"), (at + timedelta(minutes=1), "C0")
    assert _blocked(view, {"email-b": earlier}, set())
    assert _blocked(view, {"email-b": (at, "C1")}, set())  # same closure, smaller case_ref
    assert not _blocked(view, {"email-b": later, "phone-z": earlier}, set())
    assert not _blocked(view, {"email-b": (at, "C3")}, set())
    assert not _blocked(view, {}, set())
    assert _blocked(view, {}, {"phone-a"})  # an earlier case of this batch was deferred
