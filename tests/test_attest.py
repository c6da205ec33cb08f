"""PEP 740 publish attestations around the one signing seam (``publish/attest.py``).

Sigstore's public instance (Fulcio, Rekor) cannot be reached from here, and no local Sigstore runs
here, so :func:`stand_in_signer` takes the place of ``sigstore_sign`` behind the seam. It makes real
``pypi_attestations.Attestation`` objects with real cryptography: an in-toto statement over the
file's name and sha256, a DSSE signature by a fresh P-256 key, a self-signed certificate carrying
Fulcio's GitHub identity extensions. What it cannot give is a Fulcio-issued certificate and a Rekor
inclusion proof, so ``Attestation.verify`` against Sigstore's trust root is not run here.

Everything else is real: the models, the kept ``<file>.publish.attestation`` files, twine's own
``PackageFile``/``Repository`` upload with the ``attestations`` form field (and ``twine upload
--attestations`` itself) against a stand-in index in front of a real pypiserver that validates the
field as PyPI does, re-runs and two indexes.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import json
import os
import subprocess
import sys
from email.parser import BytesParser
from email.policy import HTTP
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pypi_attestations import Attestation

from hatch_manta_release.publish.attest import (
    PUBLISH_PREDICATE,
    AttestationError,
    attach,
    attest_uploads,
    attestation_path,
    decide,
    form_attestations,
    prepare,
    store_for,
)
from tests.support.indexes import start_index
from tests.support.projects import make_project, run
from tests.support.standin import StandIn

IDENTITY = {
    "1.3.6.1.4.1.57264.1.8": "https://token.actions.githubusercontent.com",  # OIDC issuer (v2)
    "1.3.6.1.4.1.57264.1.12": "https://github.com/octo/sample",  # source repository URI
}
WORKFLOW = "https://github.com/octo/sample/.github/workflows/release.yml@refs/tags/v1.0.0"
PAYLOAD_TYPE = "application/vnd.in-toto+json"


def _utf8string(text: str) -> bytes:
    data = text.encode()
    assert len(data) < 128
    return b"\x0c" + bytes([len(data)]) + data


def _pae(payload: bytes) -> bytes:
    """DSSE's pre-authentication encoding: what is signed."""
    return b"DSSEv1 %d %s %d %s" % (len(PAYLOAD_TYPE), PAYLOAD_TYPE.encode(), len(payload), payload)


class StandInSigner:
    """Sigstore's place behind the seam: real keys and signatures, a self-signed "Fulcio" certificate."""

    def __init__(self) -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.timezone.utc)
        name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "sigstore stand-in")])
        builder = (
            x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(self.key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now)
            .not_valid_after(now + datetime.timedelta(minutes=10))
            .add_extension(x509.SubjectAlternativeName([x509.UniformResourceIdentifier(WORKFLOW)]), critical=True)
        )
        for oid, value in IDENTITY.items():
            builder = builder.add_extension(
                x509.UnrecognizedExtension(x509.ObjectIdentifier(oid), _utf8string(value)), critical=False)
        self.certificate = builder.sign(self.key, hashes.SHA256())
        self.calls: list[tuple[str, str]] = []

    def __call__(self, path: Path, identity_token: str) -> Attestation:
        self.calls.append((path.name, identity_token))
        statement = json.dumps({
            "_type": "https://in-toto.io/Statement/v1",
            "subject": [{"name": path.name, "digest": {"sha256": hashlib.sha256(path.read_bytes()).hexdigest()}}],
            "predicateType": PUBLISH_PREDICATE,
            "predicate": None,
        }).encode()
        signature = self.key.sign(_pae(statement), ec.ECDSA(hashes.SHA256()))
        der = self.certificate.public_bytes(serialization.Encoding.DER)
        return Attestation.model_validate({
            "version": 1,
            "verification_material": {
                "certificate": base64.b64encode(der).decode(),
                # shaped like Rekor's entry; no real inclusion proof exists without Rekor
                "transparency_entries": [{"logIndex": "1", "kindVersion": {"kind": "dsse", "version": "0.0.1"},
                                          "integratedTime": str(int(datetime.datetime.now().timestamp()))}],
            },
            "envelope": {"statement": base64.b64encode(statement).decode(),
                         "signature": base64.b64encode(signature).decode()},
        })


def verify_stand_in(attestation: Attestation) -> None:
    """What the stand-in index checks: the DSSE signature under the certificate's key, the identity claims."""
    certificate = x509.load_der_x509_certificate(attestation.verification_material.certificate)
    public_key = certificate.public_key()
    assert isinstance(public_key, ec.EllipticCurvePublicKey)
    public_key.verify(attestation.envelope.signature, _pae(attestation.envelope.statement), ec.ECDSA(hashes.SHA256()))
    assert attestation.certificate_claims["1.3.6.1.4.1.57264.1.12"] == IDENTITY["1.3.6.1.4.1.57264.1.12"]


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """A real wheel and sdist of a sample project (hatchling with this checkout's version source)."""
    project = make_project(tmp_path_factory.mktemp("attest") / "sample", "sample-pkg", tag="v1.0.0")
    run([sys.executable, "-m", "hatchling", "build"], cwd=project)
    return sorted((project / "dist").iterdir())


# ----------------------------------------------------------------------------- decisions and kept files


def test_decide() -> None:
    assert decide(None, True, "pypi").make and decide(True, True, "pypi").make
    assert decide(False, True, "pypi") == decide(False, False, "pypi") == decide(False, False, "pypi")
    assert not decide(False, True, "pypi").make and decide(False, True, "pypi").note is None
    token = decide(None, False, "pypi")
    assert not token.make
    assert token.note == ("no attestations: PyPI accepts PEP 740 attestations only from Trusted Publishers, "
                          "and pypi is published to with an API token")
    assert "applies only with trusted-publishing" in (decide(True, False, "pypi").note or "")


def test_prepare_keeps_per_repository_and_file(built: list[Path], tmp_path: Path) -> None:
    signer = StandInSigner()
    asked: list[int] = []

    def identity() -> str:
        asked.append(1)
        return "oidc-identity-token"

    files = [(p, _sha(p)) for p in built]
    test_store, prod_store = store_for(tmp_path, "testpypi"), store_for(tmp_path, "pypi")
    first = prepare(files, test_store, identity=identity, sign=signer)
    assert [a.reused for a in first.values()] == [False, False] and len(asked) == 1  # one identity per run
    for path, sha in files:
        kept = Attestation.model_validate_json(attestation_path(test_store, path.name).read_bytes())
        assert kept.statement["subject"] == [{"name": path.name, "digest": {"sha256": sha}}]
        assert kept.statement["predicateType"] == PUBLISH_PREDICATE
        verify_stand_in(kept)
    before = {p.name: p.read_bytes() for p in test_store.iterdir()}

    again = prepare(files, test_store, identity=identity, sign=signer)  # a re-run for the same index
    assert all(a.reused for a in again.values()) and len(signer.calls) == 2 and len(asked) == 1

    second = prepare(files, prod_store, identity=identity, sign=signer)  # another index: its own
    assert not any(a.reused for a in second.values()) and len(signer.calls) == 4
    assert {p.name: p.read_bytes() for p in test_store.iterdir()} == before
    assert sorted(p.name for p in prod_store.iterdir()) == sorted(f"{p.name}.publish.attestation" for p in built)

    assert prepare([], prod_store, identity=identity, sign=signer) == {}  # nothing uploaded, nothing attested
    assert len(signer.calls) == 4


def test_a_stale_or_foreign_attestation_is_not_reused(built: list[Path], tmp_path: Path) -> None:
    signer = StandInSigner()
    wheel = built[1] if built[1].suffix == ".whl" else built[0]
    store = store_for(tmp_path, "pypi")
    prepare([(wheel, _sha(wheel))], store, identity=lambda: "t", sign=signer)
    rebuilt = tmp_path / wheel.name
    rebuilt.write_bytes(wheel.read_bytes() + b"\0")  # a rebuild: same name, other content
    again = prepare([(rebuilt, _sha(rebuilt))], store, identity=lambda: "t", sign=signer)
    assert not again[wheel.name].reused and len(signer.calls) == 2
    attestation_path(store, wheel.name).write_text("{not json")
    assert not prepare([(rebuilt, _sha(rebuilt))], store, identity=lambda: "t", sign=signer)[wheel.name].reused

    def wrong(path: Path, token: str) -> Attestation:
        return signer(wheel, token)  # signs another file's content

    with pytest.raises(AttestationError) as raised:
        prepare([(rebuilt, _sha(rebuilt))], store_for(tmp_path, "x"), identity=lambda: "t", sign=wrong)
    assert f"not for {wheel.name} sha256 {_sha(rebuilt)}" in raised.value.message


# ----------------------------------------------------------------------------- the upload's form field


class ValidatingIndex:
    """PyPI's checks of the ``attestations`` field, in front of a real pypiserver."""

    def __init__(self) -> None:
        self.trusted = True  # does the credential come from a Trusted Publisher?
        self.seen: dict[str, list[Attestation]] = {}

    def __call__(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Any:
        if method != "POST":
            return None
        fields = _form(headers.get("Content-Type", ""), body)
        if "attestations" not in fields:
            return None
        if not self.trusted:
            refusal = b"Invalid attestations supplied during upload: only supported when using Trusted Publishing"
            return 400, {"Content-Type": "text/plain"}, refusal
        filename, content = fields["content"]
        try:
            attestations = form_attestations(fields["attestations"][1].decode())
            assert len(attestations) == 1, "at most one publish attestation per file"
            (subject,) = attestations[0].statement["subject"]
            assert subject == {"name": filename, "digest": {"sha256": hashlib.sha256(content).hexdigest()}}
            verify_stand_in(attestations[0])
        except Exception as e:  # any failure is PyPI's 400
            return 400, {"Content-Type": "text/plain"}, f"Invalid attestations supplied during upload: {e}".encode()
        self.seen[filename] = attestations
        return None  # valid: on to pypiserver


def _form(content_type: str, body: bytes) -> dict[str, tuple[str, bytes]]:
    message = BytesParser(policy=HTTP).parsebytes(b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body)
    fields = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        fields[str(name)] = (part.get_filename() or "", part.get_payload(decode=True) or b"")
    return fields


@pytest.fixture
def index(tmp_path: Path):  # type: ignore[no-untyped-def]
    server = start_index(tmp_path, "pypi")
    validator = ValidatingIndex()
    standin = StandIn(server.url.rstrip("/"), validator).start()
    yield server, standin, validator
    standin.stop()
    server.stop()


def _upload(url: str, password: str, path: Path, attested: Any = None) -> int:
    from hatch_manta_release.publish.sessions import Uploaders
    from hatch_manta_release.publish.upload import Credentials, read_package

    package = read_package(path)
    if attested is not None:
        attach(package, attested)
    uploaders = Uploaders(Credentials("__token__", password, "$PYPI_API_TOKEN"))
    try:
        return int(uploaders.get(url, 60).upload(package, max_redirects=1).status_code)
    finally:
        uploaders.close()


def test_upload_carries_the_attestation_the_index_validates(built: list[Path], tmp_path: Path, index: Any) -> None:
    """What publish does per repository: ask the index, attest only what it lacks, upload with the field."""
    from hatch_manta_release.publish.index import existing_files

    server, standin, validator = index
    signer = StandInSigner()
    store = store_for(tmp_path, "pypi")
    for attempt in (1, 2):  # the second run finds every file on the index: nothing is attested again
        on_index = existing_files(server.simple_url, "sample-pkg")
        missing = [(p, _sha(p)) for p in built if p.name not in on_index]
        attested = prepare(missing, store, identity=lambda: "oidc", sign=signer)
        for path, _sha256 in missing:
            assert _upload(standin.url + "/", server.password, path, attested[path.name]) == 200
        assert len(signer.calls) == 2, attempt
    assert sorted(validator.seen) == sorted(p.name for p in built) == server.files()


def test_twine_upload_attestations_reads_the_kept_files(built: list[Path], tmp_path: Path, index: Any) -> None:
    """The manual fallback: ``twine upload --attestations`` takes ``<file>.publish.attestation`` as kept here."""
    server, standin, validator = index
    store = store_for(tmp_path, "pypi")
    prepare([(p, _sha(p)) for p in built], store, identity=lambda: "oidc", sign=StandInSigner())
    env = {k: v for k, v in os.environ.items() if not k.startswith("TWINE_")}
    env.update(TWINE_USERNAME="__token__", TWINE_PASSWORD=server.password, TWINE_NON_INTERACTIVE="1")
    inputs = [str(p) for p in built] + [str(attestation_path(store, p.name)) for p in built]
    result = subprocess.run([sys.executable, "-m", "twine", "upload", "--attestations", "--repository-url",
                             standin.url + "/", "--disable-progress-bar", *inputs], env=env, capture_output=True,
                            text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert sorted(validator.seen) == server.files()


def test_with_an_api_token_there_are_none(built: list[Path], tmp_path: Path, index: Any) -> None:
    server, standin, validator = index
    validator.trusted = False
    decision = decide(None, False, "pypi")
    assert not decision.make and "only from Trusted Publishers" in (decision.note or "")
    wheel = next(p for p in built if p.suffix == ".whl")
    # why: the index refuses an attestation that comes with an API token ...
    attested = prepare([(wheel, _sha(wheel))], store_for(tmp_path, "pypi"), identity=lambda: "t", sign=StandInSigner())
    assert _upload(standin.url + "/", server.password, wheel, attested[wheel.name]) == 400
    # ... and takes the file without one
    assert _upload(standin.url + "/", server.password, wheel) == 200
    assert server.files() == [wheel.name] and validator.seen == {}


def test_attestations_key_per_repository() -> None:
    from hatch_manta_release.core.config import parse_config
    from hatch_manta_release.core.errors import ConfigError

    config = parse_config({"repositories": {"pypi": {"attestations": False}}})
    assert config.repository("pypi").attestations is False
    assert config.repository("testpypi").attestations is None  # default: true with Trusted Publishing
    with pytest.raises(ConfigError) as raised:
        parse_config({"repositories": {"testpypi": {"attestations": "no"}}})
    assert raised.value.message == ('[tool.manta-release] repositories.testpypi.attestations = "no": '
                                    "expected true or false")


def test_the_seam_publish_calls(built: list[Path], tmp_path: Path) -> None:
    files = [(p, _sha(p)) for p in built]
    notes: list[str] = []
    signer = StandInSigner()
    assert attest_uploads(None, False, "pypi", files, tmp_path, note=notes.append, sign=signer) == {}
    assert notes == [decide(None, False, "pypi").note] and signer.calls == []
    assert attest_uploads(False, True, "pypi", files, tmp_path, note=notes.append, sign=signer) == {}
    made = attest_uploads(None, True, "pypi", files, tmp_path, note=notes.append, identity=lambda: "t", sign=signer)
    assert sorted(made) == sorted(p.name for p in built) and len(notes) == 1
    assert all(a.path.parent == tmp_path / ".attestations" / "pypi" for a in made.values())


@pytest.mark.slow
def test_the_real_signer_explains_why_it_cannot_sign(tmp_path: Path) -> None:
    """sigstore_sign itself, here: Sigstore's TUF root cannot be fetched (elsewhere the bogus identity is
    refused) - either way one explained error, no traceback."""
    from hatch_manta_release.publish.attest import sigstore_sign

    wheel = tmp_path / "x-1.0-py3-none-any.whl"
    wheel.write_bytes(b"not really a wheel")
    with pytest.raises(AttestationError) as raised:
        sigstore_sign(wheel, "not.a.jwt")
    assert raised.value.message.startswith("cannot attest x-1.0-py3-none-any.whl with Sigstore: ")
    assert "set attestations = false" in (raised.value.hint or "")
