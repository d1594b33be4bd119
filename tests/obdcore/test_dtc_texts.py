"""Trouble-code texts: ranges (SAE J2012 kinds and systems), English and French, the
fallback sentences for codes without a known text, and bad input."""

import re

import pytest

from diagnostics.kb import default_kb
from firmware_sim.library import LIBRARY
from obdcore import describe_dtc
from obdcore.errors import ArgumentError
from obdcore.io.dtc_texts import (
    DtcCodeError,
    DtcKind,
    DtcSource,
    DtcSystem,
    explain_dtc,
    normalize_code,
    own_texts,
)


def _codes_in_use() -> set[str]:
    """Every code the knowledge base links to a cause, and every code a simulated fault
    sets (cylinder placeholders expanded to 1-8)."""
    codes = set(default_kb().all_codes())
    for fault in LIBRARY.values():
        for code in fault.codes:
            codes |= {code.dtc.format(cyl=cyl) for cyl in range(1, 9)}
    return codes


def test_every_code_in_use_has_our_french_text():
    missing = sorted(c for c in _codes_in_use() if not own_texts().get(c, {}).get("fr"))
    assert missing == [], f"add a French text to obdcore/data/dtc_texts.csv for {missing}"


@pytest.mark.parametrize("code", sorted(_codes_in_use()))
def test_codes_in_use_are_explained_in_both_languages(code):
    english, french = explain_dtc(code, "en"), explain_dtc(code, "fr")
    assert english.kind is french.kind is DtcKind.GENERIC
    assert english.source in (DtcSource.NOVAEVO, DtcSource.PYTHON_OBD)
    assert french.source is DtcSource.NOVAEVO
    assert english.text and french.text and english.text != french.text


@pytest.mark.parametrize(
    ("code", "kind", "system"),
    [
        ("P0301", DtcKind.GENERIC, DtcSystem.POWERTRAIN),
        ("P2135", DtcKind.GENERIC, DtcSystem.POWERTRAIN),
        ("P1234", DtcKind.MANUFACTURER_SPECIFIC, DtcSystem.POWERTRAIN),
        ("P3000", DtcKind.MANUFACTURER_SPECIFIC, DtcSystem.POWERTRAIN),
        ("P33FF", DtcKind.MANUFACTURER_SPECIFIC, DtcSystem.POWERTRAIN),
        ("P3400", DtcKind.GENERIC, DtcSystem.POWERTRAIN),
        ("P3FFF", DtcKind.UNKNOWN_GENERIC, DtcSystem.POWERTRAIN),
        ("C0001", DtcKind.UNKNOWN_GENERIC, DtcSystem.CHASSIS),
        ("C1A2F", DtcKind.MANUFACTURER_SPECIFIC, DtcSystem.CHASSIS),
        ("C2000", DtcKind.MANUFACTURER_SPECIFIC, DtcSystem.CHASSIS),
        ("C3000", DtcKind.RESERVED, DtcSystem.CHASSIS),
        ("B1000", DtcKind.MANUFACTURER_SPECIFIC, DtcSystem.BODY),
        ("B2FFF", DtcKind.MANUFACTURER_SPECIFIC, DtcSystem.BODY),
        ("B3123", DtcKind.RESERVED, DtcSystem.BODY),
        ("U0100", DtcKind.GENERIC, DtcSystem.NETWORK),
        ("U1000", DtcKind.MANUFACTURER_SPECIFIC, DtcSystem.NETWORK),
        ("U2100", DtcKind.MANUFACTURER_SPECIFIC, DtcSystem.NETWORK),
        ("U3000", DtcKind.RESERVED, DtcSystem.NETWORK),
    ],
)
def test_kind_and_system_follow_the_ranges(code, kind, system):
    for lang in ("en", "fr"):
        explanation = explain_dtc(code, lang)
        assert (explanation.kind, explanation.system) == (kind, system)


@pytest.mark.parametrize("code", ["B1234", "C1234", "U1234", "P1234", "P3000"])
def test_manufacturer_codes_say_so_in_both_languages(code):
    english, french = explain_dtc(code, "en"), explain_dtc(code, "fr")
    assert english.source is french.source is DtcSource.STRUCTURE
    assert "Manufacturer-specific" in english.text and f"({code[:2]}xxx)" in english.text
    assert "depends on the make" in english.text
    assert "propre au constructeur" in french.text and "dépend de la marque" in french.text
    assert describe_dtc(code) == english.text
    assert describe_dtc(code, lang="fr") == french.text


def test_an_unknown_generic_code_names_its_subgroup():
    english, french = explain_dtc("U0299", "en"), explain_dtc("U0299", "fr")
    assert english.kind is DtcKind.UNKNOWN_GENERIC
    assert english.subgroup == "lost communication with a module"
    assert "lost communication with a module" in english.text
    assert "perte de communication avec un module" in french.text


def test_subgroups_of_the_p0_ranges():
    assert explain_dtc("P0101").subgroup == "fuel and air metering"
    assert explain_dtc("P0302").subgroup == "ignition system or misfire"
    assert explain_dtc("P0302", "fr").subgroup == "allumage ou ratés d'allumage"
    assert explain_dtc("P1302").subgroup is None  # the make lays out its own range


def test_reserved_codes_say_so():
    assert "reserved by ISO/SAE" in describe_dtc("B3123")
    assert "réservé par l'ISO/SAE (B3xxx)" in describe_dtc("B3123", "fr")


def test_python_obd_english_is_kept_and_french_falls_back_to_it():
    assert explain_dtc("P0564").source is DtcSource.PYTHON_OBD
    french = explain_dtc("P0564", "fr")
    assert french.text.startswith("Code générique P0564 (vitesse du véhicule")
    assert "Cruise Control" in french.text  # the English text, said to be English


def test_a_text_with_a_comma_does_not_cut_the_row():
    assert describe_dtc("P0891", "fr").endswith("circuit, signal haut")
    assert describe_dtc("P0713", "fr").endswith("circuit, signal haut")


def test_a_malformed_data_row_is_refused(monkeypatch):
    from obdcore.io import dtc_texts

    class Data:
        def joinpath(self, *parts):
            return self

        def read_text(self, encoding):
            return "# comment\ncode,en,fr\nP0001,x,y,z\n"

    monkeypatch.setattr(dtc_texts.resources, "files", lambda package: Data())
    with pytest.raises(ValueError, match="row 2 has the wrong field count"):
        dtc_texts._data_rows("dtc_texts.csv")


def test_families_give_each_code_its_own_component_and_fault():
    assert describe_dtc("P0133") == "Oxygen sensor bank 1 sensor 1: slow response"
    assert describe_dtc("P0161", "fr") == "Sonde à oxygène banc 2 capteur 2 : circuit de chauffage"
    assert describe_dtc("P0312", "fr") == "Ratés d'allumage détectés sur le cylindre 12"
    assert describe_dtc("P0362", "fr") == "Bobine d'allumage L : circuit primaire/secondaire"
    assert describe_dtc("P0296", "fr") == "Cylindre 12 : contribution / équilibrage"


def test_python_obd_english_is_kept_unless_ours_says_more():
    assert explain_dtc("P0302").source is DtcSource.PYTHON_OBD  # same meaning: theirs
    assert explain_dtc("P0133").source is DtcSource.NOVAEVO  # ours names bank and sensor


@pytest.mark.parametrize("code", ["p0301", " P0301 ", "P0301\n", "p052e"])
def test_codes_are_read_in_any_case_and_with_blanks(code):
    assert explain_dtc(code).code == code.strip().upper()
    assert describe_dtc(code, "FR") == describe_dtc(code.strip().upper(), "fr")


@pytest.mark.parametrize("lang", ["fr", "FR", "fr-FR", "fr_CA"])
def test_language_tags(lang):
    assert explain_dtc("P0301", lang).lang == "fr"


@pytest.mark.parametrize(
    "code", ["", "P030", "P03011", "X0301", "P4301", "P03G1", "0301", None, 301]
)
def test_malformed_codes(code):
    with pytest.raises(DtcCodeError):
        explain_dtc(code)
    assert describe_dtc(code) is None  # documented: None for a string that is not a code


def test_unknown_language_is_a_typed_error():
    with pytest.raises(DtcCodeError) as raised:
        describe_dtc("P0301", lang="de")
    assert isinstance(raised.value, ArgumentError) and "en or fr" in str(raised.value)


# fault words whose presence must agree between our English and python-obd's for one code
_FAULT_WORDS = (
    "low", "high", "intermittent", "range/performance", "slow", "no activity", "heater",
    "stuck on", "stuck off", "electrical", "no signal", "contribution", "over-advanced",
    "over-retarded", "lost communication", "software", "invalid data", "performance",
    "lean", "rich", "leak", "open",
)  # fmt: skip


def test_our_tables_agree_with_python_obd_on_every_code_both_have():
    """python-obd as the oracle of the code layout: a family that slipped by one code
    (P0136 read as P0135's heater) would change the fault word or the cylinder number."""
    from obd.codes import DTC

    compared = 0
    for code, texts in own_texts().items():
        ours, theirs = texts.get("en") or texts.get("en_spare"), DTC.get(code)
        if not ours or not theirs or theirs.startswith("Reserved"):
            continue
        ours, theirs = ours.lower(), theirs.lower()
        assert [w for w in _FAULT_WORDS if (w in ours) != (w in theirs)] == [], code
        assert set(re.findall(r"\b\d+\b", theirs)) <= set(re.findall(r"\b\d+\b", ours)), code
        compared += 1
    assert compared > 500


def test_python_obd_reserved_entries_are_reserved_codes():
    explanation = explain_dtc("U0080")
    assert (
        explanation.kind is DtcKind.RESERVED and "reserved by ISO/SAE (U0080)" in explanation.text
    )


def test_network_modules_read_in_both_languages():
    assert (
        describe_dtc("U0121")
        == "Lost communication with anti-lock brake system (ABS) control module"
    )
    assert describe_dtc("U0401", "fr") == "Données invalides reçues du calculateur moteur (ECM/PCM)"
    assert describe_dtc("U0175", "fr") == "Perte de communication avec le capteur d'airbag F"
    assert describe_dtc("U0005", "fr") == "Bus CAN haute vitesse : ligne (+) haute"


def test_families_do_not_overlap():
    """Two families claiming one code means one of their ranges is wrong."""
    from obdcore.io import dtc_texts

    seen: dict[str, str] = {}
    for family in dtc_texts._data_rows("dtc_families.csv"):
        size = sum(
            1
            for fault in dtc_texts._data_rows("dtc_fault_sequences.csv")
            if fault["sequence"] == family["sequence"]
        )
        first = int(family["first"][1:])
        for number in range(first, first + size * int(family["count"])):
            code = f"{family['first'][0]}{number:04d}"
            assert code not in seen, f"{code}: {family['first']} and {seen[code]}"
            seen[code] = family["first"]
    assert len(seen) > 300


def test_every_table_row_has_a_french_text_and_a_valid_code():
    for code, texts in own_texts().items():
        assert normalize_code(code) == code
        assert texts["fr"].strip(), code
        assert texts["fr"] == texts["fr"].strip() and "  " not in texts["fr"], code


def test_chassis_wheel_speed_codes_are_ours():
    explanation = explain_dtc("C0035", "fr")
    assert explanation.source is DtcSource.NOVAEVO and explanation.kind is DtcKind.GENERIC
    assert "roue avant gauche" in explanation.text


def test_p0000_says_there_is_no_code():
    """A freeze frame with no code reports P0000: not an unknown fuel-metering fault."""
    assert describe_dtc("P0000").startswith("No trouble code")
    assert describe_dtc("P0000", "fr").startswith("Aucun code défaut")


def test_no_code_is_ever_blank():
    """Every seventh well-formed code (9,363 of 65,536, across every range), both
    languages: a text, never empty; a code without one of ours or python-obd's says what
    its range tells."""
    for letter in "PCBU":
        for number in range(0, 0x4000, 7):
            code = f"{letter}{number:04X}"
            for lang in ("en", "fr"):
                explanation = explain_dtc(code, lang)
                assert explanation.text.strip(), code
                if explanation.source is DtcSource.STRUCTURE:
                    assert code[:2] in explanation.text or code in explanation.text, code


def test_python_obds_table_is_read_without_running_its_package():
    """Reading the table must not import the ``obd`` package and pint (0.3 s a process,
    pint's warnings): replay and the API's DTC look-up pay it otherwise."""
    import subprocess
    import sys

    script = (
        "import sys; from obdcore.io import dtc_texts; "
        "table = dtc_texts._python_obd_texts(); "
        "print(len(table), table['P0420'], 'obd' in sys.modules, 'pint' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    ).stdout.split()
    assert int(out[0]) > 1500 and out[-2:] == ["False", "False"]
