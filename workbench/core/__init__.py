"""The Qt-free core: rules, catalog, engine, workspace and vault.

Nothing in this package imports Qt, qasync, the server or the GUI (an import-linter
contract in pyproject.toml enforces it).
"""
