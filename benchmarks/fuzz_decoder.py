"""Fuzz campaign: random and mutated adapter output against the compiled decoder.

Every input goes through ``decode`` (and every 8th through ``frames``, ``messages`` and
``decode_batch``) of the compiled module in one of several adapter formats; any exception
is a failure (the decoder documents none for bad input). Every 10th input is also run
through the pure-Python twin, ``decode`` and ``decode_batch``, and the results compared.
Besides single answers, inputs include whole logs (answers joined, their lines shuffled,
then mutated) and crowds of ECUs answering at once with interleaved multi-frame answers
(more than the compiled build's ISO-TP slots). Prints the counts; exits 1 on any failure.
``python benchmarks/fuzz_decoder.py [--count N] [--seed S]``.
"""

from __future__ import annotations

import argparse
import math
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.decode_corpus import corpus  # noqa: E402
from obdcore.protocol import _ccore as compiled  # noqa: E402
from obdcore.protocol import _core as pure  # noqa: E402
from obdcore.protocol.isotp import can_answer_lines  # noqa: E402

FORMATS = [
    ("6", True, True),
    ("6", False, True),
    ("6", False, False),
    ("7", True, True),
    ("8", True, False),
    ("3", True, True),
    ("2", True, True),
    ("5", False, True),
]
ALPHABET = b"0123456789ABCDEF :\r\n>\x00?<ENODATSRCHIGUFLXZ7E8"
LEGACY_SEEDS = [
    b"48 6B 10 41 0C 1A F8 22\r\r>",
    b"41 6B 10 43 01 33 00 00 00 00 9C\r\r>",
    b"014\r0: 49 02 01 57 50 30\r1: 5A 5A 5A 39 39 5A 54\r2: 53 33\r\r>",
]


def mutate(rng: random.Random, seed: bytes) -> bytes:
    data = bytearray(seed)
    for _ in range(rng.randint(1, 8)):
        position = rng.randint(0, len(data))
        action = rng.randrange(6)
        if action == 0 and data:
            del data[min(position, len(data) - 1)]
        elif action == 1:
            data.insert(position, rng.choice(ALPHABET))
        elif action == 2 and data:
            data[min(position, len(data) - 1)] = rng.randrange(256)
        elif action == 3:
            data[position:position] = data[rng.randint(0, len(data)) :][: rng.randint(1, 40)]
        elif action == 4:
            del data[position:]
        else:
            data += bytes(rng.choice(ALPHABET) for _ in range(rng.randint(1, 30)))
    return bytes(data)


def log(rng: random.Random, seeds: list[bytes]) -> bytes:
    """Several answers joined, some of their lines shuffled: frames of different answers
    and ECUs interleave, repeated notices."""
    lines = b"\r".join(rng.choice(seeds) for _ in range(rng.randint(2, 12))).split(b"\r")
    for _ in range(rng.randint(0, len(lines))):
        i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
        lines[i], lines[j] = lines[j], lines[i]
    return b"\r".join(lines)


def crowd(rng: random.Random) -> bytes:
    """12 to 24 ECUs answering at once with multi-frame answers, frames interleaved."""
    ecus = rng.sample(range(0x700, 0x800), rng.randint(12, 24))
    streams = [
        can_answer_lines(
            ecu, bytes([rng.choice([0x41, 0x43, 0x49, 0x62])]) + rng.randbytes(rng.randint(6, 40))
        )
        for ecu in ecus
    ]
    lines = []
    while any(streams):
        lines.append(rng.choice([s for s in streams if s]).pop(0))
    return "\r".join(lines).encode()


def make_input(rng: random.Random, seeds: list[bytes]) -> bytes:
    kind = rng.randrange(10)
    if kind == 0:
        return rng.randbytes(rng.randint(0, 200))
    if kind == 1:
        return bytes(rng.choice(ALPHABET) for _ in range(rng.randint(0, 200)))
    if kind == 2:  # an endless line or an endless multi-frame answer
        return b"7E8 10 FF 49 02 01 " + b"41 " * rng.randint(100, 3000)
    if kind == 3:
        return mutate(rng, log(rng, seeds)) if rng.randrange(2) else log(rng, seeds)
    if kind == 4 and rng.randrange(4) == 0:
        return mutate(rng, crowd(rng)) if rng.randrange(2) else crowd(rng)
    return mutate(rng, rng.choice(seeds))


def normal(value):
    """A comparable form: NaN equal to NaN, tuples element-wise."""
    if isinstance(value, float) and math.isnan(value):
        return "nan"
    if isinstance(value, tuple):
        return tuple(normal(v) for v in value)
    return value


def summary(response):
    return ([normal(r.as_tuple()) for r in response.readings], response.notices, response.negatives)


def batch_summary(batch):
    return (
        [
            column.tolist()
            for column in (
                batch.line,
                batch.ecu,
                batch.service,
                batch.pid,
                batch.frame,
                batch.field,
            )
        ],
        [normal(v) for v in batch.value.tolist()],
        [normal(r.as_tuple()) for r in batch.objects],
        batch.notices,
        batch.negatives,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    seeds = [item.raw for item in corpus(300, seed=args.seed)] + LEGACY_SEEDS
    decoders = [
        (compiled.Decoder(p, headers=h, caf=c), pure.Decoder(p, headers=h, caf=c))
        for p, h, c in FORMATS
    ]
    failures, compared, started = [], 0, time.perf_counter()
    for n in range(args.count):
        raw = make_input(rng, seeds)
        fast, twin = decoders[n % len(decoders)]
        try:
            result = fast.decode(raw)
            if n % 8 == 0:
                fast.frames(raw), fast.messages(raw), fast.decode_batch(raw)
            if n % 10 == 0:
                compared += 1
                if summary(result) != summary(twin.decode(raw)):
                    failures.append((n, raw, "compiled and pure twin differ"))
                elif batch_summary(fast.decode_batch(raw)) != batch_summary(twin.decode_batch(raw)):
                    failures.append((n, raw, "compiled and pure twin batches differ"))
        except Exception as exc:  # noqa: BLE001 - any exception is what we hunt for
            failures.append((n, raw, repr(exc)))
    elapsed = time.perf_counter() - started
    print(
        f"fuzzed {args.count:,} inputs in {elapsed:.1f} s against the compiled decoder, "
        f"{compared:,} also compared with the pure twin (decode and batch): "
        f"{len(failures)} failures"
    )
    for n, raw, why in failures[:10]:
        print(f"  #{n}: {why}: {raw[:120]!r}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
