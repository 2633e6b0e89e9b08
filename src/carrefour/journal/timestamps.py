"""RFC 3161 time-stamps on checkpoints, from a time-stamping authority where one is configured.

A token from an independent authority proves that a checkpoint existed at the time the
authority states, which even the holder of the signing key cannot backdate. Requests and
responses are built and checked by ``rfc3161-client``; the request travels over HTTP
(``application/timestamp-query``).
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path

import httpx
from cryptography import x509
from rfc3161_client import (
    HashAlgorithm,
    PKIStatus,
    TimestampRequestBuilder,
    VerificationError,
    VerifierBuilder,
    decode_timestamp_response,
)

QUERY_TYPE = "application/timestamp-query"


class TimestampError(Exception):
    """The authority did not answer with a valid token, or a token does not check."""


class Timestamper:
    """Asks one authority for tokens."""

    def __init__(self, url: str, *, timeout: float = 10.0) -> None:
        self.url = url
        self._timeout = timeout

    def stamp(self, message: bytes) -> bytes:
        """A TimeStampResp (DER) over ``message``; raises :class:`TimestampError`."""
        request = (
            TimestampRequestBuilder()
            .data(message)
            .hash_algorithm(HashAlgorithm.SHA256)
            .nonce(nonce=True)
            .cert_request(cert_request=True)
            .build()
        )
        try:
            answer = httpx.post(
                self.url,
                content=request.as_bytes(),
                headers={"Content-Type": QUERY_TYPE},
                timeout=self._timeout,
            )
            answer.raise_for_status()
            response = decode_timestamp_response(answer.content)
        except (httpx.HTTPError, ValueError) as error:
            raise TimestampError(f"the time-stamping authority failed: {error}") from error
        if response.status != PKIStatus.GRANTED:
            raise TimestampError(f"the time-stamping authority refused: {response.status_string}")
        info = response.tst_info
        if info.message_imprint.message != hashlib.sha256(message).digest():
            raise TimestampError("the token stamps another message")
        if info.nonce != request.nonce:
            raise TimestampError("the token answers another request (nonce)")
        return response.as_bytes()


def load_certificates(path: Path) -> list[x509.Certificate]:
    """The authority's certificates (PEM): its root(s), and intermediates if any."""
    try:
        certificates = x509.load_pem_x509_certificates(path.read_bytes())
    except (OSError, ValueError) as error:
        raise TimestampError(f"{path} does not hold PEM certificates ({error})") from error
    return certificates


def check_token(token: bytes, message: bytes, certificates: list[x509.Certificate]) -> datetime:
    """The time the authority stamped ``message`` at; raises :class:`TimestampError`."""
    roots = [c for c in certificates if c.issuer == c.subject]
    intermediates = [c for c in certificates if c.issuer != c.subject]
    if not roots:
        raise TimestampError("no root certificate was given for the time-stamping authority")
    builder = VerifierBuilder(roots=roots, intermediates=intermediates)
    try:
        response = decode_timestamp_response(token)
        builder.build().verify_message(response, message)
    except (ValueError, VerificationError) as error:
        raise TimestampError(str(error) or type(error).__name__) from error
    return response.tst_info.gen_time
