"""Timing knobs as data: how long an exchange takes on a real adapter and car.

In *fast* mode nothing waits, but the simulated clock still advances by the modelled
duration of every exchange, so the car's drive cycle progresses as a client polls and the
answers stay deterministic. In *realistic* mode the adapter also delays its output by
that duration and the car follows wall time.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Timing:
    """Durations in seconds; ``baud`` of the serial link (10 bits per byte)."""

    realistic: bool = False
    baud: int = 38400
    engine_latency_s: float = 0.025  # first answer after a request, engine ECU
    other_latency_s: float = 0.040  # transmission and other ECUs
    latency_jitter_s: float = 0.010
    consecutive_frame_s: float = 0.0012  # one ISO-TP consecutive frame incl. STmin
    legacy_byte_s: float = 0.001  # 10.4 kbaud legacy buses, about 1 ms per byte
    legacy_latency_s: float = 0.045  # P2 of ISO 9141 / KWP ECUs
    at_command_s: float = 0.002
    reset_s: float = 1.0  # ATZ
    warm_start_s: float = 0.3  # ATWS
    search_s: float = 1.2  # ATSP0 first request, CAN found
    bus_init_s: float = 2.6  # ISO 9141 / KWP 5-baud init
    stall_s: float = 5.0  # the ``stall`` link fault
    monitor_frame_s: float = 0.02  # ATMA: one broadcast frame every 20 ms

    def serial_s(self, nbytes: int) -> float:
        """Time to move ``nbytes`` over the serial link."""
        return nbytes * 10.0 / self.baud


FAST = Timing(realistic=False)
REALISTIC = Timing(realistic=True)
