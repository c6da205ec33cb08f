"""A large, realistic git repository generated in a second with ``git fast-import``.

``commits`` commits (each changes one small module, so blobs stay tiny), ``tags`` annotated release
tags ``vX.Y.Z`` spread over the history, the last one ``past`` commits below HEAD, about 300 tracked
files (so the dirty check has a working tree to compare). Refs are packed and the objects repacked,
as in a fresh clone. ``pyproject.toml`` is not tracked (it is listed in ``.git/info/exclude``): each
measured variant writes its own, so every variant sees exactly the same git state.

The result is cached under ``benchmarks/.work/`` and rebuilt only when its parameters change.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

GENERATOR = 2  # bump when the layout changes, to rebuild cached repositories
N_FILES = 300
EPOCH = 1_600_000_000


@dataclass(frozen=True)
class Repo:
    path: Path
    commits: int
    tags: int
    past: int
    last_tag: str
    head: str  # abbreviated sha (7)

    def expected_dev_version(self) -> str:
        """What hatch-vcs's default scheme (and ours) gives HEAD: last tag bumped, .devN, +g<sha>."""
        major, minor, patch = (int(p) for p in self.last_tag[1:].split("."))
        return f"{major}.{minor}.{patch + 1}.dev{self.past}+g{self.head}"


def git_env() -> dict[str, str]:
    env = dict(os.environ)
    for key in list(env):
        if key.startswith("GIT_"):
            env.pop(key)
    env.update(
        GIT_CONFIG_NOSYSTEM="1",
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_AUTHOR_NAME="Bench",
        GIT_AUTHOR_EMAIL="bench@example.invalid",
        GIT_COMMITTER_NAME="Bench",
        GIT_COMMITTER_EMAIL="bench@example.invalid",
        LC_ALL="C",
    )
    return env


def _git(repo: Path, *args: str, stdin: bytes | None = None) -> str:
    result = subprocess.run(
        ["git", "-c", "init.defaultBranch=main", *args],
        cwd=repo,
        input=stdin,
        capture_output=True,
        env=git_env(),
        check=False,
        timeout=600,
    )
    if result.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)} failed: {result.stderr.decode(errors='replace')}")
    return result.stdout.decode().strip()


def tag_name(i: int) -> str:
    """The i-th release: v0.0.0, v0.0.1, ... v0.0.9, v0.1.0, ... (always a final release)."""
    return f"v{i // 100}.{(i // 10) % 10}.{i % 10}"


def tagged_commits(commits: int, tags: int, past: int) -> dict[int, int]:
    """commit number (1-based) -> tag index, evenly spread, the last tag ``past`` commits below HEAD."""
    last = commits - past
    if tags > last:
        raise ValueError("more tags than commits")
    if tags == 1:
        return {last: 0}
    step = (last - 1) / (tags - 1)
    return {round(1 + i * step): i for i in range(tags)}


def _data(out: io.BytesIO, payload: bytes) -> None:
    out.write(b"data %d\n" % len(payload))
    out.write(payload)
    out.write(b"\n")


def fast_import_stream(commits: int, tags: int, past: int) -> bytes:
    tagged = tagged_commits(commits, tags, past)
    out = io.BytesIO()
    who = b"Bench <bench@example.invalid>"
    for n in range(1, commits + 1):
        when = EPOCH + n * 600
        out.write(b"commit refs/heads/main\nmark :%d\n" % n)
        out.write(b"author %s %d +0000\ncommitter %s %d +0000\n" % (who, when, who, when))
        _data(out, b"change %d" % n)
        if n > 1:
            out.write(b"from :%d\n" % (n - 1))
        if n == 1:
            files = {
                "README.md": b"# benchpkg\n",
                ".gitignore": b"dist/\n__pycache__/\n",
                "benchpkg/__init__.py": b'"""A benchmark package."""\n',
            }
            for k in range(N_FILES - 3):
                group = ("benchpkg", "tests", "docs")[k % 3]
                suffix = ".md" if group == "docs" else ".py"
                files[f"{group}/m{k:03d}{suffix}"] = b"# file %d\nVALUE = 0\n" % k
        else:
            files = {f"benchpkg/m{(n * 3) % (N_FILES - 3):03d}.py": b"# changed in %d\nVALUE = %d\n" % (n, n)}
        for path, payload in files.items():
            out.write(b"M 100644 inline %s\n" % path.encode())
            _data(out, payload)
        if n in tagged:
            name = tag_name(tagged[n]).encode()
            out.write(b"tag %s\nfrom :%d\ntagger %s %d +0000\n" % (name, n, who, when + 60))
            _data(out, b"Release " + name)
    out.write(b"done\n")
    return out.getvalue()


def ensure_repo(work: Path, commits: int, tags: int, past: int = 30) -> Repo:
    """The cached repository for these parameters, generated when missing."""
    path = work / f"repo-{commits}c-{tags}t-{past}p"
    stamp = path / ".git" / "bench-stamp"
    want = f"{GENERATOR} {commits} {tags} {past}"
    if not (stamp.is_file() and stamp.read_text() == want):
        if path.exists():
            shutil.rmtree(path)
        path.mkdir(parents=True)
        _git(path, "init", "-q")
        _git(path, "fast-import", "--quiet", "--done", stdin=fast_import_stream(commits, tags, past))
        _git(path, "pack-refs", "--all")
        _git(path, "repack", "-a", "-d", "-q")
        _git(path, "checkout", "-q", "-f", "main")
        (path / ".git" / "info" / "exclude").write_text("pyproject.toml\n")
        _git(path, "update-index", "--refresh")
        stamp.write_text(want)
    tagged = tagged_commits(commits, tags, past)
    return Repo(
        path=path,
        commits=commits,
        tags=tags,
        past=past,
        last_tag=tag_name(max(tagged.values())),
        head=_git(path, "rev-parse", "--short=7", "HEAD"),
    )
