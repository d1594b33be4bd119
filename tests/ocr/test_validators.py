import pytest

from ocr.fields import CLOSED_LISTS, Kind
from ocr.validators import (
    check_closed,
    check_code,
    check_date,
    check_field,
    check_number,
    check_plate,
    check_text,
    check_vin,
    vin_check_digit_ok,
)


@pytest.mark.parametrize("plate", ["AB-123-CD", "FG-001-HJ", "1234 AB 75", "12 ABC 2A", "5 AB 974"])
def test_valid_plates(plate):
    assert check_plate(plate).valid


@pytest.mark.parametrize(
    "plate",
    ["AI-123-CD", "AB-123-OU", "AB-000-CD", "SS-123-AB", "1234 AB 96", "ABC-12-DE", "HELLO"],
)
def test_invalid_plates(plate):
    assert not check_plate(plate).valid


def test_plate_confusions_repaired_per_slot():
    checked = check_plate("A8-l23-CD".upper())
    assert checked.valid and checked.value == "AB-123-CD" and checked.repaired


def test_ww_plate_is_valid_but_flagged():
    checked = check_plate("WW-123-AB")
    assert checked.valid and any("provisional" in w for w in checked.warnings)


def test_vin_banned_letters_repaired():
    checked = check_vin("VFIRFBOOX1234567Q", "RENAULT")
    assert checked.value == "VF1RFB00X12345670" and checked.repaired


def test_vin_length_and_wmi_checks():
    assert not check_vin("VF1RFB00X123456").valid
    wrong_make = check_vin("WVWZZZ1KZ8W123456", "RENAULT")
    assert wrong_make.valid and any("does not match make" in w for w in wrong_make.warnings)
    repaired = check_vin("VFIRFB00X12345678".replace("I", "T"), "RENAULT")
    assert not repaired.text.startswith("VF1")  # T is not a look-alike of 1 in a VIN WMI


def test_vin_wmi_look_alike_repaired_from_make():
    checked = check_vin("8F3ABCDEF12345678", "PEUGEOT")  # 8 misread for V? no: not alike
    assert checked.text.startswith("8F3")
    checked = check_vin("VF8ABCDEF12345678", "PEUGEOT")  # 8 read for 3? not alike either
    assert "VF8" == checked.text[:3]
    # B for 8 would make VF8 (a Renault WMI), but VFB reads validly: flagged, not rewritten.
    checked = check_vin("VFBABCDEF12345678", "RENAULT")
    assert checked.text.startswith("VFB") and not checked.repaired
    assert any("does not match make" in w for w in checked.warnings)


def test_vin_check_digit_is_only_a_signal():
    assert vin_check_digit_ok("1M8GDM9AXKP042788")  # the classic valid example
    checked = check_vin("1M8GDM9A1KP042788")
    assert checked.valid and any("check digit" in w for w in checked.warnings)


def test_dates():
    assert check_date("25/09/2003").value == "2003-09-25"
    assert check_date("O1/O2/2019").value == "2019-02-01"  # O read for 0
    assert not check_date("31/02/2019").valid
    assert not check_date("25/09/03").valid


def test_numbers_repair_only_in_numeric_fields():
    assert check_number("1S98", Kind.INT, 40, 20000).value == 1598
    assert check_number("0,13", Kind.DECIMAL, 0, 1).value == 0.13
    assert not check_number("20001", Kind.INT, 40, 20000).valid
    assert check_field("P.6", "I3").value == 13
    # The same letters stay letters in a code or free-text field.
    assert check_code("5FHNZM").value == "5FHNZM"
    assert check_text("C5 AIRCROSS").value == "C5 AIRCROSS"


def test_text_digits_inside_words_become_letters():
    assert check_text("B0RDEAUX").value == "BORDEAUX"
    assert check_text("SERIE 1").value == "SERIE 1"


def test_closed_lists():
    assert check_closed("CL", CLOSED_LISTS["J.3"]).value == "CI"
    assert check_closed("G0", CLOSED_LISTS["P.3"]).value == "GO"
    assert (
        check_closed("715/2007*692/2008EUR05", CLOSED_LISTS["V.9"]).value
        == "715/2007*692/2008EURO5"
    )
    assert not check_closed("XX", CLOSED_LISTS["P.3"]).valid
    # M1 and N1 are both valid categories: no list-based repair between them.
    assert check_closed("N1", CLOSED_LISTS["J"]).value == "N1"


def test_make_repaired_only_when_the_reading_is_invalid():
    assert check_field("D.1", "RENAU1T").value == "RENAULT"  # a digit: no make has one
    assert check_field("D.1", "LADA").value == "LADA"
    unknown = check_field("D.1", "RENAUIT")  # letters only: kept as read, flagged
    assert unknown.value == "RENAUIT" and any("not in the list" in w for w in unknown.warnings)


def test_closed_list_keeps_an_unknown_reading_as_read():
    # COMBI is not in our list: it is not turned into the nearest entry (COUPE).
    checked = check_closed("COMBI", CLOSED_LISTS["J.3"])
    assert checked.text == "COMBI" and not checked.valid
    assert check_closed("BREAX", CLOSED_LISTS["J.3"]).value == "BREAK"  # one letter off


def test_words_before_a_date():
    checked = check_field("X.1", "VISITE AVANT LE 06/07/2011")
    assert checked.value == "2011-07-06" and checked.text == "06/07/2011"
    assert any("words before" in w for w in checked.warnings)
    assert not check_field("X.1", "VISITE AVANT LE").valid


def test_approval_number_prefix_repaired():
    from ocr.validators import check_approval

    assert check_approval("07*2001/116*2177*18").value == "E7*2001/116*2177*18"
    assert check_approval("@2*2018/858*4509*31").value == "E2*2018/858*4509*31"
    assert check_approval("7*2007/46*1425°03").value == "E7*2007/46*1425*03"
    assert check_approval("e11*2007/46*6129*30").value == "E11*2007/46*6129*30"
    assert check_approval("10*2018/858*9656*32").value == "E10*2018/858*9656*32"  # e dropped
    assert not check_approval("HELLO").valid


def test_cnit_letters_repaired_only_in_letter_positions():
    assert check_field("D.2.1", "M10V0LVP9UP94WG").value == "M10VOLVP9UP94WG"
    assert check_field("D.2.1", "M10RENVP0000123").value == "M10RENVP0000123"


def test_names_and_makes_need_letters():
    assert not check_field("D.1", "74").valid
    assert not check_field("C.1", "2150").valid
    assert check_field("D.3", "308").valid
