"""Valid wheels (and one sdist) with an incompressible payload, for the publishing benchmarks.

One project and one version, 40 wheels told apart by their tags: 8 platforms x CPython 3.9-3.13,
exactly the wheels a ``manta-release plan`` expects for ``platforms`` = all eight known platforms
and ``python = ">=3.9,<3.14"``. Each wheel holds its own random payload (seeded, so the files are
the same on every run), a METADATA with Metadata-Version 2.1, a WHEEL file and a correct RECORD.
"""

from __future__ import annotations

import base64
import hashlib
import io
import random
import tarfile
import zipfile
from pathlib import Path

PROJECT = "bench-pkg"
MODULE = "bench_pkg"
VERSION = "1.0.0"
PYTHONS = ("3.9", "3.10", "3.11", "3.12", "3.13")
# platform name (as in [tool.manta-release] platforms) -> wheel platform tag
PLATFORM_TAGS = {
    "linux-x86_64": "manylinux_2_17_x86_64.manylinux2014_x86_64",
    "linux-aarch64": "manylinux_2_17_aarch64.manylinux2014_aarch64",
    "musllinux-x86_64": "musllinux_1_2_x86_64",
    "musllinux-aarch64": "musllinux_1_2_aarch64",
    "macos-x86_64": "macosx_10_13_x86_64",
    "macos-arm64": "macosx_11_0_arm64",
    "windows-amd64": "win_amd64",
    "windows-arm64": "win_arm64",
}
GENERATION = 1


def _metadata() -> bytes:
    return (
        f"Metadata-Version: 2.1\nName: {PROJECT}\nVersion: {VERSION}\n"
        "Summary: A package for publishing benchmarks\nRequires-Python: >=3.9\n"
    ).encode()


def _record_hash(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def make_wheel(path: Path, tag: str, payload: bytes) -> None:
    dist_info = f"{MODULE}-{VERSION}.dist-info"
    files = {
        f"{MODULE}/__init__.py": b'"""Benchmark payload."""\n',
        f"{MODULE}/payload.bin": payload,
        f"{dist_info}/METADATA": _metadata(),
        f"{dist_info}/WHEEL": (
            f"Wheel-Version: 1.0\nGenerator: manta-benchmarks\nRoot-Is-Purelib: false\nTag: {tag}\n"
        ).encode(),
    }
    record = "".join(f"{name},{_record_hash(data)},{len(data)}\n" for name, data in files.items())
    record += f"{dist_info}/RECORD,,\n"
    files[f"{dist_info}/RECORD"] = record.encode()
    tmp = path.with_suffix(".tmp")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_STORED) as zf:
        for name, data in files.items():
            info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            zf.writestr(info, data)
    tmp.replace(path)


def make_sdist(path: Path) -> None:
    base = f"{MODULE}-{VERSION}"
    members = {
        f"{base}/PKG-INFO": _metadata(),
        f"{base}/pyproject.toml": f'[project]\nname = "{PROJECT}"\nversion = "{VERSION}"\n'.encode(),
        f"{base}/{MODULE}/__init__.py": b'"""Benchmark payload."""\n',
    }
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = 1_700_000_000
            tar.addfile(info, io.BytesIO(data))
    path.write_bytes(buf.getvalue())


def wheel_names(pythons: tuple[str, ...] = PYTHONS) -> list[tuple[str, str]]:
    """(file name, tag) of the wheels: 8 platforms x ``pythons`` (40 for the default five)."""
    names = []
    for plat in PLATFORM_TAGS.values():
        for py in pythons:
            cp = "cp" + py.replace(".", "")
            tag = f"{cp}-{cp}-{plat}"
            names.append((f"{MODULE}-{VERSION}-{tag}.whl", tag))
    return names


def ensure_dist(dist: Path, pythons: tuple[str, ...] = PYTHONS, size: int = 1 << 20) -> list[Path]:
    """``dist`` holding the wheels for ``pythons`` (``size`` bytes of payload each), then the sdist (cached)."""
    stamp = dist / ".bench-stamp"
    want = f"{GENERATION} {' '.join(pythons)} {size}"
    names = wheel_names(pythons)
    paths = [dist / name for name, _ in names] + [dist / f"{MODULE}-{VERSION}.tar.gz"]
    if stamp.is_file() and stamp.read_text() == want and all(p.is_file() for p in paths):
        return paths
    dist.mkdir(parents=True, exist_ok=True)
    for old in dist.iterdir():
        if old.is_file():
            old.unlink()
    for i, (name, tag) in enumerate(names):
        make_wheel(dist / name, tag, random.Random(i).randbytes(size))
    make_sdist(paths[-1])
    stamp.write_text(want)
    return paths
