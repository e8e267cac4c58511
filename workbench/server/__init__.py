"""The Connect-compatible local REST server: Pipedream's SDKs work against it unchanged."""

from workbench.server.app import build_app
from workbench.server.runner import LocalServer, serve

__all__ = ["LocalServer", "build_app", "serve"]
