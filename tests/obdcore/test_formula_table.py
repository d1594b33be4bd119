"""The formula language and the PID table format: what is accepted, what is refused."""

import math

import pytest

from obdcore import FormulaError, PidTable, TableError, compile_formula
from obdcore.protocol.pidtable import encode_pid


@pytest.mark.parametrize(
    "text,data,expected",
    [
        ("(256*A+B)/4", b"\x1a\xf8", 1726.0),
        ("A-40", b"\x7b", 83.0),
        ("signed(A*256+B, 16)/10", b"\xff\x9c", -10.0),
        ("Signed(A)", b"\xff", -1.0),
        ("{A:7}", b"\x80", 1.0),
        ("bit(B, 0) + 2*bit(B, 1)", b"\x00\x03", 3.0),
        ("max(A, B) - min(A, B)", b"\x05\x09", 4.0),
        ("AA", bytes(27), 0.0),
    ],
)
def test_formulas_evaluate(text, data, expected):
    assert compile_formula(text).evaluate(data) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "__import__('os')",
        "A.real",
        "open('x')",
        "[A, B]",
        "A if B else C",
        "'A'",
        "lambda: A",
        "40",
        "BA",
        "x*2",
        "A + " * 200 + "A",
        "A(",
        "min(A, key=B)",
    ],
)
def test_bad_formulas_are_refused(text):
    with pytest.raises(FormulaError):
        compile_formula(text)


def test_affine_detection():
    affine = compile_formula("(256*A+B)/4").affine
    assert (affine.start, affine.nbytes, affine.signed, affine.scale, affine.offset) == (
        0,
        2,
        False,
        0.25,
        0.0,
    )
    assert compile_formula("signed(256*C+D,16)/128").affine.signed
    assert compile_formula("A*B").affine is None
    assert compile_formula("{A:7}").affine is None


def test_division_by_zero_is_nan():
    assert math.isnan(compile_formula("100/A").evaluate(b"\x00"))


def test_encode_refuses_structured_fields():
    fields = PidTable.standard().fields(1, 0x01)
    with pytest.raises(TableError):
        encode_pid(fields, {"STATUS": 1.0})


HEADER = "mode,pid,name,bytes,formula,unit,min,max,description,header\n"


@pytest.mark.parametrize(
    "row,message",
    [
        ("01,0C,RPM,2,A,rpm,,,dup name,", "appears twice"),
        ("22,0D0D,X_A,1,A,,,,one size,\n22,0D0D,X_B,2,A,,,,another size,", "has 1 bytes"),
        ("22,12,LOW,1,C,,,,reads past,", "reads past"),
        ("01,ZZ,BAD,1,A,,,,bad pid,", "PID table line 2"),
        ("40,01,BAD_MODE,1,A,,,,bad mode,", "out of range"),
        ("22,1234,lower,1,A,,,,bad name,", "upper case"),
        ("22,1234,HDR,1,A,,,,bad header,7E", "header"),
        ("22,1234,EVIL,1,__import__('os'),,,,evil,", "unknown function"),
    ],
)
def test_bad_table_rows_are_refused_with_the_line(row, message):
    with pytest.raises(TableError, match=message):
        PidTable.standard().extended(
            PidTable.from_csv(HEADER + row)
        ) if "dup" not in row else PidTable(
            list(PidTable.standard()) + list(PidTable.from_csv(HEADER + row))
        )


def test_missing_columns_are_refused():
    with pytest.raises(TableError, match="lacks the columns"):
        PidTable.from_csv("mode,pid\n01,0C\n")


def test_extended_table_replaces_a_pid():
    custom = PidTable.from_csv(HEADER + "01,0D,SPEED_MPH,1,A/1.609344,mph,0,158.4,Speed,\n")
    table = PidTable.standard().extended(custom)
    assert [f.name for f in table.fields(1, 0x0D)] == ["SPEED_MPH"]
    assert len(table) == len(PidTable.standard())
