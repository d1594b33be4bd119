"""Registration-card (French "carte grise") OCR.

Read a card::

    from ocr import CardReader
    reader = CardReader()                  # engine "onnx"; or "paddle", "rapid"
    result = reader.read("photo.heic")     # path or bytes: JPEG, PNG, WebP, HEIC
    result.value("E"), result.fields["E"].confidence, result.to_dict()

The steps: ``intake`` (decode, limits, EXIF orientation) -> ``preprocess`` (find the card
on any background, correct perspective, turn its text lines horizontal, even the light)
-> ``orientation`` (upright or upside down) -> ``onnx_engine`` (the PP-OCR models on ONNX
Runtime, offline; ``engines`` also offers them through PaddleOCR or RapidOCR) ->
``layout`` (pair codes and values along the text lines: several fields per row, values on
several lines, empty fields, the coupon) -> ``extract`` (validators, MRZ check digits,
coupon and cross-checks; repairs only of invalid values) -> ``calibration`` (confidence =
fitted probability of a right value) -> ``result`` (the documented JSON structure).
Bad input raises a subclass of ``ocr.errors.OcrError``.
``ocr.synth`` generates cards and phone photos with ground truth; ``python -m
ocr.evaluate`` measures accuracy on it and on the independent generator
``ocr.independent_cards``; ``python -m ocr.calibrate`` fits the confidence.
"""

from ocr.errors import (
    BlankImage,
    ForeignCard,
    ImageTooLarge,
    ModelUnavailable,
    NoCardFound,
    NotAnImage,
    OcrError,
    TruncatedImage,
)

__all__ = [
    "CardReader",
    "read_card",
    "OcrError",
    "NotAnImage",
    "TruncatedImage",
    "ImageTooLarge",
    "NoCardFound",
    "BlankImage",
    "ForeignCard",
    "ModelUnavailable",
]


def __getattr__(name: str):
    # The pipeline imports cv2 and the engines: load it only when asked for.
    if name in ("CardReader", "read_card"):
        from ocr import pipeline

        return getattr(pipeline, name)
    raise AttributeError(name)
