import numpy as np
import pytest

from ocr import mrz
from ocr.engines import TextBox
from ocr.errors import ForeignCard, NoCardFound
from ocr.extract import extract, reconcile

LINE1, LINE2 = mrz.build_lines(
    "AB-123-CD", "VF1RFB00X12345678", "12/03/2019", "VP", "CI", "RENAULT", "CLIO", "2019AB12345"
)


def box(text, x, y, width=None, h=24, score=0.99):
    width = width if width is not None else 14 * len(text)
    quad = np.array([[x, y], [x + width, y], [x + width, y + h], [x, y + h]], np.float32)
    return TextBox(text, score, quad)


def card_boxes(
    plate="AB-123-CD",
    vin="VF1RFB00X12345678",
    date="12/03/2019",
    make="RENAULT",
    mrz_lines=(LINE1, LINE2),
    category="M1",
):
    boxes = [
        box("CERTIFICAT D'IMMATRICULATION", 40, 60),
        box(f"A. {plate}", 40, 140),
        box(f"B. {date}", 40, 200),
        box("C.1 DUPONT JEAN", 40, 260),
        box(f"D.1 {make}", 40, 372),
        box("D.3 CLIO", 40, 540),
        box(f"E. {vin}", 40, 600),
        box(f"J. {category}", 600, 420),
        box("J.1 VP", 600, 467),
        box("P.6 5", 1090, 340),
    ]
    return boxes + [box(line, 50, 790 + 48 * i) for i, line in enumerate(mrz_lines)]


def test_mrz_confirms_fields():
    result = extract(card_boxes())
    for code in ("A", "B", "E", "J.1", "D.1", "D.3"):
        assert result.fields[code].source == "both", code
    # A fitted probability (ocr/data/calibration.json); this toy card has few codes.
    assert result.fields["E"].confidence >= 0.95 and not result.fields["E"].uncertain
    # The confirmation is what makes them sure: without the MRZ they are less so.
    alone = extract(card_boxes(mrz_lines=()))
    for code in ("A", "E", "D.1"):
        assert result.fields[code].confidence > alone.fields[code].confidence, code
    assert result.value("B") == "2019-03-12"


def test_mrz_repairs_a_misread_vin_and_reports_it():
    result = extract(card_boxes(vin="VF1RFB00X1234S678"))  # 5 misread as S
    vin = result.fields["E"]
    assert vin.value == "VF1RFB00X12345678"
    assert any("disagrees with MRZ" in w for w in vin.warnings)
    assert any("disagrees with MRZ" in w for w in result.warnings)


def test_check_digit_blind_confusion_keeps_the_printed_value_and_flags_it():
    # G (16) and 6 are 10 apart: both readings satisfy the same check digit. The printed
    # reading is a valid VIN, so it is not replaced by the MRZ one: it is flagged.
    result = extract(card_boxes(vin="VF1RFB00X12345G78"))
    vin = result.fields["E"]
    assert vin.value == "VF1RFB00X12345G78" and vin.uncertain
    assert result.status == "needs_review"


def test_printed_value_confirmed_by_check_digit_when_the_mrz_text_is_misread():
    bad_mrz = LINE1.replace("VF1RFB00X", "VF1RFBOOX")
    result = extract(card_boxes(mrz_lines=(bad_mrz, LINE2)))
    assert result.fields["E"].value == "VF1RFB00X12345678"
    assert result.fields["E"].source == "both"


def test_mrz_plate_and_date_repair():
    result = extract(card_boxes(plate="AB-128-CD", date="12/08/2019"))
    assert result.fields["A"].value == "AB-123-CD"
    assert result.fields["B"].value == "2019-03-12"


def test_unconfirmed_disagreement_is_flagged():
    other = mrz.build_lines(
        "ZZ-999-ZZ", "VF1RFB00X99999999", "01/01/2001", "VP", "CI", "RENAULT", "CLIO", "2019AB12345"
    )
    result = extract(card_boxes(mrz_lines=other))
    # Neither the printed VIN nor any mix satisfies the MRZ check digit of another VIN:
    # the MRZ VIN wins only through its own check digit, and the change is reported.
    assert any("MRZ" in w for w in result.fields["E"].warnings)


def test_reconcile_mixes_characters_under_the_check_digit():
    vin = "VF1RFB00X12345678"
    check = mrz.check_digit(vin)
    assert reconcile(vin, vin, check) == (vin, "both")
    assert reconcile("VF1RFB0OX12345678", vin, check) == (vin, "mrz")
    # Printed B-for-8 and MRZ S-for-5: only the mix of both satisfies the check digit.
    assert reconcile("VF1RFB00X12345B78", "VF1RFB00X1234S678", check) == (vin, "mix")
    assert reconcile(vin, None, None) == (None, "none")


def test_category_that_disagrees_with_the_genre_is_flagged_not_rewritten():
    result = extract(card_boxes(category="N1"))
    assert result.fields["J"].value == "N1" and result.fields["J"].uncertain


def test_empty_field_comes_back_empty():
    result = extract(card_boxes() + [box("F.3", 600, 256, 30), box("S.1 5", 1040, 256, 50)])
    assert result.fields["F.3"].text == "" and result.fields["F.3"].value is None
    assert result.fields["S.1"].value == 5


def test_coupon_disagreement_is_flagged_and_agreement_confirms():
    agree = extract(card_boxes() + [box("C.1 DUPONT JEAN", 40, 1000)])
    assert agree.fields["C.1"].evidence["coupon"] == "agree"
    differ = extract(card_boxes() + [box("C.1 DUPOND JEAN", 40, 1000)])
    assert differ.fields["C.1"].text == "DUPONT JEAN"  # both valid: the card's reading kept
    assert differ.fields["C.1"].uncertain
    assert any("coupon" in w for w in differ.warnings)


def test_missing_critical_field_needs_review():
    boxes = [b for b in card_boxes() if not b.text.startswith("C.1")]
    result = extract(boxes)
    assert result.status == "needs_review" and "C.1" in result.uncertain_fields


def test_too_few_codes_is_no_card():
    with pytest.raises(NoCardFound):
        extract([box("SUPERMARCHE DU CENTRE", 40, 40), box("BAGUETTE 1,20 EUR", 40, 100)])


def test_german_card_is_foreign():
    boxes = [
        box("ZULASSUNGSBESCHEINIGUNG TEIL I", 40, 60),
        box("A. B-AB 1234", 40, 140),
        box("B. 12/03/2019", 40, 200),
        box("D.1 RENAULT", 40, 372),
        box("E. VF1RFB00X12345678", 40, 600),
        box("P.6 5", 1090, 340),
    ]
    with pytest.raises(ForeignCard):
        extract(boxes)


def test_json_shape():
    data = extract(card_boxes()).to_dict()
    field = data["fields"]["E"]
    assert set(field) == {
        "code",
        "meaning",
        "value",
        "text",
        "confidence",
        "source",
        "valid",
        "uncertain",
        "warnings",
    }
    assert data["status"] in ("ok", "needs_review") and data["mrz"]["vin_ok"]


def test_price_list_is_no_card_not_a_foreign_card():
    # Prices such as "5.13" read like look-alike codes (S.1 + "3"); they must not count.
    boxes = [box("SUPERMARCHE DU CENTRE", 360, 90)]
    boxes += [
        box(f"{p} EUR", 700, 160 + 55 * i)
        for i, p in enumerate(["5.13", "1.20", "0.99", "6.15", "2.35", "8.40"])
    ]
    with pytest.raises(NoCardFound) as info:
        extract(boxes, size=(1146, 736))
    assert info.value.kind == "no_card_found"


def test_space_lost_by_ocr_is_restored_from_the_mrz():
    lines = mrz.build_lines(
        "AB-123-CD",
        "VF1RFB00X12345678",
        "12/03/2019",
        "VP",
        "CI",
        "TOYOTA",
        "AYGO X",
        "2019AB12345",
    )
    boxes = [b for b in card_boxes(mrz_lines=lines) if not b.text.startswith("D.3")]
    result = extract(boxes + [box("D.3 AYGOX", 40, 540)])
    assert result.fields["D.3"].value == "AYGO X" and result.fields["D.3"].source == "both"


def _single_separator_line2(names: str) -> str:
    formula = "2019AB12345"
    return names.ljust(32, "<") + formula + mrz.check_digit(formula)


def test_line2_with_single_separators_confirms_the_printed_names_as_a_whole():
    # J.3, D.1 and D.3 separated by one "<" (as inside a name): the parts cannot be cut
    # apart, but the printed values joined are checked against the whole text.
    line2 = _single_separator_line2("CI<RENAULT<CLIO")
    parsed = mrz.parse([LINE1, line2])
    assert parsed.make is None and parsed.model is None and parsed.names == "CI<RENAULT<CLIO"
    boxes = card_boxes(mrz_lines=(LINE1, line2)) + [box("J.3 CI", 600, 514)]
    result = extract(boxes)
    assert result.fields["D.1"].source == "both" and result.fields["D.3"].source == "both"
    assert result.fields["D.1"].evidence["mrz"] == "confirmed"


def test_line2_names_that_differ_confirm_nothing_and_change_nothing():
    line2 = _single_separator_line2("CI<RENAULT<MEGANE")
    result = extract(card_boxes(mrz_lines=(LINE1, line2)) + [box("J.3 CI", 600, 514)])
    assert result.text("D.3") == "CLIO"
    assert result.fields["D.3"].evidence.get("mrz") is None


def test_line2_of_three_single_separated_words_fills_a_missing_make_and_name():
    # The printed D.1 and D.3 were not read (their labels lost): J.3 < known make < one
    # name word splits one way only, so both are filled, marked as MRZ readings, uncertain.
    line2 = _single_separator_line2("CI<T0Y0TA<YARIS")
    boxes = [b for b in card_boxes(mrz_lines=(LINE1, line2)) if b.text[:3] not in ("D.1", "D.3")]
    result = extract(boxes)
    assert result.text("D.1") == "TOYOTA" and result.text("D.3") == "YARIS"
    assert result.fields["D.1"].source == "mrz" and result.fields["D.3"].uncertain


def test_line2_names_never_replace_valid_printed_ones_nor_split_ambiguously():
    # A valid printed make stays as read; four words (a name with a space) fill nothing.
    line2 = _single_separator_line2("CI<TOYOTA<YARIS")
    assert extract(card_boxes(mrz_lines=(LINE1, line2))).text("D.1") == "RENAULT"
    line2 = _single_separator_line2("CI<LAND<ROVER<DEFENDER")
    boxes = [b for b in card_boxes(mrz_lines=(LINE1, line2)) if b.text[:3] != "D.1"]
    assert "D.1" not in extract(boxes).fields
