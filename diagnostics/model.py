"""Learned ranker (filled in below by the training step)."""

from __future__ import annotations


def shipped_ranker(kb):
    """The shipped artefact's ranker, or None when none is shipped."""
    return None
