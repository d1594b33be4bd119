"""Speed of the registration-card reader: cold start and per-card latency, both engines.

    python benchmarks/ocr_speed.py [--cards 30]

Cold start = a fresh Python process importing the package, loading the engine and reading
one card (interpreter start-up excluded); CLI cold start = the whole ``python -m novaevo
ocr PHOTO --json`` command, interpreter start-up included, wall and CPU (user + system).
Latency = warm reads of generated cards, half clean scans and half phone photos; p50 and
p95 of the wall time and of the CPU time per read (all threads; on a shared machine the
CPU time is the steadier figure). The engines (``--engines``, default ``onnx,paddle``: the
default engine and, as the peer, the PaddleOCR pipeline the reader used before) run in
the same process and read each card in turn (and the cold starts alternate), so that the
load of a shared machine affects them alike; the ratios against the last one are printed.
Threads: the product's setting (``NOVAEVO_OCR_THREADS``, default the CPU count).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ocr import synth  # noqa: E402
from ocr.evaluate import clean_scan  # noqa: E402

COLD = """
import sys, time
t = time.perf_counter()
from ocr.pipeline import CardReader
reader = CardReader(sys.argv[1])
reader.read(sys.argv[2])
print(time.perf_counter() - t)
"""


def samples(cards: int, seed: int) -> list[bytes]:
    out = []
    for i in range(cards):
        rng = np.random.default_rng(seed + i)
        card = synth.make_card(rng)
        out.append(clean_scan(card.image, rng) if i % 2 == 0 else synth.photograph(card.image, rng))
    return out


def cold_start(engines: tuple[str, ...], path: str, runs: int) -> dict[str, list[float]]:
    """Fresh-process cold starts, alternating engines so that load drift hits both alike."""
    root = str(Path(__file__).resolve().parents[1])
    env = dict(os.environ, PYTHONPATH=root)
    times: dict[str, list[float]] = {e: [] for e in engines}
    for _ in range(runs):
        for engine in engines:
            out = subprocess.run(
                [sys.executable, "-c", COLD, engine, path],
                capture_output=True,
                text=True,
                env=env,
                check=True,
            )
            times[engine].append(float(out.stdout.strip().splitlines()[-1]))
    return times


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def cli_cold_start(path: str, runs: int) -> tuple[list[float], list[float]]:
    """Wall and CPU times of the whole ``novaevo ocr PHOTO --json`` command, fresh process."""
    root = str(Path(__file__).resolve().parents[1])
    env = dict(os.environ, PYTHONPATH=root)
    times, cpu = [], []
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), _children_cpu()
        subprocess.run(
            [sys.executable, "-m", "novaevo", "ocr", path, "--json"],
            cwd=root,
            capture_output=True,
            env=env,
            check=False,
        )
        times.append(time.perf_counter() - start)
        cpu.append(_children_cpu() - start_cpu)
    return times, cpu


def warm(
    engines: tuple[str, ...], data: list[bytes]
) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """Warm per-card wall and CPU times; the engines read each card in turn (interleaved)."""
    from ocr.errors import OcrError
    from ocr.pipeline import CardReader

    readers = {e: CardReader(e) for e in engines}
    for reader in readers.values():
        reader.read(data[0])  # first inference allocates ONNX Runtime buffers
    times: dict[str, list[float]] = {e: [] for e in engines}
    cpu: dict[str, list[float]] = {e: [] for e in engines}
    for item in data:
        for engine, reader in readers.items():
            start, start_cpu = time.perf_counter(), time.process_time()
            try:
                reader.read(item)
            except OcrError:
                pass
            times[engine].append(time.perf_counter() - start)
            cpu[engine].append(time.process_time() - start_cpu)
    return times, cpu


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cards", type=int, default=30)
    parser.add_argument("--cold-runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=777)
    parser.add_argument("--engines", default="onnx,paddle", help="the last one is the peer")
    args = parser.parse_args()
    data = samples(args.cards, args.seed)
    with tempfile.NamedTemporaryFile(suffix=".jpg", delete=False) as fh:
        fh.write(data[1])
    print(f"cpu cores: {os.cpu_count()}, load average at start: {os.getloadavg()[0]:.2f}")
    engines = tuple(args.engines.split(","))
    cold = cold_start(engines, fh.name, args.cold_runs)
    cli, cli_cpu = cli_cold_start(fh.name, args.cold_runs)
    print(
        f"novaevo ocr cold start (whole command): median {statistics.median(cli):.2f} s "
        f"(runs: {', '.join(f'{c:.2f}' for c in cli)}), CPU median "
        f"{statistics.median(cli_cpu):.2f} s"
    )
    lat, cpu = warm(engines, data)
    figures = {}
    for engine in engines:
        figures[engine] = (
            statistics.median(cold[engine]),
            pct(lat[engine], 0.5),
            pct(lat[engine], 0.95),
            pct(cpu[engine], 0.5),
            pct(cpu[engine], 0.95),
        )
        print(
            f"{engine:7} cold start median {figures[engine][0]:.2f} s (runs: "
            f"{', '.join(f'{c:.2f}' for c in cold[engine])}); per card p50 "
            f"{figures[engine][1]:.2f} s, p95 {figures[engine][2]:.2f} s; CPU per read p50 "
            f"{figures[engine][3]:.2f} s, p95 {figures[engine][4]:.2f} s over "
            f"{len(lat[engine])} cards"
        )
    peer = engines[-1]
    p = figures[peer]
    for engine in engines[:-1]:
        r = figures[engine]
        print(
            f"{engine} / {peer} ratio: cold {r[0] / p[0]:.2f}x, p50 {r[1] / p[1]:.2f}x, "
            f"p95 {r[2] / p[2]:.2f}x, CPU per read p50 {r[3] / p[3]:.2f}x, p95 {r[4] / p[4]:.2f}x"
        )
    print(f"load average at end: {os.getloadavg()[0]:.2f}")
    os.unlink(fh.name)


if __name__ == "__main__":
    main()
