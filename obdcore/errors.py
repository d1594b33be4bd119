"""The documented error types of obdcore, shared by every layer.

Decoding never raises for bad adapter output: garbage, truncation and adapter messages come
back as typed notices. :class:`ArgumentError` and its subclasses are raised for bad
*arguments* (a formula that is not one, a PID table that contradicts itself, an unknown
protocol, a negative refresh rate); :class:`LinkError` and its subclasses when talking to
the adapter fails. The argument errors are also ``ValueError``s, so that generic callers
that catch those keep working.
"""


class ObdError(Exception):
    """Base class of every error obdcore raises on purpose."""


class ArgumentError(ObdError, ValueError):
    """A caller passed a value obdcore cannot use (the message says which and why)."""


class FormulaError(ArgumentError):
    """A user formula is not in the documented formula language."""


class TableError(ArgumentError):
    """A PID table row is malformed or contradicts another row, or a value name is
    unknown."""


class ProtocolError(ArgumentError):
    """An unknown or unsupported ELM327 protocol was named."""


class PayloadError(ArgumentError):
    """An ISO-TP payload cannot be sent: empty, or longer than 4095 bytes."""


# ---------------------------------------------------------------- talking to a dongle


class LinkError(ObdError, OSError):
    """Talking to the adapter failed: the base of every connection error."""


class DeviceNotFound(LinkError):
    """No adapter at the given address, or none found when looking for one."""


class LinkLost(LinkError):
    """The link to the adapter went away (unplugged, out of range, socket closed)."""


class AdapterTimeout(LinkError):
    """The adapter did not finish its answer (no ``>`` prompt) before the deadline."""


class NotAnAdapter(LinkError):
    """Something answers at that address, but it does not behave like an ELM327."""


class NoVehicle(LinkError):
    """The adapter answers but no vehicle does (ignition off, wrong protocol, no car)."""
