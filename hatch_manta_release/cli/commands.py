"""The command list, in one place: the CLI's group and the hatch collector's scripts both read it.

No imports: the collector runs inside hatch and must not pull click in.
"""

from __future__ import annotations

COMMANDS: dict[str, str] = {
    "version": "Print the version of HEAD (from git tags).",
    "plan": "Decide the release: tag, version, channel, target repository, expected artifacts.",
    "build": "Build the sdist and wheels (cibuildwheel, or the native builder) into dist/.",
    "check": "Check dist/ against the plan: metadata, versions, wheel tags, completeness.",
    "publish": "Upload dist/ to the repository the plan routes to; safe to re-run.",
    "github-release": "Create or finish the GitHub Release of the tag with dist/ attached; safe to re-run.",
    "doctor": "Check config, git, tokens, workflow and index; say what to fix.",
    "workflow": "Render .github/workflows/release.yml from the config.",
    "init": "Add the adoption tables to pyproject.toml and write the workflow.",
}
