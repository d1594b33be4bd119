"""Names of everything that is not a decoded value: adapter messages and transport faults.

Each is a :class:`Kind` (a ``str``), so results compare and serialise as plain text.
"""

from enum import StrEnum


class Kind(StrEnum):
    """What a :class:`~obdcore.Notice` reports."""

    # Adapter messages (ELM327 and clones).
    NO_DATA = "NO_DATA"
    SEARCHING = "SEARCHING"
    UNABLE_TO_CONNECT = "UNABLE_TO_CONNECT"
    BUS_INIT = "BUS_INIT"
    BUS_INIT_ERROR = "BUS_INIT_ERROR"
    CAN_ERROR = "CAN_ERROR"
    BUS_ERROR = "BUS_ERROR"
    BUS_BUSY = "BUS_BUSY"
    BUFFER_FULL = "BUFFER_FULL"
    STOPPED = "STOPPED"
    UNKNOWN_COMMAND = "UNKNOWN_COMMAND"
    ERROR_CODE = "ERROR_CODE"  # ERRxx, e.g. ERR94 after a CAN bus fault
    RX_ERROR = "RX_ERROR"
    DATA_ERROR = "DATA_ERROR"
    FB_ERROR = "FB_ERROR"
    LOW_VOLTAGE_RESET = "LOW_VOLTAGE_RESET"
    ACTIVITY_ALERT = "ACTIVITY_ALERT"
    LOW_POWER_ALERT = "LOW_POWER_ALERT"
    OK = "OK"
    IDENTITY = "IDENTITY"
    ECHO = "ECHO"
    # Lines and messages that could not be used.
    UNPARSEABLE = "UNPARSEABLE"
    LINE_TOO_LONG = "LINE_TOO_LONG"
    RESPONSE_TOO_LONG = "RESPONSE_TOO_LONG"
    CHECKSUM_ERROR = "CHECKSUM_ERROR"
    ISOTP_MISSING_FRAME = "ISOTP_MISSING_FRAME"
    ISOTP_DUPLICATE_FRAME = "ISOTP_DUPLICATE_FRAME"
    ISOTP_UNEXPECTED_FRAME = "ISOTP_UNEXPECTED_FRAME"
    ISOTP_INCOMPLETE = "ISOTP_INCOMPLETE"
    ISOTP_BAD_FRAME = "ISOTP_BAD_FRAME"
    TRUNCATED = "TRUNCATED"
    UNKNOWN_PID = "UNKNOWN_PID"
    UNDECODED = "UNDECODED"


# Adapter messages, matched against the start of a line (longest first where one is a
# prefix of another). Upper case, spaces kept as the adapter prints them.
ADAPTER_MESSAGES: tuple[tuple[bytes, Kind], ...] = (
    (b"NO DATA", Kind.NO_DATA),
    (b"NODATA", Kind.NO_DATA),
    (b"SEARCHING", Kind.SEARCHING),
    (b"UNABLE TO CONNECT", Kind.UNABLE_TO_CONNECT),
    (b"CAN ERROR", Kind.CAN_ERROR),
    (b"BUS ERROR", Kind.BUS_ERROR),
    (b"BUS BUSY", Kind.BUS_BUSY),
    (b"BUFFER FULL", Kind.BUFFER_FULL),
    (b"STOPPED", Kind.STOPPED),
    (b"?", Kind.UNKNOWN_COMMAND),
    (b"<RX ERROR", Kind.RX_ERROR),
    (b"RX ERROR", Kind.RX_ERROR),
    (b"<DATA ERROR", Kind.DATA_ERROR),
    (b"DATA ERROR", Kind.DATA_ERROR),
    (b"FB ERROR", Kind.FB_ERROR),
    (b"LV RESET", Kind.LOW_VOLTAGE_RESET),
    (b"ACT ALERT", Kind.ACTIVITY_ALERT),
    (b"LP ALERT", Kind.LOW_POWER_ALERT),
    (b"ERR", Kind.ERROR_CODE),
    (b"OK", Kind.OK),
    (b"ELM327", Kind.IDENTITY),
    (b"STN", Kind.IDENTITY),
    (b"OBDLINK", Kind.IDENTITY),
)
