"""The router registry: every domain package ``api/<domain>/routes.py`` exposing ``router``
is mounted under ``/v1`` (found automatically, in alphabetical order)."""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil

from fastapi import APIRouter

import api


def domain_routers() -> list[tuple[str, APIRouter]]:
    """``(domain, router)`` for every ``api.<domain>.routes`` module that has a ``router``."""
    found = []
    for info in sorted(pkgutil.iter_modules(api.__path__), key=lambda i: i.name):
        name = f"api.{info.name}.routes"
        if info.ispkg and importlib.util.find_spec(name) is not None:
            router = getattr(importlib.import_module(name), "router", None)
            if isinstance(router, APIRouter):
                found.append((info.name, router))
    return found
