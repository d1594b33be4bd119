"""Hypothesis strategies for realistic CAN logs, then damaged: several ECUs answering at
once with their ISO-TP frames interleaved, multi-frame VINs, DTC lists and multi-PID
answers, adapter notices (repeated, as in real logs), lost, repeated and cut frames, and
garbage. They drive the compiled build's fast paths (C-slot reassembly, DTC rows, the
notice cache) and the pure twin through the same inputs."""

from hypothesis import strategies as st

from obdcore import PidTable
from obdcore.protocol._core import j1850_crc
from obdcore.protocol.isotp import can_answer_lines

MODE01_PIDS = sorted({f.pid for f in PidTable.standard() if f.mode == 1})
NOTICE_LINES = [
    "NO DATA",
    "SEARCHING...",
    "CAN ERROR",
    "BUFFER FULL",
    "STOPPED",
    "?",
    "7E8 03 41 0D 32 <DATA ERROR",
    "<RX ERROR",
    "BUS INIT: ...ERROR",
    "ERR94",
    "OK",
    "ELM327 v1.5",
    "0100",
    "no data",
    "NO DATA\x00",
    " NO DATA >",
]
GARBAGE = b"0123456789ABCDEF :<>?\x00NODATSRCHZ\t"


def _size(pid: int) -> int:
    return PidTable.standard().fields(1, pid)[0].size


@st.composite
def payloads(draw) -> bytes:
    """One ECU's answer: what it says, sometimes wrong (short, lying counts, unknown)."""
    kind = draw(st.integers(0, 8))
    data = st.binary
    if kind == 0:  # Mode 01, one or several PIDs (a multi-frame answer past 7 bytes)
        payload = bytearray([0x41])
        for pid in draw(st.lists(st.sampled_from(MODE01_PIDS), min_size=1, max_size=6)):
            payload += bytes([pid]) + draw(data(min_size=_size(pid), max_size=_size(pid)))
        return bytes(payload)
    if kind == 1:  # a VIN (multi-frame), sometimes short
        return b"\x49\x02\x01" + draw(data(min_size=10, max_size=17))
    if kind == 2:  # a DTC list; the count may disagree with the codes carried
        codes = draw(data(max_size=40))
        count = draw(st.one_of(st.just(len(codes) // 2), st.integers(0, 255)))
        return bytes([draw(st.sampled_from([0x43, 0x47, 0x4A])), count]) + codes
    if kind == 3:  # a negative response
        return bytes([0x7F]) + draw(data(min_size=0, max_size=2))
    if kind == 4:  # Mode 02 freeze frame
        pid = draw(st.sampled_from(MODE01_PIDS))
        return bytes([0x42, pid, draw(st.integers(0, 3))]) + draw(data(max_size=_size(pid)))
    if kind == 5:  # Mode 06, other Mode 09 PIDs, DIDs
        return bytes([draw(st.sampled_from([0x46, 0x49, 0x62]))]) + draw(data(max_size=40))
    if kind == 6:  # clear DTCs
        return b"\x44"
    return draw(data(min_size=1, max_size=60))  # anything


def _header(extended: bool):
    if extended:
        return st.sampled_from([0x18DAF110, 0x18DAF118, 0x18DAF11A, 0x18DA10F1])
    return st.one_of(st.sampled_from([0x7E8, 0x7E9, 0x7EA]), st.integers(0x700, 0x7FF))


def _crowd(draw, extended: bool) -> list[tuple[int, bytes]]:
    """17 to 24 ECUs (distinct IDs) answering with multi-frame payloads."""
    count = draw(st.integers(17, 24))
    base = 0x18DAF100 if extended else 0x700
    ecus = draw(
        st.lists(st.integers(base, base + 0xFF), min_size=count, max_size=count, unique=True)
    )
    return [(ecu, b"\x49\x02\x01" + draw(st.binary(min_size=5, max_size=17))) for ecu in ecus]


def _interleave(draw, streams: list[list[str]]) -> list[str]:
    """Each ECU's lines in order, the ECUs mixed: at random, or round robin (all first
    frames first: many messages in reassembly at once)."""
    out: list[str] = []
    if draw(st.booleans()):
        while any(streams):
            out += [stream.pop(0) for stream in streams if stream]
        return out
    while any(streams):
        live = [s for s in streams if s]
        out.append(draw(st.sampled_from(live)).pop(0))
    return out


def _damage(draw, lines: list[str]) -> list[str]:
    """Lost, repeated, cut and swapped lines; notices and garbage in between."""
    for _ in range(draw(st.integers(0, 5))):
        at = draw(st.integers(0, len(lines)))
        action = draw(st.integers(0, 5))
        if action == 0 and at < len(lines):
            del lines[at]
        elif action == 1 and at < len(lines):
            lines.insert(at, lines[at])
        elif action == 2:
            lines.insert(at, draw(st.sampled_from(NOTICE_LINES)))
        elif action == 3:
            lines.insert(
                at, bytes(draw(st.lists(st.sampled_from(GARBAGE), max_size=30))).decode("latin-1")
            )
        elif action == 4 and at < len(lines):
            lines[at] = lines[at][: draw(st.integers(0, len(lines[at])))]
        elif at + 1 < len(lines):
            lines[at], lines[at + 1] = lines[at + 1], lines[at]
    return lines


@st.composite
def can_logs(draw, extended: bool = False, headers: bool = True) -> bytes:
    """A log of CAN answers as an ELM327 prints them (CAF on), interleaved and damaged."""
    blob = []
    for _ in range(draw(st.integers(1, 4))):  # requests; each answered by several ECUs
        if draw(st.integers(0, 5)) == 0:  # a crowd: more multi-frame answers at once than
            answers = _crowd(draw, extended)  # the compiled build has C slots for
        else:
            answers = draw(st.lists(st.tuples(_header(extended), payloads()), max_size=20))
        streams = [
            can_answer_lines(ecu, payload, extended=extended, headers=headers)
            for ecu, payload in answers
        ]
        lines = _damage(draw, _interleave(draw, streams))
        lines += draw(st.sampled_from([[], ["NO DATA"], ["", ">"]]))
        blob.append("\r".join(lines))
    return "\r".join(blob).encode("latin-1")


def _legacy_line(payload: bytes, source: int, headers: bool, crc: bool) -> str:
    if not headers:
        return payload.hex(" ").upper()
    frame = bytes([0x48, 0x6B, source]) + payload
    check = j1850_crc(frame) if crc else sum(frame) & 0xFF
    return (frame + bytes([check])).hex(" ").upper()


@st.composite
def legacy_logs(draw, headers: bool = True, crc: bool = False) -> bytes:
    """J1850 / ISO 9141 / KWP answers: one line per 7 bytes at most, several ECUs (source
    addresses), Mode 09 lines with their sequence byte; then damaged like the CAN logs."""
    lines = []
    for source, payload in draw(
        st.lists(st.tuples(st.sampled_from([0x10, 0x18, 0x1A]), payloads()), max_size=8)
    ):
        if payload[0] == 0x49 and len(payload) > 3:  # 49 02 01 + 4 bytes per line
            lines += [
                _legacy_line(
                    payload[:2] + bytes([1 + i // 4]) + payload[3 + i : 7 + i], source, headers, crc
                )
                for i in range(0, len(payload) - 3, 4)
            ]
        else:
            lines += [
                _legacy_line(payload[:1] + payload[1 + i : 7 + i], source, headers, crc)
                for i in range(0, max(1, len(payload) - 1), 6)
            ]
    lines = _damage(draw, lines)
    return "\r".join(lines).encode("latin-1")


# (protocol, headers, caf, the log's strategy)
LOG_FORMATS = [
    ("6", True, True, can_logs()),
    ("7", True, True, can_logs(extended=True)),
    ("6", False, True, can_logs(headers=False)),
    ("8", True, True, can_logs()),
    ("3", True, True, legacy_logs()),
    ("1", True, True, legacy_logs(crc=True)),
    ("5", False, True, legacy_logs(headers=False)),
]


@st.composite
def formatted_logs(draw):
    """``((protocol, headers, caf), log)``: a decoder format and a log printed in it."""
    protocol, headers, caf, logs = draw(st.sampled_from(LOG_FORMATS))
    return (protocol, headers, caf), draw(logs)
