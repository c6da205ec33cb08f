"""Git tag -> PEP 440 version, and the development version of an untagged commit.

The reference system routed on a hyphen and never checked its tags against PEP 440: its guide's
own ``v0.1.0-test.1`` is not a valid version. Here every tag is turned into a
:class:`packaging.version.Version` or refused with a message naming the tag; the release channel
comes from ``Version.is_prerelease``, so ``v1.0.0rc1`` and ``v1.0.0.dev1`` are pre-releases and
``v1.0.0-1`` is final: PEP 440 reads a bare numeric suffix as a post-release, where semver reads it
as a pre-release; the ``numeric-suffix`` key picks the reading, and the mapping says which applied.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from packaging.version import InvalidVersion, Version

from hatch_manta_release.core import defaults
from hatch_manta_release.core.defaults import PRERELEASE_LABELS as DEFAULT_PRERELEASE_LABELS
from hatch_manta_release.core.errors import TagError

Channel = Literal["prerelease", "final"]

# `1.2.0-beta.1`, `1.2.0-beta1`, `1.2.0-beta` (semver-style pre-release with a label).
_SEMVER_PRE = re.compile(
    r"^(?P<release>\d+(?:\.\d+)*)-(?P<label>[A-Za-z][A-Za-z0-9]*?)(?:[.-]?(?P<number>\d+))?$"
)
# `1.0.0-1`: a bare numeric suffix (a post-release to PEP 440, a pre-release to semver).
_NUMERIC_SUFFIX = re.compile(r"^(?P<release>\d+(?:\.\d+)*)-(?P<number>\d+)$")


@dataclass(frozen=True)
class TagVersion:
    """A release tag and the version it stands for."""

    tag: str
    version: Version
    mapping: str  # how the tag became the version, for `version --explain`
    note: str = ""  # a reading the user should know about (a `-N` tag), for `--explain` and `plan`

    @property
    def channel(self) -> Channel:
        return channel_of(self.version)


def channel_of(version: Version) -> Channel:
    """Pre-release (a, b, rc or dev) or final, as ``packaging`` decides."""
    return "prerelease" if version.is_prerelease else "final"


def accepted_forms(prefix: str, labels: Mapping[str, str]) -> str:
    return (
        f"{prefix}X.Y.Z, {prefix}X.Y.Z-<label>.N with <label> one of {', '.join(sorted(labels))}, "
        f"or a PEP 440 version such as {prefix}1.5.0rc1, {prefix}1.5.0.dev0, {prefix}1.4.5.2"
    )


def version_from_tag(
    tag: str,
    prefix: str = defaults.TAG_PREFIX,
    labels: Mapping[str, str] = DEFAULT_PRERELEASE_LABELS,
    numeric_suffix: str = defaults.NUMERIC_SUFFIX,
) -> TagVersion:
    """Map a release tag to its PEP 440 version, or raise :class:`TagError` naming the tag.

    ``numeric_suffix`` is the PEP 440 segment a bare ``-N`` suffix becomes (``post`` by default)."""
    if not tag.startswith(prefix):
        raise TagError(
            f"tag {tag!r} does not start with the tag prefix {prefix!r}",
            f"release tags look like {prefix}1.2.3; set tag-prefix in [tool.manta-release] if yours differ",
        )
    text = tag[len(prefix) :]
    if "+" in text:
        raise TagError(
            f"tag {tag!r} carries a local version label ({text[text.index('+') :]!r}), which package indexes refuse",
            f"tag the release without the '+…' part, e.g. {prefix}{text.split('+', 1)[0]}",
        )
    numeric = _NUMERIC_SUFFIX.match(text)
    if numeric:
        return _numeric_suffix_tag(tag, numeric["release"], int(numeric["number"]), numeric_suffix)
    match = _SEMVER_PRE.match(text)
    if match and match["label"].lower() not in labels and _is_pep440(text):
        match = None  # not a label we know, but a PEP 440 spelling (`1.0-r1`, `1.0-post0dev0`): as it is
    if match:
        label = match["label"].lower()
        segment = labels.get(label)
        if segment is None:
            # `1.0.0-rc1` style labels that PEP 440 itself knows stay valid only when listed.
            raise TagError(
                f"tag {tag!r} has the unknown pre-release label {match['label']!r}",
                f"accepted labels: {', '.join(sorted(labels))} "
                '(add more under [tool.manta-release.prerelease-labels], e.g. banana = "b"), '
                f"or tag a PEP 440 version such as {prefix}{match['release']}rc1",
            )
        number = int(match["number"] or 0)
        separator = "." if segment in ("dev", "post") else ""
        pep440 = f"{match['release']}{separator}{segment}{number}"
        version = _parse(tag, pep440, prefix, labels)
        note = ""
        if label == "test":
            note = f" ({text!r} itself is not a valid PEP 440 version)"
        return TagVersion(
            tag, version, f"semver-style label {label!r} -> {segment!r}: {text} -> {version}{note}"
        )
    version = _parse(tag, text, prefix, labels)
    if version.local:
        raise TagError(f"tag {tag!r} carries a local version label, which package indexes refuse")
    how = "PEP 440 version as tagged" if str(version) == text else f"PEP 440 normal form of {text!r}"
    return TagVersion(tag, version, f"{how}: {version}")


def _numeric_suffix_tag(tag: str, release: str, number: int, segment: str) -> TagVersion:
    """``v1.0.0-1``: a post-release (PEP 440's reading, the default) or the configured pre-release.
    Either way the note says so, since the two readings publish to different places."""
    separator = "." if segment in ("dev", "post") else ""
    version = Version(f"{release}{separator}{segment}{number}")
    text = f"{release}-{number}"
    if segment == "post":
        kind = "post-release"
        other = 'set numeric-suffix = "rc" (or "a", "b", "dev") in [tool.manta-release] to read -N tags as pre-releases'
    else:
        kind = "pre-release" if version.is_prerelease else "release"
        other = 'numeric-suffix in [tool.manta-release]; "post" reads -N tags as post-releases, as PEP 440 does'
    note = f"{tag} is taken as the {kind} {version} ({channel_of(version)}); {other}"
    if segment == "post":
        mapping = f"PEP 440 normal form of {text!r}: {version}"
    else:
        mapping = f"numeric suffix -{number} as {segment!r} (numeric-suffix): {text} -> {version}"
    return TagVersion(tag, version, mapping, note)


def _is_pep440(text: str) -> bool:
    try:
        Version(text)
    except InvalidVersion:
        return False
    return True


def _parse(tag: str, text: str, prefix: str, labels: Mapping[str, str]) -> Version:
    try:
        return Version(text)
    except InvalidVersion:
        raise TagError(
            f"tag {tag!r} is not a release version",
            f"release tags look like {accepted_forms(prefix, labels)}",
        ) from None


def development_version(
    base: Version, distance: int, sha: str, dirty: bool, date: str | None = None
) -> Version:
    """A version above ``base`` and below the next release that can follow it, for a commit that
    is not exactly a clean release tag.

    Follows hatch-vcs / setuptools-scm's default ``guess-next-dev`` scheme where it sorts right, so
    users moving from them see the versions they know: ``1.5.0`` + 3 commits -> ``1.5.1.dev3+g<sha>``,
    a pre-release ``1.5.0rc1`` -> ``1.5.0rc2.dev3+g<sha>``. Where it does not, the version differs:

    - after a dev release ``1.5.0.dev2``, ``1.5.0.dev5`` would sort above the next dev release
      ``1.5.0.dev3``; the public version stays and the distance goes first in the local part:
      ``1.5.0.dev2+3.g<sha>`` (above ``1.5.0.dev2``, below ``1.5.0.dev3``);
    - after a post-release ``1.0.0.post1``, ``1.0.1.dev3`` would sort above the next post-release
      ``1.0.0.post2``: it is ``1.0.0.post2.dev3+g<sha>``.

    A dirty tree adds ``.d<YYYYMMDD>`` to the local part. The local part makes such versions
    unpublishable on PyPI, which is the point: only clean tags are released.
    """
    local = f"g{sha}" + (f".d{date}" if dirty and date else "")
    if base.dev is not None:
        return Version(f"{base.public}+{distance}.{local}")
    if base.post is not None:
        public = _assemble(base, pre=base.pre, post=base.post + 1, dev=distance)
    elif base.pre is not None:
        label, number = base.pre
        public = _assemble(base, pre=(label, number + 1), post=None, dev=distance)
    else:
        bumped = (*base.release[:-1], base.release[-1] + 1)
        public = _assemble(base, release=bumped, pre=None, post=None, dev=distance)
    return Version(f"{public}+{local}")


def _assemble(
    base: Version,
    *,
    release: tuple[int, ...] | None = None,
    pre: tuple[str, int] | None,
    post: int | None,
    dev: int | None,
) -> str:
    text = f"{base.epoch}!" if base.epoch else ""
    text += ".".join(str(part) for part in (release or base.release))
    if pre is not None:
        text += f"{pre[0]}{pre[1]}"
    if post is not None:
        text += f".post{post}"
    if dev is not None:
        text += f".dev{dev}"
    return text
