"""``publish``: the plan's artifacts to the plan's repository, safe to re-run.

The stages, each a method of :class:`_Run`:

1. gate - the plan routes (a pre-release to the test repository, a final release to production;
   ``--repository`` overrides, and says so); an untagged or dirty build never publishes;
2. dist - ``dist/`` is read and checked against the plan (every platform present, every file of this
   version) unless ``--allow-missing`` / ``--no-check``;
3. credentials - ``token-env`` or Trusted Publishing (:mod:`.credentials`); none for a folder index;
4. compare - one simple-API query says what the index already has; :mod:`.decide` (pure) skips
   identical files and finds conflicts: a different file under a published name stops everything
   on a production repository (nothing is uploaded), and is a loud warning on one with
   ``skip-existing = true``;
5. upload - wheels first (in parallel, ``--jobs``), the sdist last and only when every wheel landed
   (:mod:`.batch`); transient failures are retried with backoff (:mod:`.upload`); to a folder index
   (``path = "…"`` or a ``file://`` upload-url) the files are written in place (:mod:`.folder`);
6. reconcile - after a failure the index is asked once what really landed, and the error says which
   files are there and which are not: a re-run finishes the release.

In a dry run, what would stop a real publish is collected (``blockers``) and the run goes on. Nothing
here prints: the :class:`~.report.PublishReport` (or the :class:`~.report.PublishError` carrying it)
goes back to the CLI, and progress goes through ``notify`` as it happens.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from hatch_manta_release.core.errors import MantaError
from hatch_manta_release.core.plan import make_plan
from hatch_manta_release.publish import limits
from hatch_manta_release.publish.decide import (
    Decision,
    conflict_fix,
    conflict_response,
    decide,
    reconcile,
    release_files,
    summary_of_landing,
)
from hatch_manta_release.publish.failures import Context, from_exception, from_response
from hatch_manta_release.publish.index import IndexFile, IndexReadError, existing_files
from hatch_manta_release.publish.report import (
    FileOutcome,
    Messages,
    Notify,
    PublishError,
    PublishOptions,
    PublishReport,
    install_command,
)
from hatch_manta_release.publish.verify import complete_hashes, index_auth, verify_files

if TYPE_CHECKING:
    from pathlib import Path

    from hatch_manta_release.core.project import Project
    from hatch_manta_release.dist.artifacts import Artifact
    from hatch_manta_release.publish.upload import Credentials


def publish(
    project: Project,
    options: PublishOptions,
    *,
    environ: Mapping[str, str] | None = None,
    notify: Notify | None = None,
) -> PublishReport:
    """Publish ``project``'s release; raises :class:`PublishError` (with the report) when it stops."""
    run = _Run(project, options, os.environ if environ is None else environ, Messages(notify))
    limits.start_run(options)
    run.gate()
    files = run.dist_files()
    credentials = run.credentials()
    listing = run.verified_listing(files, run.listing(credentials), credentials)
    report = run.compare(files, listing)
    to_upload = [o.file for o in report.outcomes if o.status in ("not-attempted", "would-upload")]
    if options.dry_run or not to_upload:
        if not to_upload and not options.dry_run:
            run.messages.info(f"every file is already on {report.repository.name}: nothing to upload")
        return run.finish(report)
    run.upload(report, to_upload, credentials)
    return run.finish(report)


class _Run:
    """The state one publish carries from stage to stage."""

    def __init__(self, project: Project, options: PublishOptions, env: Mapping[str, str], messages: Messages) -> None:
        self.started = time.monotonic()
        self.project = project
        self.options = options
        self.env = env
        self.messages = messages
        self.blockers: list[str] = []
        self.plan = make_plan(project, repository=options.repository)
        self.repo = self.plan.repository
        self.ctx = Context(self.repo, self.plan.project, self.plan.version, f"${self.repo.token_env}")

    def block(self, error: MantaError) -> None:
        """Stop - or, in a dry run, report what would stop a real publish and go on."""
        if not self.options.dry_run:
            raise error
        self.blockers.append(error.message)
        hint = f" ({error.hint})" if error.hint else ""
        self.messages.warn(f"a real publish would stop here: {error.message}{hint}")

    # 1. gate
    def gate(self) -> None:
        plan, repo = self.plan, self.repo
        if plan.repository_overridden:
            self.messages.warn(
                f"publishing to {repo.name} because of --repository (the route for a {plan.channel} release "
                f"is {plan.routed_repository})"
            )
        if not plan.publish:
            self.block(
                PublishError(
                    f"{plan.project} {plan.version} is not published: {plan.reason}",
                    "publish runs on a clean checkout of a release tag (git tag v1.2.3 && git push origin v1.2.3); "
                    "`manta-release plan` shows the decision",
                )
            )
        self.messages.info(
            f"{'dry run: ' if self.options.dry_run else ''}publishing {plan.project} {plan.version} ({plan.channel}, "
            f"tag {plan.tag or 'none'}) to {repo.name} ({repo.upload_url})"
        )

    # 2. dist
    def dist_files(self) -> list[Artifact]:
        """This release's files from dist/, checked against the plan; in upload order."""
        from hatch_manta_release.dist.artifacts import read_dist

        dist_dir = self.project.root / self.plan.dist_dir
        try:
            artifacts = read_dist(dist_dir)  # read and hashed once
        except MantaError as e:
            self.block(e)
            return []
        if not self.options.no_check and artifacts:
            try:
                self._check(artifacts)
            except MantaError as e:
                self.block(e)
        files = release_files(artifacts, self.plan.project, self.plan.version)
        self.verify(files, dist_dir)
        if not files:
            self.block(
                PublishError(
                    f"no file of {self.plan.project} {self.plan.version} in {dist_dir}",
                    "build first: `hatch run release:build` (or download the build artifacts into dist/)",
                )
            )
        return files

    def _check(self, artifacts: list[Artifact]) -> None:
        """``check`` without its slow metadata pass: names, versions, wheel tags the index refuses, completeness.

        (``twine check --strict`` belongs to ``manta-release check`` in the build job; here twine reads
        each uploaded file's metadata anyway, and a re-run with nothing to upload stays one query.)
        """
        from hatch_manta_release.dist.check import check_dist

        report = check_dist(self.plan, artifacts, allow_missing=self.options.allow_missing, metadata=False)
        for finding in report.warnings:
            self.messages.warn((f"{finding.subject}: " if finding.subject else "") + finding.message)
        try:
            report.raise_for_errors()
        except MantaError as e:
            raise PublishError(
                e.message,
                (e.hint + "; " if e.hint else "")
                + "publish what there is with --allow-missing (missing platforms) or --no-check (no checks)",
            ) from None

    # 3. credentials
    def credentials(self) -> Credentials | None:
        """The credential (in a dry run a missing one is reported, not fatal)."""
        from hatch_manta_release.publish.credentials import resolve_credentials

        if self.repo.folder is not None:
            self.messages.info(f"credentials: none needed: {self.repo.name} is a folder ({self.repo.folder})")
            self.ctx = Context(self.repo, self.plan.project, self.plan.version, "no credentials")
            return None
        try:
            credentials = resolve_credentials(
                self.repo,
                self.plan.project,
                self.plan.version,
                self.env,
                warn=self.messages.warn,
                info=self.messages.info,
            )
        except MantaError as e:
            self.block(e)
            return None
        self.ctx = Context(
            self.repo,
            self.plan.project,
            self.plan.version,
            credentials.source,
            trusted_publishing=credentials.trusted_publishing,
        )
        return credentials

    # 4. compare
    def listing(self, credentials: Credentials | None) -> dict[str, IndexFile]:
        """What the index already holds (one query)."""
        try:
            return self._query_index(credentials, timeout=min(self.options.timeout, 60))
        except MantaError as e:
            self.block(e)
            return {}

    def _query_index(self, credentials: Credentials | None, timeout: float) -> dict[str, IndexFile]:
        repo, project = self.repo, self.plan.project
        try:
            return existing_files(repo.index_url, project, **index_auth(repo, credentials), timeout=timeout)
        except IndexReadError as e:
            cause = f"{e.response.status} {e.response.reason}"
            # The reader's own advice where it has one (a redirect to another host, credentials withheld),
            # else the translation of the status.
            fix = e.hint or from_response(e.response, self.ctx, f"the simple index page of {project}").fix
            raise PublishError(
                f"cannot read what {repo.name} holds ({repo.index_url}): {cause}",
                f"check index-url of [tool.manta-release.repositories.{repo.name}] - publish reads it to skip "
                f"files already there; {fix}",
            ) from None
        except OSError as e:
            failure = from_exception(e, self.ctx, repo.index_url)
            raise PublishError(
                f"cannot read what {repo.name} holds ({repo.index_url}): {failure.cause}", failure.fix
            ) from None
        except ValueError as e:
            raise PublishError(
                f"cannot read what {repo.name} holds ({repo.index_url}): not a simple index page ({e})",
                f"check index-url of [tool.manta-release.repositories.{repo.name}]",
            ) from None

    def verify(self, files: list[Artifact], dist_dir: Path) -> None:
        """Only regular files inside dist/ whose own metadata is this release's (:mod:`.verify`)."""
        try:
            verify_files(files, dist_dir, self.plan.project, self.plan.version)
        except MantaError as e:
            self.block(e)

    def verified_listing(
        self, files: list[Artifact], listing: dict[str, IndexFile], credentials: Credentials | None
    ) -> dict[str, IndexFile]:
        """The listing with a sha256 for each of this release's files (downloaded where the index gives none)."""
        try:
            return complete_hashes(files, listing, self.repo, credentials)
        except MantaError as e:
            self.block(e)
            return listing

    def compare(self, files: list[Artifact], listing: Mapping[str, IndexFile]) -> PublishReport:
        """The report with one outcome per file, from :func:`.decide.decide`; a conflict stops or warns."""
        report = PublishReport(self.plan, self.repo, dry_run=self.options.dry_run, notes=self.messages.notes)
        report.install_command = install_command(self.plan, self.project.config, self.repo)
        decisions = decide(files, listing, self.repo.name)
        for d in decisions:
            if d.warning:
                self.messages.warn(d.warning)
            report.outcomes.append(FileOutcome(d.file, _STATUS[d.action], d.note))
        if self.options.dry_run:
            for o in report.with_status("not-attempted"):
                o.status = "would-upload"
        conflicts = [d for d in decisions if d.action == "conflict"]
        if conflicts:
            self._conflicts(report, conflicts)
        return report

    def _conflicts(self, report: PublishReport, conflicts: list[Decision]) -> None:
        repo = self.repo
        names = ", ".join(d.file.filename for d in conflicts)
        fix = conflict_fix(self.plan.version)
        response = conflict_response(skip_existing=repo.skip_existing, dry_run=self.options.dry_run)
        if response == "block":
            self.block(PublishError(f"{repo.name} already has {names} with different content", fix))
        elif response == "stop":
            for o in report.with_status("not-attempted", "would-upload"):
                o.status, o.note = "not-attempted", "stopped: a published file differs"
            report.stopped = True
            self._stamp(report)
            raise PublishError(
                f"{repo.name} already has {names} with different content: nothing was uploaded", fix, report=report
            )
        else:
            self.messages.warn(
                f"{repo.name} already has {names} with DIFFERENT content: skipped (skip-existing = true for "
                f"{repo.name}); the index keeps its version, not this build's. {fix}",
                loud=True,
            )

    # 5. upload, 6. reconcile
    def upload(self, report: PublishReport, files: list[Artifact], credentials: Credentials | None) -> None:
        from hatch_manta_release.publish.batch import Batch, default_jobs
        from hatch_manta_release.publish.folder import FolderSender
        from hatch_manta_release.publish.upload import HttpSender

        sender: FolderSender | HttpSender
        if self.repo.folder is not None:
            sender = FolderSender(self.repo.folder, self.plan.project)
        else:
            sender = HttpSender(self.repo, credentials, self.ctx, self.options, confirm=self._confirmer(credentials))
        try:
            Batch(report.outcomes, sender.send, self.messages).run(
                files, self.options.jobs or default_jobs(self.repo.upload_url)
            )
        finally:
            sender.close()
        if report.with_status("failed"):
            with contextlib.suppress(MantaError):  # the index cannot be asked: what may have landed stays "maybe"
                reconcile(report.outcomes, self._query_index(credentials, timeout=10))
        if report.with_status("failed", "not-attempted"):
            self._stamp(report)
            raise _incomplete(report)

    def _confirmer(self, credentials: Credentials | None) -> Callable[[str], str | None]:
        """The index's sha256 for a file name: how an upload answered "file exists" is confirmed as landed."""

        def confirm(filename: str) -> str | None:
            found = existing_files(self.repo.index_url, self.plan.project, **index_auth(self.repo, credentials))
            entry = found.get(filename)
            return entry.sha256 if entry else None

        return confirm

    def _stamp(self, report: PublishReport) -> None:
        report.seconds = time.monotonic() - self.started
        report.blockers = self.blockers

    def finish(self, report: PublishReport) -> PublishReport:
        self._stamp(report)
        return report


_STATUS = {"upload": "not-attempted", "skip": "skipped", "conflict": "conflict"}


def _incomplete(report: PublishReport) -> PublishError:
    """The error of an upload that stopped: the first failure's cause and fix, and what is on the index."""
    first = next((o.failure for o in report.with_status("failed") if o.failure), None)
    message = (first.cause if first else "publishing stopped") + summary_of_landing(
        report.outcomes, report.repository.name
    )
    hint = (first.fix if first else "re-run publish") + (
        "" if first and "re-run" in first.fix else "; then re-run publish: files already there are skipped"
    )
    return PublishError(message, hint, report=report, detail=first.detail if first else "")
