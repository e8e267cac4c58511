"""Shared test helpers: local servers, fakes and builders."""
