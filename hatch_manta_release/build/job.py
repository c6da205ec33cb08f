"""What one build run is: the options it was asked for, the report it returns, and the context
every step of it shares (project, plan, dist folder, environment, progress callback)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from hatch_manta_release.build.steps import Event, EventKind, Progress, run_step
from hatch_manta_release.core.config import Config
from hatch_manta_release.core.plan import Plan
from hatch_manta_release.core.project import Project, ProjectInfo


@dataclass
class BuildOptions:
    """What to build (the ``build`` command's options)."""

    dist_dir: Path
    builder: str = "cibuildwheel"  # or "native"
    platform: str | None = None  # --platform: an OS or a configured platform name
    arch: str | None = None
    sdist: bool = True
    wheels: bool = True
    clean: bool = False
    verbose: bool = False


@dataclass
class BuildReport:
    """What a build did: the files it put into the dist folder, notes for the end, the steps done."""

    produced: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    steps: list[str] = field(default_factory=list)


@dataclass
class Job:
    """What every step of one build run needs."""

    project: Project
    opts: BuildOptions
    plan: Plan
    dist: Path
    env: Mapping[str, str]
    report: BuildReport
    progress: Progress
    isolation_noted: bool = False

    @property
    def root(self) -> Path:
        return self.project.root.resolve()

    @property
    def config(self) -> Config:
        return self.project.config

    @property
    def info(self) -> ProjectInfo:
        return self.project.info

    def emit(self, kind: EventKind, text: str) -> None:
        """Tell the caller; a finished step is also kept in the report."""
        if kind == "done":
            self.report.steps.append(text)
        self.progress(Event(kind, text))

    def run(self, cmd: list[str], what: str, *, cwd: Path | None = None, env: Mapping[str, str] | None = None,
            stream: bool = False, hint: str | None = None) -> None:
        """One step in the project (or ``cwd``), streamed when asked or ``--verbose``."""
        run_step(cmd, cwd=cwd or self.root, env=self.env if env is None else env, what=what,
                 progress=self.progress, stream=stream or self.opts.verbose, hint=hint)
