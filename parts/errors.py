"""The typed errors of the parts package.

Every error a caller can provoke with bad input derives from :class:`PartsError`, so the
CLI and the API can turn them into a clear message (CLI) or a 4xx (API) without ever
showing a traceback. Errors that mean "our bug" are left as ordinary exceptions.
"""

from __future__ import annotations


class PartsError(Exception):
    """Base class: a bad input or an impossible request, with a message meant for humans."""


class InvalidInputError(PartsError, ValueError):
    """An argument is malformed (a VIN with an O in it, a negative page, ...)."""


class InvalidVinError(InvalidInputError):
    """The VIN is not 17 characters of the ISO 3779 alphabet."""


class InvalidPlateError(InvalidInputError):
    """The plate matches neither the SIV (AA-123-AA) nor the FNI (1234 AB 75) format."""


class QueryTooLongError(InvalidInputError):
    """A search string longer than the limit; refused before it reaches the database."""


class UnknownPartTypeError(InvalidInputError):
    """A part-type code that is not in :data:`parts.vocabulary.PART_TYPES`."""


class UnknownCauseError(InvalidInputError):
    """A diagnostic cause id that is not in :data:`parts.vocabulary.CAUSE_IDS`."""


class NotFoundError(PartsError, LookupError):
    """The vehicle type, part or plate asked for does not exist in the catalogue."""


class ImportFailedError(PartsError):
    """An import stopped; its transaction was rolled back and the catalogue is unchanged.

    ``report`` (an :class:`parts.importers.ImportReport`) lists the rows rejected so far.
    """

    def __init__(self, message: str, report: object | None = None) -> None:
        super().__init__(message)
        self.report = report


class ImportFormatError(ImportFailedError):
    """The file cannot be read at all: missing columns, not CSV, unknown import kind."""
