"""Same seed, same drive, same bytes; another seed, other bytes."""

from __future__ import annotations

from tests.firmware_sim.helpers import make_firmware

SESSION = [
    b"ATZ",
    b"ATE0",
    b"ATH1",
    b"ATSP0",
    b"0100",
    b"010C0D05",
    b"0902",
    b"03",
    b"ATRV",
    b"010C",
    b"",
    b"0600",
    b"06A3",
    b"ATS0",
    b"0120",
    b"07",
    b"04",
    b"0101",
]


def _run(
    seed: int,
    faults: tuple[str, ...] = ("misfire:2@0.7", "garbage@0.3", "stall@0.2"),
    adapter: str = "elm327",
) -> bytes:
    fw = make_firmware(faults=faults, seed=seed, adapter=adapter)
    out = bytearray()
    for step, command in enumerate(SESSION):
        if step % 4 == 3:
            fw.advance(97.3)
        out += fw.feed(command + b"\r", step * 10.0)
        out += fw.poll(step * 10.0 + 9.0)
    return bytes(out)


def test_same_seed_same_bytes() -> None:
    assert _run(3) == _run(3)
    assert _run(3, (), "clone") == _run(3, (), "clone")


def test_another_seed_other_bytes() -> None:
    assert _run(3) != _run(4)
