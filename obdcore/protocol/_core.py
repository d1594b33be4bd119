"""The decoder's hot path: adapter text -> frames -> ISO-TP messages -> readings.

This file is both the pure-Python twin and the source of the compiled accelerator:
``setup.py`` compiles it with Cython into ``obdcore.protocol._ccore``. Types are declared in
Cython's pure-Python mode (``cython.int``...), which plain Python ignores, so the two are
one source and give the same results by construction. The few places that must differ
for speed test ``cython.compiled`` and are covered by the twin-equality property tests.

Nothing here raises on bad adapter output: every fault becomes a typed
:class:`~obdcore.protocol.structured.Notice`. Buffers are bounded (``MAX_RESPONSE_BYTES``,
``MAX_LINE_BYTES``, ISO-TP's 4095-byte messages).
"""

import cython

from obdcore.protocol import structured as _s
from obdcore.protocol.kinds import ADAPTER_MESSAGES, Kind
from obdcore.protocol.pidtable import PidTable
from obdcore.protocol.protocols import CAN_11, CAN_29, J1850, protocol_family, protocol_number

MAX_RESPONSE_BYTES = 65536  # one answer; an ELM327's own buffer holds 512 bytes
MAX_LINE_BYTES = 256  # the longest real line (29-bit CAN, spaces) is under 40 characters
# The same limit as a C constant: the compiled line scanner compares against it once per
# character, and a module global would be a Python int comparison each time.
_LINE_LIMIT = cython.declare(cython.Py_ssize_t, MAX_LINE_BYTES)

_HEX_DIGITS = b"0123456789ABCDEF"
_DTC_NAMES = {0x43: "DTC_STORED", 0x47: "DTC_PENDING", 0x4A: "DTC_PERMANENT"}

# Field evaluation kinds (C constants in the compiled build).
_AFFINE = cython.declare(cython.int, 0)
_FORMULA = cython.declare(cython.int, 1)
_SPECIAL = cython.declare(cython.int, 2)

# What ``_run`` does with each complete message.
_SINK_DECODE = cython.declare(cython.int, 0)
_SINK_MESSAGES = cython.declare(cython.int, 1)
_SINK_FRAMES = cython.declare(cython.int, 2)
_SINK_BATCH = cython.declare(cython.int, 3)

# True in the compiled build: guards its C-only paths (a plain global is cheaper than
# ``cython.compiled``, an attribute lookup, in the twin's hot paths).
_COMPILED = cython.declare(cython.bint, cython.compiled)


# ============================================================================ result objects


@cython.final
@cython.cclass
class Reading:
    """One decoded value.

    ``ecu``: CAN ID or legacy source address of the sender (-1 unknown: headers off);
    ``service``: the request mode (1, 2, 3, 9, 0x22...); ``pid``: PID, DID or Mode 06 MID
    (-1 for services without one); ``name``/``unit``: from the PID table; ``value``: a
    float for numeric fields, a structured value otherwise; ``frame``: the freeze-frame
    number for Mode 02, else -1.
    """

    ecu = cython.declare(cython.longlong, visibility="readonly")
    service = cython.declare(cython.int, visibility="readonly")
    pid = cython.declare(cython.int, visibility="readonly")
    frame = cython.declare(cython.int, visibility="readonly")
    name = cython.declare(object, visibility="readonly")
    value = cython.declare(object, visibility="readonly")
    unit = cython.declare(object, visibility="readonly")

    def __init__(self, ecu, service, pid, name, value, unit, frame=-1):
        self.ecu = ecu
        self.service = service
        self.pid = pid
        self.name = name
        self.value = value
        self.unit = unit
        self.frame = frame

    def as_tuple(self) -> tuple:
        """``(ecu, service, pid, name, value, unit, frame)``."""
        return (self.ecu, self.service, self.pid, self.name, self.value, self.unit, self.frame)

    def __eq__(self, other):
        # Compares by content, so readings of the compiled and the pure twin are equal.
        as_tuple = getattr(other, "as_tuple", None)
        return as_tuple is not None and self.as_tuple() == as_tuple()

    def __hash__(self):
        return hash((self.ecu, self.service, self.pid, self.name, self.frame))

    def __repr__(self):
        frame = f", frame={self.frame}" if self.frame >= 0 else ""
        return (
            f"Reading(ecu=0x{self.ecu:X}, service=0x{self.service:02X}, "
            f"pid=0x{self.pid:02X}, {self.name}={self.value!r} {self.unit}{frame})"
            if self.ecu >= 0 and self.pid >= 0
            else f"Reading(ecu={self.ecu}, service=0x{self.service:02X}, pid={self.pid}, "
            f"{self.name}={self.value!r} {self.unit}{frame})"
        )


@cython.final
@cython.cclass
class Response:
    """What one adapter answer held: readings, adapter/transport notices, and negative
    responses (``7F``), each in the order they completed."""

    readings = cython.declare(list, visibility="readonly")
    notices = cython.declare(list, visibility="readonly")
    negatives = cython.declare(list, visibility="readonly")

    def __init__(self):
        self.readings = []
        self.notices = []
        self.negatives = []

    @property
    def ok(self) -> bool:
        """True when the answer carried data and nothing went wrong."""
        return bool(self.readings) and not self.notices and not self.negatives

    def value(self, name: str, ecu: int | None = None):
        """The value of the first reading called ``name`` (from ``ecu`` if given), or None."""
        for reading in self.readings:
            if reading.name == name and (ecu is None or reading.ecu == ecu):
                return reading.value
        return None

    def __repr__(self):
        return (
            f"Response(readings={self.readings!r}, notices={self.notices!r}, "
            f"negatives={self.negatives!r})"
        )


# ============================================================================ compiled table


@cython.final
@cython.cclass
class _FieldSpec:
    """One table field prepared for evaluation (C-typed for the compiled path)."""

    kind = cython.declare(cython.int)
    start = cython.declare(cython.int)
    nbytes = cython.declare(cython.int)
    signed = cython.declare(cython.bint)
    scale = cython.declare(cython.double)
    offset = cython.declare(cython.double)
    name = cython.declare(object)
    unit = cython.declare(object)
    func = cython.declare(object)
    variable = cython.declare(cython.bint)
    text = cython.declare(cython.bint)  # a special that is plain ASCII text (VINs...)

    def __init__(self, field):
        self.name = field.name
        self.unit = field.unit
        self.start = 0
        self.nbytes = 0
        self.signed = False
        self.scale = 1.0
        self.offset = 0.0
        self.variable = False
        self.text = False
        self.func = None
        if field.special is not None:
            self.kind = _SPECIAL
            self.func = _s.SPECIAL[field.special]
            self.variable = field.special in _s.VARIABLE_LENGTH
            self.text = field.special in _TEXT_SPECIALS
        elif field.compiled.affine is not None:
            affine = field.compiled.affine
            self.kind = _AFFINE
            self.start = affine.start
            self.nbytes = affine.nbytes
            self.signed = affine.signed
            self.scale = affine.scale
            self.offset = affine.offset
        else:
            self.kind = _FORMULA
            self.func = field.compiled.evaluate


@cython.final
@cython.cclass
class _PidSpec:
    """All fields of one PID and the number of data bytes they span."""

    size = cython.declare(cython.int)
    fields = cython.declare(tuple)
    index = cython.declare(cython.int)  # first field's column in batch output
    all_affine = cython.declare(cython.bint)  # every field is numeric and affine

    def __init__(self, size, fields, index):
        self.size = size
        self.fields = fields
        self.index = index
        self.all_affine = True
        field: _FieldSpec
        for field in fields:
            if field.kind != _AFFINE:
                self.all_affine = False


# ============================================================================ batch output


@cython.final
@cython.cclass
class _BatchSink:
    """Growing numpy columns for :meth:`Decoder.decode_batch` (numeric values only;
    structured values become :class:`Reading` objects in the response)."""

    count = cython.declare(cython.Py_ssize_t)
    capacity = cython.declare(cython.Py_ssize_t)  # rows the arrays hold (a C int: no len())
    arrays = cython.declare(list)
    columns = cython.declare(list)
    lines = cython.declare(cython.long[::1])
    ecus = cython.declare(cython.long[::1])
    services = cython.declare(cython.short[::1])
    pids = cython.declare(cython.int[::1])
    frames = cython.declare(cython.short[::1])
    fields = cython.declare(cython.int[::1])
    values = cython.declare(cython.double[::1])

    def __init__(self, columns, capacity=4096):
        self.columns = columns
        self.count = 0
        self._allocate(capacity)

    def _allocate(self, capacity) -> None:
        import numpy as np

        from obdcore.protocol.batch import RECORD_DTYPE

        # Uninitialised: only the first ``count`` rows are ever read.
        arrays = [np.empty(capacity, dtype=RECORD_DTYPE[i]) for i in range(7)]
        if self.arrays is not None:
            for new, old in zip(arrays, self.arrays, strict=True):
                new[: self.count] = old[: self.count]
        self.arrays = arrays
        self.capacity = capacity
        # Memoryviews: C-speed stores in the compiled build, cheap ones in the twin.
        views = [memoryview(a) for a in arrays]
        self.lines, self.ecus, self.services, self.pids = views[0], views[1], views[2], views[3]
        self.frames, self.fields, self.values = views[4], views[5], views[6]

    # Unchecked stores, proven safe: 0 <= n < capacity, the length of every column, and
    # the views are set by __init__ (the only way to build a sink) before any add.
    @cython.cfunc
    @cython.boundscheck(False)
    @cython.wraparound(False)
    @cython.initializedcheck(False)
    @cython.exceptval(-1, check=False)  # -1: an exception (cheap to test)
    def add(
        self,
        line: cython.Py_ssize_t,
        ecu: cython.longlong,
        service: cython.int,
        pid: cython.int,
        frame: cython.int,
        column: cython.int,
        value: cython.double,
    ) -> cython.int:
        n: cython.Py_ssize_t = self.count
        if n == self.capacity:
            self._allocate(2 * n)
        self.lines[n] = line
        self.ecus[n] = ecu
        self.services[n] = service
        self.pids[n] = pid
        self.frames[n] = frame
        self.fields[n] = column
        self.values[n] = value
        self.count = n + 1
        return 0

    def finish(self, response: Response, names: tuple, units: tuple):
        from obdcore.protocol.batch import Batch

        return Batch.from_arrays(
            [a[: self.count] for a in self.arrays],
            self.columns,
            response.readings,
            response.notices,
            response.negatives,
            names=names,
            units=units,
        )


# ============================================================================ run state


@cython.final
@cython.cclass
class _Pending:
    """A multi-frame message being reassembled: what was announced, what arrived."""

    ecu = cython.declare(cython.longlong)
    length = cython.declare(cython.Py_ssize_t)
    received = cython.declare(cython.Py_ssize_t)
    buffer = cython.declare(bytearray)  # the announced length, allocated at the first frame
    next_seq = cython.declare(cython.int)
    last_seq = cython.declare(cython.int)

    @cython.cfunc
    def append(
        self,
        seq: cython.int,
        data: cython.p_uchar,
        start: cython.Py_ssize_t,
        end: cython.Py_ssize_t,
    ) -> cython.bint:
        """Copies ``data[start:end]`` in (padding past the announced length is dropped);
        True once the whole message has arrived."""
        target: cython.p_uchar = self.buffer
        k: cython.Py_ssize_t
        for k in range(start, min(end, start + self.length - self.received)):
            target[self.received] = data[k]
            self.received += 1
        self.next_seq = (seq + 1) & 0x0F
        self.last_seq = seq
        return self.received >= self.length


@cython.cfunc
def _find_pending(pendings: list, ecu: cython.longlong) -> cython.Py_ssize_t:
    """The index of ``ecu``'s message in reassembly, -1 if none (a handful at most)."""
    pending: _Pending
    i: cython.Py_ssize_t
    for i in range(len(pendings)):
        pending = pendings[i]
        if pending.ecu == ecu:
            return i
    return -1


@cython.cfunc
def _new_pending(length: cython.Py_ssize_t, next_seq: cython.int) -> _Pending:
    pending: _Pending = _Pending.__new__(_Pending)
    pending.ecu = -1
    pending.length = length
    pending.buffer = bytearray(length)
    pending.received = 0
    pending.next_seq = next_seq
    pending.last_seq = -1
    return pending


# The compiled build's ISO-TP reassembly: one C slot per message being reassembled, so a
# multi-frame answer allocates no Python object (see Decoder._first_frame_slot). ``data``
# points into a 4096-byte bytearray the run state keeps alive (ISO-TP: at most 4095 bytes).
# ``length`` 0 marks a free slot (a message in reassembly announced at least one byte).
_Slot = cython.struct(
    ecu=cython.longlong,
    length=cython.Py_ssize_t,
    received=cython.Py_ssize_t,
    next_seq=cython.int,
    last_seq=cython.int,
    data=cython.p_uchar,
)
_SLOTS = cython.declare(cython.int, 16)  # the size of the slot arrays below
_SLOT_BYTES = cython.declare(cython.Py_ssize_t, 4096)


@cython.final
@cython.cclass
class _RunState:
    """Per-call scratch state: pending ISO-TP messages, legacy frames, the output sink."""

    sink = cython.declare(cython.int)
    out = cython.declare(object)
    rows = cython.declare(_BatchSink)  # ``out`` of a batch, typed (None otherwise)
    line = cython.declare(cython.Py_ssize_t)
    isotp = cython.declare(list)  # pending _Pending per ECU, oldest first; None until needed
    counted = cython.declare(object)  # headers-off multi-frame _Pending, or None
    legacy = cython.declare(dict)  # ecu -> list of frame payloads (insertion ordered)
    # Compiled build only: the same queue as ``isotp`` in C slots. ``order[:used]`` are
    # the slots in use, oldest first; ``buffers`` owns the slots' bytes (slot k has
    # buffers[k] once used). A 17th simultaneous message (only garbage does that) moves
    # the queue to ``isotp`` and sets ``slots_off`` for the rest of the run.
    used = cython.declare(cython.int)
    order = cython.declare(cython.int[16])
    slot = cython.declare(_Slot[16])
    buffers = cython.declare(list)
    slots_off = cython.declare(cython.bint)
    # Compiled batch only: a non-data line's raw text -> the Notice it made (logs repeat
    # ``NO DATA`` and friends); None until needed.
    notice_cache = cython.declare(dict)

    def __init__(self, sink, out):
        self.sink = sink
        self.out = out
        self.rows = out if sink == _SINK_BATCH else None
        self.line = 0
        self.isotp = None
        self.counted = None
        self.legacy = None
        self.used = 0
        self.buffers = None
        self.slots_off = False
        self.notice_cache = None

    def legacy_frame(self, ecu, data) -> None:
        if self.legacy is None:
            self.legacy = {}
        frames = self.legacy.get(ecu)
        if frames is None:
            self.legacy[ecu] = [data]
        else:
            frames.append(data)


# ============================================================================ ISO-TP slots
# Helpers of the compiled build's C-slot reassembly (Decoder._first_frame_slot). Indices
# into ``order`` ("positions") are below ``used``; slot numbers are below _SLOTS.


@cython.cfunc
def _find_slot(state: _RunState, ecu: cython.longlong) -> cython.int:
    """The queue position of ``ecu``'s message in reassembly, -1 if none."""
    k: cython.int
    for k in range(state.used):
        if state.slot[state.order[k]].ecu == ecu:
            return k
    return -1


@cython.cfunc
def _take_slot(state: _RunState) -> cython.int:
    """Puts a free slot at the end of the queue (the caller checked ``used < _SLOTS``)
    and returns its position; its buffer is allocated on its first use in the run."""
    number: cython.int = 0
    while state.slot[number].length != 0:  # a free slot exists: used < _SLOTS
        number += 1
    if state.buffers is None:
        state.buffers = []
    if number == len(state.buffers):  # slots are taken lowest first: the next new one
        buffer = bytearray(_SLOT_BYTES)
        state.buffers.append(buffer)
        state.slot[number].data = buffer
    state.order[state.used] = number
    state.used += 1
    return state.used - 1


@cython.cfunc
def _drop_slot(state: _RunState, position: cython.int) -> cython.void:
    """Frees the slot at ``position`` (its bytes stay readable until it is taken again)
    and closes the gap in the queue, like ``del isotp[index]``."""
    state.slot[state.order[position]].length = 0
    k: cython.int
    for k in range(position, state.used - 1):
        state.order[k] = state.order[k + 1]
    state.used -= 1


@cython.cfunc
def _slot_append(
    slot: cython.pointer(_Slot),
    seq: cython.int,
    data: cython.p_uchar,
    start: cython.Py_ssize_t,
    end: cython.Py_ssize_t,
) -> cython.void:
    """``_Pending.append`` for a slot: copies ``data[start:end]`` up to the announced
    length (so at most 4095 bytes: within the slot's 4096-byte buffer)."""
    k: cython.Py_ssize_t
    for k in range(start, min(end, start + slot.length - slot.received)):
        slot.data[slot.received] = data[k]
        slot.received += 1
    slot.next_seq = (seq + 1) & 0x0F
    slot.last_seq = seq


@cython.cfunc
def _slots_to_pendings(state: _RunState) -> cython.void:
    """Moves the queue from the C slots to ``_Pending`` objects, for the rest of the run."""
    pending: _Pending
    k: cython.int
    state.isotp = []  # (empty until now: the slots were in use)
    for k in range(state.used):
        slot: cython.pointer(_Slot) = cython.address(state.slot[state.order[k]])
        pending = _new_pending(slot.length, slot.next_seq)
        pending.ecu = slot.ecu
        pending.received = slot.received
        pending.last_seq = slot.last_seq
        pending.buffer[: slot.received] = slot.data[: slot.received]
        state.isotp.append(pending)
        slot.length = 0
    state.used = 0
    state.slots_off = True


# ============================================================================ the decoder


@cython.cclass
class Decoder:
    """Decodes what an ELM327 printed for one request.

    ``protocol``: ELM327 protocol number (``6``, ``"A6"``...); ``headers``: ``ATH1`` was
    set; ``caf``: CAN auto-formatting (``ATCAF1``, the default); ``table``: the PID table
    (:meth:`PidTable.standard` by default, extend it for manufacturer PIDs).
    Raises :class:`~obdcore.errors.ProtocolError` for a protocol that is not OBD-II.
    """

    family = cython.declare(cython.int, visibility="readonly")
    headers = cython.declare(cython.bint, visibility="readonly")
    caf = cython.declare(cython.bint, visibility="readonly")
    protocol = cython.declare(object, visibility="readonly")
    table = cython.declare(object, visibility="readonly")
    _pci = cython.declare(cython.bint)
    _can = cython.declare(cython.bint)
    _by_sid = cython.declare(list)  # response SID -> list of 256 _PidSpec or None, or None
    _dids = cython.declare(dict)  # DID -> _PidSpec (service 0x22)
    _columns = cython.declare(list)  # batch column index -> (name, unit)
    _names = cython.declare(tuple)  # the same, as Batch.names and Batch.units
    _units = cython.declare(tuple)
    _dtc_column = cython.declare(cython.int)  # batch columns of DTC_STORED/PENDING/PERMANENT
    _header_digits = cython.declare(cython.Py_ssize_t)  # CAN ID hex digits on a PCI line

    def __init__(self, protocol="6", headers=True, caf=True, table=None):
        self.protocol = protocol_number(protocol)
        self.family = protocol_family(self.protocol)
        self.headers = bool(headers)
        self.caf = bool(caf)
        self._can = self.family == CAN_11 or self.family == CAN_29
        # The adapter prints the ISO-TP PCI byte with headers on, or with CAF off.
        self._pci = self._can and (self.headers or not self.caf)
        self._header_digits = 0
        if self._pci and self.headers:
            self._header_digits = 3 if self.family == CAN_11 else 8
        self.table = table if table is not None else PidTable.standard()
        self._prepare_table(self.table)

    def _prepare_table(self, table) -> None:
        self._by_sid = [None] * 256
        self._dids = {}
        self._columns = []
        by_pid: dict = {}
        for field in table:
            by_pid.setdefault((field.mode, field.pid), []).append(field)
        for (mode, pid), fields in by_pid.items():
            spec = _PidSpec(
                fields[0].size, tuple(_FieldSpec(f) for f in fields), len(self._columns)
            )
            self._columns.extend((f.name, f.unit) for f in fields)
            if mode == 0x22:
                self._dids[pid] = spec
            else:
                if self._by_sid[0x40 + mode] is None:
                    self._by_sid[0x40 + mode] = [None] * 256
                self._by_sid[0x40 + mode][pid] = spec
        self._by_sid[0x42] = self._by_sid[0x41]  # Mode 02 freeze frames use Mode 01 PIDs
        self._dtc_column = len(self._columns)
        self._columns.extend((name, "dtc") for name in _DTC_NAMES.values())
        self._names = tuple(name for name, _ in self._columns)
        self._units = tuple(unit for _, unit in self._columns)

    # ------------------------------------------------------------------ public API

    def decode(self, raw, request=None) -> Response:
        """Decodes one answer (``bytes`` or ``str``; echo, prompt, spaces, CR/LF allowed).

        ``request``: the command sent (``"010C"``), so that its echo is recognised.
        Returns a :class:`Response`; never raises on bad input.
        """
        response: Response = Response.__new__(Response)
        response.readings = []
        response.notices = []
        response.negatives = []
        self._run(_as_bytes(raw), _normal_request(request), response, _SINK_DECODE, None)
        return response

    def messages(self, raw, request=None) -> tuple:
        """The complete ISO-TP / legacy messages in an answer, and the notices."""
        response = Response()
        out: list = []
        self._run(_as_bytes(raw), _normal_request(request), response, _SINK_MESSAGES, out)
        return out, response.notices

    def frames(self, raw, request=None) -> tuple:
        """The parsed lines (frames) of an answer, and the notices."""
        response = Response()
        out: list = []
        self._run(_as_bytes(raw), _normal_request(request), response, _SINK_FRAMES, out)
        return out, response.notices

    def decode_batch(self, raw):
        """Decodes a whole log of answers at once into columns (see :class:`Batch`)."""
        data: bytes = _as_bytes(raw)
        # About one row per 16 input bytes (a single-PID answer spends ~30 on one row):
        # rarely a reallocation, and an untouched tail costs no memory.
        sink = _BatchSink(self._columns, len(data) // 16 + 64)
        response = Response()
        self._run(data, None, response, _SINK_BATCH, sink)
        return sink.finish(response, self._names, self._units)

    # ------------------------------------------------------------------ lines

    @cython.cfunc
    def _run(self, raw: bytes, request, response: Response, sink: cython.int, out) -> cython.void:
        """Splits ``raw`` into lines and feeds each to the frame and message stages.

        One answer is cut at ``MAX_RESPONSE_BYTES``; a batch (a whole log) is not.
        """
        if sink != _SINK_BATCH and len(raw) > MAX_RESPONSE_BYTES:
            raw = raw[:MAX_RESPONSE_BYTES]
            response.notices.append(
                _s.Notice(Kind.RESPONSE_TOO_LONG, f"answer cut at {MAX_RESPONSE_BYTES} bytes", -1)
            )
        state: _RunState = _new_state(sink, out)
        if cython.compiled:
            self._scan_fast(raw, request, response, state)
        else:
            lines = raw.upper().translate(None, b"\x00>").replace(b"\r", b"\n").split(b"\n")
            line_number: cython.Py_ssize_t = -1
            for line in lines:
                line_number += 1
                state.line = line_number
                line = line.strip()
                if line:
                    self._line(line, request, response, state)
        self._finish(response, state)

    @cython.cfunc
    def _scan_fast(self, raw: bytes, request, response: Response, state: _RunState) -> cython.void:
        """The compiled build's line loop, inlined on purpose for speed: clean CAN lines
        (hex digits and spaces) are turned into frames straight from the buffer; any other
        line takes the general path (``_odd_line``, then ``_line`` exactly as the pure
        twin does)."""
        text: cython.p_uchar = raw
        classes: cython.p_uchar = _CHAR_CLASSES
        size: cython.Py_ssize_t = len(raw)
        nibbles = cython.declare(cython.uchar[257])  # _LINE_LIMIT + 1
        data = cython.declare(cython.uchar[129])  # _LINE_LIMIT // 2 + 1
        i: cython.Py_ssize_t = 0
        line_number: cython.Py_ssize_t = -1
        while i <= size:
            start: cython.Py_ssize_t = i
            line_number += 1
            state.line = line_number
            count: cython.Py_ssize_t = 0
            spaces: cython.Py_ssize_t = 0
            clean: cython.bint = request is None and self._can
            # One pass to the end of the line: hex digits become nibbles, spaces are
            # counted, NUL (clones after a reset) and the prompt are dropped; anything
            # else, or too many digits, sends the line to the general path.
            while clean and i < size:
                h: cython.int = classes[text[i]]
                if h < 16:  # the common case first: a hex digit
                    if count == _LINE_LIMIT:
                        clean = False
                        break
                    nibbles[count] = h
                    count += 1
                elif h == _C_SPACE:
                    spaces += 1
                elif h == _C_END:
                    break
                elif h != _C_DROP:
                    clean = False
                    break
                i += 1
            while i < size and text[i] != 13 and text[i] != 10:  # (only after a break)
                i += 1
            end: cython.Py_ssize_t = i
            i += 1
            # The general path strips the line: only digits and the spaces between them
            # count towards its length limit (counted again only when it could matter).
            if not clean or (
                count + spaces > _LINE_LIMIT and _stripped_length(text, start, end) > _LINE_LIMIT
            ):
                self._odd_line(raw[start:end], request, response, state)
                continue
            if count == 0:
                continue
            header: cython.Py_ssize_t = self._header_digits
            if not self._pci and count == 3:
                self._start_counted(_nibbles_value(nibbles, 0, 3), response, state)
                continue
            if (
                count < header + 2
                or (count - header) % 2 != 0
                or (not self._pci and nibbles[0] < 4 and state.sink != _SINK_FRAMES)
            ):
                # Malformed, or an echo: the general path words the notice.
                line = raw[start:end].upper().translate(None, b"\x00>").strip()
                self._line(line, request, response, state)
                continue
            ecu: cython.longlong = _nibbles_value(nibbles, 0, header) if header else -1
            k: cython.Py_ssize_t
            for k in range((count - header) // 2):  # hex digit pairs -> bytes
                data[k] = (nibbles[header + 2 * k] << 4) | nibbles[header + 2 * k + 1]
            nbytes: cython.Py_ssize_t = (count - header) // 2
            if state.sink == _SINK_FRAMES or not self._pci:
                self._frame(ecu, data[:nbytes], response, state)
            elif not (
                state.sink == _SINK_BATCH
                and self._batch_single_frame(ecu, data, nbytes, response, state)
            ):
                self._isotp(ecu, data, nbytes, response, state)

    @cython.cfunc
    @cython.exceptval(-1, check=False)  # -1: an exception (cheap to test)
    def _batch_single_frame(
        self,
        ecu: cython.longlong,
        data: cython.p_uchar,
        size: cython.Py_ssize_t,
        response: Response,
        state: _RunState,
    ) -> cython.bint:
        """Compiled batch shortcut for a classic single frame straight from the line
        buffer; False (nothing stored) sends the frame down the general path."""
        length: cython.Py_ssize_t = data[0] & 0x0F
        if data[0] >> 4 != 0 or length < 2 or length + 1 > size:
            return False
        return self._batch_message(ecu, data + 1, length, response, state)

    @cython.cfunc
    @cython.exceptval(-1, check=False)  # -1: an exception (cheap to test)
    def _batch_message(
        self,
        ecu: cython.longlong,
        payload: cython.p_uchar,
        size: cython.Py_ssize_t,
        response: Response,
        state: _RunState,
    ) -> cython.bint:
        """Batch: stores a numeric Mode 01 answer or a DTC list straight from the bytes,
        as ``_message`` would; False (nothing done) for any other message."""
        if self._batch_mode01(ecu, payload, size, state):
            return True
        sid: cython.int = payload[0]
        if (sid == 0x43 or sid == 0x47 or sid == 0x4A) and self._by_sid[sid] is None:
            self._dtc_rows(ecu, payload, size, response, state)
            return True
        return False

    @cython.cfunc
    @cython.exceptval(-1, check=False)  # -1: an exception (cheap to test)
    @cython.boundscheck(False)  # ``specs`` has 256 entries, indexed by a byte: in range
    @cython.wraparound(False)
    def _batch_mode01(
        self,
        ecu: cython.longlong,
        payload: cython.p_uchar,
        size: cython.Py_ssize_t,
        state: _RunState,
    ) -> cython.bint:
        """Batch: a Mode 01 answer whose PIDs are all numeric goes straight into the
        columns, the same rows ``_pids`` would store. Returns False, having stored nothing,
        for any other answer (structured PIDs, unknown PIDs, truncation)."""
        if payload[0] != 0x41:
            return False
        specs: list = self._by_sid[0x41]
        if specs is None:  # a table without Mode 01
            return False
        i: cython.Py_ssize_t = 1
        spec: _PidSpec
        while i < size:  # check the whole answer before storing anything
            found = specs[payload[i]]
            if found is None:
                return False
            spec = found
            if not spec.all_affine:
                return False
            i += 1 + spec.size
        if i != size:
            return False
        sink: _BatchSink = state.rows
        field: _FieldSpec
        i = 1
        while i < size:
            spec = specs[payload[i]]
            column: cython.int = spec.index
            for field in spec.fields:
                sink.add(state.line, ecu, 1, payload[i], -1, column, _affine(field, payload, i + 1))
                column += 1
            i += 1 + spec.size
        return True

    @cython.cfunc
    def _odd_line(self, text: bytes, request, response: Response, state: _RunState) -> cython.void:
        """The compiled scanner's general path for a line that is not clean hex (``text``
        as read). In a batch, a line that made nothing but a notice makes the very same
        notice object the next time it is seen: logs repeat ``NO DATA`` and friends."""
        cache: dict = state.notice_cache
        if cache is not None:
            notice = cache.get(text)
            if notice is not None:
                response.notices.append(notice)
                return
        line = text.upper().translate(None, b"\x00>").strip()
        if line and self._line(line, request, response, state) and state.sink == _SINK_BATCH:
            if cache is None:
                cache = state.notice_cache = {}
            if len(cache) < 1024:  # a bound for logs of garbage, all lines different
                cache[text] = response.notices[len(response.notices) - 1]

    @cython.cfunc
    def _line(self, line: bytes, request, response: Response, state: _RunState) -> cython.bint:
        """One stripped, upper-case line. True when all it did was add one notice that
        depends on nothing but the line (no request echo, no ISO-TP state)."""
        if len(line) > _LINE_LIMIT:
            _notice(response, Kind.LINE_TOO_LONG, line[:40] + b"...", -1)
            return True
        compact: bytes = line.replace(b" ", b"")
        if request is not None and compact == request:
            return False
        if not compact.translate(None, _HEX_DIGITS):
            self._hex_line(compact, line, response, state)
            return False
        if b"<" in line:  # "7E8 03 41 0D 00 <DATA ERROR": the bytes are unreliable
            _notice(response, Kind.RX_ERROR if b"RX" in line else Kind.DATA_ERROR, line, -1)
        elif not self._pci and self._can and _is_index_line(compact):
            self._index_line(compact, response, state)
            return False
        else:
            _notice(response, _classify(line), line, -1)
        return request is None

    @cython.cfunc
    def _hex_line(
        self, compact: bytes, line: bytes, response: Response, state: _RunState
    ) -> cython.void:
        size: cython.Py_ssize_t = len(compact)
        if self._pci:
            header: cython.Py_ssize_t = self._header_digits
            if size < header + 2 or (size - header) % 2 != 0:
                _notice(response, _classify(line), line, -1)
            else:
                ecu: cython.longlong = int(compact[:header], 16) if header else -1
                self._frame(ecu, _unhex(compact[header:]), response, state)
        elif self._can:
            if size == 3:  # headers off, CAF on: byte count of a multi-frame answer
                self._start_counted(int(compact, 16), response, state)
            elif size % 2 != 0:
                _notice(response, _classify(line), line, -1)
            elif compact[0] < 52 and state.sink != _SINK_FRAMES:
                # First byte under 0x40: no ECU answers with a request SID, it is an echo.
                _notice(response, Kind.ECHO, line, -1)
            else:
                self._frame(-1, _unhex(compact), response, state)
        else:
            self._legacy_frame(compact, line, response, state)

    @cython.cfunc
    def _frame(
        self, ecu: cython.longlong, data: bytes, response: Response, state: _RunState
    ) -> cython.void:
        """One CAN line's bytes: to the frame list, to ISO-TP, or (no PCI) a message."""
        if state.sink == _SINK_FRAMES:
            state.out.append(_s.Frame(ecu, data))
        elif self._pci:
            self._isotp(ecu, data, len(data), response, state)
        else:
            self._message(ecu, data, response, state)

    @cython.cfunc
    def _legacy_frame(
        self, compact: bytes, line: bytes, response: Response, state: _RunState
    ) -> cython.void:
        size: cython.Py_ssize_t = len(compact)
        if size % 2 != 0 or size < (10 if self.headers else 2):
            _notice(response, _classify(line), line, -1)
            return
        data = _unhex(compact)
        ecu: cython.longlong = -1
        if self.headers:
            if not _checksum_ok(data, self.family == J1850):
                _notice(response, Kind.CHECKSUM_ERROR, line, data[2])
                return
            ecu = data[2]
            data = data[3 : len(data) - 1]
        if state.sink == _SINK_FRAMES:
            state.out.append(_s.Frame(ecu, data))
        elif len(data) == 0 or data[0] < 0x40:
            _notice(response, Kind.ECHO, line, -1)
        else:
            state.legacy_frame(ecu, data)

    # ------------------------------------------------------------------ ISO-TP

    @cython.cfunc
    def _isotp(
        self,
        ecu: cython.longlong,
        data: cython.p_uchar,
        size: cython.Py_ssize_t,
        response: Response,
        state: _RunState,
    ) -> cython.void:
        """ISO 15765-2 reassembly, one state per full CAN ID. ``data`` is a frame of
        ``size`` bytes (a C buffer in the compiled build, ``bytes`` in the twin)."""
        kind: cython.int = data[0] >> 4
        if kind == 0:
            self._single_frame(ecu, data, size, response, state)
        elif kind == 1:
            if _COMPILED and not state.slots_off:
                self._first_frame_slot(ecu, data, size, response, state)
            else:
                self._first_frame(ecu, data, size, response, state)
        elif kind == 2:
            if _COMPILED and not state.slots_off:
                self._consecutive_frame_slot(ecu, data, size, response, state)
            else:
                self._consecutive_frame(ecu, data, size, response, state)
        elif kind != 3:  # 3 = flow control, sent by the tester side: nothing to decode
            _notice(response, Kind.ISOTP_BAD_FRAME, _hex_text(data[:size]), ecu)

    @cython.cfunc
    def _single_frame(
        self,
        ecu: cython.longlong,
        data: cython.p_uchar,
        size: cython.Py_ssize_t,
        response: Response,
        state: _RunState,
    ) -> cython.void:
        length: cython.Py_ssize_t = data[0] & 0x0F
        start: cython.Py_ssize_t = 1
        if length == 0 and size > 1:  # CAN FD escape: the length is in the next byte
            length = data[1]
            start = 2
        if length == 0 or start + length > size:
            _notice(response, Kind.ISOTP_BAD_FRAME, _hex_text(data[:size]), ecu)
            return
        self._message(ecu, data[start : start + length], response, state)

    @cython.cfunc
    def _first_frame(
        self,
        ecu: cython.longlong,
        data: cython.p_uchar,
        size: cython.Py_ssize_t,
        response: Response,
        state: _RunState,
    ) -> cython.void:
        if size < 3:
            _notice(response, Kind.ISOTP_BAD_FRAME, _hex_text(data[:size]), ecu)
            return
        length: cython.Py_ssize_t = ((data[0] & 0x0F) << 8) | data[1]
        pending: _Pending
        if state.isotp is None:
            state.isotp = []
        index: cython.Py_ssize_t = _find_pending(state.isotp, ecu)
        if index >= 0:
            pending = state.isotp[index]
            _incomplete(response, ecu, pending.received, pending.length)
        if length == 0:  # a 32-bit escape length: beyond any OBD answer
            _notice(response, Kind.ISOTP_BAD_FRAME, _hex_text(data[:size]), ecu)
            if index >= 0:
                del state.isotp[index]
            return
        pending = _new_pending(length, 1)
        pending.ecu = ecu
        if pending.append(0, data, 2, size):  # (the first frame carries no sequence number)
            if index >= 0:
                del state.isotp[index]
            self._complete(ecu, pending.buffer, length, response, state)
        elif index >= 0:
            state.isotp[index] = pending  # a restart keeps its place in the queue
        else:
            state.isotp.append(pending)

    @cython.cfunc
    def _consecutive_frame(
        self,
        ecu: cython.longlong,
        data: cython.p_uchar,
        size: cython.Py_ssize_t,
        response: Response,
        state: _RunState,
    ) -> cython.void:
        index: cython.Py_ssize_t = -1
        if state.isotp is not None:
            index = _find_pending(state.isotp, ecu)
        seq: cython.int = data[0] & 0x0F
        if index < 0:
            _notice(response, Kind.ISOTP_UNEXPECTED_FRAME, _hex_text(data[:size]), ecu)
            return
        pending: _Pending = state.isotp[index]
        if seq == pending.next_seq:
            if pending.append(seq, data, 1, size):
                del state.isotp[index]
                self._complete(ecu, pending.buffer, pending.length, response, state)
        elif seq == pending.last_seq:
            _notice(response, Kind.ISOTP_DUPLICATE_FRAME, _hex_text(data[:size]), ecu)
        else:
            del state.isotp[index]
            _notice(
                response,
                Kind.ISOTP_MISSING_FRAME,
                f"expected frame {pending.next_seq:X}, got {seq:X}: message dropped",
                ecu,
            )

    # The compiled build reassembles in the run state's C slots instead of _Pending objects:
    # the same queue, the same notices in the same order (the twin-equality tests and the
    # fuzz campaign compare the two), but no Python object per message.

    @cython.cfunc
    def _first_frame_slot(
        self,
        ecu: cython.longlong,
        data: cython.p_uchar,
        size: cython.Py_ssize_t,
        response: Response,
        state: _RunState,
    ) -> cython.void:
        """``_first_frame`` on the C slots (compiled build only)."""
        if size < 3:
            _notice(response, Kind.ISOTP_BAD_FRAME, _hex_text(data[:size]), ecu)
            return
        length: cython.Py_ssize_t = ((data[0] & 0x0F) << 8) | data[1]
        index: cython.int = _find_slot(state, ecu)
        if index >= 0:
            _incomplete(
                response,
                ecu,
                state.slot[state.order[index]].received,
                state.slot[state.order[index]].length,
            )
        if length == 0:  # a 32-bit escape length: beyond any OBD answer
            _notice(response, Kind.ISOTP_BAD_FRAME, _hex_text(data[:size]), ecu)
            if index >= 0:
                _drop_slot(state, index)
            return
        if index < 0:
            if state.used == _SLOTS:  # garbage: go on with _Pending objects for this run
                _slots_to_pendings(state)
                self._first_frame(ecu, data, size, response, state)
                return
            index = _take_slot(state)  # a restart (index >= 0) keeps its place in the queue
        slot: cython.pointer(_Slot) = cython.address(state.slot[state.order[index]])
        slot.ecu = ecu
        slot.length = length
        slot.received = 0
        _slot_append(slot, 0, data, 2, size)  # (the first frame carries no sequence number)
        if slot.received >= length:
            _drop_slot(state, index)
            self._complete(ecu, slot.data, length, response, state)

    @cython.cfunc
    def _consecutive_frame_slot(
        self,
        ecu: cython.longlong,
        data: cython.p_uchar,
        size: cython.Py_ssize_t,
        response: Response,
        state: _RunState,
    ) -> cython.void:
        """``_consecutive_frame`` on the C slots (compiled build only)."""
        index: cython.int = _find_slot(state, ecu)
        seq: cython.int = data[0] & 0x0F
        if index < 0:
            _notice(response, Kind.ISOTP_UNEXPECTED_FRAME, _hex_text(data[:size]), ecu)
            return
        slot: cython.pointer(_Slot) = cython.address(state.slot[state.order[index]])
        if seq == slot.next_seq:
            _slot_append(slot, seq, data, 1, size)
            if slot.received >= slot.length:
                length: cython.Py_ssize_t = slot.length
                _drop_slot(state, index)  # (the slot's bytes stay put until its next use)
                self._complete(ecu, slot.data, length, response, state)
        elif seq == slot.last_seq:
            _notice(response, Kind.ISOTP_DUPLICATE_FRAME, _hex_text(data[:size]), ecu)
        else:
            _drop_slot(state, index)
            _notice(
                response,
                Kind.ISOTP_MISSING_FRAME,
                f"expected frame {slot.next_seq:X}, got {seq:X}: message dropped",
                ecu,
            )

    @cython.cfunc
    def _complete(
        self,
        ecu: cython.longlong,
        payload: cython.p_uchar,
        size: cython.Py_ssize_t,
        response: Response,
        state: _RunState,
    ) -> cython.void:
        """A reassembled message of ``size`` bytes: a batch stores Mode 01 and DTC answers
        straight from the buffer, anything else is decoded from a bytes copy."""
        if state.sink == _SINK_BATCH and self._batch_message(ecu, payload, size, response, state):
            return
        if _COMPILED:
            self._message(ecu, payload[:size], response, state)  # (a C buffer: copied)
        else:
            self._message(ecu, bytes(payload), response, state)  # (a bytearray of ``size``)

    # ------------------------------------------------------------------ headers-off multi-frame

    @cython.cfunc
    def _start_counted(
        self, length: cython.Py_ssize_t, response: Response, state: _RunState
    ) -> cython.void:
        pending: _Pending = state.counted
        if pending is not None:
            _incomplete(response, -1, pending.received, pending.length)
        state.counted = _new_pending(length, 0) if length else None

    @cython.cfunc
    def _index_line(self, compact: bytes, response: Response, state: _RunState) -> cython.void:
        """``0:490201314731``: one indexed piece of a headers-off multi-frame answer."""
        colon: cython.Py_ssize_t = compact.index(b":")
        index: cython.int = int(compact[:colon], 16) & 0x0F
        data = _unhex(compact[colon + 1 :])
        if state.sink == _SINK_FRAMES:
            state.out.append(_s.Frame(-1, data))
            return
        if state.counted is None:
            _notice(response, Kind.ISOTP_UNEXPECTED_FRAME, compact, -1)
            return
        pending: _Pending = state.counted
        if index == pending.next_seq:
            if pending.append(index, data, 0, len(data)):
                state.counted = None
                self._complete(-1, pending.buffer, pending.length, response, state)
        else:
            state.counted = None
            _notice(
                response,
                Kind.ISOTP_MISSING_FRAME,
                f"expected line {pending.next_seq:X}:, got {index:X}:: message dropped",
                -1,
            )

    @cython.cfunc
    def _finish(self, response: Response, state: _RunState) -> cython.void:
        pending: _Pending
        k: cython.int
        if _COMPILED:  # (only one of the two queues is ever in use)
            for k in range(state.used):
                _incomplete(
                    response,
                    state.slot[state.order[k]].ecu,
                    state.slot[state.order[k]].received,
                    state.slot[state.order[k]].length,
                )
        if state.isotp:
            for pending in state.isotp:
                _incomplete(response, pending.ecu, pending.received, pending.length)
        if state.counted is not None:
            pending = state.counted
            _incomplete(response, -1, pending.received, pending.length)
        if state.legacy:
            for ecu, frames in state.legacy.items():
                for payload in _assemble_legacy(frames):
                    self._message(ecu, payload, response, state)

    # ------------------------------------------------------------------ messages

    @cython.cfunc
    def _message(
        self, ecu: cython.longlong, payload: bytes, response: Response, state: _RunState
    ) -> cython.void:
        if state.sink == _SINK_MESSAGES:
            state.out.append(_s.Message(ecu, payload))
            return
        sid: cython.int = payload[0]
        if state.sink == _SINK_BATCH and self._batch_mode01(ecu, payload, len(payload), state):
            return
        specs = self._by_sid[sid]
        if sid == 0x49:
            self._mode09(ecu, payload, response, state)
        elif specs is not None:
            self._pids(ecu, payload, sid, specs, response, state)
        elif sid == 0x43 or sid == 0x47 or sid == 0x4A:
            self._dtcs(ecu, payload, response, state)
        elif sid == 0x44:
            self._emit(ecu, 0x04, -1, "CLEAR_DTC", True, "", -1, -1, response, state)
        elif sid == 0x46 and self._can:
            self._mode06(ecu, payload, response, state)
        elif sid == 0x62:
            self._did(ecu, payload, response, state)
        elif sid == 0x7F:
            self._negative(ecu, payload, response)
        else:
            _notice(response, Kind.UNDECODED, _hex_text(payload), ecu)

    @cython.cfunc
    def _pids(
        self,
        ecu: cython.longlong,
        payload: bytes,
        sid: cython.int,
        specs: list,
        response: Response,
        state: _RunState,
    ) -> cython.void:
        """``41 0C 1A F8 0D 20``: one or several PIDs, each followed by its bytes (Mode 02:
        by the frame number too)."""
        size: cython.Py_ssize_t = len(payload)
        i: cython.Py_ssize_t = 1
        freeze: cython.bint = sid == 0x42
        frame: cython.int = -1
        while i < size:
            pid: cython.int = payload[i]
            start: cython.Py_ssize_t = i + 1
            if freeze:
                if start >= size:
                    _notice(response, Kind.TRUNCATED, _hex_text(payload), ecu)
                    return
                frame = payload[start]
                start += 1
            spec = specs[pid]
            if spec is None:
                _notice(
                    response,
                    Kind.UNKNOWN_PID,
                    f"service {sid - 0x40:02X} PID {pid:02X}: {_hex_text(payload[i:])}",
                    ecu,
                )
                return
            pid_spec: _PidSpec = spec
            if start + pid_spec.size > size:
                _notice(response, Kind.TRUNCATED, _hex_text(payload), ecu)
                return
            self._fields(ecu, sid - 0x40, pid, frame, pid_spec, payload, start, response, state)
            i = start + pid_spec.size

    @cython.cfunc
    def _fields(
        self,
        ecu: cython.longlong,
        service: cython.int,
        pid: cython.int,
        frame: cython.int,
        spec: _PidSpec,
        payload: bytes,
        start: cython.Py_ssize_t,
        response: Response,
        state: _RunState,
    ) -> cython.void:
        field: _FieldSpec
        column: cython.int = spec.index
        for field in spec.fields:
            if field.kind == _AFFINE:
                value = _affine(field, payload, start)
            elif field.kind == _FORMULA:
                value = field.func(payload[start : start + spec.size])
            else:
                value = field.func(payload[start : start + spec.size], pid)
            self._emit(
                ecu, service, pid, field.name, value, field.unit, frame, column, response, state
            )
            column += 1

    @cython.cfunc
    def _emit(
        self,
        ecu: cython.longlong,
        service: cython.int,
        pid: cython.int,
        name,
        value,
        unit,
        frame: cython.int,
        column: cython.int,
        response: Response,
        state: _RunState,
    ) -> cython.void:
        if state.sink == _SINK_BATCH and column >= 0 and type(value) is float:
            sink: _BatchSink = state.rows
            sink.add(state.line, ecu, service, pid, frame, column, value)
            return
        reading: Reading = Reading.__new__(Reading)
        reading.ecu = ecu
        reading.service = service
        reading.pid = pid
        reading.name = name
        reading.value = value
        reading.unit = unit
        reading.frame = frame
        response.readings.append(reading)

    @cython.cfunc
    def _dtcs(
        self, ecu: cython.longlong, payload: bytes, response: Response, state: _RunState
    ) -> cython.void:
        """Mode 03/07/0A. CAN: a count byte then pairs; legacy: pairs padded with 0000."""
        sid: cython.int = payload[0]
        if state.sink == _SINK_BATCH:
            self._dtc_rows(ecu, payload, len(payload), response, state)
            return
        if self._can:
            if len(payload) < 2:
                _notice(response, Kind.TRUNCATED, _hex_text(payload), ecu)
                return
            count: cython.Py_ssize_t = payload[1]
            keys = _dtc_keys(payload, 2, count, False)
            if len(keys) < count:
                _notice(
                    response, Kind.TRUNCATED, f"{count} DTCs announced, {len(keys)} received", ecu
                )
        else:
            keys = _dtc_keys(payload, 1, len(payload), True)
        self._emit(
            ecu, sid - 0x40, -1, _DTC_NAMES[sid], _dtc_strings(keys), "", -1, -1, response, state
        )

    @cython.cfunc
    def _dtc_rows(
        self,
        ecu: cython.longlong,
        payload: cython.p_uchar,
        size: cython.Py_ssize_t,
        response: Response,
        state: _RunState,
    ) -> cython.void:
        """Batch ``_dtcs``: one row per code, the code's 16 bits as value, written straight
        from the message bytes (no list of codes); the same codes and notices."""
        sid: cython.int = payload[0]
        sink: _BatchSink = state.rows
        column: cython.int = self._dtc_column + (0 if sid == 0x43 else 1 if sid == 0x47 else 2)
        i: cython.Py_ssize_t = 1
        count: cython.Py_ssize_t = size  # legacy: as many as there are pairs
        found: cython.Py_ssize_t = 0
        if self._can:
            if size < 2:
                _notice(response, Kind.TRUNCATED, _hex_text(payload[:size]), ecu)
                return
            count = payload[1]
            i = 2
        while i + 1 < size and found < count:
            key: cython.int = (payload[i] << 8) | payload[i + 1]
            i += 2
            if self._can or key != 0:  # legacy answers pad with 0000
                sink.add(state.line, ecu, sid - 0x40, -1, -1, column, key)
                found += 1
        if self._can and found < count:
            _notice(response, Kind.TRUNCATED, f"{count} DTCs announced, {found} received", ecu)

    @cython.cfunc
    def _mode06(
        self, ecu: cython.longlong, payload: bytes, response: Response, state: _RunState
    ) -> cython.void:
        """``46 MID TID UASID VV VV MN MN MX MX ...``; MIDs 00, 20... are bitmaps."""
        size: cython.Py_ssize_t = len(payload)
        i: cython.Py_ssize_t = 1
        tests: list = []
        while i < size:
            mid: cython.int = payload[i]
            if mid % 0x20 == 0:
                if i + 5 > size:
                    break
                self._flush_tests(ecu, tests, response, state)
                self._emit(
                    ecu,
                    6,
                    mid,
                    f"MIDS_{mid + 1:02X}_{mid + 0x20:02X}",
                    _s.bitmap(payload[i + 1 : i + 5], mid),
                    "",
                    -1,
                    -1,
                    response,
                    state,
                )
                i += 5
                continue
            if i + 9 > size:
                break
            if tests and tests[-1].mid != mid:
                self._flush_tests(ecu, tests, response, state)
            tests.append(
                _s.monitor_test(
                    mid,
                    payload[i + 1],
                    payload[i + 2],
                    (
                        (payload[i + 3] << 8) | payload[i + 4],
                        (payload[i + 5] << 8) | payload[i + 6],
                        (payload[i + 7] << 8) | payload[i + 8],
                    ),
                )
            )
            i += 9
        self._flush_tests(ecu, tests, response, state)
        if i < size:
            _notice(response, Kind.TRUNCATED, _hex_text(payload), ecu)

    @cython.cfunc
    def _flush_tests(
        self, ecu: cython.longlong, tests: list, response: Response, state: _RunState
    ) -> cython.void:
        if tests:
            mid = tests[0].mid
            self._emit(ecu, 6, mid, _s.monitor_name(mid), tuple(tests), "", -1, -1, response, state)
            tests.clear()

    @cython.cfunc
    def _mode09(
        self, ecu: cython.longlong, payload: bytes, response: Response, state: _RunState
    ) -> cython.void:
        """``49 PID [count] data``: CAN answers carry an item count, except the bitmaps
        and the message counts; legacy answers were joined without their sequence bytes."""
        if len(payload) < 3:
            _notice(response, Kind.TRUNCATED, _hex_text(payload), ecu)
            return
        pid: cython.int = payload[1]
        specs = self._by_sid[0x49]
        spec = specs[pid] if specs is not None else None
        if spec is None:
            _notice(
                response, Kind.UNKNOWN_PID, f"service 09 PID {pid:02X}: {_hex_text(payload)}", ecu
            )
            return
        pid_spec: _PidSpec = spec
        field: _FieldSpec = pid_spec.fields[0]
        start: cython.Py_ssize_t = 2
        if self._can and pid % 0x20 != 0 and pid_spec.size != 1:
            start = 3
        data = payload[start:]
        if len(data) < pid_spec.size and not field.variable:  # counters: older ECUs send fewer
            _notice(response, Kind.TRUNCATED, _hex_text(payload), ecu)
            return
        if field.text:
            value = _ascii_text(data)
        elif field.kind == _SPECIAL:
            value = field.func(data, pid)
        elif field.kind == _AFFINE:
            value = _affine(field, data, 0)
        else:
            value = field.func(data)
        self._emit(ecu, 9, pid, field.name, value, field.unit, -1, pid_spec.index, response, state)

    @cython.cfunc
    def _did(
        self, ecu: cython.longlong, payload: bytes, response: Response, state: _RunState
    ) -> cython.void:
        """UDS ReadDataByIdentifier answer ``62 DID DID data``."""
        if len(payload) < 3:
            _notice(response, Kind.TRUNCATED, _hex_text(payload), ecu)
            return
        did: cython.int = (payload[1] << 8) | payload[2]
        spec = self._dids.get(did)
        if spec is None:
            self._emit(ecu, 0x22, did, f"DID_{did:04X}", payload[3:], "", -1, -1, response, state)
            return
        pid_spec: _PidSpec = spec
        if 3 + pid_spec.size > len(payload):
            _notice(response, Kind.TRUNCATED, _hex_text(payload), ecu)
            return
        self._fields(ecu, 0x22, did, -1, pid_spec, payload, 3, response, state)

    @cython.cfunc
    def _negative(self, ecu: cython.longlong, payload: bytes, response: Response) -> cython.void:
        if len(payload) < 3:
            _notice(response, Kind.TRUNCATED, _hex_text(payload), ecu)
            return
        nrc: cython.int = payload[2]
        response.negatives.append(_s.NegativeResponse(ecu, payload[1], nrc, _s.nrc_meaning(nrc)))


def _assemble_legacy(frames: list) -> list:
    """Legacy protocols send one line per 7 bytes, without ISO-TP: DTC lines are joined
    after the mode byte, Mode 09 lines ordered by their sequence byte and joined after
    ``49 PID SEQ``; anything else is one message per line."""
    sid = frames[0][0]
    if sid in (0x43, 0x47, 0x4A):
        return [bytes([sid]) + b"".join(f[1:] for f in frames if f[0] == sid)]
    if sid == 0x49:
        by_pid: dict = {}
        for frame in frames:
            if len(frame) >= 3 and frame[0] == 0x49:
                by_pid.setdefault(frame[1], []).append(frame)
        return [
            bytes([0x49, pid]) + b"".join(f[3:] for f in sorted(group, key=lambda f: f[2]))
            for pid, group in by_pid.items()
        ]
    return list(frames)


# ============================================================================ helpers


@cython.cfunc
@cython.inline
@cython.exceptval(check=False)  # arithmetic only: it cannot raise
def _affine(field: _FieldSpec, payload: cython.p_uchar, start: cython.Py_ssize_t) -> cython.double:
    """``raw * scale + offset`` over ``nbytes`` big-endian bytes (two's complement if signed)."""
    raw: cython.longlong = 0
    k: cython.int
    at: cython.Py_ssize_t = start + field.start
    for k in range(field.nbytes):
        raw = (raw << 8) | payload[at + k]
    if field.signed and raw >= (cython.cast(cython.longlong, 1) << (8 * field.nbytes - 1)):
        raw -= cython.cast(cython.longlong, 1) << (8 * field.nbytes)
    return cython.cast(cython.double, raw) * field.scale + field.offset


# The specials whose value is ``structured.ascii_text(data)``: decoded by _ascii_text.
_TEXT_SPECIALS = ("vin", "ascii")


@cython.cfunc
def _ascii_text(data: bytes) -> str:
    """``structured.ascii_text`` without its three Python calls (through the special's
    lambda): logs hold many VINs. A property test pins the two equal."""
    return data.strip(b"\x00").decode("ascii", "replace")


@cython.cfunc
def _as_bytes(raw) -> bytes:
    if type(raw) is bytes:
        return raw
    if isinstance(raw, str):
        return raw.encode("latin-1", "replace")
    return bytes(raw)


@cython.cfunc
def _normal_request(request):
    if request is None:
        return None
    return _as_bytes(request).upper().replace(b" ", b"").strip()


# The compiled line scanner's table: byte -> hex digit value (0-15), or a class.
_C_SPACE = cython.declare(cython.int, 16)
_C_DROP = cython.declare(cython.int, 17)  # NUL and the prompt '>': removed from lines
_C_END = cython.declare(cython.int, 18)  # CR, LF: end of line
_C_OTHER = cython.declare(cython.int, 255)  # anything else: not a clean hex line


def _char_class(byte: int) -> int:
    char = chr(byte)
    if char in "0123456789ABCDEFabcdef":
        return int(char, 16)
    return {" ": _C_SPACE, "\x00": _C_DROP, ">": _C_DROP, "\r": _C_END, "\n": _C_END}.get(
        char, _C_OTHER
    )


_CHAR_CLASSES: bytes = bytes(_char_class(b) for b in range(256))


@cython.cfunc
def _stripped_length(
    text: cython.p_uchar, start: cython.Py_ssize_t, end: cython.Py_ssize_t
) -> cython.Py_ssize_t:
    """A clean line's length once NUL and '>' are removed and it is stripped: its hex
    digits and the spaces between the first and the last of them."""
    classes: cython.p_uchar = _CHAR_CLASSES
    length: cython.Py_ssize_t = 0
    pending: cython.Py_ssize_t = 0
    j: cython.Py_ssize_t
    for j in range(start, end):
        h: cython.int = classes[text[j]]
        if h < 16:
            length += pending + 1
            pending = 0
        elif h == _C_SPACE and length:
            pending += 1
    return length


@cython.cfunc
def _nibbles_value(
    nibbles: cython.p_uchar, start: cython.Py_ssize_t, count: cython.Py_ssize_t
) -> cython.longlong:
    value: cython.longlong = 0
    k: cython.Py_ssize_t
    for k in range(start, start + count):
        value = (value << 4) | nibbles[k]
    return value


@cython.cfunc
def _new_state(sink: cython.int, out) -> _RunState:
    state: _RunState = _RunState.__new__(_RunState)
    state.sink = sink
    state.out = out
    state.rows = out if sink == _SINK_BATCH else None
    state.line = 0
    state.isotp = None
    state.counted = None
    state.legacy = None
    # The compiled build's own fields (slots, notice cache) start zeroed and None from
    # __new__; the twin never reads them (every read is behind _COMPILED).
    return state


@cython.cfunc
def _unhex(compact: bytes) -> bytes:
    return bytes.fromhex(compact.decode("ascii"))


def _hex_text(data) -> str:
    return bytes(data).hex(" ").upper()


@cython.cfunc
def _is_index_line(compact: bytes) -> cython.bint:
    colon = compact.find(b":")
    return (
        0 < colon <= 2
        and len(compact) > colon + 1
        and (len(compact) - colon - 1) % 2 == 0
        and not compact.replace(b":", b"", 1).translate(None, _HEX_DIGITS)
    )


def _classify(line: bytes):
    """An adapter message's kind; ``UNPARSEABLE`` for anything unknown (garbage)."""
    for prefix, kind in ADAPTER_MESSAGES:
        if line.startswith(prefix):
            if kind == Kind.ERROR_CODE and not line[3:].strip().isdigit():
                break
            return kind
    if line.startswith(b"BUS INIT"):
        return Kind.BUS_INIT_ERROR if b"ERROR" in line else Kind.BUS_INIT
    if line.startswith(b"AT") or line.startswith(b"ST"):
        return Kind.ECHO
    return Kind.UNPARSEABLE


@cython.cfunc
def _notice(response: Response, kind, text, ecu) -> cython.void:
    if isinstance(text, bytes):
        text = text.decode("latin-1")
    # tuple.__new__ skips NamedTuple's Python-level constructor: same object, faster.
    response.notices.append(_NEW_TUPLE(_s.Notice, (kind, text, ecu)))


_NEW_TUPLE = tuple.__new__
# Every DTC code string, built on first use: DTC lists are long and frequent.
_DTC_TABLE: list = [None] * 65536


@cython.cfunc
def _dtc_keys(
    payload: bytes, start: cython.Py_ssize_t, most: cython.Py_ssize_t, skip_zero: cython.bint
) -> list:
    """Up to ``most`` 16-bit codes from byte pairs at ``start`` (``0000`` skipped if asked)."""
    keys: list = []
    i: cython.Py_ssize_t = start
    size: cython.Py_ssize_t = len(payload)
    while i + 1 < size and len(keys) < most:
        key: cython.int = (payload[i] << 8) | payload[i + 1]
        i += 2
        if not (skip_zero and key == 0):
            keys.append(key)
    return keys


@cython.cfunc
def _dtc_strings(keys: list) -> tuple:
    codes: list = []
    for key in keys:
        code = _DTC_TABLE[key]
        if code is None:
            code = _s.dtc_code(key >> 8, key & 0xFF)
            _DTC_TABLE[key] = code
        codes.append(code)
    return tuple(codes)


@cython.cfunc
def _incomplete(
    response: Response, ecu: cython.longlong, received: cython.Py_ssize_t, length: cython.Py_ssize_t
) -> cython.void:
    _notice(response, Kind.ISOTP_INCOMPLETE, f"{received} of {length} bytes received", ecu)


def _checksum_ok(data: bytes, crc: bool) -> bool:
    """Legacy frames end with a check byte: SAE J1850 CRC-8, or the ISO 9141/14230 sum."""
    body, check = data[:-1], data[-1]
    if crc:
        return j1850_crc(body) == check
    return sum(body) & 0xFF == check


def j1850_crc(body: bytes) -> int:
    """SAE J1850 CRC-8: polynomial 0x1D, initial value 0xFF, result inverted."""
    crc = 0xFF
    for byte in body:
        crc ^= byte
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1D) & 0xFF if crc & 0x80 else (crc << 1) & 0xFF
    return crc ^ 0xFF
