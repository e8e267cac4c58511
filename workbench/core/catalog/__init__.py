"""The app catalog: what each app is, where its credential goes, and how to find it.

The modules form layers, each importing only those below it (an import-linter contract
keeps it so): ``catalog`` (the searchable collection), ``files`` (catalog files of either
format), ``pipedream`` (Pipedream's App objects), ``schema`` (our JSON schema), ``checks``
(the rule book applied at load time), ``jsonobj`` (typed JSON access) and ``model`` (the
dataclasses, at the bottom).
"""

from workbench.core.catalog.catalog import Catalog
from workbench.core.catalog.files import load_app_file
from workbench.core.catalog.model import (
    App,
    AuthType,
    CatalogError,
    ConnectSpec,
    FieldKind,
    FieldSpec,
    Injection,
    InjectionKind,
    OAuthSpec,
    Origin,
    TokenAuth,
    TokenField,
    Verification,
    app_id_for,
)
from workbench.core.catalog.pipedream import parse_pipedream_app
from workbench.core.catalog.schema import app_to_dict, parse_app

__all__ = [
    "App",
    "AuthType",
    "Catalog",
    "CatalogError",
    "ConnectSpec",
    "FieldKind",
    "FieldSpec",
    "Injection",
    "InjectionKind",
    "OAuthSpec",
    "Origin",
    "TokenAuth",
    "TokenField",
    "Verification",
    "app_id_for",
    "app_to_dict",
    "load_app_file",
    "parse_app",
    "parse_pipedream_app",
]
