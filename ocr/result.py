"""The documented output of a card read.

JSON shape (``CardResult.to_dict()``)::

    {
      "status": "ok" | "needs_review",
      "engine": "onnx",
      "card_found_in_photo": true,        # false: the image was taken as a flat scan
      "fields": {
        "E": {
          "code": "E", "meaning": "vehicle identification number (VIN)",
          "value": "VF1RFB00X12345678",   # typed: str, int, float, ISO date string or null
          "text": "VF1RFB00X12345678",    # normalised printed text
          "confidence": 0.995,            # 0..1
          "source": "both",               # "printed", "mrz" or "both"
          "valid": true,                  # passed the field-type validation
          "uncertain": false,             # confidence below the review threshold
          "warnings": []
        }, ...
      },
      "mrz": {"lines": [...], "plate_ok": true, "vin_ok": true, "date_ok": true, ...} | null,
      "uncertain_fields": ["P.6"],        # critical fields first
      "warnings": ["MRZ plate disagrees with printed A: ..."],
      "timings_ms": {"decode": 31, "prepare": 40, "ocr": 610, "extract": 3}
    }

Errors are not results: they raise an ``ocr.errors.OcrError`` whose ``to_dict()`` gives
``{"status": "<kind>", "message": "..."}``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

# A field below this confidence is reported as uncertain (the calibration makes values at
# or above it wrong at most 1 % of the time on the development data).
REVIEW_THRESHOLD = 0.90


@dataclass
class FieldResult:
    """One field as read: see the module docstring for the meaning of each attribute."""

    code: str
    meaning: str
    value: Any
    text: str
    confidence: float
    source: str
    valid: bool
    warnings: list[str] = field(default_factory=list)
    # What the confidence was computed from (internal; not part of the JSON output).
    evidence: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def uncertain(self) -> bool:
        return self.confidence < REVIEW_THRESHOLD or not self.valid

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("evidence")
        data["confidence"] = round(self.confidence, 3)
        data["uncertain"] = self.uncertain
        return data


@dataclass
class CardResult:
    """A whole card: fields by code, MRZ summary, overall status and warnings."""

    status: str
    engine: str
    fields: dict[str, FieldResult]
    mrz: dict[str, Any] | None
    card_found_in_photo: bool
    uncertain_fields: list[str]
    warnings: list[str]
    timings_ms: dict[str, float]

    def value(self, code: str) -> Any:
        """The typed value of field ``code`` or None when it was not read."""
        found = self.fields.get(code)
        return None if found is None else found.value

    def text(self, code: str) -> str:
        """The normalised text of field ``code`` (``""`` when not read)."""
        found = self.fields.get(code)
        return "" if found is None else found.text

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "engine": self.engine,
            "card_found_in_photo": self.card_found_in_photo,
            "fields": {code: f.to_dict() for code, f in self.fields.items()},
            "mrz": self.mrz,
            "uncertain_fields": self.uncertain_fields,
            "warnings": self.warnings,
            "timings_ms": {k: round(v, 1) for k, v in self.timings_ms.items()},
        }
