"""Durable state: the workspace (SQLite), its migrations, the vault (keyring) and connections.

``database`` and ``migrations`` own the SQLite file, ``workspace`` the projects, users and
accounts in it, ``vault`` and ``vaultfile`` the secrets (never in the SQLite file), and
``connections`` keeps the two in step when accounts are added or removed.
"""
