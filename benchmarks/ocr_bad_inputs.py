"""Bad inputs: the typed result each one gets and how long it takes (warm engine).

python benchmarks/ocr_bad_inputs.py [--engine onnx]

The time is wall time and, in brackets, this process's CPU time (the steadier figure on a
shared machine).
"""

from __future__ import annotations

import argparse
import io
import struct
import sys
import tempfile
import time
import zlib
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ocr import synth  # noqa: E402
from ocr.engines import DEFAULT_ENGINE  # noqa: E402
from ocr.errors import OcrError  # noqa: E402
from ocr.pipeline import CardReader  # noqa: E402


def _encode(image: Image.Image, fmt: str) -> bytes:
    buf = io.BytesIO()
    image.save(buf, fmt)
    return buf.getvalue()


def _bomb(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0" * (width + 1) * 4))
        + chunk(b"IEND", b"")
    )


def cases(tmp: Path) -> dict[str, bytes | Path]:
    rng = np.random.default_rng(1)
    card = synth.make_card(np.random.default_rng(2))
    jpeg = _encode(card.image, "JPEG")
    huge = tmp / "huge.png"
    Image.new("1", (12_000, 8_400)).save(huge)
    noise = rng.normal(128, 40, (900, 1200, 3)).clip(0, 255).astype(np.uint8)
    return {
        "not an image (PDF bytes)": b"%PDF-1.4 not a photo" * 50,
        "truncated JPEG": jpeg[: len(jpeg) // 2],
        "100-megapixel PNG": huge,
        "decompression bomb (3.6 Gpx PNG)": _bomb(60_000, 60_000),
        "blank white": _encode(Image.new("RGB", (1200, 900), "white"), "PNG"),
        "black": _encode(Image.new("RGB", (1200, 900), "black"), "PNG"),
        "sensor noise": _encode(Image.fromarray(noise), "JPEG"),
        "photo of something else (receipt)": _encode(synth.make_non_card(rng), "JPEG"),
        "card from another country (DE)": _encode(synth.make_foreign_card(rng).image, "PNG"),
        "upside-down French card": _encode(card.image.rotate(180), "PNG"),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--engine", default=DEFAULT_ENGINE)
    args = parser.parse_args()
    reader = CardReader(args.engine)
    with tempfile.TemporaryDirectory() as tmp:
        for name, data in cases(Path(tmp)).items():
            start, start_cpu = time.perf_counter(), time.process_time()
            try:
                outcome = f"ok ({reader.read(data).status})"
            except OcrError as exc:
                outcome = f"{exc.kind}: {exc}"
            wall, cpu = time.perf_counter() - start, time.process_time() - start_cpu
            print(f"{name:36} {wall:6.2f} s ({cpu:5.2f} s CPU)  {outcome[:80]}")


if __name__ == "__main__":
    main()
