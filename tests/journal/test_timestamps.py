"""RFC 3161 time-stamps on checkpoints, from a time-stamping authority served by the test
(OpenSSL's ``ts -reply``, behind HTTP on loopback)."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from sqlalchemy import Engine
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from carrefour.config import JournalSettings
from carrefour.journal.anchors import Anchors
from carrefour.journal.chain import append, verify
from carrefour.journal.checkpoints import CheckpointFile
from carrefour.journal.sealing import Seal, seal
from tests.journal.helpers import EntryFactory
from tests.servers import free_port, serving

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl")

TSA_CONFIG = """
[ tsa ]
default_tsa = tsa_config
[ tsa_config ]
serial = {folder}/serial
signer_cert = {folder}/tsa.pem
signer_key = {folder}/tsa.key
signer_digest = sha256
default_policy = 1.2.3.4.1
digests = sha256, sha512
accuracy = secs:1
ordering = yes
tsa_name = no
ess_cert_id_chain = no
ess_cert_id_alg = sha256
"""


@dataclass(frozen=True)
class Authority:
    url: str
    root_file: Path


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _certificate(subject: str, key: ec.EllipticCurvePrivateKey, *, issuer: x509.Name,
                 signer: ec.EllipticCurvePrivateKey, root: bool) -> x509.Certificate:
    now = dt.datetime.now(dt.UTC)
    builder = (
        x509.CertificateBuilder().subject_name(_name(subject)).issuer_name(issuer)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=7))
    )
    if root:
        builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
    else:
        eku = x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING])
        builder = builder.add_extension(eku, critical=True)
    return builder.sign(signer, hashes.SHA256())


def _pem(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.PEM)


def make_authority(folder: Path, name: str) -> Path:
    """A root and a time-stamping certificate it issued; returns the root's PEM file."""
    folder.mkdir(parents=True)
    root_key, tsa_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(
        ec.SECP256R1())
    root = _certificate(f"{name} root", root_key, issuer=_name(f"{name} root"), signer=root_key,
                        root=True)
    tsa = _certificate(name, tsa_key, issuer=root.subject, signer=root_key, root=False)
    (folder / "root.pem").write_bytes(_pem(root))
    (folder / "tsa.pem").write_bytes(_pem(tsa))
    (folder / "tsa.key").write_bytes(tsa_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    (folder / "serial").write_text("01\n")
    (folder / "ts.cnf").write_text(TSA_CONFIG.format(folder=folder))
    return folder / "root.pem"


def tsa_app(folder: Path) -> Starlette:
    lock = asyncio.Lock()

    async def stamp(request: Request) -> Response:
        query = await request.body()
        async with lock:  # one serial file
            (folder / "query.tsq").write_bytes(query)
            await asyncio.to_thread(subprocess.run, [
                "openssl", "ts", "-reply", "-config", str(folder / "ts.cnf"),
                "-queryfile", str(folder / "query.tsq"), "-out", str(folder / "reply.tsr"),
            ], check=True, capture_output=True)
            reply = (folder / "reply.tsr").read_bytes()
        return Response(reply, media_type="application/timestamp-reply")

    return Starlette(routes=[Route("/", stamp, methods=["POST"])])


@pytest.fixture
def authority(tmp_path: Path) -> Iterator[Authority]:
    folder = tmp_path / "tsa"
    root_file = make_authority(folder, "Test TSA")
    with serving(tsa_app(folder)) as url:
        yield Authority(url=f"{url}/", root_file=root_file)


def stamped_settings(authority: Authority) -> JournalSettings:
    return replace(JournalSettings.from_env(), tsa_url=authority.url,
                   tsa_certificate_file=authority.root_file)


def journal_and_seal(engine: Engine, make_entry: EntryFactory, settings: JournalSettings) -> None:
    sealing = Seal.from_settings(engine, settings)
    for _ in range(2):
        with engine.begin() as connection:
            append(connection, [make_entry(), make_entry()])
        assert seal(sealing).written


def test_checkpoints_carry_a_time_stamp_token_that_verify_checks(
    engine: Engine, make_entry: EntryFactory, authority: Authority, checkpoint_file: Path
) -> None:
    settings = stamped_settings(authority)
    journal_and_seal(engine, make_entry, settings)

    report = verify(engine, anchors=Anchors.load(settings))

    assert report.ok, report.problems
    assert report.notes == ()
    lines = CheckpointFile(checkpoint_file).read()
    assert all(line.checkpoint and line.checkpoint.timestamp_token for line in lines)


def test_a_token_another_authority_signed_is_reported(
    engine: Engine, make_entry: EntryFactory, authority: Authority, tmp_path: Path
) -> None:
    settings = stamped_settings(authority)
    journal_and_seal(engine, make_entry, settings)
    other_root = make_authority(tmp_path / "other", "Other TSA")

    report = verify(engine, anchors=Anchors.load(replace(settings,
                                                         tsa_certificate_file=other_root)))

    assert [problem.kind for problem in report.problems] == ["checkpoint", "checkpoint"]
    assert "the time-stamp token of checkpoint 1" in report.problems[0].detail


def test_a_token_moved_onto_another_checkpoint_is_reported(
    engine: Engine, make_entry: EntryFactory, authority: Authority, checkpoint_file: Path
) -> None:
    settings = stamped_settings(authority)
    journal_and_seal(engine, make_entry, settings)
    first, second = checkpoint_file.read_text().splitlines()
    token = first.split('"tsa":"')[1].split('"')[0]
    moved = second.split('"tsa":"')[0] + f'"tsa":"{token}"' + '}'
    checkpoint_file.write_text(f"{first}\n{moved}\n")

    report = verify(engine, anchors=Anchors.load(settings))

    assert [(problem.seq, problem.kind) for problem in report.problems] == [(4, "checkpoint")]
    assert "Mismatch between messages" in report.problems[0].detail


def test_tokens_are_not_checked_without_the_authoritys_certificate_and_verify_says_so(
    engine: Engine, make_entry: EntryFactory, authority: Authority
) -> None:
    settings = stamped_settings(authority)
    journal_and_seal(engine, make_entry, settings)

    report = verify(engine, anchors=Anchors.load(replace(settings, tsa_certificate_file=None)))

    assert report.ok
    assert report.notes == ("2 time-stamp tokens were not checked: no certificate of the "
                            "time-stamping authority is configured "
                            "(CARREFOUR_JOURNAL_TSA_CERTIFICATE)",)


def test_a_checkpoint_is_written_without_a_token_when_the_authority_does_not_answer(
    engine: Engine, make_entry: EntryFactory, checkpoint_file: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings = replace(JournalSettings.from_env(), tsa_url=f"http://127.0.0.1:{free_port()}/")
    with caplog.at_level(logging.WARNING, logger="carrefour.journal.sealing"):
        journal_and_seal(engine, make_entry, settings)

    assert "written without a time-stamp" in caplog.text
    lines = CheckpointFile(checkpoint_file).read()
    assert [line.checkpoint.timestamp_token for line in lines if line.checkpoint] == [None, None]
    assert verify(engine).ok
