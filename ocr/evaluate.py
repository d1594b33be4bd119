"""Evaluation command: synthetic cards (fixed seed), clean scans and phone photos.

    python -m ocr.evaluate --cards 200 --engine paddle [--json out.json]

For every field it reports the exact-match rate and the character error rate (CER),
separately for clean scans and degraded photos, plus the critical-field and all-field
averages, the error rate of MRZ-confirmed fields, the share of wrong values that were not
flagged as uncertain, and the per-card read time. Fields the card leaves empty are not
scored (a value read there is counted as "spurious").
"""

from __future__ import annotations

import argparse
import io
import json
import re
import statistics
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from PIL import ImageFilter
from rapidfuzz.distance import Levenshtein

from ocr import synth
from ocr.errors import OcrError
from ocr.fields import CRITICAL_CODES, FIELDS
from ocr.pipeline import CardReader


def norm(text: str) -> str:
    """Comparison form: uppercase, single spaces."""
    return re.sub(r"\s+", " ", (text or "").upper()).strip()


@dataclass
class Tally:
    """Counts for one condition (clean or degraded)."""

    exact: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    total: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    edits: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    chars: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    confirmed: int = 0
    confirmed_wrong: int = 0
    wrong: int = 0
    wrong_unflagged: int = 0
    spurious: int = 0
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    seconds: list[float] = field(default_factory=list)
    needs_review: int = 0
    cards: int = 0

    def add(self, truth: dict[str, str], result, elapsed: float) -> None:
        self.cards += 1
        self.seconds.append(elapsed)
        if result is not None and result.status != "ok":
            self.needs_review += 1
        for code, expected in truth.items():
            got = result.fields.get(code) if result is not None else None
            text = norm(got.text) if got is not None else ""
            if not expected:
                self.spurious += bool(text)
                continue
            expected = norm(expected)
            ok = text == expected
            self.total[code] += 1
            self.exact[code] += ok
            self.edits[code] += Levenshtein.distance(text, expected)
            self.chars[code] += len(expected)
            if got is not None and got.source == "both":
                self.confirmed += 1
                self.confirmed_wrong += not ok
            if not ok:
                self.wrong += 1
                self.wrong_unflagged += got is not None and not got.uncertain

    def rate(self, codes) -> float:
        codes = [c for c in codes if self.total[c]]
        return sum(self.exact[c] / self.total[c] for c in codes) / max(len(codes), 1)

    def summary(self) -> dict[str, Any]:
        codes = [c for c in FIELDS if self.total[c]]
        secs = sorted(self.seconds)
        return {
            "cards": self.cards,
            "errors": dict(self.errors),
            "critical_exact": self.rate(CRITICAL_CODES),
            "all_exact": self.rate(codes),
            "min_field_exact": min((self.exact[c] / self.total[c] for c in codes), default=0),
            "fields": {c: {"exact": self.exact[c] / self.total[c],
                           "cer": self.edits[c] / max(self.chars[c], 1)} for c in codes},
            "mrz_confirmed": self.confirmed,
            "mrz_confirmed_wrong_rate": self.confirmed_wrong / max(self.confirmed, 1),
            "wrong_values": self.wrong,
            "wrong_not_flagged": self.wrong_unflagged,
            "spurious_values": self.spurious,
            "needs_review_rate": self.needs_review / max(self.cards, 1),
            "p50_s": statistics.median(secs) if secs else None,
            "p95_s": secs[min(len(secs) - 1, int(0.95 * len(secs)))] if secs else None,
        }


def clean_scan(card: synth.Card, rng: np.random.Generator) -> bytes:
    """A flatbed scan: the card with a slight blur, saved as a high-quality JPEG or PNG."""
    image = card.image.filter(ImageFilter.GaussianBlur(float(rng.uniform(0.0, 0.6))))
    buf = io.BytesIO()
    if rng.random() < 0.5:
        image.save(buf, "PNG")
    else:
        image.save(buf, "JPEG", quality=92)
    return buf.getvalue()


def _read(reader: CardReader, data: bytes, tally: Tally):
    start = time.perf_counter()
    try:
        result = reader.read(data)
    except OcrError as exc:
        tally.errors[exc.kind] += 1
        result = None
    return result, time.perf_counter() - start


def run(cards: int, seed: int, engine: str, progress: bool = True) -> dict[str, Any]:
    """Generates ``cards`` cards from ``seed``, reads each as a scan and as a photo."""
    reader = CardReader(engine)
    clean, degraded = Tally(), Tally()
    for i in range(cards):
        rng = np.random.default_rng(seed + i)
        card = synth.make_card(rng)
        result, elapsed = _read(reader, clean_scan(card, rng), clean)
        clean.add(card.truth, result, elapsed)
        result, elapsed = _read(reader, synth.photograph(card.image, rng), degraded)
        degraded.add(card.truth, result, elapsed)
        if progress:
            print(f"\r{i + 1}/{cards} cards", end="", file=sys.stderr, flush=True)
    if progress:
        print(file=sys.stderr)
    return {"engine": engine, "seed": seed, "clean": clean.summary(),
            "degraded": degraded.summary()}


def report(results: dict[str, Any]) -> str:
    """Formats ``run`` results as a plain-text table."""
    clean, degraded = results["clean"], results["degraded"]
    lines = [f"engine {results['engine']}, {clean['cards']} cards, seed {results['seed']}",
             f"{'field':8} {'clean exact':>11} {'CER':>7} {'photo exact':>11} {'CER':>7}"]
    for code in clean["fields"]:
        c, d = clean["fields"][code], degraded["fields"].get(code, {"exact": 0, "cer": 1})
        star = "*" if code in CRITICAL_CODES else " "
        lines.append(f"{code + star:8} {c['exact']:11.1%} {c['cer']:7.2%} {d['exact']:11.1%} "
                     f"{d['cer']:7.2%}")
    for name, key in (("critical fields (mean exact)", "critical_exact"),
                      ("all fields (mean exact)", "all_exact"),
                      ("worst field exact", "min_field_exact"),
                      ("MRZ-confirmed fields wrong", "mrz_confirmed_wrong_rate"),
                      ("cards needing review", "needs_review_rate")):
        lines.append(f"{name:30} clean {clean[key]:7.2%}   photo {degraded[key]:7.2%}")
    for name, key in (("MRZ-confirmed field count", "mrz_confirmed"),
                      ("wrong values", "wrong_values"),
                      ("wrong values not flagged", "wrong_not_flagged"),
                      ("spurious values", "spurious_values")):
        lines.append(f"{name:30} clean {clean[key]:7d}   photo {degraded[key]:7d}")
    lines.append(f"{'typed errors':30} clean {clean['errors']}   photo {degraded['errors']}")
    lines.append(f"{'read time p50 / p95 (s)':30} clean {clean['p50_s']:.2f} / "
                 f"{clean['p95_s']:.2f}   photo {degraded['p50_s']:.2f} / {degraded['p95_s']:.2f}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cards", type=int, default=100)
    parser.add_argument("--seed", type=int, default=20240)
    parser.add_argument("--engine", choices=("paddle", "rapid"), default="paddle")
    parser.add_argument("--json", help="also write the full results to this file")
    args = parser.parse_args(argv)
    results = run(args.cards, args.seed, args.engine)
    print(report(results))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(results, fh, indent=2)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
