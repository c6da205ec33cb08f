"""PEP 740 publish attestations: one per uploaded file, made with Trusted Publishing's identity.

PyPA's publishing action signs every file by default when it publishes with Trusted Publishing
(``pypi-attestations`` over ``sigstore``, the identity from ``id``); a project moving here must not
lose that. PyPI accepts attestations only from Trusted Publisher identities: with an API token there
are none (:func:`decide` says so once).

The one seam is :data:`Signer` - a file and an identity token in, a
``pypi_attestations.Attestation`` out. :func:`sigstore_sign` is the real one (Fulcio certificate,
Rekor entry: it needs Sigstore's public instance); everything around it (which files, where they
are kept, whether a kept one still matches, the upload's form field) is plain code.

Attestations are kept per repository and file, as ``<dist>/.attestations/<repository>/<file>.publish.attestation``
(the name ``twine upload --attestations`` expects, so a manual fallback can upload them too). A re-run
reuses a kept attestation whose subject is still the file's name and sha256, and a second index gets
its own, so it never meets another index's ("already has a publish attestation" in PyPA's action).
Only files that are really uploaded are attested: the caller passes no file the index already has.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from hatch_manta_release.core.errors import MantaError

if TYPE_CHECKING:
    from pypi_attestations import Attestation
    from twine.package import PackageFile

PUBLISH_PREDICATE = "https://docs.pypi.org/attestations/publish/v1"
SUFFIX = ".publish.attestation"
STORE = ".attestations"
SIGSTORE_AUDIENCE = "sigstore"

Signer = Callable[[Path, str], "Attestation"]
"""The seam: ``sign(file, identity_token) -> Attestation`` (a publish attestation of that file)."""


class AttestationError(MantaError):
    """A PEP 740 publish attestation could not be made (no OIDC identity in the job, or Sigstore
    refused to sign), or one kept beside a file in dist/ is not that file's publish attestation
    (another name or sha256, several subjects, another predicate).

    Fix: give the publish job `permissions: id-token: write` (attestations are signed with the
    job's identity, so they are made only in CI); remove a kept attestation that does not match
    (publish makes a new one); or set `attestations = false` for that repository to publish
    without them. A re-run reuses the attestations already made.
    """


@dataclass(frozen=True)
class Decision:
    make: bool
    note: str | None = None  # said once per publish when there are none


def decide(setting: bool | None, trusted_publishing: bool, repository: str) -> Decision:
    """``attestations`` of a repository (None: the default, true with Trusted Publishing)."""
    if setting is False:
        return Decision(False)
    if trusted_publishing:
        return Decision(True)
    why = ("no attestations: PyPI accepts PEP 740 attestations only from Trusted Publishers, and "
           f"{repository} is published to with an API token")
    if setting is True:
        why += " (attestations = true applies only with trusted-publishing)"
    return Decision(False, why)


def store_for(dist_dir: Path, repository: str) -> Path:
    """Where a repository's attestations are kept (inside dist/, so they travel with the files)."""
    return dist_dir / STORE / repository


def attestation_path(store: Path, filename: str) -> Path:
    return store / f"{filename}{SUFFIX}"


def check_attestation(attestation: Attestation, filename: str, sha256: str) -> None:
    """A publish attestation of exactly this file: one subject, its name and sha256, the publish predicate."""
    statement = attestation.statement
    subjects = statement.get("subject") or []
    if len(subjects) != 1:
        raise AttestationError(f"the attestation of {filename} has {len(subjects)} subjects, not one")
    subject = subjects[0]
    if subject.get("name") != filename or (subject.get("digest") or {}).get("sha256") != sha256:
        raise AttestationError(
            f"the attestation is for {subject.get('name')} sha256 {(subject.get('digest') or {}).get('sha256')}, "
            f"not for {filename} sha256 {sha256}",
            "remove it; publish makes a new one",
        )
    if statement.get("predicateType") != PUBLISH_PREDICATE:
        raise AttestationError(f"the attestation of {filename} is a {statement.get('predicateType')}, "
                               f"not a publish attestation ({PUBLISH_PREDICATE})")


def load_kept(path: Path, filename: str, sha256: str) -> Attestation | None:
    """A kept attestation that still matches the file, or None (missing, unreadable or stale)."""
    from pydantic import ValidationError
    from pypi_attestations import Attestation

    try:
        attestation = Attestation.model_validate_json(path.read_bytes())
        check_attestation(attestation, filename, sha256)
    except (OSError, ValueError, ValidationError, AttestationError):
        return None
    return attestation


@dataclass(frozen=True)
class Attested:
    filename: str
    path: Path  # the <file>.publish.attestation to send with the upload
    reused: bool  # kept from an earlier run for this repository


def prepare(files: Sequence[tuple[Path, str]], store: Path, *, identity: Callable[[], str],
            sign: Signer | None = None) -> dict[str, Attested]:
    """An attestation for each ``(path, sha256)`` to upload, kept or made; ``identity()`` is asked once,
    and only when one has to be made."""
    signer = sign or sigstore_sign
    token: str | None = None
    result: dict[str, Attested] = {}
    for path, sha256 in files:
        target = attestation_path(store, path.name)
        if load_kept(target, path.name, sha256) is not None:
            result[path.name] = Attested(path.name, target, True)
            continue
        if token is None:
            token = identity()
        attestation = signer(path, token)
        check_attestation(attestation, path.name, sha256)
        store.mkdir(parents=True, exist_ok=True)
        temporary = target.with_name(target.name + ".tmp")
        temporary.write_text(attestation.model_dump_json(), encoding="utf-8")
        temporary.replace(target)  # never a half-written attestation for a re-run to trip over
        result[path.name] = Attested(path.name, target, False)
    return result


def attest_uploads(setting: bool | None, trusted_publishing: bool, repository: str, files: Sequence[tuple[Path, str]],
                   dist_dir: Path, *, note: Callable[[str], None], identity: Callable[[], str] | None = None,
                   sign: Signer | None = None) -> dict[str, Attested]:
    """The one call ``publish`` makes once it knows what it uploads: ``files`` are the ``(path, sha256)`` it
    will really upload to ``repository`` (never one skipped as identical). Returns each file's attestation
    (empty when none are made; ``note`` then says why, once)."""
    decision = decide(setting, trusted_publishing, repository)
    if not decision.make:
        if decision.note and files:
            note(decision.note)
        return {}
    return prepare(files, store_for(dist_dir, repository), identity=identity or ambient_identity, sign=sign)


def attach(package: PackageFile, attested: Attested) -> None:
    """Put the attestation into twine's upload form (the ``attestations`` field: a JSON list)."""
    package.add_attestations([str(attested.path)])


def form_attestations(field_value: str) -> list[Attestation]:
    """The ``attestations`` field of an upload, parsed as an index reads it (for checks and tests)."""
    from pypi_attestations import Attestation

    return [Attestation.model_validate(item) for item in json.loads(field_value)]


# ----------------------------------------------------------------------------- the real signer and identity


def sigstore_sign(path: Path, identity_token: str) -> Attestation:
    """Sign ``path`` with Sigstore's public instance (Fulcio certificate, Rekor entry) - needs the network."""
    from pypi_attestations import Attestation, Distribution
    from pypi_attestations import AttestationError as SigningError
    from sigstore.errors import Error as SigstoreError
    from sigstore.models import ClientTrustConfig
    from sigstore.oidc import ExpiredIdentity, IdentityToken
    from sigstore.sign import SigningContext

    try:
        context = SigningContext.from_trust_config(ClientTrustConfig.production())
        with context.signer(IdentityToken(identity_token), cache=True) as signer:
            return Attestation.sign(signer, Distribution.from_file(path))
    except (SigstoreError, SigningError, ExpiredIdentity, OSError) as e:
        raise AttestationError(
            f"cannot attest {path.name} with Sigstore: {e}",
            "re-run the job (kept attestations are reused); if it persists, set attestations = false for this "
            "repository and publish without them",
        ) from None


def ambient_identity() -> str:
    """The job's OIDC identity for Sigstore (GitHub Actions, GitLab CI, …) through ``id``."""
    from id import AmbientCredentialError, detect_credential

    try:
        token = detect_credential(audience=SIGSTORE_AUDIENCE)
    except AmbientCredentialError as e:
        raise AttestationError(f"no OIDC identity to sign attestations with: {e}",
                               "add `permissions: id-token: write` to the publish job, or set attestations = false "
                               "for this repository") from None
    if not token:
        raise AttestationError("no OIDC identity to sign attestations with: not a CI job that offers one",
                               "attestations are made in the release workflow; set attestations = false to "
                               "publish from elsewhere")
    from hatch_manta_release.core.redaction import register_secret

    register_secret(token)
    return str(token)
