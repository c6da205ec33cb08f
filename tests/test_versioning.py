"""Tag -> PEP 440 version, the channel, and development versions (pure functions, no git)."""

from __future__ import annotations

import re

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from packaging.version import Version

from hatch_manta_release.core.config import DEFAULT_PRERELEASE_LABELS, parse_config
from hatch_manta_release.core.errors import TagError
from hatch_manta_release.core.tags import channel_of, development_version, version_from_tag

# Every mapping the issue names, plus the forms around them.
MAPPINGS = [
    # semver-style pre-releases
    ("v0.2.0-beta.1", "0.2.0b1", "prerelease"),
    ("v0.2.0-alpha.1", "0.2.0a1", "prerelease"),
    ("v0.2.0-rc.1", "0.2.0rc1", "prerelease"),
    ("v0.2.0-dev.3", "0.2.0.dev3", "prerelease"),
    ("v0.1.0-test.1", "0.1.0.dev1", "prerelease"),  # the reference guide's own (invalid) form
    ("v1.0.0-beta", "1.0.0b0", "prerelease"),
    ("v1.0.0-beta1", "1.0.0b1", "prerelease"),
    ("v1.0.0-beta-2", "1.0.0b2", "prerelease"),
    ("v1.0.0-RC.2", "1.0.0rc2", "prerelease"),
    ("v1.0.0-a.1", "1.0.0a1", "prerelease"),
    ("v1.0.0-b.1", "1.0.0b1", "prerelease"),
    ("v1.0.0-c.1", "1.0.0rc1", "prerelease"),
    ("v1.0.0-pre.1", "1.0.0rc1", "prerelease"),
    ("v1.0.0-preview.4", "1.0.0rc4", "prerelease"),
    ("v1.4.5-dev.2", "1.4.5.dev2", "prerelease"),  # the reference system's drifting dev tags
    ("v1.0.0-post.2", "1.0.0.post2", "final"),
    # PEP 440 tags, as they are
    ("v1.5.0rc0", "1.5.0rc0", "prerelease"),
    ("v1.5.0.dev0", "1.5.0.dev0", "prerelease"),
    ("v1.4.5.2", "1.4.5.2", "final"),
    ("v1.0.0rc1", "1.0.0rc1", "prerelease"),
    ("v1.0.0.dev1", "1.0.0.dev1", "prerelease"),
    ("v1.0.0b2", "1.0.0b2", "prerelease"),
    ("v1.0.0.post1.dev2", "1.0.0.post1.dev2", "prerelease"),
    ("v1.0.0-1", "1.0.0.post1", "final"),  # a PEP 440 post-release: final, not a pre-release
    ("v0.2.0", "0.2.0", "final"),
    ("v1.5.0", "1.5.0", "final"),
    ("v2024.10", "2024.10", "final"),
    ("v1!2.0", "1!2.0", "final"),
    ("v1.5.0RC1", "1.5.0rc1", "prerelease"),  # normalised
    ("v1.0.0-rev.1", "1.0.0.post1", "final"),  # not a configured label, but a PEP 440 spelling
    ("v1.0-post0dev0", "1.0.post0.dev0", "prerelease"),
]


@pytest.mark.parametrize(("tag", "expected", "channel"), MAPPINGS)
def test_tag_mapping(tag: str, expected: str, channel: str) -> None:
    tagged = version_from_tag(tag)
    assert str(tagged.version) == expected
    assert tagged.tag == tag
    assert tagged.channel == channel == channel_of(tagged.version)
    assert Version(str(tagged.version)) == tagged.version


def test_mapping_explains_semver_label() -> None:
    assert version_from_tag("v0.2.0-beta.1").mapping == "semver-style label 'beta' -> 'b': 0.2.0-beta.1 -> 0.2.0b1"


def test_mapping_says_the_guides_test_tag_is_not_a_valid_version() -> None:
    mapping = version_from_tag("v0.1.0-test.1").mapping
    assert "'0.1.0-test.1' itself is not a valid PEP 440 version" in mapping
    assert "0.1.0.dev1" in mapping


def test_mapping_explains_pep440_tags() -> None:
    assert version_from_tag("v1.5.0rc0").mapping == "PEP 440 version as tagged: 1.5.0rc0"
    assert version_from_tag("v1.5.0RC1").mapping == "PEP 440 normal form of '1.5.0RC1': 1.5.0rc1"
    assert version_from_tag("v1.0.0-1").mapping == "PEP 440 normal form of '1.0.0-1': 1.0.0.post1"


def test_unknown_label_names_the_tag_and_the_accepted_labels() -> None:
    with pytest.raises(TagError) as info:
        version_from_tag("v2.0.0-banana.1")
    error = info.value
    assert error.message == "tag 'v2.0.0-banana.1' has the unknown pre-release label 'banana'"
    assert error.hint is not None
    assert error.hint.startswith("accepted labels: a, alpha, b, beta, c, dev, post, pre, preview, rc, test ")
    for label in DEFAULT_PRERELEASE_LABELS:
        assert label in error.hint
    assert "[tool.manta-release.prerelease-labels]" in error.hint
    assert "v2.0.0rc1" in error.hint


def test_configured_labels() -> None:
    labels = parse_config({"prerelease-labels": {"banana": "b", "nightly": "dev", "Test": "rc"}}).prerelease_labels
    assert str(version_from_tag("v2.0.0-banana.1", labels=labels).version) == "2.0.0b1"
    assert str(version_from_tag("v2.0.0-nightly.7", labels=labels).version) == "2.0.0.dev7"
    assert str(version_from_tag("v2.0.0-test.1", labels=labels).version) == "2.0.0rc1"  # overrides a default
    assert str(version_from_tag("v2.0.0-beta.1", labels=labels).version) == "2.0.0b1"  # defaults stay
    with pytest.raises(TagError, match=r"accepted labels: .*banana.*nightly"):
        version_from_tag("v2.0.0-apple.1", labels=labels)


@pytest.mark.parametrize("tag", ["v1.0.0+local", "v1.0.0-beta.1+build.5", "v1.0.0+g1234567"])
def test_local_versions_are_refused(tag: str) -> None:
    with pytest.raises(TagError) as info:
        version_from_tag(tag)
    assert info.value.message.startswith(f"tag {tag!r} carries a local version label")
    assert "package indexes refuse" in info.value.message
    assert info.value.hint == f"tag the release without the '+…' part, e.g. {tag.split('+', maxsplit=1)[0]}"


@pytest.mark.parametrize("tag", ["v1.0.0-beta.x", "v1.0.0-", "vbanana", "v1.0.0-beta.1.2", "v1..0", "v1.0.0_rc_1_x"])
def test_not_a_version(tag: str) -> None:
    with pytest.raises(TagError) as info:
        version_from_tag(tag)
    assert info.value.message == f"tag {tag!r} is not a release version"
    assert info.value.hint == (
        "release tags look like vX.Y.Z, vX.Y.Z-<label>.N with <label> one of a, alpha, b, beta, c, dev, post, "
        "pre, preview, rc, test, or a PEP 440 version such as v1.5.0rc1, v1.5.0.dev0, v1.4.5.2"
    )


def test_tag_prefix() -> None:
    assert str(version_from_tag("release-1.2.3", prefix="release-").version) == "1.2.3"
    assert str(version_from_tag("1.2.3-rc.1", prefix="").version) == "1.2.3rc1"
    with pytest.raises(TagError, match=r"tag '1\.2\.3' does not start with the tag prefix 'v'"):
        version_from_tag("1.2.3")


# ----------------------------------------------------------------------------- development versions


@pytest.mark.parametrize(
    ("base", "distance", "dirty", "expected"),
    [
        ("1.5.0", 3, False, "1.5.1.dev3+gabc1234"),
        ("1.4.5.2", 1, False, "1.4.5.3.dev1+gabc1234"),
        ("1.5.0rc1", 3, False, "1.5.0rc2.dev3+gabc1234"),
        # issue 11: below the next dev release (1.5.0.dev3) and the next post-release (1.0.0.post2)
        ("1.5.0.dev2", 3, False, "1.5.0.dev2+3.gabc1234"),
        ("1.5.0.dev2", 0, True, "1.5.0.dev2+0.gabc1234.d20260102"),
        ("1.0.0.post1", 2, False, "1.0.0.post2.dev2+gabc1234"),
        ("1!2.0", 1, False, "1!2.1.dev1+gabc1234"),
        ("1.5.0", 3, True, "1.5.1.dev3+gabc1234.d20260102"),
        ("1.5.0", 0, True, "1.5.1.dev0+gabc1234.d20260102"),  # dirty tree on the tag itself
    ],
)
def test_development_version(base: str, distance: int, dirty: bool, expected: str) -> None:
    version = development_version(Version(base), distance, "abc1234", dirty, "20260102")
    assert str(version) == expected
    assert version > Version(base)
    assert version.local is not None  # never publishable on PyPI
    assert channel_of(version) == "prerelease"


# ----------------------------------------------------------------------------- properties

numbers = st.integers(min_value=0, max_value=10_000)
releases = st.lists(numbers, min_size=1, max_size=5).map(lambda parts: ".".join(map(str, parts)))


def _random_case(draw: st.DrawFn, text: str) -> str:
    flips = draw(st.lists(st.booleans(), min_size=len(text), max_size=len(text)))
    return "".join(c.upper() if flip else c for c, flip in zip(text, flips, strict=True))


@st.composite
def semver_tags(draw: st.DrawFn) -> tuple[str, str]:
    """A semver-style tag with a known label, and the version it must map to."""
    release = draw(releases)
    label = draw(st.sampled_from(sorted(DEFAULT_PRERELEASE_LABELS)))
    number = draw(st.one_of(st.none(), numbers))
    separator = draw(st.sampled_from([".", "-", ""])) if number is not None else ""
    if number is not None and separator == "" and label[-1].isdigit():  # pragma: no cover - no such label
        separator = "."
    tag = f"v{release}-{_random_case(draw, label)}{separator}{'' if number is None else number}"
    segment = DEFAULT_PRERELEASE_LABELS[label]
    joiner = "." if segment in ("dev", "post") else ""
    return tag, f"{release}{joiner}{segment}{number or 0}"


@st.composite
def pep440_versions(draw: st.DrawFn) -> str:
    """A public PEP 440 version, written in its normal form or a spelling packaging accepts."""
    text = ""
    if draw(st.booleans()):
        text += f"{draw(st.integers(0, 5))}!"
    text += draw(releases)
    if draw(st.booleans()):
        text += draw(st.sampled_from(["a", "b", "rc", "alpha", "beta", "c", "pre", "preview", "RC", ".rc", "-a"]))
        text += str(draw(numbers))
    if draw(st.booleans()):
        text += draw(st.sampled_from([".post", "post", "-post", ".rev", ".r"])) + str(draw(numbers))
    if draw(st.booleans()):
        text += draw(st.sampled_from([".dev", "dev", "-dev"])) + str(draw(numbers))
    return text


@given(semver_tags())
@example(("v0.2.0-beta.1", "0.2.0b1"))
@example(("v0.1.0-test.1", "0.1.0.dev1"))
def test_property_semver_tags_map_to_valid_round_tripping_versions(case: tuple[str, str]) -> None:
    tag, expected = case
    tagged = version_from_tag(tag)
    assert tagged.version == Version(expected)
    text = str(tagged.version)
    assert Version(text) == tagged.version
    assert str(Version(text)) == text  # the normal form is stable
    assert tagged.version.local is None
    assert tagged.channel == ("prerelease" if tagged.version.is_prerelease else "final")


@given(pep440_versions())
@example("0-post0dev0")  # looks like a semver label `post0dev`, is PEP 440
@example("1.0-r1")
@example("1.5.0rc0")
@example("1.5.0.dev0")
@example("1.4.5.2")
@example("1.0.0-1")
def test_property_pep440_tags_are_taken_as_they_are(text: str) -> None:
    tagged = version_from_tag(f"v{text}")
    assert tagged.version == Version(text)
    normal = str(tagged.version)
    assert Version(normal) == tagged.version and str(Version(normal)) == normal
    assert tagged.channel == ("prerelease" if Version(text).is_prerelease else "final")


@given(st.one_of(semver_tags().map(lambda case: case[0]), pep440_versions().map(lambda text: f"v{text}")))
def test_property_every_accepted_tag_round_trips_as_a_tag(tag: str) -> None:
    """The version of a tag, tagged again in its normal form, maps to the same version."""
    version = version_from_tag(tag).version
    assert version_from_tag(f"v{version}").version == version


@given(
    st.one_of(semver_tags().map(lambda case: case[0]), pep440_versions().map(lambda text: f"v{text}")),
    st.integers(0, 500),
    st.from_regex(re.compile(r"[0-9a-f]{7,12}"), fullmatch=True),
    st.booleans(),
)
def test_property_development_versions_sort_above_their_tag(tag: str, distance: int, sha: str, dirty: bool) -> None:
    base = version_from_tag(tag).version
    version = development_version(base, distance, sha, dirty, "20260102")
    assert version > base
    assert Version(str(version)) == version
    # After a dev release the distance leads the local part (issue 11: below the next dev release).
    distance_part = f"{distance}." if base.dev is not None else ""
    assert version.local == f"{distance_part}g{sha}" + (".d20260102" if dirty else "")
    assert channel_of(version) == "prerelease"


@given(st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=20))
def test_property_any_tag_gives_a_version_or_a_tag_error(suffix: str) -> None:
    """Whatever is tagged, the answer is a valid public version or a TagError naming the tag."""
    tag = f"v{suffix}"
    try:
        tagged = version_from_tag(tag)
    except TagError as e:
        assert repr(tag) in e.message
    else:
        assert tagged.version.local is None
        assert Version(str(tagged.version)) == tagged.version


# ----------------------------------------------------------------------------- git archive files (for init)


def test_gitattributes_line_added_once() -> None:
    from hatch_manta_release.core.archive import GITATTRIBUTES_LINE, gitattributes_with_archival

    assert gitattributes_with_archival(None) == GITATTRIBUTES_LINE + "\n"
    assert gitattributes_with_archival("*.png binary") == f"*.png binary\n{GITATTRIBUTES_LINE}\n"
    assert gitattributes_with_archival(f"*.png binary\n{GITATTRIBUTES_LINE}\n") is None
    assert gitattributes_with_archival("/.git_archival.txt export-subst\n") is None


def test_archival_text_matches_the_release_tags() -> None:
    from hatch_manta_release.core.archive import archival_text

    assert archival_text("v") == (
        "node: $Format:%H$\nnode-date: $Format:%cI$\n"
        "describe-name: $Format:%(describe:tags=true,match=v[0-9]*)$\n"
    )
    assert "match=*[0-9]*" in archival_text("a,b")  # a comma would end git's describe options
