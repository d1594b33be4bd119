"""The interpreter never raises and always comes back to a prompt, whatever it is fed."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.firmware_sim.helpers import make_firmware

_COMMANDS = st.sampled_from(
    [
        b"ATZ",
        b"ATE0",
        b"ATH1",
        b"ATS0",
        b"ATL1",
        b"ATCAF0",
        b"ATSP0",
        b"ATSP3",
        b"ATSH7E0",
        b"ATSH18DA10F1",
        b"ATCRA7EX",
        b"ATMA",
        b"ATST01",
        b"ATAT0",
        b"0100",
        b"0902",
        b"010C0D",
        b"03",
        b"04",
        b"06A1",
        b"0200",
        b"1",
        b"",
        b"ST",
        b"STI",
    ]
)
_CHUNKS = st.lists(
    st.one_of(st.binary(max_size=40), _COMMANDS.map(lambda c: c + b"\r")), max_size=25
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    chunks=_CHUNKS,
    adapter=st.sampled_from(["elm327", "stn", "clone"]),
    protocol=st.sampled_from(["6", "7", "3", "1"]),
)
def test_never_raises_and_returns_to_a_prompt(
    chunks: list[bytes], adapter: str, protocol: str
) -> None:
    fw = make_firmware(adapter=adapter, protocol=protocol, faults=("misfire:1@0.5",))
    now = 0.0
    for chunk in chunks:
        now += 0.5
        fw.feed(chunk, now)
        fw.poll(now + 0.4)
    out = fw.feed(b"\r", now + 1.0) + fw.poll(now + 30.0)
    if not out.endswith(b">"):  # a repeated ATMA is streaming: any key stops it
        out = fw.feed(b" ", now + 31.0)
    assert out.endswith(b">")
    answer = fw.feed(b"ATI\r", now + 40.0) + fw.poll(now + 50.0)
    assert fw.adapter.identity.encode() in answer and answer.endswith(b">")
