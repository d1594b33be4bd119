"""Decode speed: obdcore (compiled, pure twin, batch) against python-obd, same corpus,
same run. Prints answers/s for each and the ratios. Plain script: ``python
benchmarks/decode_speed.py [--size N] [--repeat R] [--clock wall|cpu]``.

``--clock cpu`` times with the process's CPU time instead of the wall clock: on a machine
shared with other jobs, the wall clock also counts the time spent waiting for a core,
which swamps the differences worth measuring.

python-obd is timed doing what it does for each answer: build frames from the lines with
its CAN protocol, then decode with the command (the same values obdcore returns). For a
multi-PID answer it decodes the single-PID answers it would have had to poll instead.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import obd  # noqa: E402
from obd.protocols import ISO_15765_4_11bit_500k  # noqa: E402

from benchmarks.decode_corpus import corpus  # noqa: E402
from obdcore.protocol import _core as pure  # noqa: E402

try:
    from obdcore.protocol import _ccore as compiled  # noqa: E402
except ImportError:
    compiled = None


CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}
clock = time.perf_counter


def best_of(repeat: int, function) -> float:
    """The shortest of ``repeat`` timings of ``function()`` (least disturbed by the rest)."""
    timings = []
    for _ in range(repeat):
        start = clock()
        function()
        timings.append(clock() - start)
    return min(timings)


def python_obd_runner(items):
    protocol = ISO_15765_4_11bit_500k(["7E8 06 41 00 BE 3F A8 13", "7E9 06 41 00 98 18 80 01"])
    work = [
        (item.raw, lines_and_commands)
        for item in items
        for lines_and_commands in [item.python_obd_items]
    ]

    def run():
        for _raw, pairs in work:
            for lines, command in pairs:
                command(protocol(lines))

    return run


def obdcore_runner(module, items):
    decoder = module.Decoder("6", headers=True)
    raws = [item.raw for item in items]

    def run():
        decode = decoder.decode
        for raw in raws:
            decode(raw)

    return run


def batch_runner(module, items):
    decoder = module.Decoder("6", headers=True)
    blob = b"\r".join(item.raw for item in items)

    def run():
        decoder.decode_batch(blob)

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--clock", choices=sorted(CLOCKS), default="wall")
    args = parser.parse_args()
    global clock
    clock = CLOCKS[args.clock]
    logging.getLogger("obd").setLevel(logging.CRITICAL)
    items = corpus(args.size)
    kinds = {}
    for item in items:
        kinds[item.kind] = kinds.get(item.kind, 0) + 1
    print(f"corpus: {len(items)} answers: " + ", ".join(f"{k} {v}" for k, v in kinds.items()))
    baseline = best_of(args.repeat, python_obd_runner(items))
    rows = [("python-obd 0.7.3", baseline)]
    if compiled is not None:
        rows.append(("obdcore compiled", best_of(args.repeat, obdcore_runner(compiled, items))))
        rows.append(
            ("obdcore compiled, batch", best_of(args.repeat, batch_runner(compiled, items)))
        )
    else:
        print("(compiled accelerator not built: compiled rows skipped)")
    rows.append(("obdcore pure twin", best_of(args.repeat, obdcore_runner(pure, items))))
    rows.append(("obdcore pure twin, batch", best_of(args.repeat, batch_runner(pure, items))))
    print(f"{'decoder':28} {'answers/s':>12} {'us/answer':>10} {'vs python-obd':>14}")
    for name, seconds in rows:
        print(
            f"{name:28} {len(items) / seconds:12,.0f} {seconds / len(items) * 1e6:10.2f} "
            f"{baseline / seconds:13.1f}x"
        )
    if compiled is not None:
        _polling_log(items, args.repeat)
    print(f"python {sys.version.split()[0]}, obd {obd.__version__}, {args.clock} clock")


def _polling_log(items, repeat: int) -> None:
    """The batch API's own use: replaying a polling log (Mode 01 answers only, single and
    multi-PID, one or two ECUs), python-obd again as the peer."""
    polling = [i for i in items if i.kind in ("single PID", "multi-PID", "two ECUs")]
    baseline = best_of(repeat, python_obd_runner(polling))
    batch = best_of(repeat, batch_runner(compiled, polling))
    print(
        f"polling log ({len(polling)} answers): python-obd {len(polling) / baseline:,.0f}/s, "
        f"obdcore compiled batch {len(polling) / batch:,.0f}/s: {baseline / batch:.1f}x"
    )


if __name__ == "__main__":
    main()
