"""Calibrated confidence: the fitted model, the caps, the review thresholds."""

from ocr import calibration
from ocr.extract import _field
from ocr.fields import FLAGGED_WHEN_WRONG
from ocr.result import REVIEW_THRESHOLD

CARD = {"codes": 40, "mean_score": 0.97, "low_score": 0.9, "mrz_lines": 2, "photo": 0.0}


def test_fitted_model_is_shipped_with_a_threshold_per_identifying_field():
    fitted = calibration.model()
    assert "fitted_on" in fitted and fitted["fitted_on"]["values"] > 500
    assert set(fitted["thresholds"]) == set(FLAGGED_WHEN_WRONG)
    assert all(calibration.review_threshold(c) >= REVIEW_THRESHOLD for c in FLAGGED_WHEN_WRONG)


def test_confidence_grows_with_the_recognition_score_and_agreement():
    low = _field("P.6", "7", 0.6, None)
    high = _field("P.6", "7", 0.995, None)
    confirmed = _field("E", "VF1RFB00X12345678", 0.9, None)
    confirmed.evidence["mrz"] = "confirmed"
    plain = _field("E", "VF1RFB00X12345678", 0.9, None)
    calibration.apply({"a": low, "b": high, "c": confirmed, "d": plain}, CARD)
    assert low.confidence < high.confidence
    assert confirmed.confidence > plain.confidence


def test_a_contradicted_or_invalid_value_is_never_reported_sure():
    contradicted = _field("C.1", "DUPONT JEAN", 0.999, None)
    contradicted.evidence["coupon"] = "disagree"
    invalid = _field("B", "32/13/2019", 0.999, None)
    calibration.apply({"a": contradicted, "b": invalid}, CARD)
    assert contradicted.confidence <= calibration.DOUBT_CAP and contradicted.uncertain
    assert invalid.confidence <= calibration.INVALID_CAP and invalid.uncertain
