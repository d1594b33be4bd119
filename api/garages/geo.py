"""Positions: great-circle distances, bounding boxes for indexed pre-filters, postcodes.

The postcode table (``data/postcodes.csv``, source in ``data/SOURCES.md``) covers the main
postcodes of the demo directory's cities; a postcode it lacks is looked up among the
garages of the directory (see :func:`api.garages.service.resolve_position`).
"""

from __future__ import annotations

import csv
import math
import re
from functools import lru_cache
from pathlib import Path

from api.garages.errors import InvalidInputError

EARTH_RADIUS_KM = 6371.0088
POSTCODES = Path(__file__).resolve().parent / "data" / "postcodes.csv"
MAX_RADIUS_KM = 200.0
_POSTCODE = re.compile(r"^\d{5}$")


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle (haversine) distance in km between two WGS84 positions."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def bounding_box(lat: float, lon: float, radius_km: float) -> tuple[float, float, float, float]:
    """(min_lat, max_lat, min_lon, max_lon) containing every point within ``radius_km``:
    a cheap indexed pre-filter, refined by :func:`distance_km`."""
    dlat = math.degrees(radius_km / EARTH_RADIUS_KM)
    cos_lat = max(math.cos(math.radians(lat)), 1e-6)
    dlon = min(180.0, math.degrees(radius_km / (EARTH_RADIUS_KM * cos_lat)))
    return lat - dlat, lat + dlat, lon - dlon, lon + dlon


def check_position(lat: float, lon: float) -> None:
    """Raises InvalidInputError unless ``lat`` in [-90, 90] and ``lon`` in [-180, 180]."""
    if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0) or math.isnan(lat + lon):
        raise InvalidInputError(f"position ({lat}, {lon}) is not a latitude/longitude")


def check_radius(radius_km: float) -> None:
    """Raises InvalidInputError unless 0 < radius <= 200 km."""
    if not 0.0 < radius_km <= MAX_RADIUS_KM:
        raise InvalidInputError(f"radius must be within 0..{MAX_RADIUS_KM:g} km, not {radius_km}")


def check_postcode(postcode: str) -> str:
    """A French postcode is five digits. Raises: InvalidInputError."""
    code = postcode.strip()
    if not _POSTCODE.fullmatch(code):
        raise InvalidInputError(f"{postcode[:20]!r} is not a French postcode (five digits)")
    return code


@lru_cache(maxsize=1)
def postcode_table() -> dict[str, tuple[str, float, float]]:
    """postcode -> (city, latitude, longitude), from the bundled table."""
    with open(POSTCODES, encoding="utf-8", newline="") as stream:
        return {
            row["postcode"]: (row["city"], float(row["latitude"]), float(row["longitude"]))
            for row in csv.DictReader(stream)
        }
