"""What the GitHub Actions run this process is in says about itself, from the runner's variables.

Whether this is a workflow run at all, and the branch whose push started it (that run leaves publishing
to the tag's run). The tag that started a run is read where the version is decided (core/basetag.py),
which keeps the version source's imports to the modules it already had.
"""

from __future__ import annotations

import os
from collections.abc import Mapping


def on_github_actions(environ: Mapping[str, str] | None = None) -> bool:
    return (os.environ if environ is None else environ).get("GITHUB_ACTIONS") == "true"


def pushed_branch(environ: Mapping[str, str] | None = None) -> str | None:
    """The branch whose push started this run (None: not such a run).

    Pushing a branch and the release tag on its head starts two runs; only the tag's may publish, or the
    two would race to upload the same files and to make the same GitHub Release.
    """
    env = os.environ if environ is None else environ
    if on_github_actions(env) and env.get("GITHUB_EVENT_NAME") == "push" and env.get("GITHUB_REF_TYPE") == "branch":
        return env.get("GITHUB_REF_NAME") or "?"
    return None
