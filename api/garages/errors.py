"""Typed errors of the garages domain, each with a stable code and an HTTP status.

The routes turn any :class:`GarageError` into the API's JSON error shape, so a bad input is
always a clear 4xx and never a traceback.
"""

from __future__ import annotations

from typing import Any


class GarageError(Exception):
    """Base class: ``code`` is stable (clients switch on it), ``status`` the HTTP status."""

    code = "garage_error"
    status = 400

    def __init__(self, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or {}


class InvalidInputError(GarageError, ValueError):
    """A malformed argument (bad opening-hours text, negative duration, ...)."""

    code = "invalid_input"
    status = 422


class NotFoundError(GarageError, LookupError):
    """Not there, or not yours: both answer 404 so that nothing leaks."""

    code = "not_found"
    status = 404


class UnknownServiceError(InvalidInputError):
    """A service code that is not in :data:`api.garages.services.SERVICES`."""

    code = "unknown_service"


class UnknownPostcodeError(NotFoundError):
    """A postcode we have no position for (a well-formed one: 404, like any unknown key)."""

    code = "unknown_postcode"


class ServiceNotOfferedError(GarageError):
    """The garage does not offer the service (or the work) asked for: the request is well
    formed but conflicts with what this garage does today (409)."""

    code = "service_not_offered"
    status = 409


class SlotInPastError(GarageError):
    """The requested start time is already over."""

    code = "slot_in_past"
    status = 422


class OutsideOpeningHoursError(GarageError):
    """The job would start or run outside the garage's opening hours."""

    code = "outside_opening_hours"
    status = 422


class SlotTakenError(GarageError):
    """Every bay is taken for part of the job's time: someone booked it first."""

    code = "slot_taken"
    status = 409


class QuoteChangedError(GarageError):
    """The quote the driver agreed to no longer matches the catalogue's prices.

    ``details["quote"]`` holds the refreshed quote; the driver must consent to it again.
    """

    code = "quote_changed"
    status = 409


class ConsentRequiredError(GarageError):
    """A booking needs the driver's explicit consent to the quote lines."""

    code = "consent_required"
    status = 422


class RuleViolationError(GarageError):
    """A garage rule forbids it (cancelling too late, ...)."""

    code = "garage_rule"
    status = 409


class InvalidStateError(GarageError):
    """The booking is not in a state that allows this (accepting a cancelled booking, ...)."""

    code = "invalid_state"
    status = 409


class ImportFailedError(GarageError):
    """A directory import stopped and was rolled back; ``report`` lists the rejected rows."""

    code = "import_failed"
    status = 422

    def __init__(self, message: str, report: object | None = None) -> None:
        super().__init__(message)
        self.report = report
