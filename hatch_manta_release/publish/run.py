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
import threading
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from hatch_manta_release.core.errors import MantaError
from hatch_manta_release.core.invocation import command_form
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
    upload_order,
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
    channel_label,
    install_command,
)
from hatch_manta_release.publish.verify import complete_hashes, index_auth, verify_files

if TYPE_CHECKING:
    from pathlib import Path

    from hatch_manta_release.core.project import Project
    from hatch_manta_release.dist.artifacts import Artifact
    from hatch_manta_release.publish.attest import Attested
    from hatch_manta_release.publish.decide import UploadOrder
    from hatch_manta_release.publish.sessions import Uploaders
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
    run.start_listing()  # the index query runs while dist/ is read and hashed and the credential resolved
    try:
        files = run.dist_files()
        credentials = run.credentials()
        listing = run.verified_listing(files, run.listing(credentials), credentials)
        report = run.compare(files, listing)
        to_upload = [o.file for o in report.outcomes if o.status in ("not-attempted", "would-upload")]
        if options.dry_run or not to_upload:
            if not to_upload and not options.dry_run:
                run.messages.info(f"every file is already on {report.repository.name}: nothing to upload")
            return run.finish(report)
        attested = run.attest(to_upload, credentials)
        order = upload_order(to_upload, listing, run.plan.project, run.plan.version)
        run.upload(report, order, credentials, attested)
        return run.finish(report)
    finally:
        run.close()


class _Run:
    """The state one publish carries from stage to stage."""

    def __init__(self, project: Project, options: PublishOptions, env: Mapping[str, str], messages: Messages) -> None:
        self.started = time.monotonic()
        self.project = project
        self.options = options
        self.env = env
        self.messages = messages
        self.blockers: list[str] = []
        self._credential: Credentials | None = None  # handed from credentials() to the index query's thread
        self._uploaders: Uploaders | None = None  # sessions opened ahead by _prepare_uploads
        self._preparing: threading.Thread | None = None
        self._prepare_lock = threading.Lock()
        self._closed = False
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
                f"publishing to {repo.name} because of --repository (the route for a "
                f"{channel_label(plan.channel, noun=True)} is {plan.routed_repository})"
            )
        if not plan.publish:
            config = self.project.config
            tag = f"{config.tag_prefix}1.2.3"
            self.block(
                PublishError(
                    f"{plan.project} {plan.version} is not published: {plan.reason}",
                    f"publish runs on a clean checkout of a release tag (git tag {tag} && git push origin {tag}); "
                    f"`{command_form('plan', config.env_name)}` shows the decision",
                )
            )
        self.messages.info(
            f"{'dry run: ' if self.options.dry_run else ''}publishing {plan.project} {plan.version} "
            f"({channel_label(plan.channel)}, "
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
                    f"build first: `{command_form('build', self.project.config.env_name)}` (or download the build "
                    "artifacts into dist/)",
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
        """The credential (in a dry run a missing one is reported, not fatal), handed to the index query."""
        credential: Credentials | None = None
        try:
            credential = self._resolve_credentials()
            return credential
        finally:
            self._credential = credential
            self._credential_known.set()

    def _resolve_credentials(self) -> Credentials | None:
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
    def start_listing(self) -> None:
        """Send the index query now, in a thread: its round trips overlap reading ``dist/`` and the
        credentials (measured on a 60 ms network: publish-1 1.18 → 1.07 of twine's time). It is anonymous;
        only an index that answers 401 waits for the credential (:meth:`credentials` hands it over)."""
        timeout = min(self.options.timeout, 60)
        self._credential_known = threading.Event()
        self._credential = None
        self._query_outcome: list[object] = []

        def auth() -> dict[str, Any]:
            self._credential_known.wait(timeout)
            return index_auth(self.repo, self._credential)

        def query() -> None:
            try:
                self._query_outcome.append(
                    existing_files(self.repo.index_url, self.plan.project, auth=auth, timeout=timeout)
                )
            except BaseException as e:  # handed to the main thread, translated there
                self._query_outcome.append(e)

        self._query_thread = threading.Thread(target=query, name="index-query", daemon=True)
        self._query_thread.start()
        if not self.options.dry_run and self.repo.folder is None:
            # Meanwhile, off the main thread: twine (and requests) imported and the first upload's connection
            # opened (an upload needs both; a re-run with nothing to upload waits for neither).
            self._preparing = threading.Thread(target=self._prepare_uploads, name="prepare-uploads", daemon=True)
            self._preparing.start()

    def _prepare_uploads(self) -> None:
        """The first upload's connection opened (requests alone needed), then twine imported meanwhile."""
        with contextlib.suppress(ImportError):  # without twine, the upload stage says how to get it
            from hatch_manta_release.publish.sessions import Uploaders

            uploaders = Uploaders()
            with self._prepare_lock:
                if self._closed:  # the run ended first (nothing to upload): open nothing
                    return
                uploaders.warm(self.repo.upload_url, self.options.timeout, 1)
                self._uploaders = uploaders
            import twine.package
            import twine.repository  # noqa: F401

    def _prepared_uploaders(self) -> Uploaders | None:
        """The sessions :meth:`_prepare_uploads` opened (None: none yet, or twine is missing)."""
        if self._preparing is not None:
            self._preparing.join(60)  # an import and a thread start: it never takes that long
        return self._uploaders

    def close(self) -> None:
        """Close what was opened ahead and not used (a re-run with nothing to upload); a preparation still
        running opens nothing more."""
        with self._prepare_lock:
            self._closed = True
            if self._uploaders is not None:
                self._uploaders.close()

    def listing(self, credentials: Credentials | None) -> dict[str, IndexFile]:
        """What the index already holds (one query, started by :meth:`start_listing`)."""
        self._credential = credentials
        self._credential_known.set()  # (credentials() did; a caller that resolved its own passes it here)
        self._query_thread.join()
        outcome = self._query_outcome[0]
        try:
            if isinstance(outcome, BaseException):
                raise self._query_failure(outcome) from None
            return outcome  # type: ignore[return-value]
        except MantaError as e:
            self.block(e)
            return {}

    def _query_index(self, credentials: Credentials | None, timeout: float) -> dict[str, IndexFile]:
        try:
            return existing_files(
                self.repo.index_url, self.plan.project, **index_auth(self.repo, credentials), timeout=timeout
            )
        except (IndexReadError, OSError, ValueError) as e:
            raise self._query_failure(e) from None

    def _query_failure(self, error: BaseException) -> BaseException:
        """The index query's failure, as the error that says what to fix (anything unexpected as it is)."""
        repo, project = self.repo, self.plan.project
        try:
            raise error
        except IndexReadError as e:
            cause = f"{e.response.status} {e.response.reason}"
            # The reader's own advice where it has one (a redirect to another host, credentials withheld),
            # else the translation of the status.
            fix = e.hint or from_response(e.response, self.ctx, f"the simple index page of {project}").fix
            return PublishError(
                f"cannot read what {repo.name} holds ({repo.index_url}): {cause}",
                f"check index-url of [tool.manta-release.repositories.{repo.name}] - publish reads it to skip "
                f"files already there; {fix}",
            )
        except OSError as e:
            failure = from_exception(e, self.ctx, repo.index_url)
            return PublishError(f"cannot read what {repo.name} holds ({repo.index_url}): {failure.cause}", failure.fix)
        except ValueError as e:
            return PublishError(
                f"cannot read what {repo.name} holds ({repo.index_url}): not a simple index page ({e})",
                f"check index-url of [tool.manta-release.repositories.{repo.name}]",
            )
        except BaseException as e:
            return e

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
    def attest(self, files: list[Artifact], credentials: Credentials | None) -> dict[str, Attested]:
        """PEP 740 attestations of the files really uploaded (made with Trusted Publishing's identity; with
        an API token there are none, and a note says why, once). None for a folder index."""
        if self.repo.folder is not None:
            return {}
        from hatch_manta_release.publish.attest import attest_uploads

        return attest_uploads(
            self.repo.attestations,
            bool(credentials and credentials.trusted_publishing),
            self.repo.name,
            [(f.path, f.sha256) for f in files],
            self.project.root / self.plan.dist_dir,
            note=self.messages.info,
        )

    def upload(
        self,
        report: PublishReport,
        order: UploadOrder,
        credentials: Credentials | None,
        attested: Mapping[str, Attested] | None = None,
    ) -> None:
        from hatch_manta_release.publish.batch import Batch, default_jobs
        from hatch_manta_release.publish.folder import FolderSender
        from hatch_manta_release.publish.upload import HttpSender

        sender: FolderSender | HttpSender
        warm: Callable[[int], None] | None = None
        if self.repo.folder is not None:
            sender = FolderSender(self.repo.folder, self.plan.project)
        else:
            sender = HttpSender(
                self.repo,
                credentials,
                self.ctx,
                self.options,
                confirm=self._confirmer(credentials),
                attested=attested,
                uploaders=self._prepared_uploaders(),
            )
            warm = sender.warm
        try:
            Batch(report.outcomes, sender.send, self.messages).run(
                order, self.options.jobs or default_jobs(self.repo.upload_url), warm
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
