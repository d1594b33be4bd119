"""Plain-data vocabulary and the normalisation helpers (no database)."""

from __future__ import annotations

import subprocess
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from diagnostics.kb import load_kb
from parts import vocabulary
from parts.errors import InvalidPlateError, InvalidVinError
from parts.identify import check_digit_ok, model_years
from parts.importers import RowError, gtin_ok, parse_price
from parts.normalize import (
    build_search_text,
    normalize_brand,
    normalize_number,
    normalize_plate,
    normalize_vin,
)

# The knowledge base is the single source of cause ids (the simulator's fault ids and more).
SHARED_CAUSES = list(load_kb().causes)


def test_every_shared_cause_maps_to_known_part_types() -> None:
    assert sorted(vocabulary.CAUSE_IDS) == sorted(SHARED_CAUSES)
    assert sorted(vocabulary.CAUSE_PART_TYPES) == sorted(SHARED_CAUSES)
    for pairs in vocabulary.CAUSE_PART_TYPES.values():
        assert pairs
        for code, weight in pairs:
            assert code in vocabulary.PART_TYPES
            assert 0 < weight <= 1


def test_cause_qualifier_is_split_and_unknown_cause_raises() -> None:
    assert vocabulary.split_cause("misfire:2") == ("misfire", "2")
    assert vocabulary.split_cause("egr_stuck") == ("egr_stuck", None)
    assert vocabulary.part_types_for_cause("misfire:4")[0][0] == "spark_plug"
    with pytest.raises(KeyError):
        vocabulary.split_cause("flux_capacitor")


def test_vocabulary_is_readable_without_sqlalchemy() -> None:
    code = "import sys, parts.vocabulary; sys.exit(1 if 'sqlalchemy' in sys.modules else 0)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


@pytest.mark.parametrize(
    "spelling", ["0 280 218 119", "0280-218-119", "0280.218.119", " 0280218119 ", "0-280.218 119"]
)
def test_number_spellings_normalise_alike(spelling: str) -> None:
    assert normalize_number(spelling) == "0280218119"


def test_brand_and_plate_normalisation() -> None:
    assert normalize_brand(" Citroën  ds ") == "CITROEN DS"
    assert normalize_number("bkr6e") == "BKR6E"
    assert normalize_plate("ab123cd") == "AB-123-CD"
    assert normalize_plate("AB 123 CD") == "AB-123-CD"
    assert normalize_plate("1234 ab 75") == "1234 AB 75"
    assert normalize_plate("123 ABC 2A") == "123 ABC 2A"
    for bad in ("AB-123-SS", "OI-123-AB", "hello", "12345678"):
        with pytest.raises(InvalidPlateError):
            normalize_plate(bad)


def test_vin_validation_and_signals() -> None:
    assert normalize_vin("vf1 rfb00x56789012") == "VF1RFB00X56789012"
    for bad in ("VF1RFB00X5678901", "VF1RFB00X5678901O", "VF1RFB00X56789012X", "'; DROP"):
        with pytest.raises(InvalidVinError):
            normalize_vin(bad)
    assert check_digit_ok("1M8GDM9AXKP042788")
    assert not check_digit_ok("1M8GDM9A1KP042788")
    assert 2010 in model_years("WVWZZZ1KZAW123456")


@pytest.mark.parametrize(
    "text,cents", [("12.34", 1234), ("12,34", 1234), ("12,5", 1250), ("7", 700), (" 0.99 ", 99)]
)
def test_prices_in_both_decimal_styles(text: str, cents: int) -> None:
    assert parse_price(text) == cents


@pytest.mark.parametrize("text", ["12.3.4", "abc", "-5", "1 234,00", "12.345", "", "1e3"])
def test_prices_in_a_wrong_format_are_refused(text: str) -> None:
    with pytest.raises(RowError, match="price"):
        parse_price(text)


def test_gtin_check_digit() -> None:
    assert gtin_ok("4006381333931")
    assert not gtin_ok("4006381333932")
    assert not gtin_ok("40063813339")


@given(
    st.text(alphabet="ABCDEFGHJKLMNPRSTVWXYZ0123456789", min_size=1, max_size=20),
    st.lists(st.sampled_from([" ", "-", ".", "/"]), max_size=20),
    st.randoms(use_true_random=False),
)
def test_separators_never_change_a_normalised_number(number, separators, rnd) -> None:
    spelled = list(number)
    for sep in separators:
        spelled.insert(rnd.randrange(len(spelled) + 1), sep)
    respelled = "".join(spelled)
    assert normalize_number(respelled) == number
    assert normalize_number(respelled.lower()) == number
    assert normalize_number(normalize_number(respelled)) == number


@given(st.text(max_size=300))
def test_text_tokens_are_safe_words_or_a_typed_error(query) -> None:
    from parts.errors import InvalidInputError
    from parts.search import text_tokens

    try:
        tokens = text_tokens(query)
    except InvalidInputError:
        return
    assert 1 <= len(tokens) <= 12
    assert all(t and all(ch.isalnum() for ch in t) for t in tokens)


def test_search_text_is_the_distinct_words_of_the_part_in_order() -> None:
    attributes = {"volts": 12, "hot_film": True, "nested": {"x": 1}, "note": "x" * 65}
    text = build_search_text(
        "Bosch", "0 280-218.119", "Débitmètre d'air (MAF) Bosch", "MAF sensor", attributes
    )
    # Accents and case gone, every word once, the 65-letter one and the nested dict left out.
    assert text == "bosch 0 280 218 119 0280218119 debitmetre d air maf sensor 12 true"


@given(st.text(max_size=200), st.text(max_size=40))
def test_every_word_a_query_can_hold_is_in_the_search_text(name, brand) -> None:
    """Indexing and queries cut text the same way, and what is stored is valid for both
    databases (PostgreSQL refuses empty lexemes and lexemes over 2,047 bytes)."""
    from parts.errors import InvalidInputError
    from parts.search import text_tokens

    stored = build_search_text(brand, "", name, "")
    words = stored.split(" ") if stored else []
    assert len(set(words)) == len(words)
    assert all(0 < len(w.encode()) <= 2047 and w.isalnum() for w in words)
    try:
        tokens = text_tokens(name)
    except InvalidInputError:  # no word in the name: nothing to find it by
        return
    assert {t for t in tokens if len(t) <= 64} <= set(words)
