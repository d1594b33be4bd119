from hypothesis import given
from hypothesis import strategies as st

from ocr import mrz


def test_check_digit_matches_icao_specimen():
    # ICAO 9303 specimen passport: document number, birth date and expiry date.
    assert mrz.check_digit("L898902C3") == "6"
    assert mrz.check_digit("740812") == "2"
    assert mrz.check_digit("120415") == "9"


def test_filler_counts_as_zero():
    assert mrz.check_digit("AB<") == mrz.check_digit("AB0")


def test_build_and_parse_round_trip():
    line1, line2 = mrz.build_lines(
        "AB-123-CD", "VF1RFB00X12345678", "12/03/2019", "VP", "CI", "RENAULT", "CLIO", "2019AB12345"
    )
    assert len(line1) == len(line2) == 44
    data = mrz.parse([line1, line2])
    assert (data.plate, data.vin, data.date_yymmdd, data.genre) == (
        "AB123CD",
        "VF1RFB00X12345678",
        "190312",
        "VP",
    )
    assert data.plate_ok and data.vin_ok and data.date_ok and data.formula_ok
    assert (data.body, data.make, data.model) == ("CI", "RENAULT", "CLIO")


def test_misread_character_fails_its_check_digit():
    line1, _ = mrz.build_lines(
        "AB-123-CD", "VF1RFB00X12345678", "12/03/2019", "VP", "CI", "RENAULT", "CLIO", "2019AB12345"
    )
    data = mrz.parse([line1.replace("VF1RFB00X", "VF1RFB0OX")])
    assert data.vin == "VF1RFB0OX12345678"
    assert not data.vin_ok
    assert data.plate_ok


def test_fni_plate_and_ocr_spacing_are_tolerated():
    line1, _ = mrz.build_lines(
        "1234 AB 75",
        "VF3ABCDEF12345678",
        "01/02/2005",
        "CTTE",
        "CI",
        "PEUGEOT",
        "208",
        "2005AB12345",
    )
    data = mrz.parse([" ".join(line1[i : i + 11] for i in range(0, 44, 11))])
    assert data.plate == "1234AB75" and data.plate_ok
    assert data.genre == "CTTE"


def test_garbage_line_gives_a_warning_not_an_error():
    data = mrz.parse(["HELLO WORLD"])
    assert data.vin is None
    assert data.warnings


@given(st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<", min_size=1, max_size=30))
def test_check_digit_is_one_digit(text):
    assert mrz.check_digit(text) in "0123456789"


@given(
    st.text(alphabet="ABCDEFGHJKLMNPRSTUVWXYZ0123456789", min_size=17, max_size=17),
    st.integers(0, 16),
    st.sampled_from("ABCDEFGHJKLMNPRSTUVWXYZ0123456789"),
)
def test_single_substitution_changes_check_digit(vin, position, char):
    # 7-3-1 weights with values below 36 are not multiples of 10 apart for a single change,
    # except when the two values differ by a multiple of 10 (e.g. 0 and A=10).
    changed = vin[:position] + char + vin[position + 1 :]
    delta = (mrz.char_value(char) - mrz.char_value(vin[position])) * (7, 3, 1)[position % 3]
    assert (mrz.check_digit(changed) == mrz.check_digit(vin)) == (delta % 10 == 0)
