"""Parts catalogue: vehicle identification, the parts that fit, offers, CSV importers.

Entry points: :mod:`parts.identify`, :mod:`parts.search`, :mod:`parts.cause_parts`,
:mod:`parts.importers`, :mod:`parts.demo`; the vocabulary shared with diagnostics is plain
data in :mod:`parts.vocabulary` (importable without SQLAlchemy). See ``parts/README.md``.
"""
