"""Fits the confidence calibration (``ocr/data/calibration.json``) on development reads.

    python -m ocr.evaluate --source synth --conditions clean,photo --seed 300 --cards 12 \\
        --json dev_synth.json
    python -m ocr.evaluate --source independent --conditions clean,photo --seed 300 \\
        --cards 12 --json dev_independent.json
    python -m ocr.calibrate dev_synth.json dev_independent.json

Only development seeds may be used (``ocr.evaluate.DEV_SEEDS``, which map to the
independent generator's development seeds below 1,000,000 too; the script refuses
others). Reads of both generators are used: fitted on one generator only, the confidence
learnt that generator's look (18 % of the values reported sure were wrong on the other
one); the held-out seeds of both stay unseen. The model is a logistic regression of "the
value is exactly right" on the features of ``ocr.calibration.features``. Two safety
margins follow, both fitted on the same development reads:

- a bias shift, so that among values scored >= 0.9 at most ``TARGET_WRONG`` (0.5 %, half
  the 1 % goal, leaving room for new data) are wrong;
- per field that identifies the vehicle or its parts (A, B, C.1, D.1, D.3, E, P.6, D.2.1,
  D.2), a review threshold just above the most confident wrong value seen, so that such a
  value sends its card to review.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import numpy as np

from ocr.calibration import MODEL_PATH
from ocr.evaluate import DEV_SEEDS
from ocr.fields import FLAGGED_WHEN_WRONG
from ocr.result import REVIEW_THRESHOLD

TARGET_WRONG = 0.005
_MARGIN = 0.01


def load_records(paths: list[str]) -> list[dict]:
    """Records of the development reads (both generators, development seeds only)."""
    records = []
    for path in paths:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        for items in data["records"].values():
            for item in items:
                if item["seed"] not in DEV_SEEDS:
                    raise SystemExit(f"seed {item['seed']} is not a development seed")
                records.append(item)
    return records


def fit(records: list[dict]) -> dict:
    """Fits the logistic model, the bias shift and the review thresholds."""
    from sklearn.linear_model import LogisticRegression

    names = sorted(records[0]["features"])
    x = np.array([[r["features"][n] for n in names] for r in records])
    y = np.array([r["right"] for r in records], dtype=int)
    model = LogisticRegression(C=1.0, max_iter=2000, class_weight={0: 3.0, 1: 1.0})
    model.fit(x, y)
    weights = dict(zip(names, model.coef_[0].tolist(), strict=True))
    bias = float(model.intercept_[0])
    z = x @ model.coef_[0] + bias
    shift = _bias_shift(z, y)
    p = 1 / (1 + np.exp(-(z + shift)))
    thresholds = {}
    for code in FLAGGED_WHEN_WRONG:
        wrong = [
            float(pi)
            for pi, r in zip(p, records, strict=True)
            if r["code"] == code and not r["right"]
        ]
        thresholds[code] = round(max([REVIEW_THRESHOLD] + [w + _MARGIN for w in wrong]), 4)
    return {
        "weights": weights,
        "bias": bias + shift,
        "thresholds": thresholds,
        "fitted_on": {
            "values": len(records),
            "wrong": int(len(y) - y.sum()),
            "seeds": sorted({r["seed"] for r in records}),
        },
    }


def _bias_shift(z: np.ndarray, y: np.ndarray) -> float:
    """The smallest downward shift making the wrong share at >= 0.9 at most TARGET_WRONG."""
    cut = math.log(REVIEW_THRESHOLD / (1 - REVIEW_THRESHOLD))
    for step in range(0, 200):
        shift = -0.05 * step
        sure = z + shift >= cut
        if not sure.any() or (1 - y[sure]).mean() <= TARGET_WRONG:
            return shift
    return -10.0


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("reads", nargs="+", help="JSON files written by ocr.evaluate --json")
    parser.add_argument("--out", default=str(MODEL_PATH))
    args = parser.parse_args(argv)
    records = load_records(args.reads)
    if not records:
        print("no development records", file=sys.stderr)
        return 1
    fitted = fit(records)
    Path(args.out).write_text(json.dumps(fitted, indent=1), encoding="utf-8")
    print(
        f"fitted on {fitted['fitted_on']['values']} values "
        f"({fitted['fitted_on']['wrong']} wrong) -> {args.out}"
    )
    print("review thresholds:", fitted["thresholds"])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
