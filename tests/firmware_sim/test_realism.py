"""The healthy small petrol car against real recordings of a healthy 2014 Toyota Etios
(three carOBD files copied into tests/firmware_sim/data/carobd, with their attribution):
medians within 10 % and overlapping inter-quartile ranges on the steady signals.
``benchmarks/sim_realism.py`` compares every signal against every recording."""

from __future__ import annotations

from pathlib import Path

from firmware_sim.realism import (
    compare,
    gear_ratios,
    real_samples,
    simulated_samples,
    speed_traces,
    table,
)

DATA = Path(__file__).parent / "data" / "carobd"
# The signals whose three-file subset is representative of the whole set (idle load and
# idle catalyst temperature of these three files sit above the 49-file medians: the
# benchmark compares those against everything).
STEADY = (
    "idle rpm",
    "MAP at idle (kPa)",
    "STFT warm (%)",
    "timing at cruise (deg)",
    "catalyst at cruise (C)",
    "module voltage warm (V)",
)


def test_the_healthy_small_petrol_car_looks_like_the_real_one() -> None:
    real = real_samples(DATA)
    sim = simulated_samples(cars=2, idle_s=600, traces=speed_traces(real))
    rows = {row.signal: row for row in compare(real, sim)}
    missed = [name for name in STEADY if not rows[name].ok]
    assert not missed, table([rows[name] for name in missed])


def test_the_gear_ratios_read_off_the_recording_are_the_small_petrol_cars() -> None:
    from firmware_sim.profiles import PROFILES

    ratios = PROFILES["small_petrol"].gear_rpm_per_kmh
    for found in gear_ratios(real_samples(DATA)):
        # Every steady-driving cluster of the recording is one of the car's gears.
        assert min(abs(found - r) / r for r in ratios[1:]) < 0.05, (found, ratios)
