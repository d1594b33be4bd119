"""Property tests: the compiled accelerator and the pure-Python twin return identical
results on arbitrary input, neither raises on any input, and encode/decode round-trip."""

import math
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from obdcore import PidTable
from obdcore.protocol import _core
from obdcore.protocol.isotp import can_answer_lines
from obdcore.protocol.pidtable import encode_pid
from tests.obdcore.conftest import BUILDS
from tests.obdcore.logs import formatted_logs

needs_both = pytest.mark.skipif(
    "compiled" not in BUILDS,
    reason="compares the two builds; this run uses the pure twin only (NOVAEVO_PUREPYTHON)",
)

FORMATS = [
    ("6", True, True),
    ("6", False, True),
    ("6", False, False),
    ("7", True, True),
    ("3", True, True),
    ("1", True, True),
    ("5", False, True),
]
SEED_ANSWERS = [
    "7E8 04 41 0C 1A F8 00 00 00",
    "7E8 10 14 49 02 01 57 50 30\r7E8 21 5A 5A 5A 39 39 5A 54\r7E8 22 53 33 39 30 30 30 30",
    "7E8 06 43 02 01 33 02 44\r7E9 02 43 00",
    "014\r0: 49 02 01 57 50 30\r1: 5A 5A 5A 39 39 5A 54\r2: 53 33 39 30 30 30 30",
    "48 6B 10 41 0C 1A F8 22",
    "NO DATA",
    "7E8 03 7F 22 78",
    "7E8 0A 46 01 01 0A 0D 55 00 00",
    "18 DA F1 10 03 41 0D 42",
    "SEARCHING...\r7E8 03 41 0D 32 <DATA ERROR",
]
ALPHABET = b"0123456789ABCDEFabcdef :\r\n> \x00?<ENODATSRCHIGUFLXZ"


def normal(value):
    """A comparable form: NaN equal to NaN, containers element-wise."""
    if isinstance(value, float) and math.isnan(value):
        return "nan"
    if isinstance(value, tuple):
        return tuple(normal(v) for v in value)
    if isinstance(value, dict):
        return {k: normal(v) for k, v in value.items()}
    return value


def summary(response):
    return (
        [normal(r.as_tuple()) for r in response.readings],
        list(response.notices),
        list(response.negatives),
    )


def batch_summary(batch):
    """Everything a Batch holds, comparable (NaN equal to NaN)."""
    return (
        {
            column: getattr(batch, column).tolist()
            for column in ("line", "ecu", "service", "pid", "frame", "field")
        },
        [normal(v) for v in batch.value.tolist()],
        [normal(r.as_tuple()) for r in batch.objects],
        batch.notices,
        batch.negatives,
        batch.names,
        batch.units,
    )


@st.composite
def adapter_text(draw):
    """Random bytes, text from the adapter's alphabet, or a mutated real answer."""
    choice = draw(st.integers(0, 2))
    if choice == 0:
        return draw(st.binary(max_size=300))
    if choice == 1:
        return bytes(draw(st.lists(st.sampled_from(ALPHABET), max_size=300)))
    raw = bytearray(draw(st.sampled_from(SEED_ANSWERS)).encode())
    for _ in range(draw(st.integers(1, 6))):
        position = draw(st.integers(0, len(raw)))
        action = draw(st.integers(0, 3))
        if action == 0 and raw:
            del raw[min(position, len(raw) - 1)]
        elif action == 1:
            raw.insert(position, draw(st.sampled_from(ALPHABET)))
        elif action == 2 and raw:
            raw[min(position, len(raw) - 1)] = draw(st.integers(0, 255))
        else:
            raw += raw[position : position + draw(st.integers(0, 30))]
    return bytes(raw)


@needs_both
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw=adapter_text(), fmt=st.sampled_from(FORMATS))
def test_twins_decode_identically(raw, fmt):
    protocol, headers, caf = fmt
    compiled = BUILDS["compiled"].Decoder(protocol, headers=headers, caf=caf)
    pure = _core.Decoder(protocol, headers=headers, caf=caf)
    assert summary(compiled.decode(raw)) == summary(pure.decode(raw))
    assert compiled.frames(raw) == pure.frames(raw)
    assert compiled.messages(raw) == pure.messages(raw)


@needs_both
@settings(max_examples=150, deadline=None)
@given(raws=st.lists(adapter_text(), max_size=12), fmt=st.sampled_from(FORMATS))
def test_twins_batch_identically(raws, fmt):
    protocol, headers, caf = fmt
    blob = b"\r".join(raws)
    ours = BUILDS["compiled"].Decoder(protocol, headers=headers, caf=caf).decode_batch(blob)
    theirs = _core.Decoder(protocol, headers=headers, caf=caf).decode_batch(blob)
    assert batch_summary(ours) == batch_summary(theirs)


@needs_both
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=formatted_logs())
def test_twins_agree_on_damaged_logs(case):
    """CAN and legacy logs: interleaved multi-frame answers of many ECUs (the compiled C-slot
    reassembly, its overflow to _Pending objects), DTC rows, repeated notices (the batch
    notice cache), lost and repeated frames, garbage: every API, the same results."""
    (protocol, headers, caf), log = case
    compiled = BUILDS["compiled"].Decoder(protocol, headers=headers, caf=caf)
    pure = _core.Decoder(protocol, headers=headers, caf=caf)
    assert batch_summary(compiled.decode_batch(log)) == batch_summary(pure.decode_batch(log))
    assert summary(compiled.decode(log)) == summary(pure.decode(log))
    messages = compiled.messages(log)
    assert messages == pure.messages(log)
    assert all(type(message.payload) is bytes for message in messages[0])
    assert compiled.frames(log) == pure.frames(log)


# Around the 256-character line limit: the compiled scanner counts digits and spaces in
# one pass and measures the stripped line only when the two could pass the limit.
LONG_LINES = [
    " " * 300 + "7E8 03 41 0D 32",
    "7E8 03 41 0D 32" + " " * 300 + "\x00>",
    "7E8 03 41" + " " * 300 + "0D 32",
    "7E8 " + "10 FF " + "41 " * 82,
    "7E8 " + "1" * 252 + " " * 10,
    "7E8" + "0" * 253,
    "7E8" + "0" * 254,
    "7E8 " + " \x00" * 200 + "03 41 0D 32",
    ">" * 300 + "7E8 03 41 0D 32",
]


@needs_both
@pytest.mark.parametrize("line", LONG_LINES, ids=range(len(LONG_LINES)))
def test_twins_agree_on_long_lines(line):
    compiled, pure = BUILDS["compiled"].Decoder("6"), _core.Decoder("6")
    log = f"{line}\r7E8 03 41 0D 33\r{line}"
    assert summary(compiled.decode(log)) == summary(pure.decode(log))
    assert compiled.frames(log) == pure.frames(log)
    assert batch_summary(compiled.decode_batch(log)) == batch_summary(pure.decode_batch(log))


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)  # the module is stateless
@given(raw=adapter_text(), fmt=st.sampled_from(FORMATS))
def test_no_input_raises(core, raw, fmt):
    protocol, headers, caf = fmt
    decoder = core.Decoder(protocol, headers=headers, caf=caf)
    response = decoder.decode(raw)
    assert isinstance(response.readings, list) and isinstance(response.notices, list)
    decoder.decode(raw.decode("latin-1"))
    decoder.decode_batch(raw)


AFFINE_FIELDS = [
    f
    for f in PidTable.standard()
    if f.mode == 1 and f.compiled is not None and f.compiled.affine is not None
]


@pytest.mark.parametrize("field", AFFINE_FIELDS, ids=lambda f: f.name)
def test_decode_of_encode_round_trips(can, field):
    affine = field.compiled.affine
    rng = random.Random(field.name)
    fields = PidTable.standard().fields(1, field.pid)
    for value in [field.minimum, field.maximum] + [
        rng.uniform(field.minimum, field.maximum) for _ in range(50)
    ]:
        data = encode_pid(fields, {field.name: value})
        text = "\r".join(can_answer_lines(0x7E8, bytes([0x41, field.pid]) + data))
        decoded = can.decode(text).value(field.name)
        assert abs(decoded - value) <= abs(affine.scale) / 2 + 1e-9
        # And exactly: the decoded value encodes back to the very same bytes.
        assert encode_pid(fields, {field.name: decoded}) == data


@given(data=st.binary(max_size=40))
def test_text_specials_decode_as_the_structured_module_does(data):
    """The decoder reads VINs and other ASCII items itself (no Python call per VIN):
    exactly what the structured module's specials return."""
    from obdcore.protocol import structured

    for special in _core._TEXT_SPECIALS:
        assert _core._ascii_text(data) == structured.SPECIAL[special](data, 0x02)
