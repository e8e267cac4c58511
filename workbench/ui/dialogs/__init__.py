"""Dialogs of the main window; opened with ``open()``, never ``exec()``."""
