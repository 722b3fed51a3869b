"""The keyed HMAC gives the stdlib's HMAC-SHA256 for every key length and message."""

from __future__ import annotations

import hmac

from hypothesis import given
from hypothesis import strategies as st

from survey.keyed import hmac_sha256, prefixed_hmac_sha256


@given(key=st.binary(max_size=200), message=st.binary(max_size=300))
def test_equals_the_stdlib_hmac(key: bytes, message: bytes) -> None:
    assert hmac_sha256(key, message) == hmac.digest(key, message, "sha256")


@given(key=st.binary(max_size=200), prefix=st.binary(max_size=100), message=st.binary(max_size=300))
def test_the_prefixed_form_equals_the_stdlib_hmac_of_prefix_and_message(
    key: bytes, prefix: bytes, message: bytes
) -> None:
    mac = prefixed_hmac_sha256(key, prefix)
    assert mac(message) == hmac.digest(key, prefix + message, "sha256")
    assert mac(b"") == hmac.digest(key, prefix, "sha256")  # no state carried over


def test_keys_of_the_block_size_and_around_it() -> None:
    # 64 bytes is SHA-256's block: a longer key is hashed first, a shorter one padded.
    for length in (0, 1, 63, 64, 65, 128):
        key = bytes(i % 256 for i in range(length))
        assert hmac_sha256(key, b"sample:C1") == hmac.digest(key, b"sample:C1", "sha256")


def test_a_state_is_not_shared_between_messages() -> None:
    first = hmac_sha256(b"k", b"a")
    hmac_sha256(b"k", b"bbbbbbbb")
    assert hmac_sha256(b"k", b"a") == first
