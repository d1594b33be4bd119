"""The generator draws what the real form shows, and photos in the stated conditions."""

import numpy as np

from ocr import synth
from ocr.evaluate import expected_text


def test_both_layouts_with_multiline_values_empty_fields_and_the_coupon():
    cards = [synth.make_card(np.random.default_rng(seed)) for seed in range(12)]
    layouts = {c.meta["layout"] for c in cards}
    assert layouts == {"current", "old"}
    current = next(c for c in cards if c.meta["layout"] == "current")
    assert current.image.height == synth.MAIN_H + synth.COUPON_H  # the coupon under it
    assert all(len(c.truth["C.1"].split()) >= 2 for c in cards)  # name then first names
    assert any(text == "" for c in cards for text in c.truth.values())  # empty fields
    old = next(c for c in cards if c.meta["layout"] == "old")
    assert "J" not in old.truth and " " in old.truth["A"]  # older form, FNI plate


def test_photo_geometry_covers_the_stated_conditions():
    params = [synth.photo_geometry(np.random.default_rng(s), (1400, 1160))[2] for s in range(300)]
    assert {p["quarter"] for p in params} == {0, 1, 2, 3}
    assert max(abs(p["skew"]) for p in params) > 13 and all(abs(p["skew"]) <= 15 for p in params)
    assert max(p["keystone"] for p in params) > 0.18
    fills = [p["fill"] for p in params]
    assert min(fills) < 0.4 and max(fills) > 0.95
    assert min(p["card_px"] for p in params) < 450  # low-resolution cards too


def test_photograph_is_a_jpeg_and_deterministic():
    card = synth.make_card(np.random.default_rng(3))
    first = synth.photograph(card.image, np.random.default_rng(4))
    assert first[:2] == b"\xff\xd8"
    assert first == synth.photograph(card.image, np.random.default_rng(4))


def test_dates_are_scored_on_the_date_they_hold():
    assert expected_text("X.1", "VISITE AVANT LE 06/07/2011") == "06/07/2011"
    assert expected_text("C.1", "DUPONT  jean") == "DUPONT JEAN"
