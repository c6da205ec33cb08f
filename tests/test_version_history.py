"""Issue 11's property, with real git: along any linear history the versions never go backwards.

Each example builds a random history (commits, release tags, sometimes a second lower tag or a tag
that is no version beside a release tag), then checks out every commit in turn and resolves its
version in-process. Along the history the versions strictly increase; a tagged commit has the
version of its highest tag; an untagged commit sorts above its base (the highest tag so far) and
below every later tag.

"Every later tag" is drawn from the tags that can follow a release under the scheme (as with
hatch-vcs's guess-next-dev): after a final ``X`` a higher release, a pre-release of one, or a dev
release of the next minor or major (``X`` + 1 patch ``.dev1`` would sort below ``X.(patch+1).dev3``,
which guess-next-dev gives three commits past ``X``, so is left out, as is a post-release of ``X``);
after a pre-release the next pre-release or the final; after a dev release the next dev release,
a pre-release or the final; after a post-release the next post-release or a higher release.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from packaging.version import Version

from hatch_manta_release.core.project import load_config
from hatch_manta_release.core.version import VERSION_ENV, resolve_version
from tests.support.projects import commit, git, make_project

pytestmark = pytest.mark.slow  # real git, a few seconds in all


def _bump(v: Version, part: int) -> tuple[int, ...]:
    release = [*v.release, 0, 0][:3]
    release[part] += 1
    return tuple(release[: part + 1]) + (0,) * (2 - part)


def _release(parts: tuple[int, ...]) -> str:
    return ".".join(map(str, parts))


def next_tags(current: Version | None) -> list[str]:
    """The versions (PEP 440 text) that may be tagged after ``current`` (see the module docs)."""
    if current is None:
        return ["0.1.0", "0.1.0rc1", "0.1.0.dev1", "0.1.0a1", "0.1.0.post1"]
    base = _release(current.release)
    if current.dev is not None and current.pre is None and current.post is None:
        return [f"{base}.dev{current.dev + 1}", f"{base}.dev{current.dev + 3}", f"{base}a1", f"{base}rc1", base]
    if current.pre is not None:
        label, number = current.pre
        higher = {"a": ["b1", "rc1"], "b": ["rc1"], "rc": []}[label]
        return [f"{base}{label}{number + 1}", f"{base}{label}{number + 2}", *(base + h for h in higher), base]
    if current.post is not None:
        return [f"{base}.post{current.post + 1}", _release(_bump(current, 2)), _release(_bump(current, 1))]
    bumps = [_release(_bump(current, part)) for part in (0, 1, 2)]
    return [
        *bumps,
        f"{bumps[2]}rc1",
        f"{bumps[1]}b2",
        f"{bumps[1]}.dev1",
        f"{bumps[0]}a1",
    ]


def spelling(version: str, style: int) -> str:
    """The tag for a version: PEP 440 as it is, or the semver-style spelling of its pre/dev part."""
    v = Version(version)
    base = _release(v.release)
    if style and v.pre is not None:
        label = {"a": "alpha", "b": "beta", "rc": "rc"}[v.pre[0]]
        return f"v{base}-{label}.{v.pre[1]}"
    if style and v.dev is not None and v.pre is None and v.post is None:
        return f"v{base}-dev.{v.dev}"
    return f"v{version}"


@st.composite
def histories(draw: st.DrawFn) -> list[tuple[list[str], str | None]]:
    """Commits, each with its tags (first the release tag, then extras) and its version if tagged."""
    current: Version | None = None
    steps: list[tuple[list[str], str | None]] = []
    for n in range(draw(st.integers(2, 7))):
        tags: list[str] = []
        released = None
        if n == 0 or draw(st.booleans()):  # the root is tagged: before any tag there is no version
            released = draw(st.sampled_from(next_tags(current)))
            tags.append(spelling(released, draw(st.integers(0, 1))))
            extra = draw(st.sampled_from(["", "", "lower", "junk"]))
            if extra == "lower":
                tags.append(f"v0.0.{len(steps)}")  # below every release: never the base
            elif extra == "junk":
                tags.append(f"v{len(steps)}-docs")  # matches the prefix, is no version: skipped
            current = Version(released)
        steps.append((tags, released))
    return steps


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(histories())
def test_versions_never_go_backwards(tmp_path_factory: pytest.TempPathFactory,
                                     history: list[tuple[list[str], str | None]]) -> None:
    os.environ.pop(VERSION_ENV, None)
    os.environ.pop("GITHUB_REF_TYPE", None)
    project = make_project(tmp_path_factory.mktemp("history") / "p")
    shas = []
    for n, (tags, _) in enumerate(history):
        if n:
            commit(project, f"change {n}")
        for tag in tags:
            git(project, "tag", tag)
        shas.append(git(project, "rev-parse", "HEAD"))
    config = load_config(project)
    versions = []
    for sha in shas:
        git(project, "checkout", "-q", "--detach", sha)
        versions.append(resolve_version(project, config).version)
    released = [Version(r) if r else None for _, r in history]
    for n, version in enumerate(versions):
        if n:
            assert version > versions[n - 1], (history, versions)
        if released[n] is not None:
            assert version == released[n], (history, versions)
            continue
        base = next((r for r in reversed(released[:n]) if r is not None), None)
        if base is not None:
            assert version > base, (history, versions)
        for later in released[n + 1 :]:
            if later is not None:
                assert version < later, (history, versions)


def test_next_tags_are_above_their_predecessor() -> None:
    """The generator itself: every tag it offers is above the one before."""
    for text in ("0.1.0", "1.0.0rc1", "1.0.0.dev2", "1.0.0.post1", "2.0.0b1", "1.2.3"):
        assert all(Version(t) > Version(text) for t in next_tags(Version(text))), text
