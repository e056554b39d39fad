import pytest

from commerce.signing import BadSignature, sign, verify

BODY = b'{"id": "evt_1"}'


def test_a_signature_verifies_with_its_secret_and_not_another():
    header = sign(BODY, "s3cret", timestamp=1_700_000_000)
    assert verify(header, BODY, ["other", "s3cret"], now=1_700_000_010) == 1_700_000_000
    with pytest.raises(BadSignature):
        verify(header, BODY, "other", now=1_700_000_010)


def test_a_changed_body_a_stale_timestamp_or_a_malformed_header_is_refused():
    header = sign(BODY, "s3cret", timestamp=1_700_000_000)
    for bad in [lambda: verify(header, BODY + b" ", "s3cret", now=1_700_000_000),
                lambda: verify(header, BODY, "s3cret", now=1_700_000_000 + 301),
                lambda: verify("v1=abc", BODY, "s3cret"),
                lambda: verify(None, BODY, "s3cret"),
                lambda: verify("t=1,v1=é", BODY, "s3cret")]:
        with pytest.raises(BadSignature):
            bad()


def test_during_a_rotation_both_secrets_sign_and_either_verifies():
    header = sign(BODY, ["old", "new"], timestamp=1_700_000_000)
    assert verify(header, BODY, "old", now=1_700_000_000) == verify(header, BODY, "new", now=1_700_000_000)
