"""Imports every API domain's tables so that they are registered on :class:`api.database.Base`.

A new domain package ``api/<domain>/`` with a ``models.py`` is found automatically.
"""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil

import api


def _import_domain_models() -> None:
    for info in pkgutil.iter_modules(api.__path__):
        if info.ispkg and importlib.util.find_spec(f"api.{info.name}.models") is not None:
            importlib.import_module(f"api.{info.name}.models")


_import_domain_models()
