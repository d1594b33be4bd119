"""Calibrated field confidence: P(value is right | what the reader saw), fitted offline.

Every field carries ``evidence`` (recognition score, validity, repairs, agreement or
disagreement with the MRZ and the coupon, empty value, code label read exactly, lines)
and the card carries whole-card signals (how well all its lines read). A logistic model
over these features, fitted by ``python -m ocr.calibrate`` on development seeds only,
turns them into the probability that the value is exactly right; that probability is the
reported confidence. The fitted weights live in ``ocr/data/calibration.json`` with, per
field, the review threshold below which a field that identifies the vehicle or its parts
sends the card to review. Without that file a conservative hand-set model is used.
"""

from __future__ import annotations

import functools
import json
import math
from pathlib import Path
from typing import Any

from ocr.fields import FIELDS, Kind
from ocr.result import REVIEW_THRESHOLD, FieldResult

MODEL_PATH = Path(__file__).with_name("data") / "calibration.json"
KINDS = tuple(k.value for k in Kind)


def features(result: FieldResult, card: dict[str, float]) -> dict[str, float]:
    """The named features of one field (see the module docstring)."""
    ev = result.evidence
    score = float(ev.get("score", result.confidence))
    kind = FIELDS[result.code].kind.value
    out = {
        "score": score,
        "logit_score": math.log(max(score, 1e-4) / max(1 - score, 1e-4)),
        "invalid": float(not result.valid),
        "repaired": float(bool(ev.get("repaired"))),
        "empty": float(bool(ev.get("empty"))),
        "inexact_label": float(not ev.get("exact", True)),
        "by_position": float(bool(ev.get("by_position"))),
        "multiline": float(ev.get("lines", 1) > 1),
        "warned": float(min(ev.get("warned", 0), 3)),
        "mrz_confirmed": float(ev.get("mrz") == "confirmed"),
        "mrz_repaired": float(ev.get("mrz") == "repaired"),
        "mrz_doubt": float(ev.get("mrz") in ("disagree", "ambiguous")),
        "coupon_agree": float(ev.get("coupon") == "agree"),
        "coupon_doubt": float(ev.get("coupon") in ("disagree", "repaired")),
        "cross_doubt": float(bool(ev.get("disagree"))),
        "sum_ok": float(bool(ev.get("sum_ok"))),
        "card_mean_score": card.get("mean_score", 0.0),
        "card_low_score": card.get("low_score", 0.0),
        "card_codes": min(card.get("codes", 0.0), 40.0) / 40.0,
        "photo": card.get("photo", 0.0),
        "length": min(len(result.text), 40) / 40.0,
    }
    for name in KINDS:
        out[f"kind_{name}"] = float(kind == name)
    return out


@functools.lru_cache(maxsize=1)
def model() -> dict[str, Any]:
    """The fitted model (weights, bias, per-field review thresholds), or the fallback."""
    try:
        return json.loads(MODEL_PATH.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {
            "weights": {
                "logit_score": 1.0,
                "invalid": -4.0,
                "mrz_confirmed": 4.0,
                "mrz_doubt": -3.0,
                "coupon_doubt": -3.0,
                "cross_doubt": -2.0,
                "empty": -1.0,
                "by_position": -1.0,
            },
            "bias": -1.0,
            "thresholds": {},
        }


def probability(feats: dict[str, float]) -> float:
    """The calibrated probability of a right value for these features."""
    fitted = model()
    z = fitted["bias"] + sum(w * feats.get(name, 0.0) for name, w in fitted["weights"].items())
    return 1.0 / (1.0 + math.exp(-max(min(z, 30.0), -30.0)))


def review_threshold(code: str) -> float:
    """Confidence below which field ``code`` sends its card to review."""
    return float(model().get("thresholds", {}).get(code, REVIEW_THRESHOLD))


# Caps that hold whatever the fit says: disagreements are rare in the development data, so
# the model cannot learn them well, and the rule is that a value contradicted by another
# source (MRZ, coupon, a cross-check) is flagged, and an invalid value is never trusted.
DOUBT_CAP = 0.6
INVALID_CAP = 0.3
# A card on which many read values fail their own validation was probably misread as a
# whole (values paired with the wrong codes, a layout the reader did not follow): none of
# its fields is reported sure. The share is a rule set by hand, not fitted.
MIN_VALID_SHARE, CARD_CAP = 0.85, 0.85


def apply(fields: dict[str, FieldResult], card: dict[str, float]) -> None:
    """Replaces every field's provisional confidence with the calibrated one."""
    read = [f for f in fields.values() if f.text]
    valid_share = sum(f.valid for f in read) / max(len(read), 1)
    for result in fields.values():
        result.evidence["card"] = card
        feats = features(result, card)
        confidence = probability(feats)
        if feats["mrz_doubt"] or feats["coupon_doubt"] or feats["cross_doubt"]:
            confidence = min(confidence, DOUBT_CAP)
        if feats["invalid"]:
            confidence = min(confidence, INVALID_CAP)
        if valid_share < MIN_VALID_SHARE:
            confidence = min(confidence, CARD_CAP)
        result.confidence = confidence
