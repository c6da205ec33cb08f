"""The publishing tables, from the default repositories and the workflow code."""

from __future__ import annotations

from hatch_manta_release.core.config import Config
from hatch_manta_release.github.workflow import WORKFLOW_PATH
from hatch_manta_release.publish.failures import token_page

INDEX_NAMES = {"pypi": "PyPI", "testpypi": "TestPyPI"}


def publisher_table() -> str:
    """The fields of PyPI's and TestPyPI's "Add a new publisher" form (GitHub) for the generated workflow."""
    config = Config()
    repos = [config.repository(name) for name in (config.routes.final, config.routes.prerelease)]
    head = "| field | " + " | ".join(INDEX_NAMES.get(r.name, r.name) for r in repos) + " |"
    rows = [head, "|---|" + "---|" * len(repos)]
    rows.append("| PyPI Project Name | " + " | ".join("your `[project] name`" for _ in repos) + " |")
    rows.append("| Owner | " + " | ".join("the GitHub user or organisation" for _ in repos) + " |")
    rows.append("| Repository name | " + " | ".join("the repository (without the owner)" for _ in repos) + " |")
    rows.append("| Workflow name | " + " | ".join(f"`{WORKFLOW_PATH.name}`" for _ in repos) + " |")
    rows.append("| Environment name | " + " | ".join(f"`{r.environment}`" for r in repos) + " |")
    return "\n".join(rows)


def repository_table() -> str:
    """Each default repository: channel, upload URL, token variable, where to make the token."""
    config = Config()
    channel_of = {config.routes.prerelease: "pre-releases", config.routes.final: "final releases"}
    rows = ["| repository | receives | upload URL | token variable | token page | environment | skip-existing |",
            "|---|---|---|---|---|---|---|"]
    for name, repo in config.repositories.items():
        if repo.path is not None:  # a folder index: no URL of this machine, no token, no environment
            receives = channel_of.get(name, f"`--repository {name}`; development versions too" if repo.dev_versions
                                      else f"`--repository {name}`")
            rows.append(f"| `{name}` | {receives} | `file://<project>/{repo.path}/` (a folder) | — | — | — "
                        f"| `{str(repo.skip_existing).lower()}` |")
            continue
        rows.append(f"| `{name}` | {channel_of.get(name, '—')} | `{repo.upload_url}` | `{repo.token_env}` "
                    f"| {token_page(repo)} | `{repo.environment}` | `{str(repo.skip_existing).lower()}` |")
    return "\n".join(rows)
