"""Package data: the app catalog, icons and themes (read with importlib.resources)."""
