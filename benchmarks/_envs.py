"""Isolated build environments, like the one pip or ``python -m build`` makes from ``build-system.requires``.

Measuring both version sources in one environment would make each pay for the other: hatchling
imports every installed ``hatch`` plugin's hook module before it asks for a version source. So each
side gets its own virtual environment holding only hatchling and that side's plugin (and their
dependencies). No network is needed: the environments are made with ``--without-pip`` and the
distributions already installed in the running interpreter are linked into them (an editable
install of this checkout is linked through its ``.pth`` file, so the measured code is the working
tree's).
"""

from __future__ import annotations

import hashlib
import importlib.metadata as metadata
import os
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import Requirement

ENV_GENERATION = 1


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def closure(roots: list[str]) -> list[metadata.Distribution]:
    """The installed distributions ``roots`` need (extras are not followed), roots included."""
    seen: dict[str, metadata.Distribution] = {}
    todo = list(roots)
    marker_env = default_environment()
    while todo:
        name = _canonical(todo.pop())
        if name in seen:
            continue
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            raise RuntimeError(f"{name} is not installed in {sys.executable}") from None
        seen[name] = dist
        for spec in dist.requires or []:
            req = Requirement(spec)
            if req.marker is not None and not req.marker.evaluate({**marker_env, "extra": ""}):
                continue
            todo.append(req.name)
    return list(seen.values())


def _site_packages(venv: Path) -> Path:
    purelib = sysconfig.get_path("purelib", vars={"base": str(venv), "platbase": str(venv)})
    return Path(purelib)


def ensure_env(work: Path, name: str, roots: list[str], files: dict[str, str] | None = None) -> Path:
    """A cached virtual environment under ``work`` with ``roots`` and their dependencies; returns its python.

    ``files`` (relative path -> text) are written into its site-packages: a small generated plugin.
    """
    venv = work / f"env-{name}"
    python = venv / "bin" / "python"
    dists = closure(roots)
    files = files or {}
    want = f"{ENV_GENERATION} {sys.executable} " + " ".join(
        sorted(f"{d.metadata['Name']}=={d.version}" for d in dists)
    )
    want += " " + hashlib.sha256(repr(sorted(files.items())).encode()).hexdigest()
    stamp = venv / "bench-stamp"
    if stamp.is_file() and stamp.read_text() == want and python.exists():
        return python
    if venv.exists():
        shutil.rmtree(venv)
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    site = _site_packages(venv)
    site.mkdir(parents=True, exist_ok=True)
    for dist in dists:
        base = Path(dist.locate_file(""))
        tops = set()
        for file in dist.files or []:
            first = file.parts[0]
            if first in ("..", "__pycache__") or first.endswith(".data"):
                continue
            tops.add(first)
        for top in sorted(tops):
            source = base / top
            target = site / top
            if source.exists() and not target.exists():
                os.symlink(source, target)
    for rel, text in files.items():
        (site / rel).parent.mkdir(parents=True, exist_ok=True)
        (site / rel).write_text(text)
    stamp.write_text(want)
    return python


# A third-party version source that does nothing (returns a constant): what any plugin costs in
# hatchling (the entry-point scan of every installed distribution, pluggy's registration).
NULL_PLUGIN = {
    "bench_null_source.py": (
        "from hatchling.plugin import hookimpl\n"
        "from hatchling.version.source.plugin.interface import VersionSourceInterface\n\n\n"
        "class NullSource(VersionSourceInterface):\n"
        "    PLUGIN_NAME = 'bench-null'\n\n"
        "    def get_version_data(self):\n"
        "        return {'version': '1.2.3'}\n\n\n"
        "@hookimpl\n"
        "def hatch_register_version_source():\n"
        "    return NullSource\n"
    ),
    "bench_null_source-1.0.dist-info/METADATA": "Metadata-Version: 2.1\nName: bench-null-source\nVersion: 1.0\n",
    "bench_null_source-1.0.dist-info/entry_points.txt": "[hatch]\nbench-null = bench_null_source\n",
    "bench_null_source-1.0.dist-info/RECORD": "",
}
