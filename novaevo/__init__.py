"""Composition root of the ``novaevo`` command."""
