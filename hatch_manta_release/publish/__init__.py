"""Routed publishing that is safe to re-run (``manta-release publish``).

- :mod:`.index` reads what an index already holds (PEP 691 JSON, else the HTML links' ``#sha256=``);
- :mod:`.credentials` takes the token from the repository's ``token-env`` (never shown) or runs
  Trusted Publishing (:mod:`.oidc`);
- :mod:`.upload` uploads through twine's own uploader (its ``Repository``, in this process), in
  threads, with retries;
- :mod:`.failures` turns index answers and network errors into one line of cause, one of fix;
- :mod:`.decide` is the pure comparison of this release's files with the index's listing
  (upload, skip, conflict; wheels before the sdist);
- :mod:`.batch` sends the chosen files (wheels in parallel, the sdist last, stop on a failure);
- :mod:`.run` puts the stages together and returns a :class:`~.report.PublishReport`, which the CLI
  renders (nothing here prints).

The index query and Trusted Publishing use the standard library's HTTP, so a re-run where everything
is already on the index costs one simple-index query and never imports twine (nor requests); twine
reads, builds and sends each upload exactly as ``twine upload`` does, only for files that are really
uploaded.
"""

from __future__ import annotations

from hatch_manta_release.publish.report import PublishError, PublishOptions, PublishReport
from hatch_manta_release.publish.run import publish

__all__ = ["PublishError", "PublishOptions", "PublishReport", "publish"]
