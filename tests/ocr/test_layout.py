import random

import numpy as np

from ocr.engines import TextBox
from ocr.layout import code_candidates, pair, split_mrz


def box(
    text: str, x: float, y: float, width: float | None = None, h: float = 24, score: float = 0.95
) -> TextBox:
    width = width if width is not None else 14 * len(text)
    quad = np.array([[x, y], [x + width, y], [x + width, y + h], [x, y + h]], np.float32)
    return TextBox(text, score, quad)


ROWS = [  # code box, value box on the same line; three columns like the card
    (box("A.", 40, 140, 22), box("AB-123-CD", 75, 138)),
    (box("B.", 40, 198, 22), box("25/09/2003", 75, 198)),
    (box("E.", 40, 600, 22), box("VF1RFB00X12345678", 75, 600)),
    (box("F.1", 600, 198, 30), box("1623", 640, 198)),
    (box("P.1", 1090, 198, 30), box("1598", 1130, 198)),
    (box("P.6", 1090, 340, 30), box("7", 1130, 340)),
    (box("D.1", 40, 372, 30), box("RENAULT", 80, 372)),
]


def _flat(rows):
    return [b for row in rows for b in row]


def test_pairs_by_position_whatever_the_box_order():
    expected = {
        "A": "AB-123-CD",
        "B": "25/09/2003",
        "E": "VF1RFB00X12345678",
        "F.1": "1623",
        "P.1": "1598",
        "P.6": "7",
        "D.1": "RENAULT",
    }
    boxes = _flat(ROWS)
    for seed in range(5):
        random.Random(seed).shuffle(boxes)
        assert {c: f.text for c, f in pair(boxes).items()} == expected


def test_value_goes_to_nearest_code_on_its_left_not_previous_in_text_order():
    # Text order would give "1623" to B (its box comes right after B's value).
    boxes = [
        box("B.", 40, 198, 22),
        box("25/09/2003", 75, 198),
        box("1623", 640, 198),
        box("F.1", 600, 198, 30),
    ]
    got = pair(boxes)
    assert got["B"].text == "25/09/2003" and got["F.1"].text == "1623"


def test_value_on_another_line_is_not_paired():
    got = pair([box("D.3", 40, 540, 30), box("CLIO", 40, 600)])
    assert got["D.3"].text == ""


def test_merged_code_and_value_are_split_with_the_grammar():
    assert pair([box("S.15", 1090, 420)])["S.1"].text == "5"
    assert pair([box("P.11598", 1090, 198)])["P.1"].text == "1598"
    assert pair([box("B.25/09/2003", 40, 198)])["B"].text == "25/09/2003"
    assert pair([box("J.M1", 600, 420)])["J"].text == "M1"


def test_ambiguous_merge_resolved_by_the_other_boxes():
    # "G.1173" could be G.1 = 173 or G = 1173; G.1 is printed elsewhere, so it is G.
    got = pair([box("G.1173", 600, 330), box("G.1 1098", 600, 374)])
    assert got["G"].text == "1173" and got["G.1"].text == "1098"
    alone = pair([box("G.1173", 600, 330)])
    assert "G.1" in alone  # without other evidence the longer code wins


def test_row_merged_into_one_box_is_split_at_each_code():
    got = pair([box("Y.1 559,00 Y.2 0,00 Y.3 0,00", 40, 680, 600)])
    assert (got["Y.1"].text, got["Y.2"].text, got["Y.3"].text) == ("559,00", "0,00", "0,00")


def test_look_alike_code_letters():
    got = pair(
        [
            box("R1 2823", 1090, 190),
            box("1 M1", 600, 420),
            box("1.1 VP", 600, 467),
            box("κ. e11*2007/46*6129*30", 1090, 140),
            box("0.1 FORD", 40, 372),
        ]
    )
    assert got["P.1"].text == "2823"
    assert got["J"].text == "M1" and got["J.1"].text == "VP"
    assert got["K"].text == "e11*2007/46*6129*30"
    assert got["D.1"].text == "FORD"


def test_one_reads_as_i_or_j_depending_on_the_value():
    assert pair([box("1.30/11/2004", 600, 140)])["I"].text == "30/11/2004"
    assert "J" in pair([box("1 M1", 600, 420)])


def test_number_value_is_not_taken_for_a_code():
    assert code_candidates("11", at_start=True) == []  # not J.1 without its dot
    got = pair([box("P.6", 890, 270, 46), box("11", 931, 273, 31)])
    assert got["P.6"].text == "11" and "J.1" not in got


def test_decimal_value_is_not_taken_for_a_code():
    assert code_candidates("0,13", at_start=True) == []
    assert code_candidates("RUE", at_start=False) == []


def test_long_value_in_one_box_is_kept_whole():
    got = pair([box("C.3 49 RUE VICTOR HUGO 59000 LILLE", 40, 315, 500)])
    assert got["C.3"].text == "49 RUE VICTOR HUGO 59000 LILLE"


def test_mrz_lines_are_separated():
    others, lines = split_mrz(
        [
            box("A.", 40, 140, 22),
            box("BREAK<<FORD<<FOCUS<<<<<<<<<<<<<<2003LJ062340", 50, 840),
            box("CRFRAWT817WN0WF0TD918X1K59271380309253VP<<<<", 50, 795),
        ]
    )
    assert lines[0].startswith("CRFRA") and lines[1].startswith("BREAK")
    assert len(others) == 1


def test_code_glued_after_a_value_through_a_symbol_is_split():
    got = pair([box("Y.3 50,00￥411,00", 396, 552, 120)])
    assert got["Y.3"].text == "50,00" and got["Y.4"].text == "11,00"


def test_unreadable_letter_settled_by_elimination_and_grammar():
    # "#.2" could be any code ending in ".2"; F.1 and F.3 are read, D.2 and J.2 too: the
    # value 2150 is a valid mass, so F.2 it is.
    boxes = [
        box("F.1 2150", 600, 146),
        box("#.2 2150", 600, 186),
        box("F.3 3710", 600, 222),
        box("D.2 TXL5RXSH", 40, 345),
        box("J.2 AC", 600, 418),
    ]
    got = pair(boxes)
    assert got["F.2"].text == "2150" and got["D.2"].text == "TXL5RXSH"


def test_value_fragments_chain_along_the_line():
    # OCR cut the address into boxes; the last one is far from the code but close to the
    # previous fragment.
    boxes = [
        box("C.3", 40, 315, 30),
        box("49 RUE VICTOR HUGO", 80, 315, 250),
        box("59000", 345, 315, 70),
        box("LILLE", 430, 315, 70),
    ]
    assert pair(boxes)["C.3"].text == "49 RUE VICTOR HUGO 59000 LILLE"


def test_several_fields_on_one_row_each_keep_their_value():
    got = pair(
        [
            box("J. M1", 600, 420, 60),
            box("J.1 VP", 680, 420, 70),
            box("J.2", 770, 420, 30),
            box("J.3 CI", 830, 420, 60),
        ]
    )
    assert (got["J"].text, got["J.1"].text, got["J.3"].text) == ("M1", "VP", "CI")
    assert got["J.2"].text == ""  # printed without a value: stays empty


def test_row_merged_without_spaces_is_cut_at_each_code():
    got = pair([box("P.1 2706P,2105P,3EE P.6 7", 890, 140, 300)])
    assert [got[c].text for c in ("P.1", "P.2", "P.3", "P.6")] == ["2706", "105", "EE", "7"]


def test_empty_field_is_never_filled_from_its_neighbour():
    got = pair([box("F.3", 600, 256, 30), box("S.1 5", 1040, 256, 50), box("G 1173", 600, 298, 70)])
    assert got["F.3"].text == "" and got["S.1"].text == "5" and got["G"].text == "1173"


def test_name_then_first_names_on_the_next_line():
    boxes = [
        box("C.1 MERCIER", 26, 173, 110),
        box("HUGO SARAH", 63, 201, 110),
        box("C.4a EST LE PROPRIETAIRE DU VEHICULE", 27, 243, 380),
    ]
    got = pair(boxes)
    assert got["C.1"].text == "MERCIER HUGO SARAH" and got["C.1"].lines == 2
    assert got["C.4a"].text == "EST LE PROPRIETAIRE DU VEHICULE"


def test_address_on_three_lines_glued_to_its_code():
    boxes = [
        box("c.317 RUE DE LA PAIX", 30, 262, 220),
        box("ESC 3", 52, 288, 67),
        box("75011 PARIS", 55, 317, 132),
        box("D.1 FORD", 29, 360, 90),
    ]
    got = pair(boxes)
    assert got["C.3"].text == "17 RUE DE LA PAIX ESC 3 75011 PARIS"
    assert got["D.1"].text == "FORD"


def test_line_under_a_single_line_field_is_not_appended():
    got = pair([box("D.3 CLIO", 40, 540, 80), box("E VF1RFB00X12345678", 40, 566, 260)])
    assert got["D.3"].text == "CLIO"


def test_words_before_a_date_stay_with_their_field():
    got = pair([box("x.1VISITE AVANT LE 10/04/2016", 587, 461, 320)])
    assert got["X.1"].text == "VISITE AVANT LE 10/04/2016"


def test_coupon_repeats_are_kept_apart_from_the_fields():
    boxes = [
        box("A AB-123-CD", 27, 100, 150),
        box("E VF1RFB00X12345678", 27, 500, 260),
        box("A AB-123-CD", 27, 715, 150),
        box("N° DE FORMULE 2019AB12345", 666, 715, 260),
        box("E VF1RFB00X12345678", 27, 759, 260),
    ]
    got = pair(boxes)
    assert got["A"].text == "AB-123-CD" and got["A"].repeated == ["AB-123-CD"]
    assert got["E"].repeated == ["VF1RFB00X12345678"]
    assert "FORMULA" in got and got["FORMULA"].text == "2019AB12345"


def test_codes_of_one_family_keep_their_printed_order_on_a_row():
    got = pair([box("G.1580", 584, 143, 77), box("G.11505", 847, 144, 83)])
    assert (got["G"].text, got["G.1"].text) == ("1580", "1505")


def test_a_date_without_its_label_goes_to_the_only_missing_date_field():
    boxes = [
        box("B 02/02/2008", 23, 135, 124),
        box("x.1 07/11/2018", 843, 308, 137),
        box("08/11/2014", 500, 307, 115),
    ]
    got = pair(boxes)
    assert got["I"].text == "08/11/2014" and got["I"].by_position
    assert "I" not in pair([box("08/11/2014", 500, 307, 115)])  # B, I or X.1: unknown


def test_older_form_value_under_its_label_box():
    # The older form prints each code in a small label box above its value, in a grid.
    boxes = [
        box("B", 600, 100, 12, h=14),
        box("I", 800, 100, 12, h=14),
        box("12/03/2004", 600, 120),
        box("15/06/2008", 800, 120),
        box("F.1", 600, 170, 24, h=14),
        box("P.6", 800, 170, 24, h=14),
        box("1540", 600, 190),
        box("7", 800, 190, 14),
    ]
    fields = pair(boxes)
    got = {c: fields[c].text for c in ("B", "I", "F.1", "P.6")}
    assert got == {"B": "12/03/2004", "I": "15/06/2008", "F.1": "1540", "P.6": "7"}


def test_empty_code_does_not_take_an_invalid_or_coded_line_under_it():
    boxes = [
        box("H.", 40, 100, 22),  # printed empty
        box("S.1", 40, 140, 30),
        box("5", 80, 140, 14),  # on a line with its own code: never H's
        box("P.6", 600, 100, 30),  # printed empty, free text under it is no power rating
        box("COUPON DETACHABLE", 600, 130),
    ]
    fields = pair(boxes)
    assert fields["H"].text == "" and fields["S.1"].text == "5"
    assert fields["P.6"].text == ""


def test_later_codes_of_a_merged_row_that_lost_their_dot_are_cut():
    got = pair([box("F.1 1489F21489F32789", 600, 198, 250)])
    assert [got[c].text for c in ("F.1", "F.2", "F.3")] == ["1489", "1489", "2789"]
    got = pair([box("Z.1 VEHICULE LOUE Z2 VEHICULE DE DEMONSTRATION", 600, 500, 600)])
    assert got["Z.1"].text == "VEHICULE LOUE"
    assert got["Z.2"].text == "VEHICULE DE DEMONSTRATION"


def test_a_value_that_looks_like_another_letters_code_stays_a_value():
    got = pair([box("D.3 C4", 40, 540, 80), box("D.2 1D3 C3", 40, 600, 200)])
    assert got["D.3"].text == "C4" and got["D.2"].text == "1D3 C3" and "C.4a" not in got


def test_older_form_values_beside_a_label_of_another_column_and_names_on_two_lines():
    # The left column's C.3 label sits on the line of the F row's values, far to their
    # left: it does not claim them. C.1's name under its label box goes on to the first
    # names on the next line.
    boxes = [
        box("C.1", 40, 159, 27, h=20),
        box("LEROY", 44, 179, 50, h=19),
        box("HUGO LEA", 45, 198, 76, h=19),
        box("F.1", 391, 207, 27, h=21),
        box("F.2", 533, 207, 27, h=21),
        box("C.3", 40, 221, 27, h=21),
        box("1639", 395, 227, 42, h=19),
        box("2839", 538, 227, 43, h=20),
    ]
    fields = pair(boxes)
    assert (fields["F.1"].text, fields["F.2"].text) == ("1639", "2839")
    assert fields["C.1"].text == "LEROY HUGO LEA" and fields["C.3"].text == ""


def test_row_starting_with_a_bare_or_lowercase_code_is_cut_too():
    got = pair([box("J M1 J.1 VP J2 AB J.3 CI", 600, 420, 300)])
    assert [got[c].text for c in ("J", "J.1", "J.2", "J.3")] == ["M1", "VP", "AB", "CI"]
    got = pair([box("z.1 VEHICULE LOUE Z2 VEHICULE DE DEMONSTRATION", 600, 500, 600)])
    assert got["Z.2"].text == "VEHICULE DE DEMONSTRATION"
