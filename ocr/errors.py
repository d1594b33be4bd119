"""Typed errors of the OCR package.

Every bad input ends in one of these (never a bare traceback): the CLI prints the
message and exits with ``exit_code``; an HTTP layer can map ``kind`` to a 4xx body.
"""

from __future__ import annotations


class OcrError(Exception):
    """Base class: a registration card could not be read.

    ``kind`` is a stable machine-readable tag, ``exit_code`` the CLI exit status.
    """

    kind = "ocr_error"
    exit_code = 1

    def to_dict(self) -> dict[str, str]:
        """Returns ``{"status": kind, "message": str(self)}`` for JSON output."""
        return {"status": self.kind, "message": str(self)}


class NotAnImage(OcrError):
    """The bytes are not an image format we can decode (JPEG, PNG, WebP, HEIC, ...)."""

    kind = "not_an_image"
    exit_code = 2


class TruncatedImage(NotAnImage):
    """The file starts like an image but its data ends early or is corrupt."""

    kind = "truncated_image"


class ImageTooLarge(OcrError):
    """The file or its declared pixel count exceeds the limits (includes decompression bombs)."""

    kind = "image_too_large"
    exit_code = 3


class NoCardFound(OcrError):
    """The image decodes but holds no readable registration card."""

    kind = "no_card_found"
    exit_code = 4


class BlankImage(NoCardFound):
    """The image is (almost) uniform: blank, black, or a lens cap photo."""

    kind = "blank_image"


class ForeignCard(NoCardFound):
    """A registration card was found, but not a French one."""

    kind = "foreign_card"


class ModelUnavailable(OcrError):
    """An OCR engine or its local model files are missing or broken (never downloaded)."""

    kind = "model_unavailable"
    exit_code = 5
