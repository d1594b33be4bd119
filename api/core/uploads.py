"""Uploaded bodies: the size counted on the stream (never trusted from Content-Length),
image type found from the content, pixel count checked from the header before decoding."""

from __future__ import annotations

import io
import struct

from fastapi import Request

from api.core.errors import ApiError

# (magic prefix test, name); HEIC/AVIF are ISO-BMFF files with an 'ftyp' brand.
_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"mif1", b"msf1", b"avif", b"heim"}


async def read_capped(request: Request, max_bytes: int) -> bytes:
    """The request body, refused with a 413 as soon as more than ``max_bytes`` arrived."""
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_bytes:
            raise ApiError(
                413,
                "payload_too_large",
                f"the upload exceeds {max_bytes:,} bytes",
                {"max_bytes": max_bytes},
            )
        chunks.append(chunk)
    return b"".join(chunks)


def image_type(data: bytes) -> str:
    """``jpeg``, ``png``, ``webp`` or ``heif`` from the first bytes; 415 otherwise."""
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if data[4:8] == b"ftyp" and data[8:12] in _HEIF_BRANDS:
        return "heif"
    raise ApiError(
        415,
        "unsupported_media_type",
        "not a JPEG, PNG, WebP or HEIC image (checked from its content)",
    )


def check_pixels(data: bytes, kind: str, max_pixels: int) -> tuple[int, int]:
    """Width and height from the image header (no decoding); 413 above ``max_pixels``,
    422 when the header cannot be read."""
    from PIL import Image, UnidentifiedImageError

    if kind == "heif":
        from pillow_heif import register_heif_opener

        register_heif_opener()
    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
    except (
        UnidentifiedImageError,
        OSError,
        ValueError,
        SyntaxError,
        EOFError,
        MemoryError,
        IndexError,
        TypeError,
        struct.error,
    ):
        # Pillow's header parsers raise any of these on a damaged or hostile file
        raise ApiError(422, "not_an_image", "the image header cannot be read") from None
    if width * height > max_pixels:
        raise ApiError(
            413,
            "image_too_large",
            f"{width}x{height} pixels is more than {max_pixels:,}",
            {"width": width, "height": height, "max_pixels": max_pixels},
        )
    return width, height
