"""What ``publish`` returns: its options, each file's outcome, the messages it produced on the way.

``publish`` prints nothing: the CLI renders a :class:`PublishReport` (and a :class:`PublishError`
carries the report of a publish that stopped, so the summary is still shown).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from hatch_manta_release.core.errors import MantaError

if TYPE_CHECKING:
    from hatch_manta_release.core.config import Config, Repository
    from hatch_manta_release.core.plan import Plan
    from hatch_manta_release.dist.artifacts import Artifact
    from hatch_manta_release.publish.failures import Failure

# statuses: uploaded | skipped | conflict | failed | not-attempted | would-upload
STATUS_LABELS = {
    "uploaded": "uploaded",
    "skipped": "skipped",
    "conflict": "CONFLICT",
    "failed": "FAILED",
    "not-attempted": "not sent",
    "would-upload": "would upload",
}


@dataclass(frozen=True)
class PublishOptions:
    repository: str | None = None
    dry_run: bool = False
    allow_missing: bool = False
    no_check: bool = False
    jobs: int | None = None  # None: default_jobs(upload URL)
    retries: int = 3
    retry_delay: float = 1.0
    timeout: float = 300.0  # seconds per socket read
    request_deadline: float = 600.0  # seconds for one whole request (publish/limits.py)
    run_deadline: float = 1500.0  # seconds for the whole run: 25 of the publish job's 30 minutes
    verbose: bool = False


@dataclass(frozen=True)
class Note:
    """A message of the run, in order: progress (``info``) or a ``warning``; ``loud`` sets it apart."""

    level: Literal["info", "warning"]
    text: str
    loud: bool = False


Notify = Callable[[Note], None]


@dataclass
class FileOutcome:
    file: Artifact
    status: str
    note: str = ""
    failure: Failure | None = None
    attempts: int = 0
    maybe_landed: bool = False  # the answer was lost and the index could not be asked afterwards


@dataclass
class PublishReport:
    plan: Plan
    repository: Repository
    outcomes: list[FileOutcome] = field(default_factory=list)
    dry_run: bool = False
    install_command: str = ""
    seconds: float = 0.0
    stopped: bool = False  # refused before uploading (a conflict on production)
    blockers: list[str] = field(default_factory=list)  # dry run: what would stop a real publish
    notes: list[Note] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.stopped and all(
            o.status in ("uploaded", "skipped", "conflict", "would-upload") for o in self.outcomes
        )

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    def with_status(self, *statuses: str) -> list[FileOutcome]:
        return [o for o in self.outcomes if o.status in statuses]


class PublishError(MantaError):
    """Publishing stopped; ``report`` (when set) says what landed, for the summary shown above the error.

    Fix: fix what the message names (the token, a file that differs from the index's copy, an
    unreachable index) and run ``publish`` again: files already on the index are skipped, so a
    re-run finishes the release.
    """

    def __init__(
        self, message: str, hint: str | None = None, *, report: PublishReport | None = None, detail: str = ""
    ) -> None:
        super().__init__(message, hint)
        self.report = report
        self.detail = detail  # the index's own answer, shown with --verbose


class Messages:
    """The notes of one run: kept in order for the report, and handed to ``notify`` as they happen."""

    def __init__(self, notify: Notify | None) -> None:
        self.notes: list[Note] = []
        self._notify = notify

    def add(self, note: Note) -> None:
        self.notes.append(note)
        if self._notify is not None:
            self._notify(note)

    def info(self, text: str) -> None:
        self.add(Note("info", text))

    def warn(self, text: str, *, loud: bool = False) -> None:
        self.add(Note("warning", text, loud))


def install_command(plan: Plan, config: Config, repo: Repository) -> str:
    """How to install this release from where it went (a test index also needs production for dependencies)."""
    requirement = f"{plan.project}=={plan.version}"
    production = config.route("final")
    if repo.name == production.name:
        if repo.index_url.rstrip("/") == "https://pypi.org/simple":
            return f"pip install {requirement}"
        return f"pip install --index-url {repo.index_url} {requirement}"
    return f"pip install --index-url {repo.index_url} --extra-index-url {production.index_url} {requirement}"
