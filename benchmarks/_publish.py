"""``publish-40`` and ``republish-40``: ``manta-release publish`` against ``twine upload``.

Both sides upload the same files (40 wheels of 1 MiB, then the sdist) to the same local pypiserver
(``tests/support/indexes.py``: threaded, with upload authentication), emptied before every
``publish-40`` run and holding every file before every ``republish-40`` run.

Ours is driven as a user drives it: a small project tagged ``v1.0.0`` whose configuration routes
final releases to the local index, its ``dist/`` holding the files, ``manta-release publish``.

twine 7 refuses ``--skip-existing`` for any index but PyPI and TestPyPI, so on republish it cannot
finish: it stops with an error at the first file the index already holds. ``republish-40`` therefore
compares against twine's own skip-existing as twine <= 6.0 ran it (the same twine 7 code with that
configuration check lifted: every file is uploaded again and the index's "already exists" answer
is skipped), and reports the time twine 7 takes to fail as ``twine-fails-after``.
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import importlib.util
import os
import shutil
import sys
import urllib.parse
import uuid
from pathlib import Path
from typing import Any

import _wheels
from _repo import _git
from _timing import Case, Skip, clean_env, figure, fmt, interleaved, run

TOKEN_ENV = "BENCH_INDEX_TOKEN"

# twine 7's own upload, with its refusal of --skip-existing outside PyPI lifted (twine <= 6.0).
TWINE_SKIP_EXISTING = (
    "import sys, twine.settings\n"
    "twine.settings.Settings.verify_feature_capability = lambda self: None\n"
    "from twine.__main__ import main\n"
    "sys.exit(main())\n"
)


def _manta_release() -> list[str]:
    script = Path(sys.executable).parent / "manta-release"
    return [str(script)] if script.exists() else [sys.executable, "-m", "hatch_manta_release"]


def _pyproject(index_upload: str, index_simple: str, pythons: tuple[str, ...]) -> str:
    platforms = ", ".join(f'"{p}"' for p in _wheels.PLATFORM_TAGS)
    return f"""\
[build-system]
requires = ["hatchling", "hatch-manta-release"]
build-backend = "hatchling.build"

[project]
name = "{_wheels.PROJECT}"
dynamic = ["version"]
requires-python = ">=3.9"

[tool.hatch.version]
source = "manta-release"

[tool.manta-release]
platforms = [{platforms}]
python = ">={pythons[0]},<3.{int(pythons[-1].split(".")[1]) + 1}"
pure-python = false

[tool.manta-release.repositories.bench]
upload-url = "{index_upload}"
index-url = "{index_simple}"
token-env = "{TOKEN_ENV}"

[tool.manta-release.routes]
prerelease = "bench"
final = "bench"
"""


def _project(work: Path, index: Any, files: list[Path], pythons: tuple[str, ...]) -> Path:
    """The tagged project whose dist/ holds ``files`` and whose route is ``index``."""
    path = work / "publish-project"
    if not (path / ".git").is_dir():
        path.mkdir(parents=True, exist_ok=True)
        _git(path, "init", "-q")
        (path / ".gitignore").write_text("dist/\n")
        (path / _wheels.MODULE).mkdir(exist_ok=True)
        (path / _wheels.MODULE / "__init__.py").write_text('"""Benchmark payload."""\n')
    (path / "pyproject.toml").write_text(_pyproject(index.upload_url, index.simple_url, pythons))
    _git(path, "add", ".gitignore", "pyproject.toml", _wheels.MODULE)
    if _git(path, "status", "--porcelain"):
        _git(path, "commit", "-q", "-m", "benchmark project")
    _git(path, "tag", "-f", "v" + _wheels.VERSION)
    dist = path / "dist"
    if dist.exists():
        shutil.rmtree(dist)
    dist.mkdir()
    for f in files:
        os.link(f, dist / f.name)
    return path


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def upload_form(f: Path) -> tuple[str, bytes]:
    """The legacy-API upload form of ``f`` (content type, body), built in memory as a bare client would."""
    data = f.read_bytes()
    wheel = f.name.endswith(".whl")
    fields = {
        ":action": "file_upload",
        "protocol_version": "1",
        "name": _wheels.PROJECT,
        "version": _wheels.VERSION,
        "filetype": "bdist_wheel" if wheel else "sdist",
        "pyversion": f.name.split("-")[2] if wheel else "source",
        "metadata_version": "2.1",
        "sha256_digest": hashlib.sha256(data).hexdigest(),
    }
    boundary = uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
        for k, v in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="content"; filename="{f.name}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n".encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return f"multipart/form-data; boundary={boundary}", b"".join(parts)


def basic_auth(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


def post_form(conn: http.client.HTTPConnection, path: str, form: tuple[str, bytes], auth: str, name: str) -> None:
    """One upload POST on ``conn`` (kept open); anything but 200 is an error."""
    conn.request("POST", path, form[1], {"Content-Type": form[0], "Authorization": auth})
    response = conn.getresponse()
    response.read()
    if response.status != 200:
        raise RuntimeError(f"raw upload of {name}: {response.status} {response.reason}")


def raw_upload(url: str, username: str, password: str, files: list[Path]) -> None:
    """The least any client can do: one legacy-API POST per file, in this process, one after another.

    Its time is the index's own ingest time plus the loopback: the floor under both sides.
    """
    parsed = urllib.parse.urlsplit(url)
    auth = basic_auth(username, password)
    for f in files:
        conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=120)
        try:
            post_form(conn, parsed.path or "/", upload_form(f), auth, f.name)
        finally:
            conn.close()


def index_starter() -> Any:
    """``tests.support.indexes.start_index``, or :class:`Skip` saying what a publish figure lacks
    (twine to compare with, pypiserver and passlib for the index)."""
    if importlib.util.find_spec("twine") is None:
        raise Skip("twine is not installed")
    if importlib.util.find_spec("pypiserver") is None or importlib.util.find_spec("passlib") is None:
        raise Skip("pypiserver and passlib are not installed")
    try:
        from tests.support.indexes import start_index
    except ImportError as e:
        raise Skip(f"tests/support/indexes.py is not usable: {e}") from None
    return start_index


def bench_publish(settings: Any, work: Path, *, republish: bool) -> list[str]:
    name = "republish-40" if republish else "publish-40"
    start_index = index_starter()
    probe = run([*_manta_release(), "publish", "--help"], env=clean_env(), check=False)
    if probe.returncode != 0 and "No such command" in probe.stdout + probe.stderr:
        raise Skip("`manta-release publish` does not exist in this version")
    if probe.returncode != 0:  # our own command is broken: that is an error, not a skip
        raise RuntimeError(f"`manta-release publish --help` failed:\n{probe.stdout}{probe.stderr}")

    files = _wheels.ensure_dist(work / f"dist-{'-'.join(settings.pythons)}-{settings.wheel_size}",
                                settings.pythons, settings.wheel_size)
    wheels = len(files) - 1
    index_root = work / "indexes"
    shutil.rmtree(index_root, ignore_errors=True)
    index = start_index(index_root, "bench")
    try:
        project = _project(work, index, files, settings.pythons)
        ours_env = clean_env(**{TOKEN_ENV: index.password})
        twine_env = clean_env(TWINE_USERNAME=index.username, TWINE_PASSWORD=index.password)
        twine_args = ["upload", "--non-interactive", "--disable-progress-bar",
                      "--repository-url", index.upload_url, *map(str, files)]
        ours_cmd = [*_manta_release(), "--root", str(project), "publish"]
        expected = {f.name: _sha256(f) for f in files}

        def empty() -> None:
            for f in index.packages.iterdir():
                f.unlink()

        stamps: dict[str, int] = {}

        def full() -> None:
            present = set(index.files())
            for f in files:
                if f.name not in present:
                    shutil.copyfile(f, index.packages / f.name)
            stamps.clear()
            stamps.update({p.name: p.stat().st_mtime_ns for p in index.packages.iterdir()})

        def untouched() -> None:
            now = {p.name: p.stat().st_mtime_ns for p in index.packages.iterdir()}
            if now != stamps:
                raise RuntimeError(f"{name}: files on the index were written again")

        def check_index() -> None:
            held = {n: index.sha256(n) for n in index.files()}
            if held != expected:
                missing = sorted(set(expected) - set(held))
                raise RuntimeError(f"{name}: the index does not hold exactly the dist files (missing {missing})")

        def ours() -> None:
            run(ours_cmd, cwd=project, env=ours_env, timeout=600)
            check_index()
            if republish:
                untouched()

        if not republish:
            def theirs() -> None:
                run([sys.executable, "-m", "twine", *twine_args], env=twine_env, timeout=600)
                check_index()

            def floor() -> None:
                raw_upload(index.upload_url, index.username, index.password, files)
                check_index()

            cases = {"ours": Case(ours, empty), "theirs": Case(theirs, empty), "floor": Case(floor, empty)}
            interleaved(cases, settings.publish_runs)
            return [
                figure(
                    name,
                    cases["ours"].median,
                    cases["theirs"].median,
                    f"index-floor={fmt(cases['floor'].median)}",
                    f"[{wheels} wheels of {settings.wheel_size // 1024} KiB + sdist to a local pypiserver;",
                    "theirs: twine upload; index-floor: bare sequential POSTs from a running process]",
                )
            ]

        def theirs_skip() -> None:
            run([sys.executable, "-c", TWINE_SKIP_EXISTING, *twine_args, "--skip-existing"], env=twine_env,
                timeout=600)
            check_index()

        def twine_fails() -> None:
            result = run([sys.executable, "-m", "twine", *twine_args], env=twine_env, timeout=600, check=False)
            if result.returncode == 0:
                raise RuntimeError("twine upload of files the index holds succeeded: the index does not refuse")

        cases = {
            "ours": Case(ours, full),
            "theirs": Case(theirs_skip, full),
            "twine-fails": Case(twine_fails, full),
        }
        interleaved(cases, settings.publish_runs)
        return [
            figure(
                name,
                cases["ours"].median,
                cases["theirs"].median,
                f"twine-fails-after={fmt(cases['twine-fails'].median)}",
                f"[all {wheels} wheels + sdist already on the index; theirs: twine --skip-existing as",
                "twine <= 6.0 ran it (7 refuses it outside PyPI), twine-fails-after: plain twine 7 upload]",
            )
        ]
    finally:
        index.stop()
