"""Webhook signatures against the published vectors, and every way a check must fail."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from apps.core.signing import (
    SignatureError,
    sign_raw,
    sign_standard,
    signing_key,
    standard_headers,
    verify,
    verify_raw,
    verify_standard,
)

# Standard Webhooks specification / reference libraries' example.
SW_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SW_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
SW_TS = 1614265330
SW_BODY = b'{"test": 2432232314}'
SW_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="

# GitHub docs, "Validating webhook deliveries": secret, payload and the expected X-Hub-Signature-256.
GH_SECRET = "It's a Secret to Everybody"
GH_BODY = b"Hello, World!"
GH_SIGNATURE = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"


def test_standard_webhooks_published_vector_signs_as_published():
    assert sign_standard(SW_SECRET, SW_ID, SW_TS, SW_BODY) == SW_SIGNATURE


def test_standard_webhooks_published_vector_verifies():
    verify_standard(SW_SECRET, msg_id=SW_ID, timestamp=SW_TS, signature=SW_SIGNATURE, body=SW_BODY, now=SW_TS)


def test_github_published_vector_signs_as_published():
    assert sign_raw(GH_SECRET, GH_BODY) == GH_SIGNATURE


def test_github_published_vector_verifies_through_the_dispatcher_when_configured_for_raw():
    scheme = verify(
        GH_SECRET,
        headers={"X-Hub-Signature-256": GH_SIGNATURE},
        body=GH_BODY,
        signature_header="x-hub-signature-256",
        scheme="raw",
    )
    assert scheme == "raw"


def test_a_raw_signature_is_refused_where_standard_webhooks_are_configured():
    with pytest.raises(SignatureError, match="raw-body signature"):
        verify(
            GH_SECRET,
            headers={"X-Hub-Signature-256": GH_SIGNATURE},
            body=GH_BODY,
            signature_header="x-hub-signature-256",
        )


def test_a_raw_connection_refuses_a_standard_signature():
    headers = {"webhook-id": "m", "webhook-timestamp": "1", "webhook-signature": "v1,abc"}
    with pytest.raises(SignatureError, match="sha256"):
        verify(GH_SECRET, headers=headers, body=GH_BODY, scheme="raw")


def test_whsec_secret_is_base64_and_other_secrets_are_text():
    assert signing_key("whsec_aGVsbG8=") == b"hello"
    assert signing_key("plain secret") == b"plain secret"


def test_hex_encoding_is_the_hex_of_the_same_digest():
    import base64

    b64 = sign_standard(SW_SECRET, SW_ID, SW_TS, SW_BODY).removeprefix("v1,")
    hexed = sign_standard(SW_SECRET, SW_ID, SW_TS, SW_BODY, encoding="hex").removeprefix("v1,")
    assert base64.b64decode(b64).hex() == hexed
    verify_standard(
        SW_SECRET,
        msg_id=SW_ID,
        timestamp=SW_TS,
        signature="v1," + hexed,
        body=SW_BODY,
        encoding="hex",
        now=SW_TS,
    )


def _sw(**overrides):
    kwargs = {
        "msg_id": SW_ID,
        "timestamp": SW_TS,
        "signature": SW_SIGNATURE,
        "body": SW_BODY,
        "now": SW_TS,
    }
    kwargs.update(overrides)
    return kwargs


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"signature": None}, "missing"),
        ({"signature": ""}, "missing"),
        ({"msg_id": None}, "missing"),
        ({"timestamp": None}, "missing"),
        ({"timestamp": "yesterday"}, "malformed timestamp"),
        ({"signature": "v1,AAAAg0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="}, "no matching signature"),
        ({"signature": "v2," + SW_SIGNATURE.removeprefix("v1,")}, "no matching signature"),
        ({"signature": SW_SIGNATURE.removeprefix("v1,")}, "no matching signature"),
        ({"body": SW_BODY + b" "}, "no matching signature"),
        ({"msg_id": SW_ID + "x"}, "no matching signature"),
        ({"now": SW_TS + 301}, "too old"),
        ({"now": SW_TS - 301}, "future"),
        ({"encoding": "hex"}, "no matching signature"),
    ],
    ids=[
        "no signature",
        "empty signature",
        "no id",
        "no timestamp",
        "malformed timestamp",
        "wrong signature",
        "wrong version",
        "no version",
        "body changed",
        "id changed",
        "stale timestamp",
        "future timestamp",
        "wrong encoding",
    ],
)
def test_standard_webhooks_check_fails(overrides, reason):
    with pytest.raises(SignatureError, match=reason):
        verify_standard(SW_SECRET, **_sw(**overrides))


def test_timestamp_exactly_at_the_tolerance_still_passes():
    verify_standard(SW_SECRET, **_sw(now=SW_TS + 300))
    verify_standard(SW_SECRET, **_sw(now=SW_TS - 300))


def test_one_bad_and_one_good_signature_passes_in_either_order():
    bad = "v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
    verify_standard(SW_SECRET, **_sw(signature=f"{bad} {SW_SIGNATURE}"))
    verify_standard(SW_SECRET, **_sw(signature=f"{SW_SIGNATURE} {bad}"))


def test_two_bad_signatures_fail():
    with pytest.raises(SignatureError):
        verify_standard(SW_SECRET, **_sw(signature="v1,AAAA v1,BBBB"))


def test_wrong_secret_fails():
    with pytest.raises(SignatureError, match="no matching"):
        verify_standard("whsec_" + "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQQ==", **_sw())


def test_no_configured_secret_never_passes():
    with pytest.raises(SignatureError, match="no webhook secret"):
        verify_standard("", **_sw())
    with pytest.raises(SignatureError, match="no webhook secret"):
        verify_raw("", signature=GH_SIGNATURE, body=GH_BODY)


@pytest.mark.parametrize(
    ("signature", "body", "reason"),
    [
        (None, GH_BODY, "missing"),
        ("", GH_BODY, "missing"),
        ("sha256=" + "0" * 64, GH_BODY, "no matching"),
        (GH_SIGNATURE, GH_BODY + b"!", "no matching"),
        (GH_SIGNATURE.removeprefix("sha256="), GH_BODY, "not sha256"),
        ("sha1=" + "0" * 40, GH_BODY, "not sha256"),
    ],
    ids=["none", "empty", "wrong", "body changed", "no prefix", "sha1"],
)
def test_raw_body_check_fails(signature, body, reason):
    with pytest.raises(SignatureError, match=reason):
        verify_raw(GH_SECRET, signature=signature, body=body)


def test_dispatcher_reads_headers_case_insensitively_and_uses_standard_by_default():
    headers = {"Webhook-Id": SW_ID, "WEBHOOK-TIMESTAMP": str(SW_TS), "Webhook-Signature": SW_SIGNATURE}
    assert verify(SW_SECRET, headers=headers, body=SW_BODY, now=SW_TS) == "standard"


def test_dispatcher_uses_the_configured_header_name():
    headers = {"webhook-id": SW_ID, "webhook-timestamp": str(SW_TS), "x-signature": SW_SIGNATURE}
    assert verify(SW_SECRET, headers=headers, body=SW_BODY, signature_header="X-Signature", now=SW_TS)
    with pytest.raises(SignatureError, match="missing"):
        verify(SW_SECRET, headers=headers, body=SW_BODY, now=SW_TS)


def test_dispatcher_refuses_a_request_without_any_signature():
    with pytest.raises(SignatureError, match="missing"):
        verify(SW_SECRET, headers={}, body=SW_BODY, now=SW_TS)


@given(
    secret=st.text(min_size=1, max_size=40),
    msg_id=st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=30),
    body=st.binary(max_size=300),
    encoding=st.sampled_from(["base64", "hex"]),
)
def test_anything_signed_verifies_and_any_changed_body_does_not(secret, msg_id, body, encoding):
    headers = standard_headers(secret, msg_id, body, timestamp=1_700_000_000, encoding=encoding)
    assert verify(secret, headers=headers, body=body, encoding=encoding, now=1_700_000_000) == "standard"
    with pytest.raises(SignatureError):
        verify(secret, headers=headers, body=body + b"x", encoding=encoding, now=1_700_000_000)
    raw = sign_raw(secret, body)
    verify_raw(secret, signature=raw, body=body)
    with pytest.raises(SignatureError):
        verify_raw(secret, signature=raw, body=body + b"x")
