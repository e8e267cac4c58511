"""The desktop window: PySide6 widgets and item models over the Qt-free core.

This package's ``__init__`` imports nothing, so that its Qt-free modules (``backend``,
``textwork``) can be imported where Qt is not wanted (a worker, the command line).
"""
