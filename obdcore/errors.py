"""The documented error types of obdcore, shared by every layer.

Decoding never raises for bad adapter output: garbage, truncation and adapter messages come
back as typed notices. :class:`ArgumentError` and its subclasses are raised for bad
*arguments* (a formula that is not one, a PID table that contradicts itself, an unknown
protocol, a negative refresh rate); :class:`LinkError` and its subclasses when talking to
the adapter fails. The argument errors are also ``ValueError``s, so that generic callers
that catch those keep working.

:class:`ExitCode` is the one exit-code convention of every ``novaevo`` sub-command (the
car commands, ``ocr``, ``parts``, ``sim``, ``diagnose``...): each error class here carries
its ``exit_code`` and a ``hint`` (what to do), and the other packages' CLIs map their own
error classes onto the same codes. It lives here, outside any CLI, so that every CLI can
import it without importing another one.
"""

from enum import IntEnum


class ExitCode(IntEnum):
    """What a ``novaevo`` command's exit status means (the same for every sub-command)."""

    OK = 0  #: done (Ctrl-C is a normal end for ``live`` and ``log``)
    DECLINED = 1  #: refused, or declined by the user at a prompt; nothing was changed
    USAGE = 2  #: bad usage: an option, argument or URL that cannot be used as given
    DEVICE_NOT_FOUND = 3  #: nothing answers at the adapter's address
    NOT_AN_ADAPTER = 4  #: something answers there, but not an ELM327
    NO_VEHICLE = 5  #: the adapter answers, the car does not
    LINK = 6  #: the link to the adapter was lost or timed out during the session
    INPUT_FILE = 7  #: an input file is missing, unreadable or not in the expected format
    PARTIAL = 8  #: done, but some input rows were rejected (they are listed)
    DATABASE = 9  #: the database cannot be opened or used (bad URL, path, schema)
    IMAGE = 10  #: the image cannot be read as a registration card (format, size, content)
    ENVIRONMENT = 11  #: this machine lacks something needed (Bluetooth, OCR model, a port)
    INTERNAL = 70  #: an unexpected error (a bug): a crash log was written
    INTERRUPTED = 130  #: interrupted (Ctrl-C) during a one-shot command


EXIT_CODES_HELP = (
    "Exit codes: 0 done, 1 refused or declined, 2 bad usage, 3 device not found, "
    "4 not an ELM327 adapter, 5 no vehicle answers, 6 link lost or timed out, "
    "7 input file, 8 done with rows rejected, 9 database, 10 image, "
    "11 missing on this machine (Bluetooth, OCR model, port), 70 internal error, "
    "130 interrupted. See README, Command line."
)


class ObdError(Exception):
    """Base class of every error obdcore raises on purpose.

    ``exit_code``: the :class:`ExitCode` a command ends with; ``hint``: what to do about it
    (one clause, printed after the message)."""

    exit_code: ExitCode = ExitCode.USAGE
    hint: str = ""


class ArgumentError(ObdError, ValueError):
    """A caller passed a value obdcore cannot use (the message says which and why)."""

    exit_code = ExitCode.USAGE


class DeviceUrlError(ArgumentError):
    """A device URL that cannot name an adapter (``socket://HOST`` without a port,
    ``http://x``), or no device given and none (or several) found."""

    hint = "write a serial port (/dev/ttyUSB0, COM3), socket://HOST:PORT or ble://NAME-or-ADDRESS"


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

    exit_code = ExitCode.LINK
    hint = (
        "check that the dongle is seated and powered (ignition on) and the cable, "
        "Bluetooth or Wi-Fi link steady"
    )


class DeviceNotFound(LinkError):
    """No adapter at the given address, or none found when looking for one."""

    exit_code = ExitCode.DEVICE_NOT_FOUND
    hint = (
        "check that it is plugged in (or paired, or on this Wi-Fi) and that --device "
        "names it; `novaevo scan` lists candidates"
    )


class BluetoothUnavailable(LinkError):
    """This machine cannot use Bluetooth LE (no adapter, switched off, no permission, or
    the transport is not installed)."""

    exit_code = ExitCode.ENVIRONMENT
    hint = "switch Bluetooth on (or add an adapter), or use a serial or Wi-Fi dongle"


class SimulatorUnavailable(ObdError):
    """``--sim`` cannot start the simulator here (not lent by the composition root, or it
    refused its options)."""

    exit_code = ExitCode.USAGE
    hint = "check the --fault and --sim-* options"


class LinkLost(LinkError):
    """The link to the adapter went away (unplugged, out of range, socket closed)."""


class AdapterTimeout(LinkError):
    """The adapter did not finish its answer (no ``>`` prompt) before the deadline."""

    exit_code = ExitCode.LINK


class NotAnAdapter(LinkError):
    """Something answers at that address, but it does not behave like an ELM327."""

    exit_code = ExitCode.NOT_AN_ADAPTER
    hint = "check that --device names the ELM327 dongle and not another serial device"


class NoVehicle(LinkError):
    """The adapter answers but no vehicle does (ignition off, wrong protocol, no car)."""

    exit_code = ExitCode.NO_VEHICLE
    hint = "check that the ignition is on and the dongle pushed fully into the OBD port"
