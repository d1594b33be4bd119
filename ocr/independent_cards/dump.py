"""Write an evaluation set of independent cards (and photos of them) to a folder.

    python -m ocr.independent_cards.dump OUT --seeds 1000000-1000099 --layout current \
        --conditions plain,skew,random

writes OUT/<layout>-<seed>.png (the clean card), OUT/<layout>-<seed>-<condition>.png or
.jpg (the photos) and OUT/truth.jsonl, one line per image: {"file", "layout", "seed",
"condition" (null for the clean card), "truth" (code -> value), "applied" (null or the
degradation's dict)}.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from . import CONDITIONS, LAYOUTS, degrade, generate_card


def parse_seeds(text: str) -> list[int]:
    """'5', '0-99' or '1,4,9-12' -> the list of seeds."""
    seeds: list[int] = []
    for part in text.split(","):
        lo, _, hi = part.strip().partition("-")
        start = int(lo)
        end = int(hi) if hi else start
        if end < start:
            raise argparse.ArgumentTypeError(f"empty seed range {part!r}")
        seeds.extend(range(start, end + 1))
    return seeds


def parse_conditions(text: str) -> list[str]:
    """'all', '' (clean cards only) or a comma-separated list of CONDITIONS."""
    if text == "all":
        return list(CONDITIONS)
    names = [c for c in text.split(",") if c]
    unknown = sorted(set(names) - set(CONDITIONS))
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown conditions {unknown}; known: {CONDITIONS}")
    return names


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the number of images written."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--seeds", type=parse_seeds, default=parse_seeds("0-9"))
    ap.add_argument("--layout", choices=LAYOUTS + ("both",), default="both")
    ap.add_argument("--conditions", type=parse_conditions, default=parse_conditions("all"))
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    layouts = LAYOUTS if args.layout == "both" else (args.layout,)
    written = 0
    with open(args.out / "truth.jsonl", "w", encoding="utf-8") as index:
        for layout in layouts:
            for seed in args.seeds:
                card, truth = generate_card(seed, layout=layout)
                name = f"{layout}-{seed}.png"
                card.save(args.out / name)
                rows = [(name, None, None)]
                for condition in args.conditions:
                    photo, applied = degrade(card, seed, condition=condition)
                    if isinstance(photo, bytes):
                        photo_name = f"{layout}-{seed}-{condition}.jpg"
                        (args.out / photo_name).write_bytes(photo)
                    else:
                        photo_name = f"{layout}-{seed}-{condition}.png"
                        photo.save(args.out / photo_name)
                    rows.append((photo_name, condition, applied))
                for file, condition, applied in rows:
                    record = {
                        "file": file,
                        "layout": layout,
                        "seed": seed,
                        "condition": condition,
                        "truth": truth,
                        "applied": applied,
                    }
                    index.write(json.dumps(record, ensure_ascii=False) + "\n")
                    written += 1
    return written


if __name__ == "__main__":
    print(f"{main()} images written")
