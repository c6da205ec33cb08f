"""hatch-manta-release: a project's release process as configuration in ``pyproject.toml``.

Nothing is imported here on purpose: hatchling imports the plugin's hook module on every build of
every adopting project, and that path must stay as light as possible.
"""
