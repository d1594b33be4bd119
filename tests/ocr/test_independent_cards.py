"""The independent card generator and its photo degradations (ocr.independent_cards).

The MRZ check digits are recomputed here with a separate implementation of the ICAO
7-3-1 rule, so that a wrong rule in the generator cannot pass its own test.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import random
import re
import time

import numpy as np
import pytest
from PIL import Image, ImageDraw

from ocr.independent_cards import CONDITIONS, LAYOUTS, card_parts, degrade, generate_card
from ocr.independent_cards.render import CURRENT_COLUMNS_2, CURRENT_COLUMNS_3, OLD_GRID, Y_ROW
from ocr.independent_cards.values import make_values

SIV = re.compile(r"^([A-HJ-NP-TV-Z]{2})-(\d{3})-([A-HJ-NP-TV-Z]{2})$")
FNI = re.compile(r"^(\d{1,4}) ([A-HJ-NP-TV-Z]{1,3}) (\d{2}|2A|2B|97[1-6])$")
VIN = re.compile(r"^[A-HJ-NPR-Z0-9]{17}$")
DATE = re.compile(r"^\d{2}/\d{2}/\d{4}$")
EUROS = re.compile(r"^\d+,\d{2}$")
FUELS = {"ES", "GO", "EE", "EH", "EL", "GL", "FE", "EG"}
MRZ_CHARS = re.compile(r"^[A-Z0-9<]{44}$")


def icao_digit(field: str) -> str:
    """Reference 7-3-1 check digit, written independently of the generator's."""
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    weights = [7, 3, 1]
    total = 0
    for i, ch in enumerate(field):
        total += (0 if ch == "<" else alphabet.index(ch)) * weights[i % 3]
    return str(total % 10)


def parse_date(text: str) -> dt.date:
    assert DATE.match(text), text
    d, m, y = map(int, text.split("/"))
    return dt.date(y, m, d)


def truths(layout: str, n: int) -> list[dict[str, str]]:
    """Ground truths straight from the value model (the same code generate_card uses)."""
    return [
        make_values(random.Random(f"independent-card:{layout}:{s}"), layout).truth()
        for s in range(n)
    ]


# ----------------------------------------------------------------------------- cards
@pytest.mark.parametrize("layout", LAYOUTS)
def test_same_seed_gives_the_same_card_and_other_seeds_differ(layout):
    img1, gt1 = generate_card(7, layout=layout)
    img2, gt2 = generate_card(7, layout=layout)
    img3, gt3 = generate_card(8, layout=layout)
    assert img1.tobytes() == img2.tobytes() and gt1 == gt2
    assert gt1 != gt3 and img1.tobytes() != img3.tobytes()


def test_generate_card_rejects_bad_arguments():
    with pytest.raises(ValueError, match="layout"):
        generate_card(1, layout="2004")
    with pytest.raises(TypeError, match="seed"):
        generate_card("1")  # type: ignore[arg-type]


@pytest.mark.parametrize("layout", LAYOUTS)
def test_card_image_is_an_rgb_landscape_card_of_the_stated_size(layout):
    for seed in range(3):
        img, gt = generate_card(seed, layout=layout)
        assert img.mode == "RGB"
        assert 1000 <= img.width <= 1600 and 0.55 < img.height / img.width < 0.7
        grey = np.asarray(img.convert("L"), np.float32)
        assert grey.mean() > 180, "a pale card"
        assert (grey < 90).mean() > 0.01, "with dark printed text on it"


def test_a_card_is_drawn_well_under_a_second():
    # A guard against a pathological slowdown (drawn in ~0.1 s here), not a benchmark.
    best = min(_time(lambda s=s: generate_card(s)) for s in range(3))
    assert best < 1.0


def _time(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


@pytest.mark.parametrize("layout", LAYOUTS)
def test_no_two_printed_texts_overlap_and_all_stay_on_the_card(layout):
    for seed in range(6):
        img, values, boxes = card_parts(seed, layout)
        for i, (text, (x0, y0, x1, y1)) in enumerate(boxes):
            assert 0 <= x0 and 0 <= y0 and x1 <= img.width and y1 <= img.height, text
            for other, (u0, v0, u1, v1) in boxes[i + 1 :]:
                overlap = min(x1, u1) - max(x0, u0) > 0 and min(y1, v1) - max(y0, v0) > 0
                assert not overlap, (seed, text, other)
        printed = {t for t, _ in boxes}
        for code, lines in values.lines.items():
            assert code in printed and all(line in printed for line in lines), code


def test_every_ground_truth_field_has_a_place_on_each_layout():
    placed_current = {c for col in CURRENT_COLUMNS_3 for row in col for c in row} | set(Y_ROW)
    placed_current_2 = {c for col in CURRENT_COLUMNS_2 for row in col for c in row} | set(Y_ROW)
    placed_old = {c for row in OLD_GRID for c in row} | {"A", "B", "I", "C.1", "C.3"}
    extra = {"FORMULE", "MRZ1", "MRZ2"}
    for layout, placed in (
        ("current", placed_current),
        ("current", placed_current_2),
        ("old", placed_old),
    ):
        for gt in truths(layout, 20):
            assert set(gt) - extra == placed, layout


@pytest.mark.parametrize("layout", LAYOUTS)
def test_mrz_check_digits_are_valid_and_match_the_printed_fields(layout):
    for gt in truths(layout, 300) + [generate_card(s, layout=layout)[1] for s in range(3)]:
        l1, l2 = gt["MRZ1"], gt["MRZ2"]
        assert MRZ_CHARS.match(l1) and MRZ_CHARS.match(l2)
        assert l1[:5] == "CRFRA"
        plate = l1[5:14]
        assert plate.rstrip("<") == re.sub(r"[^A-Z0-9]", "", gt["A"])
        assert l1[14] == icao_digit(plate)
        assert l1[15:32] == gt["E"] and l1[32] == icao_digit(gt["E"])
        b = parse_date(gt["B"])
        assert l1[33:39] == b.strftime("%y%m%d") and l1[39] == icao_digit(l1[33:39])
        assert l1[40:].rstrip("<") == gt["J.1"]
        assert l2[32:43] == gt["FORMULE"] and l2[43] == icao_digit(gt["FORMULE"])
        assert gt["D.1"].replace(" ", "<") in l2[:32]


@pytest.mark.parametrize("layout", LAYOUTS)
def test_field_values_are_valid_for_their_type(layout):
    for gt in truths(layout, 300):
        plate = SIV.match(gt["A"]) if layout == "current" else FNI.match(gt["A"])
        assert plate, gt["A"]
        if layout == "current":
            assert plate.group(1) not in ("SS", "WW") and plate.group(3) not in ("SS", "WW")
            assert plate.group(2) != "000"
        b, i = parse_date(gt["B"]), parse_date(gt["I"])
        assert b <= i
        if layout == "current":
            assert i >= dt.date(2009, 4, 15)
        else:
            assert b.year >= 1995 and i < dt.date(2009, 4, 15)
        assert VIN.match(gt["E"]), gt["E"]
        assert len(gt["D.2.1"]) in (12, 15) and gt["D.2.1"].isalnum()
        assert gt["P.3"] in FUELS
        assert (gt["J"], gt["J.1"]) in {("M1", "VP"), ("N1", "CTTE")}
        assert (gt["P.1"] == "") == (gt["P.3"] == "EL")
        if gt["P.3"] == "EL":
            assert gt["V.7"] in ("0", "")
        for code in ("F.1", "F.2", "G", "P.2", "P.6", "S.1"):
            assert gt[code].isdigit() and int(gt[code]) > 0, code
        assert int(gt["F.1"]) > int(gt["G"]) >= int(gt["G.1"] or 0)
        assert gt["K"] == "" or re.match(r"^e\d{1,2}\*\d{4}/\d{2,3}\*\d{4,5}\*\d{2}$", gt["K"])
        assert gt["X.1"] == "" or re.match(r"^VISITE AVANT LE \d{2}/\d{2}/\d{4}$", gt["X.1"])
        assert gt["H"] == "" and gt["S.2"] == ""
        if layout == "current":
            amounts = [gt[f"Y.{k}"] for k in range(1, 7)]
            assert all(EUROS.match(a) for a in amounts)
            cents = [int(a.replace(",", "")) for a in amounts]
            assert sum(cents[:5]) == cents[5]
        for code, value in gt.items():
            assert value == value.strip() and "  " not in value, code


def test_values_span_lines_and_some_fields_are_empty():
    # The features the OCR must cope with do occur, in both layouts.
    for layout in LAYOUTS:
        cards = [
            make_values(random.Random(f"independent-card:{layout}:{s}"), layout) for s in range(200)
        ]
        assert any(len(v.lines["C.1"]) == 2 for v in cards)
        assert any(len(v.lines["C.3"]) == 3 for v in cards)
        assert any(v.lines["X.1"] for v in cards) and any(not v.lines["X.1"] for v in cards)
        assert all(v.truth()["C.1"] == " ".join(v.lines["C.1"]) for v in cards)


# ----------------------------------------------------------------------------- photos
@pytest.fixture(scope="module")
def photos():
    """Every condition applied once to one generated card (shared: degrading costs)."""
    card, _ = generate_card(3)
    # Shrunk: the frame follows the card's size, and these tests check kinds, not detail.
    card = card.resize((720, round(720 * card.height / card.width)))
    return {c: degrade(card, 11, condition=c) for c in CONDITIONS}


def _as_image(out) -> Image.Image:
    if isinstance(out, bytes):
        img = Image.open(io.BytesIO(out))
        assert img.format == "JPEG"
        img.load()
        return img
    return out


def test_every_condition_gives_an_image_of_the_kind_it_says(photos):
    for condition, (out, applied) in photos.items():
        assert applied["condition"] == condition
        if applied["output"] == "jpeg":
            assert isinstance(out, bytes) and out[:2] == b"\xff\xd8"
            assert 40 <= applied["jpeg_quality"] <= 90
        else:
            assert isinstance(out, Image.Image) and applied["jpeg_quality"] is None
        img = _as_image(out)
        assert img.mode == "RGB" and list(img.size) == applied["frame_size"]
    assert photos["jpeg40"][1]["output"] == "jpeg" and photos["jpeg40"][1]["jpeg_quality"] == 40


def test_named_conditions_apply_what_they_name(photos):
    a = {c: info for c, (_, info) in photos.items()}
    assert 5 <= abs(a["skew"]["skew_deg"]) <= 15
    for turn in (90, 180, 270):
        angle = a[f"rot{turn}"]["angle_deg"]
        assert min(abs(angle - turn), 360 - abs(angle - turn)) <= 5
    assert 0.12 <= a["keystone"]["keystone"] <= 0.2
    assert a["shadow"]["shadow"] > 0 and a["glare"]["glare"]
    assert a["blur"]["blur_radius"] >= 1.0
    assert abs(a["lowres370"]["card_width_px"] - 370) < 1
    assert a["hand"]["hand"] and a["car_seat"]["background"] == "car_seat"
    quad = np.array(a["small_in_frame"]["card_quad"])
    extent = (quad.max(0) - quad.min(0)) / np.array(a["small_in_frame"]["frame_size"])
    assert 0.3 <= extent.max() <= 0.5


def test_card_corners_lie_inside_the_frame(photos):
    for condition, (_, applied) in photos.items():
        w, h = applied["frame_size"]
        quad = np.array(applied["card_quad"])
        assert (quad >= 0).all() and (quad[:, 0] <= w - 1).all() and (quad[:, 1] <= h - 1).all(), (
            condition
        )


def _green_card(w=520, h=320) -> Image.Image:
    """A card no background can be mistaken for: saturated green with dark text lines."""
    img = Image.new("RGB", (w, h), (0, 200, 0))
    d = ImageDraw.Draw(img)
    for y in range(20, h - 20, 24):
        d.line([(20, y), (w - 20, y)], fill=(0, 40, 0), width=3)
    return img


def _greenish(rgb: np.ndarray) -> np.ndarray:
    r, g, b = (rgb[..., k].astype(int) for k in range(3))
    return (g > r + 60) & (g > b + 60)


@pytest.mark.parametrize("condition", CONDITIONS)
def test_the_whole_card_is_in_the_frame_and_nothing_of_it_touches_the_border(condition):
    for seed in (CONDITIONS.index(condition),):
        out, applied = degrade(_green_card(), seed, condition=condition)
        rgb = np.asarray(_as_image(out).convert("RGB"))
        border = np.concatenate(
            [
                rgb[:2].reshape(-1, 3),
                rgb[-2:].reshape(-1, 3),
                rgb[:, :2].reshape(-1, 3),
                rgb[:, -2:].reshape(-1, 3),
            ]
        )
        assert not _greenish(border).any(), (condition, seed)
        # Inside the corners (shrunk towards the centre) the card is what one sees.
        quad = np.array(applied["card_quad"])
        inner = quad.mean(0) + (quad - quad.mean(0)) * 0.8
        mask = Image.new("L", (rgb.shape[1], rgb.shape[0]), 0)
        ImageDraw.Draw(mask).polygon([tuple(p) for p in inner], fill=1)
        inside = np.asarray(mask, bool)
        assert _greenish(rgb[inside]).mean() > 0.6, (condition, seed)
        # Beyond the corners (a few pixels out, for blur and resampling) no card is seen.
        near = Image.new("L", mask.size, 0)
        ImageDraw.Draw(near).polygon([tuple(p) for p in quad], fill=1, outline=1, width=8)
        outside = ~np.asarray(near, bool)
        assert _greenish(rgb[outside]).mean() < 0.01, (condition, seed)


def test_degrade_is_deterministic_per_seed_and_condition():
    card = _green_card()
    a = degrade(card, 5, condition="random")
    b = degrade(card, 5, condition="random")
    c = degrade(card, 6, condition="random")
    as_bytes = [x if isinstance(x, bytes) else x.tobytes() for x, _ in (a, b, c)]
    assert as_bytes[0] == as_bytes[1] and a[1] == b[1]
    assert as_bytes[0] != as_bytes[2]


def test_degrade_takes_any_card_image_mode_and_size():
    for img in (
        Image.new("L", (900, 560), 200),
        Image.new("RGBA", (800, 500), (230, 230, 210, 255)),
        Image.new("P", (400, 260)),
    ):
        out, applied = degrade(img, 3, condition="plain")
        assert isinstance(out, Image.Image) and out.mode == "RGB"


def test_degrade_rejects_bad_input():
    with pytest.raises(ValueError, match="condition"):
        degrade(_green_card(), 1, condition="underwater")
    with pytest.raises(TypeError, match="seed"):
        degrade(_green_card(), 1.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="PIL image"):
        degrade(b"not an image", 1)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="out of range"):
        degrade(Image.new("1", (8000, 6000)), 1)
    with pytest.raises(ValueError, match="out of range"):
        degrade(Image.new("RGB", (10, 10)), 1)


def test_dump_writes_the_images_and_one_truth_line_each(tmp_path):
    from ocr.independent_cards.dump import main

    written = main([str(tmp_path), "--seeds", "4", "--layout", "old", "--conditions", "lowres370"])
    records = [json.loads(line) for line in (tmp_path / "truth.jsonl").read_text().splitlines()]
    assert written == len(records) == 2
    assert records[0]["truth"] == generate_card(4, layout="old")[1]
    assert records[1]["condition"] == "lowres370" and records[1]["applied"]["lowres370"]
    for r in records:
        assert Image.open(tmp_path / r["file"]).size[0] > 0
