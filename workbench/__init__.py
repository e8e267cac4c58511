"""Connect Proxy Workbench: an embedded, Pipedream-compatible authenticated API proxy."""

__version__ = "0.1.0"
