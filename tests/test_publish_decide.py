"""The pure stages of ``publish``, without a server: what to upload, skip or refuse, in which order,
how a stopped upload is reconciled with the index, and the order in which the batch sends files."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from hatch_manta_release.dist.artifacts import Artifact
from hatch_manta_release.publish.batch import Batch, default_jobs
from hatch_manta_release.publish.decide import (
    conflict_fix,
    conflict_response,
    decide,
    holds_release,
    reconcile,
    release_files,
    summary_of_landing,
    upload_order,
)
from hatch_manta_release.publish.failures import Failure
from hatch_manta_release.publish.index import IndexFile
from hatch_manta_release.publish.report import FileOutcome, Messages
from hatch_manta_release.publish.upload import UploadResult


def wheel(
    tag: str = "py3-none-any", version: str = "2.0.0", project: str = "sample-pkg", sha: str = "a" * 64
) -> Artifact:
    name = f"{project.replace('-', '_')}-{version}-{tag}.whl"
    return Artifact(Path(name), name, "wheel", version, 100, sha, project, (tag,))


def sdist(version: str = "2.0.0", project: str = "sample-pkg", sha: str = "b" * 64) -> Artifact:
    name = f"{project.replace('-', '_')}-{version}.tar.gz"
    return Artifact(Path(name), name, "sdist", version, 100, sha, project)


def listed(file: Artifact, sha: str | None) -> dict[str, IndexFile]:
    return {file.filename: IndexFile(file.filename, sha, f"https://files.example/{file.filename}")}


# ----------------------------------------------------------------------------- decide


def test_not_on_the_index_is_uploaded() -> None:
    (d,) = decide([wheel()], {}, "pypi")
    assert d.action == "upload" and d.note == "" and d.warning is None


def test_identical_is_skipped() -> None:
    w = wheel()
    (d,) = decide([w], listed(w, w.sha256), "pypi")
    assert d.action == "skip" and d.note == "identical file already on pypi" and d.warning is None


def test_different_is_a_conflict_naming_the_index_hash() -> None:
    w = wheel()
    (d,) = decide([w], listed(w, "c" * 64), "pypi")
    assert d.action == "conflict"
    assert d.note == f"pypi has different content under this name (sha256 {'c' * 16}…)"


def test_no_hash_listed_is_skipped_with_a_warning() -> None:
    w = wheel()
    (d,) = decide([w], listed(w, None), "testpypi")
    assert d.action == "skip" and d.note == "already on testpypi (the index shows no hash)"
    assert d.warning == f"{w.filename} is already on testpypi, which publishes no sha256 for it: assumed identical"


def test_a_rerun_where_everything_is_there_uploads_nothing() -> None:
    files = [wheel(), sdist()]
    listing = {**listed(files[0], files[0].sha256), **listed(files[1], files[1].sha256)}
    assert [d.action for d in decide(files, listing, "pypi")] == ["skip", "skip"]


def test_wheels_before_the_sdist_and_only_this_release() -> None:
    s = sdist()
    b = wheel("cp312-cp312-manylinux_2_17_x86_64")
    a = wheel("cp311-cp311-manylinux_2_17_x86_64")
    old = wheel(version="1.9.0")
    other = wheel(project="other-pkg")
    broken = Artifact(Path("x.whl"), "x.whl", "wheel", "", 1, "0" * 64, "", (), invalid="not a wheel name")
    assert release_files([s, b, old, a, other, broken], "Sample_Pkg", "2.0.0") == [a, b, s]
    order = upload_order([a, b, s], {}, "Sample_Pkg", "2.0.0")
    assert (order.first, order.parallel, order.last) == (a, [b], [s])


def sized(tag: str, size: int) -> Artifact:
    w = wheel(tag)
    return Artifact(w.path, w.filename, "wheel", w.version, size, w.sha256, w.project, w.tags)


def test_a_new_release_starts_with_its_smallest_wheel_alone_then_the_largest_first() -> None:
    small, mid, big = sized("cp312-none-any", 10), sized("cp311-cp311-win_amd64", 500), sized("cp310-abi3-any", 900)
    s = sdist()
    order = upload_order([big, small, mid, s], {}, "sample-pkg", "2.0.0")
    assert order.first == small and order.parallel == [big, mid] and order.last == [s]


def test_a_release_the_index_holds_already_goes_parallel_from_the_start() -> None:
    a, b, s = wheel("cp311-cp311-win_amd64"), wheel("cp312-cp312-win_amd64"), sdist()
    on_index = listed(a, a.sha256)  # a stopped earlier run landed one wheel of 2.0.0
    order = upload_order([b, s], on_index, "sample-pkg", "2.0.0")
    assert order.first is None and order.parallel == [b] and order.last == [s]
    # Files of other releases, or names that are no distribution's, do not make this release exist.
    older = listed(wheel(version="1.9.0"), "c" * 64)
    junk = {"index.html": IndexFile("index.html", None, "x"), "sample_pkg-2.0.0.exe": IndexFile("z", None, "z")}
    assert not holds_release({**older, **junk}, "sample-pkg", "2.0.0")
    assert holds_release(listed(sdist(), "d" * 64), "Sample.Pkg", "2.0")


def test_what_a_conflict_does() -> None:
    assert conflict_response(skip_existing=True, dry_run=False) == "warn"
    assert conflict_response(skip_existing=True, dry_run=True) == "warn"
    assert conflict_response(skip_existing=False, dry_run=False) == "stop"
    assert conflict_response(skip_existing=False, dry_run=True) == "block"
    assert "2.0.0.post1" in conflict_fix("2.0.0") and "1.0.0rc2" in conflict_fix("1.0.0rc1")


# ----------------------------------------------------------------------------- reconcile


def test_reconcile_counts_a_landed_file_and_clears_maybe() -> None:
    landed, missing, fine = wheel("cp311-cp311-linux_x86_64"), wheel("cp312-cp312-linux_x86_64"), sdist()
    outcomes = [
        FileOutcome(landed, "failed", maybe_landed=True),
        FileOutcome(missing, "failed", maybe_landed=True),
        FileOutcome(fine, "not-attempted"),
    ]
    reconcile(outcomes, listed(landed, landed.sha256))
    assert (outcomes[0].status, outcomes[0].note) == ("uploaded", "landed, though its answer was lost")
    assert outcomes[1].status == "failed" and not outcomes[1].maybe_landed
    assert outcomes[2].status == "not-attempted"
    text = summary_of_landing(outcomes, "pypi")
    assert text == f" - 1 of 3 files are on pypi ({landed.filename}); not there: {missing.filename}, {fine.filename}"


def test_summary_of_landing_names_what_may_have_landed() -> None:
    w = wheel()
    text = summary_of_landing([FileOutcome(w, "failed", maybe_landed=True)], "pypi")
    assert text == f" - 0 of 1 files are on pypi; maybe landed (answer lost, index unreachable): {w.filename}"


# ----------------------------------------------------------------------------- the batch


class Recorder:
    """A ``send`` that records the order files are sent in; ``fail`` names files that fail."""

    def __init__(self, fail: tuple[str, ...] = (), delay: float = 0.0) -> None:
        self.sent: list[str] = []
        self.fail = fail
        self.delay = delay
        self.lock = threading.Lock()

    def __call__(self, f: Artifact) -> UploadResult:
        time.sleep(self.delay)
        with self.lock:
            self.sent.append(f.filename)
        if f.filename in self.fail:
            return UploadResult(f.filename, False, 1, failure=Failure("server", f"{f.filename}: 503", "re-run"))
        return UploadResult(f.filename, True, 1)


def _files() -> list[Artifact]:
    return [wheel(f"cp3{m}-cp3{m}-manylinux_2_17_x86_64") for m in (10, 11, 12, 13)] + [sdist()]


@pytest.mark.parametrize("jobs", [1, 4])
def test_the_sdist_goes_after_every_wheel(jobs: int) -> None:
    files = _files()
    outcomes = [FileOutcome(f, "not-attempted") for f in files]
    send = Recorder(delay=0.01)
    messages = Messages(None)
    Batch(outcomes, send, messages).run(upload_order(files, {}, "sample-pkg", "2.0.0"), jobs)
    assert send.sent[0] == files[0].filename  # the first (smallest, then by name) wheel alone, before the others
    assert send.sent[-1] == files[-1].filename and sorted(send.sent[:-1]) == [f.filename for f in files[:-1]]
    assert all(o.status == "uploaded" for o in outcomes)
    assert [n.text for n in messages.notes][-1] == f"[5/5] uploaded {files[-1].filename}"


def test_a_failure_stops_new_uploads_and_keeps_the_sdist_back() -> None:
    files = _files()
    outcomes = [FileOutcome(f, "not-attempted") for f in files]
    send = Recorder(fail=(files[0].filename,))
    messages = Messages(None)
    batch = Batch(outcomes, send, messages)
    batch.run(upload_order(files, {}, "sample-pkg", "2.0.0"), 4)
    assert batch.stopped and send.sent == [files[0].filename]
    assert outcomes[0].status == "failed" and outcomes[0].failure is not None
    assert {o.note for o in outcomes[1:4]} == {"not attempted: an earlier upload failed"}
    assert outcomes[4].note == "not attempted: the sdist goes last, after every wheel"
    assert messages.notes[0].text == f"[1/5] FAILED {files[0].filename}: 503"


def test_default_jobs() -> None:
    assert default_jobs("https://upload.pypi.org/legacy/") == 8
    assert 1 <= default_jobs("http://127.0.0.1:8080/") <= 4


def test_the_parallel_connections_open_before_the_first_upload_and_only_when_there_is_a_parallel_part() -> None:
    files = _files()
    send = Recorder(delay=0.01)
    opened: list[tuple[int, int]] = []  # (connections asked for, files sent by then)

    def warm(count: int) -> None:
        opened.append((count, len(send.sent)))

    outcomes = [FileOutcome(f, "not-attempted") for f in files]
    Batch(outcomes, send, Messages(None)).run(upload_order(files, {}, "sample-pkg", "2.0.0"), 8, warm)
    assert opened == [(3, 0)]  # three wheels after the first alone: three connections, before anything is sent
    send, opened[:] = Recorder(), []
    Batch([FileOutcome(f, "not-attempted") for f in files], send, Messages(None)).run(
        upload_order(files, {}, "sample-pkg", "2.0.0"), 1, warm
    )
    assert opened == [] and len(send.sent) == 5  # one at a time: the connection opened ahead is enough
